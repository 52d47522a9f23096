"""Reading the YAML (or JSON) that advertisers write, with line numbers kept.

PyYAML speaks YAML 1.1, which has surprises for the people who write playlists:
``on``/``off``/``yes``/``no`` become booleans and ``11:30`` becomes the number 690. The
loader here keeps them as text (only ``true``/``false`` are booleans, as in YAML 1.2 and
JSON). It also refuses a key given twice in one mapping (YAML would silently keep the
last) and documents whose aliases expand into a huge tree.

``parse_yaml`` returns the data and a map from each path (``("rules", 0, "when")``) to
its 1-based line, so that a validation error can say where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[Any, ...]

MAX_NODES = 200_000  # nodes visited, aliases counted each time they are used
MAX_DEPTH = 32  # levels of mappings and lists (signage.playlist.limits.MAX_NESTING)


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's surprises (see the module docstring)."""


# Dates and times stay text too (the schema parses them, so 2027-02-29 is a clear error
# naming its field, not PyYAML's ValueError).
Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                                                  "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|0o[0-7_]+)$"), list("-+0123456789")
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


class YamlSyntaxError(ValueError):
    """Text that is not YAML (or JSON); ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class YamlDocument:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[tuple[Path_, int, int]] = field(default_factory=list)  # path, line, first line

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None


def load_yaml(text: str) -> Any:
    """Just the data (no line map), with the same rules as ``parse_yaml``."""
    return parse_yaml(text).data


def _character_error(text: str, exc: yaml.reader.ReaderError) -> YamlSyntaxError:
    """A character YAML does not allow (a control character pasted from a slide tool, a lone
    surrogate), with its line and column and its code point."""
    pos = exc.position if isinstance(exc.position, int) else 0
    before = text[:pos]
    line = before.count("\n") + 1
    column = pos - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(text[pos]) if pos < len(text) else 0
    return YamlSyntaxError(f"not valid YAML: the character U+{code:04X} is not allowed in YAML text "
                           "(a control character, often pasted from another program: delete it)", line, column)


def parse_yaml(text: str) -> YamlDocument:
    try:
        loader = Yaml12Loader(text)
    except yaml.reader.ReaderError as exc:
        raise _character_error(text, exc) from None
    try:
        node = loader.get_single_node()
        doc = YamlDocument(data=None)
        if node is None:
            return doc
        _walk(loader, node, (), doc, [0])
        doc.data = loader.construct_document(node)
        return doc
    except yaml.reader.ReaderError as exc:
        raise _character_error(text, exc) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        raise YamlSyntaxError(
            f"not valid YAML: {problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise YamlSyntaxError(f"not valid here: the document nests more than {MAX_DEPTH} levels deep") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor's own error (e.g. !!binary)
        if isinstance(exc, YamlSyntaxError):
            raise
        raise YamlSyntaxError(f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _key(loader: Yaml12Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            return node.value
    return f"<{node.tag}>"


def _walk(loader: Yaml12Loader, node: yaml.Node, path: Path_, doc: YamlDocument, budget: list[int]) -> None:
    budget[0] += 1
    if budget[0] > MAX_NODES:
        raise YamlSyntaxError(f"too large: more than {MAX_NODES} values once aliases are expanded")
    if len(path) > MAX_DEPTH:
        raise YamlSyntaxError(f"nests more than {MAX_DEPTH} levels deep (see Limits in docs/playlists.md)",
                              line=node.start_mark.line + 1, column=node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for k, _ in node.value:  # keys written here (not merged in): one of each
            if k.tag == "tag:yaml.org,2002:merge":
                continue
            key = _key(loader, k)
            try:
                hash(key)
            except TypeError:
                continue  # construction reports an unhashable key itself
            if key in seen:
                doc.duplicates.append((path + (key,), k.start_mark.line + 1, seen[key]))
            seen.setdefault(key, k.start_mark.line + 1)
        loader.flatten_mapping(node)  # resolves merge keys (<<) the way construction will
        for k, v in node.value:
            key = _key(loader, k)
            try:
                doc.lines[path + (key,)] = k.start_mark.line + 1  # the last one is the one used
            except TypeError:
                continue
            _walk(loader, v, path + (key,), doc, budget)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            doc.lines.setdefault(path + (i,), item.start_mark.line + 1)
            _walk(loader, item, path + (i,), doc, budget)
