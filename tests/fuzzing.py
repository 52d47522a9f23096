"""Mutations of what users type, and the property every entry point must keep with them.

Used by tests/test_fuzz_inputs.py: the suite runs it with a fixed budget, ``tools/fuzz-inputs``
with 10,000 cases of each kind (the figure in the README). Each ``check_*`` function feeds one
mutated input to the product the way a user would and returns None when the product did
what it promises (accepted it, or refused it with its own error type and a message naming
the file or variable); anything else escapes as an exception, which is the bug.

Mutations are data, not code: a list of operations drawn by hypothesis, applied to one of
the project's own example files, so a failing case shrinks to a small, readable one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PLAYLISTS = sorted((ROOT / "playlists").glob("*.yaml"))
SCENARIOS = sorted((ROOT / "playlists" / "scenarios").glob("*.yaml"))
CONFIGS = [ROOT / "kiosk" / "signage.toml"]

# Values people paste, and values at and past every edge a number or a time can have.
NASTY_SCALARS: tuple[Any, ...] = (
    0, -1, 1, 2**31, 2**63, 10**400, 1e300, -1e300, float("nan"), float("inf"), float("-inf"), 0.0001, 0.5,
    "", " ", "0", "0s", "-5s", "1ms", "99999999h", "1e300s", "1e300", ".inf", ".nan", "nan", "inf", "5 minutes",
    "2027-02-29", "2026-02-30", "9999-12-31", "0001-01-01", "2026-12-01T25:61", "24:00", "25:00", "00:00", "23:59",
    "12:30-11:00", "mon-sun", "funday", "Europe/Atlantis", "../../../etc/passwd", "/dev/zero", "CON",
    "\x0b", "a\x0bb", "\t", "\u200b", "\ufeff", "\u202e", "😀", "日本語", "عربى", "\\", "'", '"', "{", "[", "*a", "&a",
    "x" * 300, "x" * 5000, True, False, None, [], {}, [None], {"": None},
    # shares of screen time (a rule's share, the playlist's share_of_voice)
    "75%", "100%", "0%", "-5%", "150%", "nan%", "inf%", "1e400%", "%", " 5 %", "3600s", "3601s", "time", "plays",
)  # fmt: skip
# Characters inserted into the text itself.
NASTY_CHARS = ("\x0b", "\x00", "\x1b", "\t", "\r", "\n", ":", "-", "#", "{", "}", "[", "]", "&", "*", "!", "|",
               ">", "%", "@", "`", "'", '"', "\u2028", "\ud800", "\ufeff", "😀", " ")  # fmt: skip


def nested(key: str, depth: int, leaf: Any) -> Any:
    """``{key: {key: ... leaf}}``, depth levels deep (e.g. 250 nested ``not``)."""
    out = leaf
    for _ in range(depth):
        out = {key: out}
    return out


def paths(data: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path into nested dicts and lists, the root included (down to 300 levels: the
    product refuses past limits.MAX_NESTING, and several nestings of one part would
    otherwise pass Python's recursion limit here, in the harness)."""
    yield prefix
    if len(prefix) >= 300:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from paths(v, prefix + (i,))


def _get(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


def mutate_data(data: Any, ops: list[tuple[int, int, int]]) -> Any:
    """Apply structural operations (each three random integers) to parsed YAML data:
    replace a value with a nasty one, delete it, duplicate it, rename a key, or nest it."""
    for a, b, c in ops:
        all_paths = list(paths(data))
        leaves = [p for p in all_paths if p and not isinstance(_get(data, p), (dict, list))]
        pool = leaves if leaves and c % 4 else all_paths  # mostly values, sometimes whole parts
        path = pool[a % len(pool)]
        kind = b % 6
        if not path:
            if kind == 0:
                data = NASTY_SCALARS[c % len(NASTY_SCALARS)]
            continue
        parent, key = _get(data, path[:-1]), path[-1]
        if kind in (0, 1):  # replace
            parent[key] = NASTY_SCALARS[c % len(NASTY_SCALARS)]
        elif kind == 2:  # delete
            del parent[key]
        elif kind == 3 and isinstance(parent, list):  # duplicate an item
            parent.insert(key, _copy(parent[key]))
        elif kind == 3 and isinstance(parent, dict):  # rename a key
            parent[f"{key}{'_' if c % 2 else 'x'}"] = parent.pop(key)
        elif kind == 4:  # nest deeply under a logical word
            parent[key] = nested(("not", "any", "all")[c % 3], 40 + c % 300, parent[key])
        else:  # a number far off, keeping its type where there is one
            v = parent[key]
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                parent[key] = NASTY_SCALARS[c % len(NASTY_SCALARS)]
            elif isinstance(v, str):
                parent[key] = re.sub(r"\d+(\.\d+)?", lambda _m: ("0", "99999999", "1e300", "-3")[c % 4], v) or "0"
            else:
                try:
                    parent[key] = v * (10.0 ** ((c % 20) - 10)) * (-1 if c % 7 == 0 else 1)
                except OverflowError:
                    parent[key] = float("inf")
    return data


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def mutate_text(text: str, ops: list[tuple[int, int, int]]) -> str:
    """Character and line operations: insert a nasty character, delete a span, duplicate,
    swap or drop a line, truncate."""
    for a, b, c in ops:
        n = max(len(text), 1)
        i = a % n
        kind = b % 6
        if kind == 0:
            text = text[:i] + NASTY_CHARS[c % len(NASTY_CHARS)] + text[i:]
        elif kind == 1:
            text = text[:i] + text[i + 1 + c % 40:]
        elif kind == 2:
            text = text[:i]
        else:
            lines = text.split("\n")
            j, k = a % len(lines), c % len(lines)
            if kind == 3:
                lines.insert(j, lines[k])
            elif kind == 4:
                lines[j], lines[k] = lines[k], lines[j]
            else:
                del lines[j]
            text = "\n".join(lines)
    return text


def dump(data: Any) -> str:
    """YAML text for mutated data (nan and inf written as .nan / .inf, as a user would)."""
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    except (yaml.YAMLError, RecursionError, ValueError):
        return repr(data)


def mutated(base_text: str, ops: list[tuple[int, int, int]], structural: bool) -> str:
    if structural:
        from signage.playlist.yamlio import load_yaml

        return dump(mutate_data(load_yaml(base_text), ops))
    return mutate_text(base_text, ops)


# --------------------------------------------------------------------------- the properties
SIM_PLAYLIST_SECONDS = 3600.0  # how long a mutated playlist is simulated


def mutated_part(base_text: str, key: str, ops: list[tuple[int, int, int]]) -> str:
    """The document with only its top-level ``key`` mutated (structurally)."""
    from signage.playlist.yamlio import load_yaml

    data = load_yaml(base_text)
    data[key] = mutate_data(data[key], ops)
    return dump(data)


def check_playlist(text: str, path: Path, seed: int = 0, start: str = "2026-03-29T01:00") -> str:
    """Validate ``text`` as if it were the file ``path``; if accepted, simulate it for an
    hour from ``start`` against a scenario whose audience comes and goes. Returns "refused"
    or "played"."""
    from signage.playlist.loader import PlaylistError, parse_playlist
    from signage.playlist.simulate import simulate

    try:
        loaded = parse_playlist(text, path)
    except PlaylistError as exc:
        message = exc.format()
        assert str(path) in message, message
        return "refused"
    scenario = {"name": "fuzz", "timeline": [
        {"at": "0s", "faces": 0}, {"at": "10m", "faces": 3, "watchers": 2, "smile_ratio": 0.5},
        {"at": "20m", "camera": "off"}, {"at": "30m", "camera": "on", "faces": 1}, {"at": "45m", "faces": 0},
    ]}  # fmt: skip
    result = simulate(loaded.playlist, scenario, start=start, duration=SIM_PLAYLIST_SECONDS, seed=seed)
    return "played" if result.entries else "idle"


def check_scenario(text: str, playlist_path: Path, tmp: Path) -> str:
    """Load ``text`` as a scenario file and, if accepted, simulate the playlist against it."""
    from signage.playlist.loader import load_playlist
    from signage.playlist.simulate import ScenarioError, load_scenario, simulate

    f = tmp / "scenario.yaml"
    f.write_text(text, encoding="utf-8", errors="surrogatepass") if _encodable(text) else f.write_bytes(
        text.encode("utf-8", "replace"))
    try:
        scenario = load_scenario(f)
    except ScenarioError as exc:
        assert str(f) in str(exc), str(exc)
        return "refused"
    loaded = load_playlist(playlist_path)
    try:
        simulate(loaded.playlist, scenario, seed=0)
    except ScenarioError as exc:  # a scenario that loads but cannot be run says why
        assert str(exc), "empty message"
        return "refused"
    return "played"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """os.environ with only these SIGNAGE_ variables (others removed), restored after."""
    saved = {k: v for k, v in os.environ.items() if k.upper().startswith("SIGNAGE_")}
    try:
        for k in saved:
            del os.environ[k]
        os.environ.update(env)
        yield
    finally:
        for k in [k for k in os.environ if k.upper().startswith("SIGNAGE_")]:
            del os.environ[k]
        os.environ.update(saved)


def setting_paths() -> list[str]:
    """Every leaf setting as an environment variable name (SIGNAGE_A__B)."""
    from pydantic import BaseModel

    from signage.config import Settings

    out: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, f in model.model_fields.items():
            ann = f.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}__")
            else:
                out.append(f"{prefix}{name}".upper())

    walk(Settings, "SIGNAGE_")
    return sorted(out)


ENV_VALUES = ("en,fr", "en fr", '["en","fr"]', "[", "{", "}", "{}", "[]", "null", "none", "nan", "inf", "-inf",
              "-1", "0", "1e999", "1e-999", "99999999999999999999", "true", "yes", "on", "1x", "", " ", "\t",
              "1920x1080", "(1920, 1080)", "[1920, 1080]", "#zzzzzz", "x" * 400, "~" + "/a" * 200, "/dev/null",
              "/proc/self/mem", "é", "😀", "\\", '"', "'", "a=b", "0.5", "90", "360", "auto")  # fmt: skip


def check_env(env: dict[str, str]) -> str:
    """Build the settings from these environment variables: accepted, or a ConfigError that
    names each offending variable (or its key path)."""
    from signage.config import ConfigError, load_settings

    with environment(env):
        try:
            load_settings(None)
        except ConfigError as exc:
            msg = str(exc)
            named = any(k in msg or _key_path(k) in msg for k in env)
            assert named, f"the message names no variable of {sorted(env)}: {msg}"
            return "refused"
    return "accepted"


def _key_path(var: str) -> str:
    return var[len("SIGNAGE_"):].lower().replace("__", ".")


def check_config_file(text: str, tmp: Path) -> str:
    from signage.config import ConfigError, load_settings

    f = tmp / "signage.toml"
    f.write_bytes(text.encode("utf-8", "surrogatepass") if _encodable(text) else text.encode("utf-8", "replace"))
    with environment({}):
        try:
            load_settings(f)
        except ConfigError as exc:
            assert str(f) in str(exc), str(exc)
            return "refused"
    return "accepted"
