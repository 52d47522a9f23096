"""A fixed, seeded sequence of decisions stays the same when the engine is restructured for
speed: the digest below was taken from the engine before the share-of-voice and decision-cost
changes of issue 13 (commit 3f4554f). Playlists of every kind (mixed conditions, priorities,
weights, caps, cooldowns past the hour, interrupting rules, blocks of equal rules), a
changing audience, the history kept as the player keeps it, plays interrupted midway, and
decisions asked out of order now and then (a list history read whole)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from signage.playlist.engine import NowPlaying, PlaylistEngine, PlayRecord
from signage.playlist.schema import Playlist
from signage.values import AudienceSnapshot

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
DAYPARTS = {"breakfast": {"from": "07:00", "to": "10:30"}, "lunch": {"from": "11:30", "to": "14:00"}}
GOLDEN_INEXACT = "9723dddd3500e01016b483f652b79ba4c6bbe89b0b7129c8c33450b105796995"
GOLDEN = "66c469032388f13a07704a48180db2c1b0ce3faffd13eb62c914e3f74a58a124"


def playlist(n: int, rng: random.Random) -> Playlist:
    conds = [
        lambda: {"faces": f">= {rng.randint(1, 4)}"},
        lambda: {"watchers": f">= {rng.randint(1, 3)}", "smile_ratio": f"> {rng.choice([0.3, 0.6])}"},
        lambda: {"not": {"faces": 0}, "daypart": rng.choice(["breakfast", "lunch"])},
        lambda: {"time": {"from": f"{rng.randint(6, 12):02d}:00", "to": f"{rng.randint(12, 22):02d}:30"}},
        lambda: {"faces": ">= 1"},
    ]
    creatives = [{"id": f"c{i}", "type": "text", "headline": f"C {i}", "duration": rng.choice([5, 8, 21])}
                 for i in range(n)]
    if rng.random() < 0.5:
        creatives[0]["max_per_hour"] = 4
    rules = []
    for j in range(n):
        r = {"id": f"r{j}", "when": rng.choice(conds)(), "priority": rng.choice([0, 0, 0, 1, 2, 5]),
             "weight": rng.choice([1, 2, 3, 0.5]),
             "play": [f"c{rng.randrange(n)}" for _ in range(rng.choice([1, 1, 1, 2]))]}
        if rng.random() < 0.2:
            r["cooldown"] = rng.choice(["30s", "5m", "2h"])
        if rng.random() < 0.2:
            r["max_per_hour"] = rng.randint(1, 6)
        if rng.random() < 0.3:
            r.update(interrupt=True, min_play=rng.choice(["0s", "2s", "4s"]))
        rules.append(r)
    return Playlist.model_validate({"name": "golden", "dayparts": DAYPARTS, "creatives": creatives,
                                    "loop": [f"c{i}" for i in range(min(n, 5))], "rules": rules,
                                    "timezone": "Europe/Paris", "recheck": "1s"})


def audience(rng: random.Random) -> AudienceSnapshot | None:
    if rng.random() < 0.1:
        return None
    faces = rng.randint(0, 5)
    watchers = rng.randint(0, faces)
    return AudienceSnapshot(t=0.0, faces=faces, measured=faces, watchers=watchers,
                            attention_ratio=watchers / faces if faces else 0.0, smile_ratio=rng.random(),
                            surprise_ratio=0.0, passers_by=faces, mean_dwell_s=rng.random() * 10,
                            trend="steady")


def run(pl: Playlist, seed: int, decisions: int, start: dt.datetime = START, reasons: bool = False) -> list[str]:
    """``reasons``: each line carries the decision's reason too (and so why a campaign's pacing chose)."""
    rng = random.Random(seed)
    engine = PlaylistEngine(pl)
    history = engine.new_history()
    records: list[PlayRecord] = []
    out = []
    now = start
    playing: NowPlaying | None = None
    for k in range(decisions):
        a = audience(rng)
        if rng.random() < 0.05:  # a list history read whole, at a time a little in the past
            d = engine.decide(a, now - dt.timedelta(seconds=rng.randint(0, 120)), records, None, seed=k)
            out.append(f"list {d.action} {d.creative} {d.rule} {d.check_at.isoformat()}")
        d = engine.decide(a, now, history, playing, seed=k)
        out.append(f"{d.action} {d.creative} {d.rule} {d.duration} {d.check_at.isoformat()} {d.loop_index}"
                   + (f" {d.reason}" if reasons else ""))
        if d.action in ("play", "interrupt"):
            if records and records[-1].end is None:
                records[-1] = PlayRecord(records[-1].creative, records[-1].rule, records[-1].start, now,
                                         records[-1].loop_index)
            history.start(PlayRecord(d.creative, d.rule, now, None, d.loop_index))
            records.append(PlayRecord(d.creative, d.rule, now, None, d.loop_index))
            playing = NowPlaying(d.creative, d.rule, now, now + dt.timedelta(seconds=d.duration))
        step = dt.timedelta(seconds=rng.choice([1, 2, 3, 5, 8, 30]))
        if playing is not None and now + step >= playing.ends:
            history.end(playing.ends)
            records[-1] = PlayRecord(records[-1].creative, records[-1].rule, records[-1].start, playing.ends,
                                     records[-1].loop_index)
            now, playing = playing.ends, None
        else:
            now += step
    return out


def digest_of(runs) -> str:
    """The digest of the decision lines of ``runs`` (each a list of lines, as ``run`` gives)."""
    h = hashlib.sha256()
    for lines in runs:
        for line in lines:
            h.update(line.encode() + b"\n")
    return h.hexdigest()


def digest() -> str:
    h = hashlib.sha256()
    for n, seed in ((6, 1), (30, 2), (120, 3)):
        pl = playlist(n, random.Random(seed))
        for line in run(pl, seed, 1500):
            h.update(line.encode() + b"\n")
    # the bench's shapes: equal rules in one block, some resting, all interrupting
    for cooldown, interrupt in ((None, False), ("2h", False), (None, True)):
        rules = []
        for j in range(200):
            r = {"id": f"r{j}", "when": {"faces": ">= 1"}, "play": f"c{j}", "weight": 1 + j % 3}
            if cooldown and j % 10 == 0:
                r["cooldown"] = cooldown
            if interrupt:
                r.update(interrupt=True, min_play="2s", priority=1)
            rules.append(r)
        creatives = [{"id": f"c{j}", "type": "text", "headline": "x", "duration": 5 + j % 7} for j in range(200)]
        creatives.append({"id": "long", "type": "text", "headline": "loop", "duration": 60})
        pl = Playlist.model_validate({"name": "eq", "creatives": creatives, "loop": ["long"], "rules": rules})
        for line in run(pl, 9, 1500):
            h.update(line.encode() + b"\n")
    return h.hexdigest()


def digest_inexact() -> str:
    """Weights whose sums depend on their order (0.3, 0.7, 1.1), plain rules interleaved with
    resting ones, some interrupting: the engine may not regroup these (voice.rows)."""
    h = hashlib.sha256()
    rng = random.Random(5)
    rules = []
    for j in range(300):
        r = {"id": f"r{j}", "when": {"faces": ">= 1"}, "play": f"c{j % 50}", "weight": rng.choice([0.3, 0.7, 1.1])}
        if j % 7 == 0:
            r["cooldown"] = "90s"
        if j % 3 == 0:
            r.update(interrupt=True, min_play="1s")
        rules.append(r)
    creatives = [{"id": f"c{j}", "type": "text", "headline": "x", "duration": 3 + j % 11} for j in range(50)]
    creatives.append({"id": "long", "type": "text", "headline": "loop", "duration": 40})
    pl = Playlist.model_validate({"name": "inexact", "creatives": creatives, "loop": ["long"], "rules": rules})
    for line in run(pl, 11, 2000):
        h.update(line.encode() + b"\n")
    return h.hexdigest()


def test_a_fixed_seeded_sequence_of_decisions_is_unchanged():
    assert digest() == GOLDEN


def test_order_dependent_weights_give_the_same_decisions():
    assert digest_inexact() == GOLDEN_INEXACT
