"""Property-based tests of the engine's guarantees over random playlists, audiences and
clocks. Eligibility and conditions are re-checked here by independent plain Python on
the generated data, not by the engine's own code."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signage.playlist.schema import DAY_NAMES, Playlist
from test_engine import Clock, aud

START = dt.datetime(2026, 11, 23, 0, 0)


@st.composite
def schedules(draw):
    kind = draw(st.sampled_from(["none", "days", "time"]))
    if kind == "days":
        return {"days": draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True))}
    if kind == "time":
        a, b = draw(st.integers(0, 23)), draw(st.integers(0, 23))
        if a == b:
            b = (a + 1) % 24
        return {"time": {"from": f"{a:02d}:00", "to": f"{b:02d}:00"}}
    return None


@st.composite
def conditions(draw, depth=0):
    kind = draw(st.sampled_from(["faces", "smile", "time", "days"] + (["not", "any"] if depth < 1 else [])))
    if kind == "faces":
        return {"faces": f">= {draw(st.integers(0, 4))}"}
    if kind == "smile":
        return {"smile_ratio": f">= {draw(st.sampled_from([0.0, 0.3, 0.5, 0.8]))}"}
    if kind == "time":
        return draw(schedules().filter(lambda s: s is not None and "time" in s))
    if kind == "days":
        return draw(schedules().filter(lambda s: s is not None and "days" in s))
    if kind == "not":
        return {"not": draw(conditions(depth=1))}
    return {"any": draw(st.lists(conditions(depth=1), min_size=1, max_size=3))}


@st.composite
def playlists(draw):
    n = draw(st.integers(1, 6))
    creatives = []
    for i in range(n):
        c = {"id": f"c{i}", "type": "text", "headline": f"C{i}", "duration": draw(st.integers(1, 40))}
        s = draw(schedules())
        if s:
            c["schedule"] = s
        if draw(st.booleans()):
            c["max_per_hour"] = draw(st.integers(1, 20))
        creatives.append(c)
    ids = [c["id"] for c in creatives]
    loop = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=6))
    rules = []
    for j in range(draw(st.integers(0, 6))):
        r = {
            "id": f"r{j}",
            "when": draw(conditions()),
            "play": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True)),
            "priority": draw(st.integers(0, 3)),
            "weight": draw(st.sampled_from([1, 2, 3])),
            "cooldown": draw(st.sampled_from([0, 30, 300])),
            "interrupt": draw(st.booleans()),
            "min_play": draw(st.sampled_from([0, 2, 10])),
        }
        if draw(st.booleans()):
            r["max_per_hour"] = draw(st.integers(1, 5))
        rules.append(r)
    raw = {"name": "p", "creatives": creatives, "loop": loop, "rules": rules, "recheck": 3}
    if draw(st.booleans()):
        d0 = draw(st.integers(-2, 3))
        raw["campaign"] = {"from": str((START + dt.timedelta(days=d0)).date()),
                           "to": str((START + dt.timedelta(days=d0 + draw(st.integers(0, 3)))).date())}
    return raw


audiences = st.lists(
    st.tuples(st.integers(10, 900), st.integers(0, 5), st.sampled_from([0.0, 0.4, 0.6, 1.0])),
    min_size=1, max_size=8,
)


def audience_fn(segments):
    total = sum(s for s, _, _ in segments)

    def at(t):
        off = (t - START).total_seconds() % total
        for secs, faces, smile in segments:
            if off < secs:
                return aud(faces, smile=smile if faces else 0.0)
            off -= secs
        return aud(0)
    return at


# ---- independent checks on the raw dicts -------------------------------------------

def in_time(t, r):
    a = dt.time.fromisoformat(r["from"])
    b = dt.time.fromisoformat(r["to"])
    return a <= t < b if a < b else (t >= a or t < b)


def sched_ok(s, when):
    if not s:
        return True
    if "days" in s and DAY_NAMES[when.weekday()] not in s["days"]:
        return False
    if "time" in s and not in_time(when.time(), s["time"]):
        return False
    return True


def cond_ok(c, a, when):
    if "faces" in c:
        return a.faces >= int(c["faces"].split()[1])
    if "smile_ratio" in c:
        return a.smile_ratio >= float(c["smile_ratio"].split()[1])
    if "time" in c or "days" in c:
        return sched_ok(c, when)
    if "not" in c:
        return not cond_ok(c["not"], a, when)
    return any(cond_ok(x, a, when) for x in c["any"])


def eligible(raw, cid, when):
    camp = raw.get("campaign")
    if camp and not (camp["from"] <= str(when.date()) <= camp["to"]):
        return False
    c = next(c for c in raw["creatives"] if c["id"] == cid)
    return sched_ok(c.get("schedule"), when)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=playlists(), segments=audiences, start_h=st.integers(0, 167), seed=st.integers(0, 3))
def test_engine_guarantees(raw, segments, start_h, seed):
    pl = Playlist.model_validate(raw)
    start = START + dt.timedelta(hours=start_h)
    at = audience_fn(segments)
    clock = Clock(pl, start=start, seed=seed)
    log = clock.run(at, start + dt.timedelta(minutes=65))
    rules = {r["id"]: r for r in raw["rules"]}

    for t, d in log:
        # never an ineligible creative
        assert eligible(raw, d.creative, t), (t, d)
        if d.rule is not None:
            r = rules[d.rule]
            assert cond_ok(r["when"], at(t), t), (t, d)
        if d.action == "interrupt":
            prev = [p for p in clock.history if p.start < t][-1]
            assert rules[d.rule]["interrupt"]
            assert (t - prev.start).total_seconds() >= rules[d.rule]["min_play"]
            if prev.rule is not None:
                assert rules[d.rule]["priority"] > rules[prev.rule]["priority"]

    # caps and cooldowns
    for rid, r in rules.items():
        plays = [p for p in clock.history if p.rule == rid]
        if r.get("max_per_hour"):
            for p in plays:
                window = [q for q in plays if p.start <= q.start < p.start + dt.timedelta(hours=1)]
                assert len(window) <= r["max_per_hour"]
        for p, q in zip(plays, plays[1:]):
            assert (q.start - p.end).total_seconds() >= r["cooldown"] - 1e-6
    for c in raw["creatives"]:
        if c.get("max_per_hour"):
            plays = [p for p in clock.history if p.creative == c["id"]]
            for p in plays:
                assert sum(1 for q in plays if p.start <= q.start < p.start + dt.timedelta(hours=1)) <= c["max_per_hour"]

    # liveness: never idle while a loop creative is eligible (and under its cap)
    engine = clock.engine
    for p, q in zip(clock.history, clock.history[1:]):
        gap = (q.start - p.end).total_seconds()
        if gap > 1.5:  # the screen went idle between p and q
            mid = p.end + dt.timedelta(seconds=0.5)
            hist = [h for h in clock.history if h.start < mid]
            assert engine.decide(at(mid), mid, hist, None, seed=seed).action == "idle"
            assert not any(eligible(raw, cid, mid) and not _capped(raw, cid, hist, mid) for cid in raw["loop"])

    # deterministic for a seed
    again = Clock(pl, start=start, seed=seed).run(at, start + dt.timedelta(minutes=65))
    assert [(t, d.creative, d.rule) for t, d in again] == [(t, d.creative, d.rule) for t, d in log]


def _capped(raw, cid, hist, now):
    c = next(c for c in raw["creatives"] if c["id"] == cid)
    cap = c.get("max_per_hour")
    return cap is not None and sum(1 for h in hist if h.creative == cid and h.start > now - dt.timedelta(hours=1)) >= cap
