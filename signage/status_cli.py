"""``signage status``: the running player's status file, read back and judged for operators.

Exit 0 healthy, 1 unhealthy or stale (each reason on a line of its own on stderr), 2 no
status file or one that cannot be read (docs/health.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _display_line(d) -> str:
    if not isinstance(d, dict):
        return f"display: {d or 'unknown'}"
    line = f"display: {d.get('driver')} {d.get('size')} {d.get('mode')}"
    if not d.get("as_configured", True):
        line = f"display: HEADLESS ({d.get('driver')} {d.get('size')}); configured: {d.get('configured')}"
        line += f" — {d['error']}" if d.get("error") else ""
    return line


def _analytics_line(a) -> str:
    if not isinstance(a, dict):
        return "analytics: unknown"
    return (f"analytics: {a.get('state')}, {a.get('queue', 0)} waiting, {a.get('plays_written', 0)} plays written, "
            f"{a.get('not_written', 0)} records not written" + (f", last error: {a['last_error']}" if a.get("last_error") else ""))


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
    problems = [str(p) for p in doc.get("problems") or []]
    if stale:
        problems.insert(0, f"the status is {age:.0f} s old (more than {settings.health.stale_after_s:.0f} s): "
                           "the player is stopped or stuck")
    if args.json:
        print(json.dumps({**doc, "age_s": round(age, 1), "stale": stale, "healthy": not problems,
                          "problems": problems}, indent=2))
    else:
        cam = doc.get("camera") or {}
        aud = doc.get("audience")
        lines = [
            f"player: {'STALE, ' if stale else ''}updated {age:.0f} s ago, up {doc.get('uptime_s', 0) / 3600:.1f} h, "
            f"{doc.get('render_fps', 0):.0f} fps",
            _display_line(doc.get("display")),
            f"release: {doc.get('release')} (pid {doc.get('pid')})",
            f"playlist: {doc.get('playlist')!r} (version {doc.get('playlist_version')})",
            f"on screen: {doc.get('creative') or 'idle'} — {doc.get('reason') or ''}",
            f"camera: {cam.get('state')} ({cam.get('source')}), {cam.get('fps', 0):.0f} fps, "
            f"{cam.get('reconnects', 0)} reconnects" + (f", last error: {cam['last_error']}" if cam.get("last_error") else ""),
            _analytics_line(doc.get("analytics")),
            "audience: " + ("no measurement" if not aud else
                            f"{aud['faces']} faces, {aud['watchers']} watchers, attention {aud['attention_ratio']:.0%}, "
                            f"smiles {aud['smile_ratio']:.0%}, passers-by {aud['passers_by']}"),
        ]
        errors = doc.get("errors") or []
        lines.append(f"recent errors: {len(errors)}")
        lines += [f"  {e}" for e in errors]
        lines.append("health: " + ("ok" if not problems else f"UNHEALTHY ({len(problems)} problem{'s' if len(problems) > 1 else ''})"))
        print("\n".join(lines))
    for p in problems:
        print(f"signage status: unhealthy: {p}", file=sys.stderr)
    return 1 if problems else 0
