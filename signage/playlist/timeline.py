"""The result of a simulation (a timeline of plays and idle gaps, the audience changes) and
its reports: the summary, readable text with local times (and the UTC offset where it
changes), and JSON with every time carrying its offset.

Times in a result are instants (aware, UTC); ``SimulationResult.local`` gives the wall-clock
time at the screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from signage.playlist.delivery import CampaignDelivery, delivery_json, format_delivery
from signage.playlist.scenario import AUDIENCE_FIELDS, _fmt_duration
from signage.values import AudienceSnapshot

UTC = dt.timezone.utc
ENDED_COMPLETED = "completed"
ENDED_INTERRUPTED = "interrupted"
ENDED_CUT = "cut at end of simulation"
ENDED_RESTART = "restart"  # a play cut by a scenario's restart; the time the player was off

# --------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One play (or an idle gap, ``creative`` None) on the simulated screen."""

    start: dt.datetime  # an instant (aware, UTC); SimulationResult.local(start): at the screen
    end: dt.datetime
    creative: str | None
    rule: str | None  # None: the default loop (or idle)
    reason: str
    ended: str  # 'completed' | 'interrupted' | 'cut at end of simulation' | 'restart'
    audience: AudienceSnapshot | None  # what the camera saw when it started; None: camera off
    step: int | None = None  # the scenario step in force when it started

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def idle(self) -> bool:
        return self.creative is None


@dataclass(frozen=True, slots=True)
class AudienceChange:
    """A scenario step coming into force (for the readable report)."""

    time: dt.datetime
    step: int
    audience: AudienceSnapshot | None


@dataclass(slots=True)
class SimulationResult:
    playlist: str
    scenario: str
    start: dt.datetime  # an instant (aware, UTC)
    end: dt.datetime
    seed: int
    timezone: str | None
    entries: list[TimelineEntry]
    rules: list[str]  # every rule id, in file order
    disabled_rules: list[str]
    creatives: list[str]
    changes: list[AudienceChange] = field(default_factory=list)
    decisions: int = 0  # how many times the engine was asked
    zone: dt.tzinfo = UTC  # the screen's: the playlist's timezone (UTC without one)
    delivery: list[CampaignDelivery] = field(default_factory=list)  # per declared campaign (delivery.py)

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def local(self, t: dt.datetime) -> dt.datetime:
        """The wall-clock time at the screen at the instant ``t`` (aware, with its offset)."""
        return t.astimezone(self.zone)

    def plays(self, rule: str | None = ..., creative: str | None = ...) -> list[TimelineEntry]:  # type: ignore[assignment]
        """The entries that are plays, optionally of one rule (None: the loop) or creative."""
        out = [e for e in self.entries if not e.idle]
        if rule is not ...:
            out = [e for e in out if e.rule == rule]
        if creative is not ...:
            out = [e for e in out if e.creative == creative]
        return out


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class Summary:
    creatives: dict[str, dict[str, float]]  # id -> plays, screen_time_s, share (0..1 of the simulated time)
    rules: dict[str, dict[str, Any]]  # id -> fired, enabled
    never_fired: list[str]  # enabled rules that never fired
    disabled: list[str]
    idle_s: float
    loop_plays: int
    interrupted: int


def summarize(result: SimulationResult) -> Summary:
    total = result.duration_s or 1.0
    creatives: dict[str, dict[str, float]] = {cid: {"plays": 0, "screen_time_s": 0.0, "share": 0.0} for cid in result.creatives}
    fired = {rid: 0 for rid in result.rules}
    idle = 0.0
    loop_plays = interrupted = 0
    for e in result.entries:
        if e.idle:
            idle += e.duration_s
            continue
        c = creatives.setdefault(e.creative, {"plays": 0, "screen_time_s": 0.0, "share": 0.0})  # type: ignore[arg-type]
        c["plays"] += 1
        c["screen_time_s"] += e.duration_s
        if e.rule is None:
            loop_plays += 1
        else:
            fired[e.rule] = fired.get(e.rule, 0) + 1
        if e.ended == ENDED_INTERRUPTED:
            interrupted += 1
    for c in creatives.values():
        c["screen_time_s"] = round(c["screen_time_s"], 3)
        c["share"] = round(c["screen_time_s"] / total, 4)
    disabled = set(result.disabled_rules)
    rules = {rid: {"fired": n, "enabled": rid not in disabled} for rid, n in fired.items()}
    never = [rid for rid, n in fired.items() if n == 0 and rid not in disabled]
    return Summary(creatives, rules, never, list(result.disabled_rules), round(idle, 3), loop_plays, interrupted)



def _fmt_utc_offset(t: dt.datetime) -> str:
    """+01:00 for an aware local time."""
    return t.isoformat()[-6:]


def _fmt_audience(a: AudienceSnapshot | None) -> str:
    if a is None:
        return "camera off (no audience rules)"
    parts = [f"faces {a.faces}", f"watchers {a.watchers}"]
    if a.smile_ratio:
        parts.append(f"smile {a.smile_ratio:.0%}")
    if a.surprise_ratio:
        parts.append(f"surprise {a.surprise_ratio:.0%}")
    if a.passers_by != a.faces:
        parts.append(f"passers-by {a.passers_by}")
    if a.mean_dwell_s:
        parts.append(f"dwell {a.mean_dwell_s:g}s")
    if a.mean_attention_s:
        parts.append(f"attention {a.mean_attention_s:g}s")
    if a.glances:
        parts.append(f"glances {a.glances}")
    if a.trend != "steady":
        parts.append(f"trend {a.trend}")
    return ", ".join(parts)


def format_report(result: SimulationResult) -> str:
    """The timeline, one line per play, then the summary: readable text."""
    s = summarize(result)
    local = result.local
    t0, t1 = local(result.start), local(result.end)
    if result.timezone:
        offsets = f"UTC{_fmt_utc_offset(t0)}" + (f" then UTC{_fmt_utc_offset(t1)}" if t0.utcoffset() != t1.utcoffset() else "")
        tz, no_zone = f" ({result.timezone}, {offsets})", ""
    else:
        tz, no_zone = "", " (in UTC: the playlist has no timezone)"
    lines = [
        f"Playlist {result.playlist!r} against scenario {result.scenario!r}, seed {result.seed}",
        f"{t0:%a %Y-%m-%d %H:%M:%S} to {t1:%a %Y-%m-%d %H:%M:%S}{tz}, "
        f"{_fmt_duration(result.duration_s)} simulated{no_zone}",
        "",
    ]
    width = max([len(e.creative or "(player off)") for e in result.entries] + [len(c) for c in result.creatives] + [8])
    rwidth = max([len(e.rule or "loop") for e in result.entries] + [4]) + 2
    items: list[tuple[dt.datetime, int, Any]] = [(c.time, 0, c) for c in result.changes]
    items += [(e.start, 1, e) for e in result.entries]
    items.sort(key=lambda x: (x[0], x[1]))
    day = None
    offset = t0.utcoffset()
    for t, _, item in items:
        t = local(t)
        if t.utcoffset() != offset:  # a daylight-saving change: say so where it happens
            offset = t.utcoffset()
            lines.append(f"{t:%H:%M:%S}  -- the clocks change: UTC{_fmt_utc_offset(t)} from here")
        if t.date() != day:
            day = t.date()
            lines.append(f"{t:%a %Y-%m-%d}")
        if isinstance(item, AudienceChange):
            lines.append(f"{t:%H:%M:%S}  -- audience (step {item.step}): {_fmt_audience(item.audience)}")
            continue
        e = item
        who = ("(player off)" if e.ended == ENDED_RESTART else "(idle)") if e.idle else e.creative
        why = "" if e.idle else f"({e.rule or 'loop'})"
        mark = {ENDED_INTERRUPTED: "  [interrupted]", ENDED_CUT: "  [cut at end]",
                ENDED_RESTART: "" if e.idle else "  [cut by a restart]"}.get(e.ended, "")
        lines.append(f"{t:%H:%M:%S}  {who:<{width}}  {why:<{rwidth}}  {_fmt_duration(e.duration_s):>7}{mark}")

    total = result.duration_s or 1.0
    lines += ["", "Summary", f"  {len(result.plays())} plays ({s.loop_plays} from the loop, "
              f"{len(result.plays()) - s.loop_plays} by rules), {s.interrupted} interrupted", "",
              f"  {'creative':<{width}}  {'plays':>5}  {'screen time':>11}  {'share':>6}"]
    order = sorted(s.creatives.items(), key=lambda kv: (-kv[1]["screen_time_s"], kv[0]))
    for cid, c in order:
        lines.append(f"  {cid:<{width}}  {int(c['plays']):>5}  {_fmt_duration(c['screen_time_s']):>11}  {c['share']:>6.1%}")
    if s.idle_s:
        lines.append(f"  {'(idle)':<{width}}  {'':>5}  {_fmt_duration(s.idle_s):>11}  {s.idle_s / total:>6.1%}")
    if s.rules:
        rw = max(len(r) for r in s.rules)
        lines += ["", f"  {'rule':<{rw}}  fired"]
        for rid, r in s.rules.items():
            lines.append(f"  {rid:<{rw}}  {r['fired']:>5}" + ("" if r["enabled"] else "  (disabled)"))
        lines.append("")
        lines.append("  rules that never fired: " + ", ".join(s.never_fired) if s.never_fired else "  every rule fired")
        if s.disabled:
            lines.append("  disabled rules: " + ", ".join(s.disabled))
    else:
        lines += ["", "  no rules: the loop plays on"]
    if s.idle_s:
        lines.append(f"  idle (nothing eligible): {_fmt_duration(s.idle_s)}")
    lines += format_delivery(result.delivery)
    return "\n".join(lines)


def _audience_json(a: AudienceSnapshot | None) -> dict[str, Any] | None:
    if a is None:
        return None
    d = a.to_dict()  # the audience values a scenario gives (not the sensing's counting fields)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items() if k in AUDIENCE_FIELDS}


def report_json(result: SimulationResult) -> dict[str, Any]:
    """The timeline and the summary as JSON-ready data: ISO wall-clock times at the screen,
    each with its UTC offset (``2026-03-29T03:00:00+02:00``)."""
    s = summarize(result)

    def iso(t: dt.datetime) -> str:
        return result.local(t).isoformat()

    return {
        "playlist": result.playlist,
        "scenario": result.scenario,
        "timezone": result.timezone,
        "start": iso(result.start),
        "end": iso(result.end),
        "seed": result.seed,
        "timeline": [
            {
                "start": iso(e.start),
                "end": iso(e.end),
                "duration_s": round(e.duration_s, 3),
                "creative": e.creative,
                "rule": e.rule,
                "reason": e.reason,
                "ended": e.ended,
                "step": e.step,
                "audience": _audience_json(e.audience),
            }
            for e in result.entries
        ],
        "summary": {
            "creatives": {cid: {"plays": int(c["plays"]), "screen_time_s": c["screen_time_s"], "share": c["share"]}
                          for cid, c in s.creatives.items()},
            "rules": s.rules,
            "never_fired": s.never_fired,
            "disabled": s.disabled,
            "idle_s": s.idle_s,
        },
        "campaigns": delivery_json(result.delivery),
    }
