"""What the agent says about the screen, from the player's status file (signage/health.py):
pure functions from the status document to the ``State`` facts and the ``Health`` message."""

from __future__ import annotations

from typing import Any

from signage.fleet.messages import Health, State

_CAMERA = {"on": "on", "off": "off", "starting": "starting", "reconnecting": "reconnecting",
           "stale": "stale", "paused": "paused", "failed": "failed"}  # ended, stopped, unknown: off


def _text(v: Any, n: int = 200) -> str:
    return v[:n] if isinstance(v, str) else ""


def _name(v: Any) -> str | None:
    return v[:128] if isinstance(v, str) and v else None


def _num(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v else 0.0


def state_facts(doc: dict[str, Any] | None, content_version: str | None) -> tuple[str | None, str | None, str, str]:
    """(content_version, creative, reason, player release) of the retained State: a change in
    any of them is published at once."""
    doc = doc if isinstance(doc, dict) else {}
    return (_name(content_version), _name(doc.get("creative")), _text(doc.get("reason")),
            _text(doc.get("release")))


PLACE_KEYS = ("site_name", "venue_type", "latitude", "longitude", "timezone", "expressions")


def place_of(screen_cfg: Any, expressions: str = "on") -> dict[str, Any]:
    """The State's fixed fields from the ``[screen]`` configuration (validated there) and
    ``sensing.expressions``: what the fleet's ad log says of the screen, as the kiosk's own
    export does."""
    if screen_cfg is None:
        return {"expressions": expressions}
    return {"site_name": screen_cfg.site, "venue_type": screen_cfg.venue_type, "latitude": screen_cfg.latitude,
            "longitude": screen_cfg.longitude, "timezone": screen_cfg.timezone, "expressions": expressions}


def state_message(site: str, screen: str, facts: tuple, *, online: bool, ts: float,
                  place: dict[str, Any] | None = None) -> State:
    version, creative, reason, player = facts
    return State(site=site, screen=screen, online=online, ts=ts, content_version=version, creative=creative,
                 reason=reason, player=player, **(place or {}))


def health_message(doc: Any, age_s: float | None, *, screen: str, ts: float, stale_after_s: float,
                   outbox: int, disk_free_mb: float | None, why_missing: str = "") -> Health:
    """The Health of the status document read ``age_s`` seconds after it was written (``doc``
    None: no status file, ``why_missing`` says why). Healthy only with a fresh status that
    lists no problem."""
    if not isinstance(doc, dict):
        return Health(screen=screen, ts=ts, healthy=False, outbox=min(outbox, 10_000_000), disk_free_mb=disk_free_mb,
                      problems=[_text(why_missing or "no status file: is the player running?")])
    problems = [_text(str(p)) for p in doc.get("problems") or [] if p][:19]
    if age_s is not None and age_s > stale_after_s:
        problems.insert(0, f"the status is {age_s:.0f} s old (more than {stale_after_s:.0f} s): the player is stopped or stuck")
    cam = doc.get("camera") if isinstance(doc.get("camera"), dict) else {}
    display = doc.get("display") if isinstance(doc.get("display"), dict) else {}
    display_text = " ".join(str(display.get(k)) for k in ("driver", "size", "mode") if display.get(k))
    return Health(screen=screen, ts=ts, healthy=not problems, problems=problems[:20],
                  camera=_CAMERA.get(cam.get("state"), "off"), display=_text(display_text),
                  uptime_s=min(_num(doc.get("uptime_s")), 1e7), disk_free_mb=disk_free_mb,
                  outbox=min(outbox, 10_000_000))
