"""The bounds every number in a playlist and a scenario keeps: one table, shared.

The schema (signage/playlist/schema.py) refuses a value outside them with the bound in the
message; the engine and the simulator can then rely on them (no NaN, no infinity, no time so
long that a clock overflows, no zero period that would loop for ever). docs/playlists.md
("Limits") prints this table; tests/test_limits.py checks that the two agree.
"""

from __future__ import annotations

DAY_S = 86400.0

# (name, lowest, highest, what it bounds). Seconds unless said. "lowest" is exclusive where
# the name says "> ", inclusive otherwise.
MIN_CREATIVE_S = 0.5  # a creative plays at least this long: shorter is a flicker, and 0 a busy loop
MAX_CREATIVE_S = DAY_S  # a creative's duration (and a video's length) at most a day
MAX_TRANSITION_S = 10.0
MAX_MIN_PLAY_S = 3600.0  # a rule's min_play
MAX_COOLDOWN_S = 31 * DAY_S  # a rule's cooldown: up to a month (history is kept that long)
MIN_RECHECK_S = 0.2  # the engine is asked at most 5 times a second while something plays
MAX_RECHECK_S = 3600.0
MAX_PER_HOUR = 3600  # caps: at most one play a second
MIN_SHARE_PCT, MAX_SHARE_PCT = 0.0, 100.0  # a rule's share of screen time: more than 0%, at most 100% (or 1h an hour)
MAX_PER_DAY = 86400  # a campaign's daily cap: one play a second
MAX_CAMPAIGNS = 100  # campaigns in a playlist
MAX_FLIGHTS = 100  # flights in a campaign
MAX_AUDIENCE_VALUE = 1_000_000.0  # a number in an audience test (faces, seconds, glances)
MAX_NESTING = 32  # levels of mappings and lists in a document (all / any / not nest in it)
MAX_SCENARIO_STEPS = 10_000
MAX_SIMULATION_DAYS = 31
MAX_RESTART_S = DAY_S  # a scenario's restart: the player off at most a day

TABLE: tuple[tuple[str, str, str], ...] = (
    ("creative `duration`, `defaults.duration`", f"{MIN_CREATIVE_S:g} s", "24 h"),
    ("transition `duration`", "0 s", f"{MAX_TRANSITION_S:g} s"),
    ("rule `min_play`", "0 s", "1 h"),
    ("rule `cooldown`", "0 s", "31 days"),
    ("`recheck`", f"{MIN_RECHECK_S:g} s", "1 h"),
    ("`max_per_hour` (creative, rule)", "1", f"{MAX_PER_HOUR}"),
    ("campaign `min_per_hour`, `max_per_hour` (campaign, flight)", "1", f"{MAX_PER_HOUR}"),
    ("campaign `max_per_day` (campaign, flight)", "1", f"{MAX_PER_DAY:,}"),
    ("`campaigns` in a playlist", "", f"{MAX_CAMPAIGNS}"),
    ("`flights` in a campaign", "1", f"{MAX_FLIGHTS}"),
    ("`weight`", "more than 0", "1000"),
    ("rule `share` (screen time)", "more than 0% (0 s an hour)", "100% (1 h an hour); a priority's shares together too"),
    ("`priority`", "-1000", "1000"),
    ("numbers in audience tests", f"-{MAX_AUDIENCE_VALUE:,.0f}", f"{MAX_AUDIENCE_VALUE:,.0f} (ratios 0 to 1)"),
    ("nesting of `all` / `any` / `not` (and of any mapping or list)", "", f"{MAX_NESTING} levels"),
    ("dates (and flight times)", "year 2000", "year 2100"),
    ("scenario steps", "", f"{MAX_SCENARIO_STEPS:,}"),
    ("a simulation's length", "more than 0 s", f"{MAX_SIMULATION_DAYS} days"),
    ("a scenario step's `restart` (the player off)", "0 s", "24 h"),
)
MIN_YEAR, MAX_YEAR = 2000, 2100


def fmt_seconds(s: float) -> str:
    """3600 -> '1h', 90 -> '1m30s', 0.5 -> '0.5s' (for messages)."""
    if s >= DAY_S and s % DAY_S == 0:
        return f"{s / DAY_S:g} days" if s != DAY_S else "24h"
    parts, rest = [], s
    for unit, size in (("h", 3600.0), ("m", 60.0)):
        if rest >= size:
            n = int(rest // size)
            parts.append(f"{n}{unit}")
            rest -= n * size
    if rest or not parts:
        parts.append(f"{rest:g}s")
    return "".join(parts)
