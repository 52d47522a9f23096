"""Privacy invariant 4 (only aggregates persist) and the analytics layering, on real SQLite files."""

import ast
import sqlite3
from pathlib import Path

from signage.analytics import AnalyticsWriter
from signage.config import AnalyticsConfig
from signage.values import AudienceSnapshot

PKG = Path(__file__).resolve().parents[2] / "signage" / "analytics"

AUDIENCE = {
    "samples", "camera_on_s", "face_s", "watcher_s", "measured_s", "smile_s", "surprise_s", "max_faces",
    "passers_by", "mean_faces", "mean_watchers", "attention_ratio", "smile_ratio", "surprise_ratio",
    # counts of people over the span (how many had 1 s in view, looked 1 s, arrived): aggregates
    "impressions", "viewers", "arrivals", "new_viewers",
    # a passer-by's pauses (docs/objection.md): seconds the screen did not measure, pauses begun; no one's value
    "paused_s", "pauses",
}  # fmt: skip
# Every column that may exist. A new column must be added here deliberately, after asking:
# is it an aggregate over everyone in front of the screen, never one person's value?
ALLOWED = {
    "schema_version": {"version", "applied_utc"},
    "plays": {
        "play_id", "creative_id", "playlist", "playlist_version", "rule_id", "reason", "start_ts", "end_ts",
        "planned_s", "outcome", "duration_s", "start_utc", "end_utc", "recovered_ts",
    } | AUDIENCE,
    "audience_minutes": {"minute_ts", "span_s", "camera_on_fraction", "minute_utc", "checkpoint_ts"} | AUDIENCE,
}  # fmt: skip
PER_PERSON_WORDS = ("track", "face_id", "person", "people_id", "box", "bbox", "landmark", "embedding", "image",
                    "frame", "yaw", "pitch", "roll", "age", "gender", "identity")  # fmt: skip


def schema(path):
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: {r[1] for r in conn.execute(f"PRAGMA table_xinfo({t})")} for t in tables}
    finally:
        conn.close()


def record(path, faces, plays=3, seconds=20.0):
    """``plays`` plays of ``seconds`` with ``faces`` faces in front at 30 snapshots a second."""
    w = AnalyticsWriter(AnalyticsConfig(db_path=str(path)))
    t = 1_800_000_030.0  # half a minute in
    for i in range(plays):
        pid = w.play_started(f"creative-{i}", now=t)
        for k in range(int(seconds * 30)):
            w.audience(AudienceSnapshot(t=t, faces=faces, measured=faces, watchers=faces // 2, passers_by=faces), now=t)
            t += 1 / 30
        w.play_ended(pid, now=t)
    w.close(now=t)
    return w


def test_invariant4_the_schema_holds_only_aggregate_columns(tmp_path):
    record(tmp_path / "a.db", faces=3)
    found = schema(tmp_path / "a.db")
    assert found == ALLOWED
    for table, cols in found.items():
        for name in {table} | cols:
            hits = [w for w in PER_PERSON_WORDS if w in name and name not in ("passers_by",)]
            assert hits == [], f"{table}.{name} looks per-person: {hits}"


def test_invariant4_rows_do_not_grow_with_the_number_of_faces(tmp_path):
    counts = {}
    for faces in (0, 1, 12, 40):
        path = tmp_path / f"{faces}.db"
        record(path, faces=faces)
        conn = sqlite3.connect(path)
        counts[faces] = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("plays", "audience_minutes")}
        conn.close()
    assert counts[1] == counts[12] == counts[40] == {"plays": 3, "audience_minutes": 2}  # 60 s over two minutes
    assert counts[0]["plays"] == 3


# The modules app.py's choices and checks live in are wiring too (signage run), not analytics'.
WIRING = [["signage", m] for m in ("run_options", "preflight", "display_fallback", "first_playlist", "run_monitor")]


def test_analytics_imports_no_other_layer():
    offenders = []
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])  # fmt: skip
            offenders += [
                f"{path.name}: {n}" for n in names
                if n.split(".")[:2] in (["signage", "playlist"], ["signage", "sensing"], ["signage", "render"],
                                        ["signage", "app"], ["signage", "cli"], *WIRING)
            ]  # fmt: skip
    assert offenders == []
