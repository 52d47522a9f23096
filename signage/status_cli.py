"""``signage status``: the running player's status file, read back and judged for operators.

Exit 0 healthy, 1 unhealthy or stale (each reason on a line of its own on stderr), 2 no
status file or one that cannot be read (docs/health.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _part(doc: dict, key: str) -> dict:
    v = doc.get(key)
    return v if isinstance(v, dict) else {}


def _num(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _display_line(d: dict) -> str:
    if not d:
        return "display: unknown"
    line = f"display: {d.get('driver')} {d.get('size')} {d.get('mode')}"
    if d.get("as_configured", True) is False:
        line = f"display: HEADLESS ({d.get('driver')} {d.get('size')}); configured: {d.get('configured')}"
        line += f" — {d['error']}" if d.get("error") else ""
    return line


def _analytics_line(a: dict) -> str:
    if not a:
        return "analytics: unknown"
    return (f"analytics: {a.get('state')}, {_num(a.get('queue')):.0f} waiting, {_num(a.get('plays_written')):.0f} plays "
            f"written, {_num(a.get('not_written')):.0f} records not written"
            + (f", last error: {a['last_error']}" if a.get("last_error") else ""))


def _audience_line(aud: dict) -> str:
    if not aud:
        return "audience: no measurement"
    return (f"audience: {_num(aud.get('faces')):.0f} faces, {_num(aud.get('watchers')):.0f} watchers, attention "
            f"{_num(aud.get('attention_ratio')):.0%}, "
            + ("expressions off, " if "smile_ratio" in aud and aud["smile_ratio"] is None else f"smiles {_num(aud.get('smile_ratio')):.0%}, ") +
            f"passers-by {_num(aud.get('passers_by')):.0f}")


def run_status(args: Any, settings: Any) -> int:
    """Exit 0 healthy, 1 unhealthy or stale (each reason on a line of its own), 2 no status."""
    from signage.health import read_status, status_path

    path = Path(args.file) if args.file else status_path(settings)
    try:
        doc, age = read_status(path)
    except FileNotFoundError:
        print(f"signage status: {path}: no status file (is the player running?)", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"signage status: {path}: cannot be read ({exc})", file=sys.stderr)
        return 2
    if not isinstance(doc, dict):
        print(f"signage status: {path}: not a status document", file=sys.stderr)
        return 2
    stale = age > settings.health.stale_after_s
    problems = [str(p) for p in _list(doc.get("problems"))]
    if stale:
        problems.insert(0, f"the status is {age:.0f} s old (more than {settings.health.stale_after_s:.0f} s): "
                           "the player is stopped or stuck")
    if args.json:
        print(json.dumps({**doc, "age_s": round(age, 1), "stale": stale, "healthy": not problems,
                          "problems": problems}, indent=2))
    else:
        cam = _part(doc, "camera")
        lines = [
            f"player: {'STALE, ' if stale else ''}updated {age:.0f} s ago, up {_num(doc.get('uptime_s')) / 3600:.1f} h, "
            f"{_num(doc.get('render_fps')):.0f} fps",
            _display_line(_part(doc, "display")),
            f"release: {doc.get('release')} (pid {doc.get('pid')})",
            f"playlist: {doc.get('playlist')!r} (version {doc.get('playlist_version')})",
            f"on screen: {doc.get('creative') or 'idle'} — {doc.get('reason') or ''}",
            f"camera: {cam.get('state')} ({cam.get('source')}), {_num(cam.get('fps')):.0f} fps, "
            f"{_num(cam.get('reconnects')):.0f} reconnects" + (f", last error: {cam['last_error']}" if cam.get("last_error") else ""),
            _analytics_line(_part(doc, "analytics")),
            _audience_line(_part(doc, "audience")),
            *([f"audience measurement paused until {doc['paused_until']} (a passer-by's pause)"]
              if isinstance(doc.get("paused_until"), str) else []),
        ]
        errors = _list(doc.get("errors"))
        lines.append(f"recent errors: {len(errors)}")
        lines += [f"  {e}" for e in errors]
        lines.append("health: " + ("ok" if not problems else f"UNHEALTHY ({len(problems)} problem{'s' if len(problems) > 1 else ''})"))
        print("\n".join(lines))
    for p in problems:
        print(f"signage status: unhealthy: {p}", file=sys.stderr)
    return 1 if problems else 0
