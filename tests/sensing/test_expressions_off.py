"""Expressions off (``sensing.expressions = "off"``, privacy invariant 8): the smile and surprise
classifier is never loaded nor run; faces are still counted and their looking measured; no
smile or surprise figure exists anywhere: the snapshot, the stored rows, reports and exports,
`signage sense --json`, the status; audience rules on them never fire and `signage validate`
says so.
"""

import csv
import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from media import DATA, letterbox, load
from signage.analytics.aggregate import AudienceAccumulator, MinuteTotals
from signage.analytics.facts import load_history
from signage.analytics.formats import to_csv, to_json, to_table
from signage.analytics.periods import timezone
from signage.analytics.readonly import connect_readonly
from signage.analytics.report import build_report
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore
from signage.config import SensingConfig
from signage.playlist.conditions import Condition
from signage.playlist.rules import Context, compile_condition
from signage.sensing import expressions, model_files
from signage.sensing.analyzer import FaceAnalyzer
from signage.sensing.pipeline import SensingPipeline
from signage.sensing.types import Frame

ROOT = Path(__file__).resolve().parents[2]
PORTRAITS = ("grace_hopper.jpg", "obama_official_portrait.jpg", "astronaut.png")
T0 = 1_794_996_000.0  # 2026-11-18 10:00 UTC: the stream's wall clock


@pytest.fixture(scope="module")
def view():
    return np.concatenate([letterbox(load(n), 420, 480) for n in PORTRAITS], axis=1)


class Calls:
    """Counts the calls of the real expression model's loading and scoring, and which model
    files are read (the real functions still run)."""

    def __init__(self, monkeypatch):
        self.loads = self.scores = 0
        self.files: list[str] = []
        real_load, real_scores, real_file = FaceAnalyzer._load_expressions, expressions.ExpressionModel.scores_of, model_files.load_model

        def load_counted(*a, **k):
            self.loads += 1
            return real_load(*a, **k)

        def scores_counted(model, *a, **k):
            self.scores += 1
            return real_scores(model, *a, **k)

        def file_counted(name, *a, **k):
            self.files.append(str(name))
            return real_file(name, *a, **k)

        monkeypatch.setattr(FaceAnalyzer, "_load_expressions", staticmethod(load_counted))
        monkeypatch.setattr(expressions.ExpressionModel, "scores_of", scores_counted)
        monkeypatch.setattr(model_files, "load_model", file_counted)


def run_stream(cfg, image, frames=25):
    with SensingPipeline(cfg) as p:
        return [p.process(Frame(image, i * 0.1, i, "stream"), play=1, minute=0).audience for i in range(frames)]


def test_the_classifier_is_never_loaded_nor_called(monkeypatch, view):
    calls = Calls(monkeypatch)
    on = run_stream(SensingConfig(), view, frames=5)
    assert calls.loads == 1 and calls.scores > 0 and expressions.MODEL_FILE in calls.files  # the counters count
    assert on[-1].smile_ratio is not None
    calls.loads = calls.scores = 0
    calls.files.clear()
    with SensingPipeline(SensingConfig(expressions="off")) as p:
        faces = [p.process(Frame(view, i * 0.1, i, "stream")).faces for i in range(5)]
        still = p.process(Frame(view, 0.0, 0, "photo"), still=True)
    assert (calls.loads, calls.scores) == (0, 0)
    assert expressions.MODEL_FILE not in calls.files
    for f in faces[-1] + still.faces:
        assert (f.smile, f.surprise, f.mouth_open, f.brow_raise, f.expression) == (None,) * 5
        assert f.yaw is not None and f.looking is True  # pose and looking are measured
    assert still.audience.smile_ratio is None and still.audience.surprise_ratio is None


def test_counting_and_looking_remain(view):
    on = run_stream(SensingConfig(), view)
    off = run_stream(SensingConfig(expressions="off"), view)
    assert on[-1].faces == 3 and on[-1].smile_ratio > 0  # the astronaut smiles
    keep = ("faces", "watchers", "attention_ratio", "passers_by", "mean_dwell_s", "mean_attention_s", "glances",
            "arrivals_total", "viewers_total", "play_impressions", "play_viewers", "minute_impressions", "minute_viewers")
    for a, b in zip(on, off):
        assert {k: getattr(a, k) for k in keep} == {k: getattr(b, k) for k in keep}
        assert (b.smile_ratio, b.surprise_ratio, b.measured) == (None, None, 0)


@pytest.fixture(scope="module")
def off_db(tmp_path_factory, view):
    """The stream with expressions off, stored as the player stores it: a play and a minute."""
    snaps = run_stream(SensingConfig(expressions="off"), view)
    play, minute = AudienceAccumulator(T0), AudienceAccumulator(T0)
    for s in snaps:
        play.add(T0 + s.t, s)
        minute.add(T0 + s.t, s)
    end = T0 + snaps[-1].t + 0.1
    path = tmp_path_factory.mktemp("off") / "analytics.db"
    store = AnalyticsStore(path)
    store.write([PlayRow("p1", "A", "smile-offer", "rule smile-offer", T0, end, "completed", 2.5, "demo", "v1",
                         play.close(end))],
                [MinuteTotals(T0 - T0 % 60, minute.close(end))])
    store.close()
    return path


def test_stored_rows_hold_no_expression_figure(off_db):
    conn = sqlite3.connect(off_db)
    for table in ("plays", "audience_minutes"):
        face_s, measured_s, smile_s, surprise_s = conn.execute(
            f"SELECT face_s, measured_s, smile_s, surprise_s FROM {table}").fetchone()
        assert face_s > 0 and (measured_s, smile_s, surprise_s) == (0, 0, 0)
    conn.close()


def test_reports_say_expressions_off_not_zero(off_db):
    conn = connect_readonly(off_db)
    plays, minutes = load_history(conn, T0 - 3600, T0 + 3600)
    conn.close()
    report = build_report(plays, minutes, T0 - 3600, T0 + 3600, timezone("UTC"))
    assert report.total.smile_response is None and report.baseline_smile is None
    report.expressions_off = True
    table = to_table(report, timezone("UTC"))
    line = next(x for x in table.splitlines() if x.startswith("A "))
    assert line.split()[-3:] == ["off", "off", "off"] and "expressions off on this screen" in table
    doc = json.loads(to_json(report))
    assert doc["expressions"] == "off" and doc["creatives"][0]["smile_response"] is None
    row = next(csv.DictReader(io.StringIO(to_csv(report))))
    assert row["smile_response"] == "" and row["expressions_withheld"] == "expressions off"


def cli(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env.update(PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", GLOG_minloglevel="2")
    return subprocess.run([sys.executable, "-m", "signage.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_report_and_export_commands_with_expressions_off(off_db, tmp_path):
    cfg = tmp_path / "off.toml"
    cfg.write_text('[sensing]\nexpressions = "off"\n')
    period = ["--db", str(off_db), "--since", "2026-11-18", "--until", "2026-11-19", "--tz", "UTC"]
    r = cli("--config", str(cfg), "report", *period, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "expressions off on this screen" in r.stdout
    assert next(x for x in r.stdout.splitlines() if x.startswith("A ")).split()[-3:] == ["off", "off", "off"]
    r = cli("--config", str(cfg), "report", *period, "--format", "adlog", "--per", "day", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    row = next(csv.DictReader(io.StringIO(r.stdout)))
    assert row["smile_ratio"] == "" and row["expressions_withheld"] == "expressions off"


def test_sense_json_has_no_expression_figure(tmp_path):
    cfg = tmp_path / "off.toml"
    cfg.write_text('[sensing]\nexpressions = "off"\n')
    r = cli("--config", str(cfg), "sense", "--json", str(DATA / "astronaut.png"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    record = json.loads(r.stdout.splitlines()[0])
    assert record["audience"]["faces"] == 1 and record["audience"]["watchers"] == 1
    assert record["audience"]["smile_ratio"] is None and record["audience"]["surprise_ratio"] is None
    assert {k: record["faces"][0][k] for k in ("smile", "surprise", "expression")} == dict.fromkeys(
        ("smile", "surprise", "expression"))
    r = cli("--config", str(cfg), "sense", str(DATA / "astronaut.png"), cwd=tmp_path)
    assert "expressions off" in r.stdout and "smile" not in r.stdout


def test_rules_on_expressions_never_fire_and_validate_warns(tmp_path, view):
    off = run_stream(SensingConfig(expressions="off"), view, frames=12)[-1]
    now = dt.datetime(2026, 11, 18, 10, 0)
    for when in ({"smile_ratio": ">= 0"}, {"not": {"smile_ratio": "> 0.5"}}, {"surprise_ratio": "< 1"}):
        assert compile_condition(Condition.model_validate(when), {})(Context(off, now)) is None
    assert compile_condition(Condition.model_validate({"watchers": ">= 3"}), {})(Context(off, now)) is True
    cfg = tmp_path / "off.toml"
    cfg.write_text('[sensing]\nexpressions = "off"\n')
    r = cli("--config", str(cfg), "validate", str(ROOT / "playlists" / "demo.yaml"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "rule 'smile-offer' tests smile_ratio, which this screen never measures" in r.stderr
    assert "can never fire" in r.stderr
    r = cli("validate", str(ROOT / "playlists" / "demo.yaml"), cwd=tmp_path)
    assert "never measures" not in r.stderr


def test_status_dashboard_and_overlay_say_expressions_off(view):
    from signage.admin.wording import audience_words
    from signage.render.overlay import operator_lines
    from signage.status_cli import _audience_line

    snap = run_stream(SensingConfig(expressions="off"), view, frames=12)[-1]
    line = operator_lines(snap, True, 60.0, 5.0, "A", None)[0]
    assert "expressions off" in line and "smiles" not in line and "faces 3" in line
    status = {"faces": 3, "watchers": 3, "attention_ratio": 1.0, "smile_ratio": None, "passers_by": 3}
    assert "expressions off" in _audience_line(status) and "smiles" not in _audience_line(status)
    assert "expressions off" in audience_words(status) and "smiles" not in audience_words(status)
    # a status from before the setting existed (no smile_ratio at all) is not "off"
    assert "expressions off" not in _audience_line({k: v for k, v in status.items() if k != "smile_ratio"})
