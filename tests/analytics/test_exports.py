"""The exports buyers ingest (``signage report --format adlog | adlog-jsonl [--per hour|day]``),
small groups withheld everywhere, and no traceback for any input.

Every export is made by the command as a user runs it (a subprocess) on a database written by
the real AnalyticsStore, with the campaign ids read from a real playlist file; the golden
files in tests/analytics/data/ are compared byte for byte. To rewrite them after a deliberate
change of the format: SIGNAGE_REGEN_GOLDEN=1 pytest tests/analytics/test_exports.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import zoneinfo
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signage.analytics.adlog import Screen, aggregate_rows, bucket, iso_utc, play_rows, second
from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.anonymity import MIN_PEOPLE, WITHHELD, expression_note, people, withhold_small
from signage.analytics.formats import to_csv as report_csv
from signage.analytics.formats import to_json, to_table
from signage.analytics.facts import load_history
from signage.analytics.report import build_report
from signage.analytics.readonly import connect_readonly
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore
from signage.campaigns import build_index
from signage.playlist.loader import PlaylistError, load_playlist

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
DEC1 = 1_796_079_600  # 2026-12-01 00:00 in Paris (23:00 UTC the day before)

PLAYLIST = """\
name: cafe
creatives:
  - {id: welcome, type: text, headline: Welcome, campaign_id: HOUSE}
  - {id: lunch-menu, type: text, headline: Lunch, campaign_id: "ACME-2026-12 / line 3"}
  - {id: pastry, type: text, headline: Pastry}
loop: [welcome, pastry]
rules:
  - {id: lunch, when: {faces: {min: 1}}, play: lunch-menu, campaign_id: "ACME-2026-12 / line 4"}
"""
CONFIG = """\
[screen]
id = "cafe-lumiere-01"
site = "Café Lumière, window"
venue_type = "entertainment.casual_dining"
latitude = 48.8566
longitude = 2.3522
timezone = "Europe/Paris"
"""


def aud(seconds, *, people=0, viewers=0, arrivals=0, new_viewers=0, measured=0.0, smiles=0.0, surprise=0.0):
    return AudienceTotals(span_s=seconds, samples=int(seconds * 10), camera_on_s=seconds, face_s=measured,
                          watcher_s=measured / 2, measured_s=measured, smile_s=smiles, surprise_s=surprise,
                          max_faces=people, impressions=people, viewers=viewers, arrivals=arrivals,
                          new_viewers=new_viewers)  # fmt: skip


def history(version: str) -> list[PlayRow]:
    """Two days of a café's plays. Starts and ends off the second (rounding is checked), a
    rule's campaign over its creative's, a play of a version not on record, a skipped play,
    two hours of the same creative, small and large groups."""
    t9 = DEC1 + 9 * 3600  # 09:00 Paris = 08:00 UTC
    return [
        PlayRow("d1-01", "welcome", None, "default loop", t9 + 0.4, t9 + 10.6, "completed", 10.0, "cafe", version,
                aud(10.2, people=2, viewers=1, arrivals=2, new_viewers=1, measured=12, smiles=3)),
        PlayRow("d1-02", "lunch-menu", "lunch", "rule lunch", t9 + 11.5, t9 + 41.49, "interrupted", 30.0, "cafe",
                version, aud(30, people=3, viewers=3, arrivals=1, new_viewers=2, measured=60, smiles=30, surprise=6)),
        PlayRow("d1-03", "welcome", None, "default loop", t9 + 42, t9 + 52, "completed", 10.0, "cafe", version,
                aud(10, people=1, viewers=0, arrivals=0, measured=8, smiles=0)),
        PlayRow("d1-04", "pastry", None, "default loop", t9 + 3600, t9 + 3610, "completed", 10.0, "cafe", version,
                aud(10, people=4, viewers=2, arrivals=4, new_viewers=2, measured=30, smiles=10)),
        PlayRow("d1-05", "pastry", None, "default loop", t9 + 3611, t9 + 3611, "skipped", 10.0, "cafe", version),
        PlayRow("d1-06", "lunch-menu", None, "default loop", t9 + 3620, t9 + 3650, "completed", 30.0, "cafe",
                "an-old-version", aud(30, people=1, arrivals=1, measured=20, smiles=5)),
        PlayRow("d2-01", "welcome", None, "default loop", t9 + 86400 + 0.5, t9 + 86400 + 10.5, "completed", 10.0,
                "cafe", version, aud(10, people=5, viewers=4, arrivals=5, new_viewers=4, measured=40, smiles=8)),
    ]


@pytest.fixture(scope="module")
def cafe(tmp_path_factory):
    """A database, the playlist its plays were played from, and the screen's configuration."""
    d = tmp_path_factory.mktemp("cafe")
    (d / "cafe.yaml").write_text(PLAYLIST, encoding="utf-8")
    (d / "signage.toml").write_text(CONFIG, encoding="utf-8")
    version = load_playlist(d / "cafe.yaml").digest
    store = AnalyticsStore(d / "cafe.db")
    store.write(history(version), [MinuteTotals(DEC1 + 9 * 3600, aud(60, people=4, arrivals=4, measured=100, smiles=20))])
    store.close()
    return d


def report(d: Path, *args: str, config: str = "signage.toml") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env.update(PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy")
    return subprocess.run([sys.executable, "-m", "signage.cli", "--config", config, "report", *args], cwd=d, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


PERIOD = ("--db", "cafe.db", "--since", "2026-12-01", "--until", "2026-12-03", "--playlist", "cafe.yaml")
GOLDEN = [
    ("adlog.csv", ("--format", "adlog")),
    ("adlog.jsonl", ("--format", "adlog-jsonl")),
    ("adlog-hourly.csv", ("--format", "adlog", "--per", "hour")),
    ("adlog-daily.jsonl", ("--format", "adlog-jsonl", "--per", "day")),
    ("adlog-daily-utc.csv", ("--format", "adlog", "--per", "day", "--tz", "UTC")),
]


@pytest.mark.parametrize(("name", "args"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_exports(cafe, name, args):
    r = report(cafe, *PERIOD, *args, "--out", name)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    # The play of a version not on record: said, and its campaign id left empty.
    assert "an-old-version" in r.stderr and "--playlist" in r.stderr
    got = (cafe / name).read_bytes()
    if os.environ.get("SIGNAGE_REGEN_GOLDEN"):
        (DATA / name).write_bytes(got)
    assert got == (DATA / name).read_bytes(), f"{name} differs from the golden file"


def test_the_ad_log_row_by_row(cafe):
    r = report(cafe, *PERIOD, "--format", "adlog")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["play_id"] for x in rows] == ["d1-01", "d1-02", "d1-03", "d1-04", "d1-05", "d1-06", "d2-01"]
    first, lunch = rows[0], rows[1]
    assert (first["screen_id"], first["site"], first["latitude"], first["longitude"]) == (
        "cafe-lumiere-01", "Café Lumière, window", "48.8566", "2.3522")  # fmt: skip
    # UTC, whole seconds: 08:00:00.4 -> 08:00:00, 08:00:10.6 -> 08:00:11 and 11 s between them.
    assert (first["start_utc"], first["end_utc"], first["duration_s"]) == ("2026-12-01T08:00:00Z", "2026-12-01T08:00:11Z", "11")
    assert first["campaign_id"] == "HOUSE" and first["rule_id"] == ""
    assert lunch["campaign_id"] == "ACME-2026-12 / line 4"  # the rule's line, not the creative's
    assert (lunch["outcome"], lunch["impressions"], lunch["viewers"]) == ("interrupted", "3", "3")
    assert rows[3]["campaign_id"] == ""  # pastry has none
    assert rows[4]["outcome"] == "skipped"  # every play is in the log
    assert rows[5]["campaign_id"] == ""  # played from a version not on record: not guessed


def test_hourly_and_daily_proof_of_play(cafe):
    hourly = list(csv.DictReader(io.StringIO(report(cafe, *PERIOD, "--format", "adlog", "--per", "hour").stdout)))
    first = [x for x in hourly if x["start_utc"] == "2026-12-01T08:00:00Z"]
    welcome = next(x for x in first if x["creative_id"] == "welcome")
    assert welcome["start_local"] == "2026-12-01T09:00:00+01:00" and welcome["timezone"] == "Europe/Paris"
    assert (welcome["plays"], welcome["seconds"], welcome["impressions"], welcome["viewers"]) == ("2", "21", "3", "1")
    # People from arrivals (2 + 0), never the plays' people added up (2 + 1 = 3).
    assert (welcome["arrivals"], welcome["new_viewers"]) == ("2", "1")
    assert welcome["smile_ratio"] == "" and welcome["expressions_withheld"] == WITHHELD  # 2 people
    lunch = next(x for x in first if x["creative_id"] == "lunch-menu")
    assert lunch["smile_ratio"] == "0.5" and lunch["surprise_ratio"] == "0.1" and lunch["expressions_withheld"] == ""
    second_hour = [x for x in hourly if x["start_utc"] == "2026-12-01T09:00:00Z"]
    assert [x["creative_id"] for x in second_hour] == ["lunch-menu", "pastry"]  # the skipped play is not counted
    assert sum(int(x["plays"]) for x in hourly) == 6

    daily = [json.loads(line) for line in report(cafe, *PERIOD, "--format", "adlog-jsonl", "--per", "day").stdout.splitlines()]
    assert {d["start_local"] for d in daily} == {"2026-12-01T00:00:00+01:00", "2026-12-02T00:00:00+01:00"}
    assert all(d["end_utc"] == iso_utc(bucket(DEC1 + 86400 * (d["start_local"][9] == "2"), "day", PARIS)[1]) for d in daily)
    day1_welcome = next(d for d in daily if d["creative_id"] == "welcome" and d["start_local"].startswith("2026-12-01"))
    assert day1_welcome["smile_ratio"] is None and day1_welcome["campaign_id"] == "HOUSE"
    day2 = next(d for d in daily if d["start_local"].startswith("2026-12-02"))
    assert (day2["arrivals"], day2["smile_ratio"], day2["expressions_withheld"]) == (5, 0.2, None)


def test_days_and_hours_across_a_change_of_clocks():
    # 2026-10-25, Paris: 25 hours; its 02:00-03:00 comes twice, as two hours.
    start, end = bucket(dt.datetime(2026, 10, 25, 12, tzinfo=PARIS).timestamp(), "day", PARIS)
    assert end - start == 25 * 3600
    first = dt.datetime(2026, 10, 25, 2, 30, tzinfo=PARIS).timestamp()  # fold 0: CEST
    hours = {bucket(first, "hour", PARIS), bucket(first + 3600, "hour", PARIS)}
    assert len(hours) == 2 and all(b - a == 3600 for a, b in hours)
    assert second(10.5) == 11 and second(10.49) == 10 and second(-0.5) == 0


# --------------------------------------------------------------------------- small groups


def test_people_behind_a_figure():
    # Arrivals add up (each person once); one play's impressions are distinct people too.
    assert people([aud(10, people=2, arrivals=2), aud(10, people=2, arrivals=0)]) == 2
    assert people([aud(10, people=1, arrivals=1)] * 3) == 3
    assert people([aud(10, people=3, arrivals=0)]) == 3
    assert expression_note([aud(10, people=2, arrivals=2, measured=10, smiles=5)]) == WITHHELD
    assert expression_note([aud(10, people=MIN_PEOPLE, arrivals=1, measured=10, smiles=5)]) == ""
    assert expression_note([aud(10, people=9, arrivals=9)]) == "no measured faces"


@pytest.mark.parametrize("n", [2, 3])
def test_small_groups_on_both_sides_of_the_threshold_in_every_format(tmp_path, n):
    t = DEC1 + 10 * 3600
    plays = [PlayRow("p", "solo", None, "loop", t, t + 20, "completed", 20.0, "x", "v",
                     aud(20, people=n, viewers=n, arrivals=n, measured=40, smiles=10, surprise=4))]  # fmt: skip
    minutes = [MinuteTotals(t, aud(60, people=n, arrivals=n, measured=40, smiles=10))]
    store = AnalyticsStore(tmp_path / "a.db")
    store.write(plays, minutes)
    store.close()
    conn = connect_readonly(tmp_path / "a.db")
    facts, mins = load_history(conn, None, t + 3600)
    conn.close()
    rep = withhold_small(build_report(facts, mins, None, t + 3600, PARIS), facts, mins, PARIS)
    shown = n >= 3
    assert MIN_PEOPLE == 3
    line = rep.creatives[0]
    assert (line.smile_response is not None) is shown and (line.baseline_smile is not None) is shown
    assert (rep.withheld == []) is shown
    table = to_table(rep, PARIS)
    smiles_cell = next(x for x in table.splitlines() if x.startswith("solo")).split()[10]
    assert smiles_cell == ("25%" if shown else "<3") and ("withheld" in table) is not shown
    row = next(csv.DictReader(io.StringIO(report_csv(rep))))
    assert (row["smile_response"], row["expressions_withheld"]) == (("0.25", "") if shown else ("", WITHHELD))
    doc = json.loads(to_json(rep))
    assert (doc["expressions_withheld"] is None) is shown
    agg = aggregate_rows(Screen("s"), [_record(p) for p in plays], "hour", PARIS)[0]
    assert (agg["smile_ratio"], agg["surprise_ratio"]) == ((0.25, 0.1) if shown else (None, None))
    # The ad log has no expression figure at all, whatever the group.
    assert not any("smile" in k or "surprise" in k for k in play_rows(Screen("s"), [_record(p) for p in plays])[0])


def _record(p: PlayRow):
    from signage.analytics.adlog import PlayRecord

    return PlayRecord(p.play_id, p.creative_id, p.playlist, p.playlist_version, p.rule_id, p.outcome, p.start_ts,
                      p.end_ts, p.audience)  # fmt: skip


def test_the_report_period_is_rounded_to_the_second(tmp_path):
    rep = build_report([], [], 1_796_079_600.6, 1_796_083_200.4, PARIS)
    doc = json.loads(to_json(rep))
    assert doc["period"]["since"] == "2026-11-30T23:00:01Z" and doc["period"]["until"] == "2026-12-01T00:00:00Z"


# --------------------------------------------------------------------------- campaign ids


def test_campaign_ids_in_the_playlist(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(PLAYLIST, encoding="utf-8")
    playlist = load_playlist(good).playlist
    assert playlist.campaign_id("lunch", "lunch-menu") == "ACME-2026-12 / line 4"
    assert playlist.campaign_id(None, "lunch-menu") == "ACME-2026-12 / line 3"
    assert playlist.campaign_id("no-such-rule", "pastry") is None
    for bad, why in [("=HYPERLINK(1)", "formula"), ("-1", "formula"), ("  ", "text like"), ("a\tb", "one line"),
                     ("x" * 121, "at most 120")]:  # fmt: skip
        f = tmp_path / "bad.yaml"
        f.write_text(PLAYLIST.replace("campaign_id: HOUSE", f"campaign_id: {json.dumps(bad)}"), encoding="utf-8")
        with pytest.raises(PlaylistError) as exc:
            load_playlist(f)
        text = exc.value.format()
        assert "creatives.0.campaign_id" in text and why in text, text


def test_campaigns_come_from_the_version_played(tmp_path):
    (tmp_path / "v1.yaml").write_text(PLAYLIST, encoding="utf-8")
    (tmp_path / "v2.yaml").write_text(PLAYLIST.replace("HOUSE", "HOUSE-2"), encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("name: [", encoding="utf-8")
    v1, v2 = (load_playlist(tmp_path / f).digest for f in ("v1.yaml", "v2.yaml"))
    index, problems = build_index([tmp_path / "v1.yaml", tmp_path / "v2.yaml", tmp_path / "broken.yaml"])
    assert len(problems) == 1 and "broken.yaml" in problems[0]
    assert index("cafe", v1, None, "welcome") == "HOUSE" and index("cafe", v2, None, "welcome") == "HOUSE-2"
    assert index("cafe", "gone", None, "welcome") is None and ("cafe", "gone") in index.missing
    assert index("another-name", v1, None, "welcome") is None  # a version is of one playlist


# --------------------------------------------------------------------------- no traceback


def test_clear_messages_and_exit_status(cafe, tmp_path):
    def fails(*args, says):
        r = report(cafe, *args)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)

    fails("--db", "cafe.db", "--format", "xml", says="invalid choice: 'xml'")
    fails("--db", "cafe.db", "--format", "adlog", "--out", str(tmp_path / "no" / "such" / "dir.csv"), says="--out")
    fails("--db", "cafe.db", "--format", "adlog", "--out", str(tmp_path), says="cannot write it")
    fails("--db", "cafe.db", "--format", "png", "--out", str(tmp_path / "no" / "chart.png"), says="cannot write it")
    fails("--db", "cafe.db", "--per", "hour", says="--per hour goes with --format adlog")
    fails("--db", "cafe.db", "--playlist", "cafe.yaml", says="--playlist goes with")
    fails("--db", "missing.db", "--format", "adlog", says="no analytics database at")
    import sqlite3

    for version, says in ((1, "the player upgrades it"), (99, "later signage")):
        other = tmp_path / f"v{version}.db"
        conn = sqlite3.connect(other)
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (?, 'then')", (version,))
        conn.commit()
        conn.close()
        fails("--db", str(other), "--format", "adlog", says=says)
    (tmp_path / "bad.toml").write_text('[screen]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    r = report(cafe, "--db", "cafe.db", config=str(tmp_path / "bad.toml"))
    assert r.returncode == 2 and "Mars/Olympus" in r.stderr and "Traceback" not in r.stderr

    empty = tmp_path / "empty.db"
    AnalyticsStore(empty).close()
    for fmt in ("adlog", "adlog-jsonl"):
        r = report(cafe, "--db", str(empty), "--format", fmt, "--per", "day")
        assert r.returncode == 0 and "no plays in this period" in r.stderr
        assert r.stdout == ("" if fmt == "adlog-jsonl" else r.stdout.splitlines()[0] + "\n")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fmt=st.sampled_from(["table", "csv", "json", "adlog", "adlog-jsonl", "png", "bogus"]),
    per=st.sampled_from([None, "play", "hour", "day", "week"]),
    since=st.one_of(st.none(), st.sampled_from(["7d", "2026-12-01", "2026-12-02T10:00", "", "-3d", "1e9d"]), st.text(max_size=12)),
    tz=st.one_of(st.none(), st.sampled_from(["UTC", "Europe/Paris", "Asia/Kolkata", "Nowhere/City", "../../etc"]), st.text(max_size=8)),
)
def test_no_input_gives_a_traceback(cafe, tmp_path, fmt, per, since, tz):
    from signage.cli import main

    args = ["report", "--db", str(cafe / "cafe.db"), "--format", fmt, "--out", str(tmp_path / "out")]
    args += ["--per", per] if per else []
    args += ["--since", since] if since is not None else []
    args += ["--tz", tz] if tz is not None else []
    try:
        code = main(["--config", str(cafe / "signage.toml"), *args])
    except SystemExit as exc:  # argparse: a choice that does not exist
        code = exc.code
    assert code in (0, 2)


def test_by_default_campaigns_come_from_the_admins_content_folder(cafe, tmp_path):
    # The version the plays were played from, kept in the content folder as the admin keeps it.
    version = tmp_path / "content" / "versions" / "20261201-080000-abcdef"
    version.mkdir(parents=True)
    (version / "playlist.yaml").write_text(PLAYLIST, encoding="utf-8")
    config = tmp_path / "signage.toml"
    config.write_text(CONFIG + f'\n[admin]\ndata_dir = "{tmp_path / "content"}"\n', encoding="utf-8")
    r = report(cafe, "--db", "cafe.db", "--since", "2026-12-01", "--until", "2026-12-03", "--format", "adlog",
               config=str(config))  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = {x["play_id"]: x for x in csv.DictReader(io.StringIO(r.stdout))}
    assert rows["d1-01"]["campaign_id"] == "HOUSE" and rows["d1-02"]["campaign_id"] == "ACME-2026-12 / line 4"
    assert rows["d1-06"]["campaign_id"] == "" and "an-old-version" in r.stderr
