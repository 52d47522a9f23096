"""Delivery against a campaign's goals, in words, for the version page: from the delivery
the simulator reports per campaign and flight (``signage.playlist.delivery.delivery_json``,
the ``campaigns`` of a simulation's report). Pure."""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["delivery_tables", "table_duration"]


def table_duration(s: float) -> str:
    """A table cell's screen time, compact: ``1 h 2 min 3 s`` (wording.duration_words is the
    sentence form, ``1 hour 2 minutes``)."""
    s = round(s)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return " ".join(f"{v} {u}" for v, u in ((h, "h"), (m, "min"), (sec, "s")) if v) or "0 s"


def _short_time(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).strftime("%d %b %H:%M")
    except ValueError:
        return iso


def _cap(f: dict[str, Any]) -> str:
    cap = f.get("max_per_day")
    if cap is None:
        return "none"
    reached = [d["date"] for d in f.get("days", []) if d.get("cap_reached")]
    most = max((d["plays"] for d in f.get("days", [])), default=0)
    if reached:
        return f"{cap} a day: reached on {', '.join(reached)}"
    return f"{cap} a day: not reached (at most {most} in a day)"


def _short(f: dict[str, Any]) -> str:
    goal = f.get("min_per_hour")
    if not goal:
        return "no minimum"
    short = f.get("hours_short", [])
    if not short:
        return "none"
    parts = [f"{_short_time(h['hour'])} ({h['plays']} of {h['goal']}"
             + (", the daily cap was reached" if h.get("daily_cap_reached") else "") + ")" for h in short[:6]]
    more = f" and {len(short) - 6} more" if len(short) > 6 else ""
    return f"{len(short)}: " + "; ".join(parts) + more


def verdict(f: dict[str, Any]) -> tuple[str, str]:
    """(met | not met | not judged, the sentence)."""
    if f.get("simulated") is None:
        return "not judged", "Not judged: this flight is outside the simulated time."
    goal = f.get("min_per_hour")
    if not goal:
        return "not judged", (f"No hourly minimum to meet: {f.get('plays', 0)} plays delivered"
                              + (", the daily cap reached" if any(d.get("cap_reached") for d in f.get("days", [])) else "")
                              + ".")
    judged, short = f.get("hours_judged", 0), len(f.get("hours_short", []))
    if not judged:
        return "not judged", "Not judged: no whole hour of this flight in which it may play was simulated."
    if short:
        return "not met", f"Not met: {short} of {judged} hours had fewer than {goal} plays."
    return "met", f"Met: every one of the {judged} hours judged had at least {goal} plays."


def delivery_tables(campaigns: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """One table per campaign: its name, totals and a row per flight."""
    out = []
    for c in campaigns or []:
        rows = []
        for f in c.get("flights", []):
            state, words = verdict(f)
            sim = f.get("simulated")
            rows.append({
                "flight": f.get("flight"),
                "period": f"{f.get('from', '').replace('T', ' ')} to {f.get('to', '').replace('T', ' ')}",
                "simulated": "not simulated" if sim is None else f"{_short_time(sim['from'])} to {_short_time(sim['to'])}",
                "plays": f.get("plays", 0),
                "seconds": table_duration(f.get("screen_time_s", 0.0)),
                "daily_cap": _cap(f),
                "min_per_hour": f.get("min_per_hour") or "none",
                "hours_short": _short(f),
                "state": state,
                "verdict": words,
            })
        out.append({"id": c.get("id"), "name": c.get("name"), "plays": c.get("plays", 0),
                    "seconds": table_duration(c.get("screen_time_s", 0.0)), "flights": rows})
    return out
