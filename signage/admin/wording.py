"""The player's status in words, for the dashboard (pure functions, no I/O).

``human_status(doc)`` turns the status document the player writes (``signage/health.py``,
sanitised by ``status.read_player_status``) into rows of (label, sentence): what is on the
screen and why, the camera, the display, the latest audience numbers (expression figures of
fewer than ``anonymity.MIN_PEOPLE`` people withheld, as in every report), the uptime in words
and the release. Never a raw key, a ``None`` or an empty list; never a server path.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from signage.analytics.anonymity import MIN_PEOPLE, WITHHELD

__all__ = ["no_paths", "progress_words", "audience_words", "camera_words", "creative_words", "display_words", "duration_words", "human_status",
           "release_words"]

_PATH = re.compile(r"(?<![\w.:/])(?:~|\.{1,2})?(?:/[^\s/:,;()'\"]+)+/?")


def no_paths(text: Any) -> str:
    """The text with every file path cut to its last part (no server path is ever shown)."""
    return _PATH.sub(lambda m: PurePath(m.group()).name or "/", str(text))


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def duration_words(seconds: float | int | None, parts: int = 2) -> str:
    """``3 days 4 hours``, ``1 hour 5 minutes``, ``40 seconds``: the largest ``parts`` units."""
    try:
        left = int(round(float(seconds or 0)))
    except (TypeError, ValueError):
        return "0 seconds"
    left = max(0, left)
    if left == 0:
        return "0 seconds"
    out = []
    for word, size in _UNITS:
        if left >= size:
            out.append(_plural(left // size, word))
            left %= size
        elif out:
            break  # "1 hour 20 seconds" says less than "1 hour"
        if len(out) == parts:
            break
    return " ".join(out)


def _d(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _num(v: Any, default: float = 0.0) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else default


def creative_words(doc: dict[str, Any]) -> str:
    """What is on the screen, and why: the rule that chose it, or the loop."""
    creative = doc.get("creative")
    if not creative:
        return "nothing yet (the player is starting)" if not doc.get("playlist") else "nothing (idle: no creative may play now)"
    rule, reason = doc.get("rule"), doc.get("reason")
    why = f"chosen by the rule “{rule}”" if rule else "the next in the loop"
    if reason and reason != rule:
        why += f": {no_paths(reason)}"
    return f"{creative}, {why}"


def camera_words(cam: Any) -> str:
    cam = {"state": cam} if isinstance(cam, str) else _d(cam)
    state = cam.get("state") or "unknown"
    fps = _num(cam.get("fps"))
    if state == "on":
        return f"on, {fps:.0f} pictures analysed a second (never stored)" + (
            f"; reconnected {_plural(int(_num(cam.get('reconnects'))), 'time')}" if _num(cam.get("reconnects")) else "")
    if state == "off":
        return "off (switched off in the settings): audience rules do not fire"
    if state == "starting":
        return "starting"
    if state == "reconnecting":
        failing = _num(cam.get("failing_s"))
        text = "failing" + (f" for {duration_words(failing)}" if failing >= 1 else "") + ", reconnecting: audience rules are off"
        err = cam.get("last_error")
        return text + (f" (last error: {no_paths(err)})" if err else "")
    if state == "paused":
        return "closed: audience measurement paused by a passer-by, audience rules are off"
    if state in ("ended", "stopped"):
        return f"{state}: audience rules are off"
    return "unknown"


def display_words(display: Any) -> str:
    d = _d(display)
    if not d:
        return "not reported"
    size = str(d.get("size") or "").replace("x", "×")
    mode = d.get("mode") or ""
    if mode == "headless":
        if d.get("as_configured") is False:
            err = d.get("error")
            return f"NOTHING ON THE SCREEN: running headless; configured {d.get('configured') or 'a display'}" + (
                f" ({no_paths(err)})" if err else "")
        return f"headless (as configured), {size}".rstrip(", ")
    return f"{mode or 'on'}, {size}".rstrip(", ") + (f" ({d['driver']})" if d.get("driver") else "")


def audience_words(aud: Any) -> str:
    """The latest numbers; smiles and surprise are withheld under MIN_PEOPLE people in view."""
    a = _d(aud)
    if not a:
        return "no numbers (camera off, starting or paused)"
    faces, watchers = int(_num(a.get("faces"))), int(_num(a.get("watchers")))
    text = f"{_plural(faces, 'person')} in view, {watchers} watching".replace("persons", "people")
    if faces:
        text += f" (attention {_num(a.get('attention_ratio')) * 100:.0f}%)"
        if "smile_ratio" in a and a["smile_ratio"] is None:  # expressions off
            text += "; expressions off"
        elif faces < MIN_PEOPLE:
            text += f"; smiles withheld ({WITHHELD})"
        else:
            text += f"; smiles {_num(a.get('smile_ratio')) * 100:.0f}%"
    passers = int(_num(a.get("passers_by")))
    if passers:
        text += f"; {_plural(passers, 'passer-by')}".replace("passer-bys", "passers-by")
    return text


def release_words(release: Any) -> str:
    """The release's name (the last part of its folder), never the server path."""
    return PurePath(str(release)).name if release else "unknown"


def human_status(doc: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The rows of the dashboard's "On the screen now" (after the active version's)."""
    if not doc:
        return [("Player", "no status: the player has not written one (is it running?)")]
    rows = [("On the screen", creative_words(doc))]
    if doc.get("playlist"):
        rows.append(("Playlist", f"“{doc['playlist']}”"))
    rows += [("Camera", camera_words(doc.get("camera"))), ("Display", display_words(doc.get("display"))),
             ("Audience", audience_words(doc.get("audience")))]
    if isinstance(doc.get("paused_until"), str):  # a passer-by's pause (docs/objection.md)
        rows.append(("Measurement", f"paused by a passer-by until {doc['paused_until'][11:16]} UTC: the camera is closed"))
    up = duration_words(doc.get("uptime_s"))
    age = _num(doc.get("age_s"))
    rows.append(("Running for", up + (f" (status {duration_words(age, 1)} old)" if age >= 2 else "")))
    rows.append(("Release", release_words(doc.get("release"))))
    probs = [no_paths(p) for p in doc.get("problems") or [] if isinstance(p, str)]
    rows.append(("Health", "healthy" if not probs else "UNHEALTHY: " + "; ".join(probs)))
    return rows


def progress_words(p: dict[str, Any]) -> str:
    """A version's simulation: queued, running (scenario k of n, simulated time reached), done."""
    state = p.get("state")
    if state == "queued":
        ahead = int(_num(p.get("ahead")))
        return "Simulation queued: " + (f"{_plural(ahead, 'upload')} ahead of it (one is simulated at a time)"
                                        if ahead else "it starts next")
    if state == "running":
        text = f"Simulating: scenario {int(_num(p.get('scenario'), 1))} of {int(_num(p.get('of'), 1))}"
        if p.get("label"):
            text += f" ({p['label']})"
        if _num(p.get("length_s")):
            text += f", {duration_words(p.get('reached_s'))} of {duration_words(p.get('length_s'))} simulated"
        return text + "."
    if state == "done":
        if p.get("stopped"):
            return (f"Simulation {p['stopped']}. It is advice only: this version is valid and can be activated; "
                    "below is what was simulated.")
        cpu = _num(p.get("cpu_s"))
        return "Simulated" + (f" in {cpu:.1f} s of CPU." if cpu else ".")
    return "Not simulated."
