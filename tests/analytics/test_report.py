"""Reports on a hand-built history whose numbers are worked out by hand below; every format;
the CLI as a user runs it."""

import csv
import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.formats import to_csv, to_json, to_table
from signage.analytics.facts import load_history
from signage.analytics.periods import parse_when, timezone
from signage.analytics.report import build_report
from signage.analytics.readonly import connect_readonly
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore

ROOT = Path(__file__).resolve().parents[2]
DAY0 = 1_794_960_000  # 2026-11-18 00:00 UTC
H10, H14 = DAY0 + 10 * 3600, DAY0 + 14 * 3600
UTC = timezone("UTC")


def totals(span=0.0, on=0.0, faces=0.0, watchers=0.0, measured=0.0, smiles=0.0, max_faces=0, passers_by=0):
    return AudienceTotals(span_s=span, samples=int(on * 10), camera_on_s=on, face_s=faces, watcher_s=watchers,
                          measured_s=measured, smile_s=smiles, max_faces=max_faces, passers_by=passers_by)  # fmt: skip


def p(pid, creative, rule, start, seconds, outcome="completed", **aud):
    return PlayRow(pid, creative, rule, f"rule {rule}" if rule else "default loop", start, start + seconds, outcome,
                   15.0, "demo", "v1", totals(span=seconds, **aud))  # fmt: skip


HISTORY_PLAYS = [
    # A, hour 10: 20 face-s, 10 watcher-s, 20 measured-s of which 4 smiling
    p("a1", "A", "r1", H10, 15, on=15, faces=20, watchers=10, measured=20, smiles=4, passers_by=2),
    # A, hour 14, cut short: 10 face-s, 9 watcher-s, 10 measured-s, 5 smiling
    p("a2", "A", "r1", H14, 10, "interrupted", on=10, faces=10, watchers=9, measured=10, smiles=5, passers_by=1),
    # B, hour 10, nobody there
    p("b1", "B", None, H10 + 60, 15, on=15),
    # C, skipped (missing file)
    p("c1", "C", "r2", H10 + 120, 0, "skipped"),
    # outside the period asked for below
    p("old", "A", "r1", DAY0 - 86400, 15, on=15, faces=15, watchers=15, measured=15, smiles=15),
]
HISTORY_MINUTES = [
    MinuteTotals(H10, totals(span=60, on=60, faces=60, watchers=30, measured=60, smiles=6)),
    MinuteTotals(H10 + 60, totals(span=60, on=60, faces=60, watchers=10, measured=40, smiles=4)),
    MinuteTotals(H14, totals(span=60, on=30, faces=30, watchers=27, measured=30, smiles=15)),
    MinuteTotals(DAY0 - 86400, totals(span=60, on=60, faces=60, watchers=60, measured=60, smiles=60)),
]
SINCE, UNTIL = DAY0, DAY0 + 86400

# By hand. Same hours (all minutes of the period, hour by hour):
#   hour 10: attention (30 + 10) / (60 + 60) = 1/3, smiles (6 + 4) / (60 + 40) = 0.1
#   hour 14: attention 27 / 30 = 0.9, smiles 15 / 30 = 0.5
# Creative A: face-s 20 (h10) + 10 (h14) = 30; watcher-s 19; measured-s 30, smiling 9
A_ATTENTION = 19 / 30
A_BASE_ATTENTION = (20 * (1 / 3) + 10 * 0.9) / 30  # weighted by A's face-seconds per hour
A_SMILE = 9 / 30
A_BASE_SMILE = (20 * 0.1 + 10 * 0.5) / 30  # weighted by A's measured face-seconds per hour


@pytest.fixture()
def history_db(tmp_path):
    path = tmp_path / "history.db"
    store = AnalyticsStore(path)
    store.write(HISTORY_PLAYS, HISTORY_MINUTES)
    store.close()
    return path


@pytest.fixture()
def report(history_db):
    conn = connect_readonly(history_db)
    plays, minutes = load_history(conn, SINCE, UNTIL)
    conn.close()
    return build_report(plays, minutes, SINCE, UNTIL, UTC)


def test_numbers_on_a_known_history(report):
    by = {c.creative: c for c in report.creatives}
    assert list(by) == ["A", "B", "C"]  # by screen time
    a = by["A"]
    assert (a.plays, a.completed, a.interrupted, a.skipped) == (2, 1, 1, 0)
    assert a.screen_time_s == 25 and a.camera_on_s == 25
    assert a.mean_faces == pytest.approx(30 / 25)
    assert a.attention_s == pytest.approx(19)
    assert a.attention_rate == pytest.approx(A_ATTENTION)
    assert a.baseline_attention_rate == pytest.approx(A_BASE_ATTENTION)
    assert a.attention_lift == pytest.approx(A_ATTENTION / A_BASE_ATTENTION - 1)  # +21.3%
    assert a.smile_response == pytest.approx(A_SMILE)
    assert a.baseline_smile == pytest.approx(A_BASE_SMILE)
    assert a.smile_lift == pytest.approx(0.3 / (7 / 30) - 1)  # +28.6%
    assert a.passers_by == 3
    b = by["B"]
    assert (b.plays, b.screen_time_s, b.mean_faces) == (1, 15, 0)
    assert b.attention_rate is b.smile_response is b.baseline_smile is b.smile_lift is None  # nobody: no rate
    c = by["C"]
    assert (c.plays, c.skipped, c.screen_time_s) == (0, 1, 0)
    rules = {r.rule: r for r in report.rules}
    assert [r.rule for r in report.rules] == ["r1", "r2", None]
    assert (rules["r1"].firings, rules["r1"].completed, rules["r1"].interrupted) == (2, 1, 1)
    assert rules["r1"].creatives == ["A"] and rules[None].firings == 1 and rules["r2"].skipped == 1
    assert report.total.plays == 3 and report.total.screen_time_s == 40
    assert report.baseline_minutes == 3
    assert report.baseline_attention_rate == pytest.approx(67 / 150)
    assert report.camera_on_fraction == pytest.approx(150 / 180)


def test_hours_of_day_follow_the_time_zone(history_db):
    """In Asia/Kolkata (UTC+5:30) 10:00 UTC is 15:30 and 14:00 UTC is 19:30: still two
    different hours, so the same weights; in a zone where they share an hour they merge."""
    conn = connect_readonly(history_db)
    plays, minutes = load_history(conn, SINCE, UNTIL)
    conn.close()
    kolkata = build_report(plays, minutes, SINCE, UNTIL, timezone("Asia/Kolkata"))
    assert kolkata.creatives[0].baseline_smile == pytest.approx(A_BASE_SMILE)


def test_periods():
    now = 1_800_000_000.0
    assert parse_when("7d", now) == now - 7 * 86400
    assert parse_when("12h", now) == now - 12 * 3600 and parse_when("2w", now) == now - 14 * 86400
    assert parse_when("2026-11-18", 0, UTC) == DAY0
    assert parse_when("2026-11-18T10:00", 0, timezone("Europe/Paris")) == H10 - 3600
    assert parse_when("2026-11-18T10:00:00Z", 0) == H10
    with pytest.raises(ValueError, match="7d"):
        parse_when("last week", now)
    with pytest.raises(ValueError, match="time zone"):
        timezone("Mars/Olympus")


def test_table(report):
    text = to_table(report, UTC)
    lines = text.splitlines()
    assert lines[0] == "signage report: 2026-11-18 00:00 to 2026-11-19 00:00 (UTC)"
    assert lines[1].startswith("3 plays, 40s on screen; baseline: 3 audience minutes")
    [a] = [x for x in lines if x.startswith("A ")]
    assert a.split() == ["A", "2", "1", "1", "25s", "1.2", "19", "63%", "52%", "+21%", "30%", "23%", "+29%"]
    [b] = [x for x in lines if x.startswith("B ")]
    assert b.split()[-6:] == ["—"] * 6
    assert "not shown: C (1 skipped, 0 errors)" in text
    assert any(x.split()[:2] == ["r1", "2"] for x in lines) and "(default loop)" in text


def test_csv_and_json(report):
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert [r["creative"] for r in rows] == ["A", "B", "C"]
    assert float(rows[0]["attention_rate"]) == pytest.approx(A_ATTENTION, abs=1e-6)
    assert float(rows[0]["smile_lift"]) == pytest.approx(0.3 / (7 / 30) - 1, abs=1e-6)
    assert rows[1]["smile_response"] == "" and rows[2]["skipped"] == "1"
    doc = json.loads(to_json(report))
    assert doc["period"] == {"since": "2026-11-18T00:00:00Z", "until": "2026-11-19T00:00:00Z", "hours_in": "UTC"}
    assert doc["plays"] == 3 and doc["message"] is None
    assert doc["creatives"][0]["baseline_attention_rate"] == pytest.approx(A_BASE_ATTENTION, abs=1e-6)
    assert doc["creatives"][1]["attention_rate"] is None
    assert {r["rule"]: r["firings"] for r in doc["rules"]} == {"r1": 2, "r2": 1, None: 1}
    assert doc["baseline"]["minutes"] == 3


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def run_cli(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "signage.cli", "report", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_cli_formats(history_db, tmp_path):
    period = ["--db", str(history_db), "--since", "2026-11-18", "--until", "2026-11-19", "--tz", "UTC"]
    r = run_cli(*period, "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["creatives"][0]["attention_rate"] == pytest.approx(A_ATTENTION, abs=1e-6)
    r = run_cli(*period, cwd=tmp_path)
    assert r.returncode == 0 and "rule firings:" in r.stdout and r.stdout.startswith("signage report: 2026-11-18 00:00")
    r = run_cli(*period, "--format", "csv", "--out", "r.csv", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == ""
    assert next(csv.DictReader((tmp_path / "r.csv").open()))["creative"] == "A"
    r = run_cli(*period, "--format", "png", "--out", "chart.png", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert png_size((tmp_path / "chart.png").read_bytes()) == (2000, 1125)


def test_cli_empty_period_missing_and_bad_files(history_db, tmp_path):
    r = run_cli("--db", str(history_db), "--since", "2020-01-01", "--until", "2020-02-01", "--tz", "UTC", cwd=tmp_path)
    assert r.returncode == 0 and "no plays in this period" in r.stdout
    empty = tmp_path / "empty.db"
    AnalyticsStore(empty).close()
    r = run_cli("--db", str(empty), "--format", "png", "--out", "x.png", cwd=tmp_path)
    assert r.returncode == 0 and "no plays in this period" in r.stderr and not (tmp_path / "x.png").exists()
    r = run_cli("--db", str(tmp_path / "missing.db"), cwd=tmp_path)
    assert r.returncode == 2 and "no analytics database at" in r.stderr and "missing.db" in r.stderr
    assert not (tmp_path / "missing.db").exists()
    (tmp_path / "junk.db").write_text("not sqlite")
    r = run_cli("--db", str(tmp_path / "junk.db"), cwd=tmp_path)
    assert r.returncode == 2 and "not a database" in r.stderr
    r = run_cli("--db", str(history_db), "--since", "yesterday-ish", cwd=tmp_path)
    assert r.returncode == 2 and "neither a duration" in r.stderr


def test_no_lift_on_too_little_audience():
    from signage.analytics.report import MIN_LIFT_S, lift

    assert lift(0.8, 0.5, sample_s=MIN_LIFT_S) == pytest.approx(0.6)
    assert lift(0.8, 0.5, sample_s=MIN_LIFT_S - 1) is None  # a few seconds of one person say nothing
    assert lift(0.8, 0.0, sample_s=1000) is None and lift(None, 0.5, sample_s=1000) is None
