"""`signage sense` and `signage config` as operators run them: the real command, real media."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from media import CLIP, DATA

ROOT = Path(__file__).resolve().parent.parent
MEDIA = sorted(p for p in DATA.iterdir() if p.suffix in (".png", ".jpg", ".mp4"))
FACE_KEYS = {"box", "score", "yaw", "pitch", "roll", "looking", "smile", "surprise", "mouth_open", "brow_raise", "expression"}
MEASURED = ("yaw", "pitch", "roll", "looking", "smile", "surprise", "mouth_open", "brow_raise", "expression")


def sense(*args, env=None, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "signage.cli", "sense", *map(str, args)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env,
    )
    if check:
        assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def records(proc):
    return [json.loads(line) for line in proc.stdout.splitlines()]


def check_record(rec, still):
    assert set(rec) >= {"source", "frame", "t", "faces", "audience"}
    for f in rec["faces"]:
        assert set(f) == FACE_KEYS
        assert len(f["box"]) == 4 and f["box"][2] > 0
        measured = f["expression"] is not None
        for k in MEASURED:
            assert (f[k] is not None) == measured, k
        if measured:
            assert f["expression"] in ("neutral", "smile", "surprise")
            assert 0 <= f["smile"] <= 1 and isinstance(f["looking"], bool)
    a = rec["audience"]
    if still:  # a photo has no tracking: the audience is exactly the faces in it
        assert a["faces"] == len(rec["faces"])
    assert 0 <= a["attention_ratio"] <= 1 and 0 <= a["smile_ratio"] <= 1


@pytest.mark.parametrize("path", MEDIA, ids=lambda p: p.name)
def test_sense_runs_on_every_test_media_file(path):
    proc = sense(path, "--json", "--max-frames", "45")
    recs = records(proc)
    assert recs, proc.stderr
    for rec in recs:
        check_record(rec, still=path.suffix != ".mp4")
        assert rec["source"] == path.name
    if path.suffix != ".mp4":
        assert len(recs) == 1


def test_photo_output_matches_the_contract():
    (rec,) = records(sense(DATA / "astronaut.png", "--json"))
    (face,) = rec["faces"]
    assert face["expression"] == "smile" and face["looking"] is True
    assert rec["audience"]["faces"] == 1 and rec["audience"]["watchers"] == 1
    assert rec["audience"]["smile_ratio"] == 1.0 and rec["frame"] == 0 and rec["t"] == 0.0


def test_video_is_a_stream_with_tracking():
    recs = records(sense(CLIP, "--json"))
    assert len(recs) == 275
    assert [r["frame"] for r in recs] == list(range(275))
    ts = [r["t"] for r in recs]
    assert ts == sorted(ts) and abs(ts[-1] - 274 / 29.97) < 0.1
    # the frontal performer (3.3-6.6 s) is watched for seconds: dwell and attention grow
    mid = [r for r in recs if 5.5 <= r["t"] <= 6.0]
    assert all(r["audience"]["faces"] >= 1 for r in mid)
    # mean dwell is over the window's passers-by: the performer and the two people before the
    # cut (the far performer, and the pianist that stream tiles find), 3 s between them
    assert max(r["audience"]["mean_dwell_s"] * r["audience"]["passers_by"] for r in mid) > 3.0
    assert mid[-1]["audience"]["mean_dwell_s"] > mid[0]["audience"]["mean_dwell_s"]
    assert max(r["audience"]["watchers"] for r in mid) == 1
    # the audience turned 45-90 degrees away (7.4-9.1 s) is present but not watching
    late = [f for r in recs if r["t"] >= 8.0 for f in r["faces"] if f["expression"] is not None]
    assert late and sum(f["looking"] for f in late) / len(late) < 0.3


def test_folder_is_analysed_image_by_image(tmp_path):
    for name in ("astronaut.png", "grace_hopper.jpg", "coffee.png"):
        shutil.copy(DATA / name, tmp_path / name)
    recs = records(sense(tmp_path, "--json"))
    assert [r["source"] for r in recs] == ["astronaut.png", "coffee.png", "grace_hopper.jpg"]
    assert [len(r["faces"]) for r in recs] == [1, 0, 1]
    assert [r["frame"] for r in recs] == [0, 1, 2]


def test_readable_summary_without_json():
    proc = sense(DATA / "grace_hopper.jpg")
    assert "faces 1, watchers 1" in proc.stdout and "neutral looking" in proc.stdout


def test_missing_source_is_a_clear_error():
    proc = sense(DATA / "nope.mp4", check=False)
    assert proc.returncode == 2 and "nope.mp4" in proc.stderr and "Traceback" not in proc.stderr


def test_corrupt_video_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    proc = sense(bad, check=False)
    assert proc.returncode == 2 and "broken.mp4" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_config_key_names_its_path(tmp_path):
    cfg = tmp_path / "signage.toml"
    cfg.write_text("[sensing.tracker]\nmax_age = 2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "signage.cli", "--config", str(cfg), "config"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "sensing.tracker.max_age: unknown key" in proc.stderr and str(cfg) in proc.stderr
    env = dict(os.environ, SIGNAGE_SENSING__DETECTOR__INTERVAL="1")
    proc = subprocess.run([sys.executable, "-m", "signage.cli", "config"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 2 and "sensing.detector.interval: unknown key" in proc.stderr


def test_config_from_env_is_applied():
    env = dict(os.environ, SIGNAGE_SENSING__LANDMARKS__MIN_FACE_PX="400")
    (rec,) = records(sense(DATA / "astronaut.png", "--json", env=env))
    assert rec["faces"][0]["expression"] is None  # too small for a 400 px minimum
