"""The MediaPipe edge (signage/sensing/inference.py): the shipped models, checked, run by
MediaPipe Tasks, and MediaPipe imported without matplotlib or its native chatter."""

import hashlib
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from media import load
from signage.sensing import inference, model_files, roi

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "signage" / "models"


@pytest.fixture(scope="module")
def detector():
    d = inference.FaceDetector(0.5)
    yield d
    d.close()


@pytest.fixture(scope="module")
def mesh():
    m = inference.MeshLandmarks()
    yield m
    m.close()


def rgb(name):
    return cv2.cvtColor(load(name), cv2.COLOR_BGR2RGB)


def test_the_models_are_the_ones_listed_with_their_provenance():
    sums = inference.expected_sha256()
    assert set(sums) == {inference.DETECTOR_MODEL, inference.LANDMARK_MODEL, inference.IRIS_MODEL, "expressions.json"}
    for name, digest in sums.items():
        assert hashlib.sha256((MODELS / name).read_bytes()).hexdigest() == digest
    readme = (MODELS / "README.md").read_text()
    assert "mediapipe-0.10.18" in readme and "Apache" in (MODELS / "LICENSE").read_text()
    for name in (inference.DETECTOR_MODEL, inference.LANDMARK_MODEL, inference.IRIS_MODEL):  # MediaPipe's
        assert name in readme and sums[name] in readme
    assert "metadata" in readme and "tools/models-from-wheel" in readme  # what was added to the iris model, and the check
    assert "expressions.json" in readme and "tools/train-expressions" in readme  # signage's own, and how it is made


def test_a_changed_model_is_refused_with_its_path(tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(MODELS, folder)
    data = bytearray((folder / inference.LANDMARK_MODEL).read_bytes())
    data[5000] ^= 0xFF
    (folder / inference.LANDMARK_MODEL).write_bytes(bytes(data))
    with pytest.raises(inference.ModelError, match=r"face_landmark\.tflite: SHA-256 .* reinstall signage"):
        inference.load_model(inference.LANDMARK_MODEL, folder)
    (folder / inference.DETECTOR_MODEL).unlink()
    with pytest.raises(inference.ModelError, match=r"cannot read the model"):
        inference.load_model(inference.DETECTOR_MODEL, folder)
    assert inference.load_model(inference.LANDMARK_MODEL, MODELS)[:8] == (MODELS / inference.LANDMARK_MODEL).read_bytes()[:8]


def test_sense_with_a_damaged_model_says_so_without_a_traceback(tmp_path, monkeypatch, capsys):
    from signage.cli import main

    folder = tmp_path / "models"
    shutil.copytree(MODELS, folder)
    (folder / inference.DETECTOR_MODEL).write_bytes(b"not a model")
    monkeypatch.setattr(model_files, "MODELS", folder)
    assert main(["sense", str(ROOT / "tests/data/grace_hopper.jpg")]) == 1
    err = capsys.readouterr().err
    assert "cannot start sensing" in err and "face_detection_full_range_sparse.tflite" in err and "Traceback" not in err
    shutil.copy(MODELS / inference.DETECTOR_MODEL, folder)
    (folder / "expressions.json").write_text("{}")
    assert main(["sense", str(ROOT / "tests/data/grace_hopper.jpg")]) == 1
    err = capsys.readouterr().err
    assert "cannot start sensing" in err and "expressions.json: SHA-256" in err and "Traceback" not in err


def test_the_detector_finds_a_face_and_its_eyes(detector):
    (d,) = detector.detect(rgb("grace_hopper.jpg"))
    x, y, w, h = d.box
    assert d.score > 0.8 and 150 < w < 250 and abs(w - h) < 2
    # the person's right eye is on the image's left, both inside the box's upper half
    (rx, ry), (lx, ly) = d.right_eye, d.left_eye
    assert x < rx < lx < x + w and y < ry < y + h / 2 and y < ly < y + h / 2
    assert detector.detect(rgb("coffee.png")) == []


def test_offsets_place_detections_of_a_tile_in_the_whole_image(detector):
    img = rgb("grace_hopper.jpg")
    (whole,) = detector.detect(img)
    (tile,) = detector.detect(np.ascontiguousarray(img[40:, 30:]), 30, 40)
    assert np.allclose(whole.box[:2], tile.box[:2], atol=3) and np.allclose(whole.right_eye, tile.right_eye, atol=3)


def test_the_landmark_model_puts_the_eye_corners_on_the_eyes(mesh, detector):
    """The model's 468 points, projected back, sit on the face the detector found: this
    fails if the crop, the input's normalisation or the projection is wrong."""
    img = rgb("grace_hopper.jpg")
    (d,) = detector.detect(img)
    r = roi.roi_from_detection(d.box, d.right_eye, d.left_eye)
    raw, presence = mesh.run(roi.crop(img, r))
    assert raw.shape == (inference.N_LANDMARKS, 3) and presence > 0.99
    pts = roi.project_landmarks(raw, r)
    eye_r = (pts[33, :2] + pts[133, :2]) / 2  # corners of the person's right eye
    eye_l = (pts[263, :2] + pts[362, :2]) / 2
    iod = math.dist(d.right_eye, d.left_eye)
    assert math.dist(eye_r, d.right_eye) < 0.15 * iod and math.dist(eye_l, d.left_eye) < 0.15 * iod


def test_the_presence_score_rejects_what_is_not_a_face(mesh):
    cat = rgb("coffee.png")
    h, w = cat.shape[:2]
    _, presence = mesh.run(roi.crop(cat, roi.Roi(w / 2, h / 2, min(w, h) / 2, 0.0)))
    assert presence < 0.5


def _python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_mediapipe_is_imported_without_matplotlib_sounddevice_or_chatter():
    p = _python("""
        import os, sys
        from signage.sensing.inference import FaceDetector, MeshLandmarks, import_mediapipe
        import numpy as np
        d, m = FaceDetector(0.5), MeshLandmarks()
        d.detect(np.zeros((64, 64, 3), np.uint8)); m.run(np.zeros((192, 192, 3), np.uint8))
        d.close(); m.close()
        heavy = sorted(k for k in sys.modules if k.split(".")[0] in ("matplotlib", "sounddevice", "PIL"))
        stubs = [k for k in ("matplotlib", "matplotlib.pyplot", "sounddevice") if k in sys.modules]
        print("heavy", heavy, "stubs", stubs)
    """)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "heavy [] stubs []" in p.stdout
    # MediaPipe's native start-up lines are held back ...
    assert "Sparsity tensors" not in p.stderr and "XNNPACK" not in p.stderr and "W0000" not in p.stderr, p.stderr
    assert p.stderr.strip() == ""


def test_the_stderr_filter_passes_real_messages_through():
    p = _python("""
        import os, sys, logging
        from signage.sensing.native_log import native_stderr_filtered
        import signage.sensing.native_log as nl
        with native_stderr_filtered():
            os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
            os.write(2, b"F0000 00:00:1.0 1 thing.cc:1] Check failed: a real native error\\n")
            print("python logging still arrives", file=sys.stderr, flush=True)
        print("after", file=sys.stderr, flush=True)
        print("held", nl.held_back)
    """)
    assert p.returncode == 0, p.stderr
    assert "XNNPACK" not in p.stderr
    assert "Check failed: a real native error" in p.stderr and "python logging still arrives" in p.stderr
    assert p.stderr.index("still arrives") < p.stderr.index("after")
    assert "held 1" in p.stdout
