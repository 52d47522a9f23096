#!/usr/bin/env python3
"""The privacy notice's controller, contact and address in a kiosk's signage.toml (used by
kiosk/install.sh; Python 3.11+, the standard library only).

  notice.py check FILE [--controller X] [--contact Y] [--url Z]
      exit 0 when FILE, with the values given applied, names a real controller, contact and
      address; else exit 1 and print each field still to set (a placeholder "<...>", the demo
      café's sample, empty or too long), one line each: "FIELD: reason"
  notice.py set FILE [--controller X] [--contact Y] [--url Z]
      write the values given into FILE's [notice] table; every other line is kept as it is
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
import unicodedata
from pathlib import Path

FIELDS = {"controller": 80, "contact": 80, "url": 200}  # and their longest (signage/config/screen.py NoticeConfig)
SAMPLES = {"controller": "Café Lumière", "contact": "privacy@cafe-lumiere.example",
           "url": "https://cafe-lumiere.example/privacy"}  # NoticeConfig's defaults: the developer's demo


def problem(field: str, value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "not set"
    v = value.strip()
    if v.startswith("<") and v.endswith(">"):
        return f"still the placeholder {v!r}"
    if v == SAMPLES[field]:
        return f"still the demo café's sample {v!r}"
    if len(v) > FIELDS[field]:
        return f"longer than {FIELDS[field]} characters"
    if any(unicodedata.category(c) == "Cc" for c in v):
        return "has a control character (a line break?)"
    return None


def current(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8")).get("notice", {})


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML wants escaped too."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def set_values(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``key = "..."`` of [notice] replaced (or added under its header)."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if re.fullmatch(r"\s*\[notice\]\s*(#.*)?", l)), None)
    if start is None:
        lines += ["", "[notice]"]
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"\s*\[", lines[i])), len(lines))
    for key, value in values.items():
        line = f"{key} = {toml_string(value.strip())}"
        at = next((i for i in range(start + 1, end) if re.match(rf"\s*{key}\s*=", lines[i])), None)
        if at is None:
            lines.insert(start + 1, line)
            end += 1
        else:
            lines[at] = line
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="notice.py")
    p.add_argument("action", choices=("check", "set"))
    p.add_argument("file", type=Path)
    for f in FIELDS:
        p.add_argument(f"--{f}", default=None)
    a = p.parse_args(argv)
    given = {f: getattr(a, f) for f in FIELDS if getattr(a, f)}
    try:
        values = {**current(a.file), **given}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        print(f"{a.file}: cannot be read as TOML: {exc}", file=sys.stderr)
        return 2
    bad = {f: problem(f, values.get(f)) for f in FIELDS}
    if a.action == "check":
        for f, why in bad.items():
            if why:
                print(f"{f}: {why}")
        return 1 if any(bad.values()) else 0
    wrong = {f: bad[f] for f in given if bad[f]}
    if wrong:
        for f, why in wrong.items():
            print(f"notice.{f}: {why}", file=sys.stderr)
        return 1
    text = set_values(a.file.read_text(encoding="utf-8"), given)
    tomllib.loads(text)  # what is written still parses
    a.file.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
