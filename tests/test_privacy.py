"""Privacy invariants of ARCHITECTURE.md that concern sensing, each with a test that
fails if it breaks. (Invariants 5-7, the on-screen notice, retention and camera-off,
belong to the renderer, analytics and player and are tested there.)"""

import ast
import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from media import CLIP, load
from signage.config import SensingConfig
from signage.sensing import expressions
from signage.sensing.expressions import ExpressionModel
from signage.sensing.cuts import summary
from signage.sensing.pipeline import SensingPipeline, SensingResult
from signage.sensing.types import FaceObservation, Frame, TrackSummary
from signage.values import AudienceSnapshot

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "signage"

# Runs the real pipeline on the real clip (through the CLI, as operators do) under an
# audit hook that records every file opened for writing and every socket operation,
# with the working directory, HOME and TMPDIR pointing at empty folders that must stay
# empty (this also catches native code, e.g. OpenCV or MediaPipe, writing files).
AUDITED_RUN = textwrap.dedent(
    r"""
    import json, os, sys
    # Start-up: the modules are imported first; the folders are listed after it.
    import signage.sensing.pipeline, signage.sensing.sources, signage.sensing.service, signage.cli
    before = sorted(os.path.join(d, f) for root in sys.argv[4:] for d, _, fs in os.walk(root) for f in fs)
    violations = []
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (mode is None and flags & WRITE):
                if str(path) != os.devnull:
                    violations.append(f"open for writing: {path}")
        elif event.startswith("socket.") and event not in ("socket.__new__", "socket.gethostname"):
            violations.append(f"{event}: {args!r}"[:200])
    sys.addaudithook(hook)
    control = sys.argv[1]
    import io, contextlib
    from signage.cli import main
    out = io.StringIO()
    if control == "service":  # as the player runs it: its own thread, the clip in real time, looped
        import time
        from signage.config import CameraConfig, SensingConfig
        from signage.sensing.service import SensingService
        svc = SensingService(SensingConfig(), CameraConfig(source=sys.argv[2])).start()
        # until half the frames asked for are analysed and a face was seen: counted, not timed
        # (a loaded machine analyses fewer frames a second); the deadline is only for a hang
        faces, deadline = 0, time.monotonic() + 240
        while (svc.status().analysed < int(sys.argv[3]) // 2 or not faces) and time.monotonic() < deadline:
            snap = svc.latest()
            faces = max(faces, snap.faces if snap else 0)
            time.sleep(0.05)
        svc.stop()
        for _ in range(svc.status().analysed):
            out.write(json.dumps({"faces": [0] * faces}) + "\n")
        rc = 0
    else:
        with contextlib.redirect_stdout(out):
            rc = main(["sense", sys.argv[2], "--json", "--max-frames", sys.argv[3]])
    if control == "python-write":
        open("leak.txt", "w").close()
    elif control == "native-write":
        import cv2, numpy as np
        cv2.imwrite("leak.png", np.zeros((4, 4, 3), np.uint8))
    elif control == "socket":
        import socket
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", 9))
        except OSError:
            pass
    lines = out.getvalue().splitlines()
    after = sorted(os.path.join(d, f) for root in sys.argv[4:] for d, _, fs in os.walk(root) for f in fs)
    sys.__stdout__.write(json.dumps({"created": sorted(set(after) - set(before)), "rc": rc, "frames": len(lines), "faces": sum(len(json.loads(l)["faces"]) for l in lines), "violations": violations}))
    """
)


def audited(tmp_path, control="none", source=CLIP, frames=90):
    work = tmp_path / "work"
    home = tmp_path / "home"
    tmp = tmp_path / "tmp"
    for d in (work, home, tmp):
        d.mkdir()
    env = dict(os.environ, HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=str(ROOT), MPLCONFIGDIR=str(home))
    proc = subprocess.run(
        [sys.executable, "-c", AUDITED_RUN, control, str(source), str(frames), str(work), str(home), str(tmp)],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result, result["created"]


def test_invariant1_sensing_writes_no_file_and_opens_no_socket(tmp_path):
    result, created = audited(tmp_path)
    assert result["rc"] == 0 and result["frames"] == 90 and result["faces"] > 0
    assert result["violations"] == []
    assert created == []


def test_invariant1_the_players_sensing_thread_writes_no_file_and_opens_no_socket(tmp_path):
    result, created = audited(tmp_path, control="service", frames=120)  # 60 frames of the clip, analysed
    assert result["rc"] == 0 and result["frames"] >= 60 and result["faces"] > 0
    assert result["violations"] == []
    assert created == []


@pytest.mark.parametrize("control, expect", [("python-write", "violation"), ("native-write", "file"), ("socket", "violation")])
def test_invariant1_audit_catches_leaks(tmp_path, control, expect):
    """Positive controls: the audit above really catches each kind of leak."""
    result, created = audited(tmp_path, control, frames=3)
    if expect == "violation":
        assert result["violations"], control
    else:
        assert created, control


def _arrays_reachable(obj, seen=None, depth=0):
    """Every numpy array reachable from obj through attributes and containers."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 8:
        return []
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, ExpressionModel):
        return []  # the shipped weights, checked unchanged by frames in the tests below
    found = []
    if isinstance(obj, dict):
        items = list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = list(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = [getattr(obj, f.name) for f in dataclasses.fields(obj)]
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("signage"):
        items = list(vars(obj).values())
    elif hasattr(obj, "__slots__") and type(obj).__module__.startswith("signage"):
        items = [getattr(obj, s) for s in obj.__slots__ if hasattr(obj, s)]
    else:
        return []
    for it in items:
        found += _arrays_reachable(it, seen, depth + 1)
    return found


def assert_weights_unchanged(pipe) -> None:
    """The only arrays the pipeline keeps are the expression model's weights, as shipped:
    frames leave nothing in them."""
    models = [v for v in vars(pipe.analyzer).values() if isinstance(v, ExpressionModel)]
    assert len(models) == 1
    held, shipped = models[0], expressions.load_model()
    for a, b in ((held.mean, shipped.mean), (held.scale, shipped.scale), (held.smile_net.w1, shipped.smile_net.w1),
                 (held.smile_net.b1, shipped.smile_net.b1), (held.smile_net.w2, shipped.smile_net.w2),
                 (held.surprise_net.w1, shipped.surprise_net.w1), (held.surprise_net.b1, shipped.surprise_net.b1),
                 (held.surprise_net.w2, shipped.surprise_net.w2)):
        assert np.array_equal(a, b)
    assert held.smile_net.b2 == shipped.smile_net.b2 and held.surprise_net.b2 == shipped.surprise_net.b2


def test_invariant1_2_no_pixels_or_landmarks_leave_the_pipeline():
    """What sensing hands on is scalars only, and after a frame is processed the pipeline
    holds no image and no landmark array of it."""
    import cv2

    cap = cv2.VideoCapture(str(CLIP))
    with SensingPipeline(SensingConfig()) as pipe:
        for i in range(120):
            ok, img = cap.read()
            assert ok
            result = pipe.process(Frame(img, i / 30, i, "clip"))
        assert isinstance(result, SensingResult) and result.faces
        assert _arrays_reachable(result) == []
        # The arrays held are 8x6 colour summaries (144 numbers, in which no face can be
        # seen): the scene-cut detector's of the last frame and, when the detector last ran
        # on an earlier frame, that frame's (signage.sensing.activity).
        held = _arrays_reachable(pipe)
        assert 1 <= len(held) <= 2 and all(a.size == 144 for a in held)
        assert any(np.array_equal(a, summary(img)) for a in held)
        assert_weights_unchanged(pipe)
        for f in result.faces:
            for field in dataclasses.fields(f):
                v = getattr(f, field.name)
                assert v is None or isinstance(v, (bool, int, float, str)) or (
                    field.name == "box" and len(v) == 4
                ), field.name
    # a still photo too
    with SensingPipeline(SensingConfig()) as pipe:
        result = pipe.process(Frame(load("astronaut.png"), 0.0, 0, "x"), still=True)
        assert result.faces and _arrays_reachable(result) == [] and _arrays_reachable(pipe) == []


def test_invariant1_2_layers_do_not_reach_into_sensing():
    """Frames and landmarks stay in signage.sensing: no other layer imports it
    (only app.py wires it, through the value types)."""
    offenders = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "sensing" or rel.as_posix() in ("app.py", "cli.py"):  # the wiring, by full path
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{rel}: {n}" for n in names if n.startswith("signage.sensing")]
    assert offenders == []


ANALYZER_ONLY = ("signage.sensing.inference", "signage.sensing.roi", "signage.sensing.pose", "signage.sensing.expressions",
                 "signage.sensing.gaze")


def test_invariant2_only_the_analyzer_touches_mediapipe():
    """MediaPipe is imported by one module, the analyzer's model edge; that module, and the
    geometry that handles landmarks (the crops, the head-pose fit), are used by the analyzer alone."""
    users, importers = [], {}
    for path in PKG.rglob("*.py"):
        src = path.read_text()
        rel = str(path.relative_to(PKG))
        if "import mediapipe" in src or "from mediapipe" in src:
            users.append(rel)
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.ImportFrom) and node.module in ANALYZER_ONLY:
                names = {a.name for a in node.names}
                if names != {"ModelError"}:  # the exception alone carries no landmark
                    importers.setdefault(node.module, set()).add(rel)
            elif isinstance(node, ast.ImportFrom) and node.module == "signage.sensing":  # from signage.sensing import roi
                for a in node.names:
                    if f"signage.sensing.{a.name}" in ANALYZER_ONLY:
                        importers.setdefault(f"signage.sensing.{a.name}", set()).add(rel)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in ANALYZER_ONLY:
                        importers.setdefault(a.name, set()).add(rel)
    assert users == ["sensing/inference.py"]
    # detection.py (where the detector looks, its boxes grouped) uses roi's box geometry, and
    # motion.py (where a followed face's crop is cut next) its ROI; they handle boxes and crop
    # centres only, no landmark, and serve the analyzer alone (below); gaze.py (the eye crops
    # and the iris gaze) uses the ROI type and serves the analyzer alone too
    expected = {m: {"sensing/analyzer.py"} for m in ANALYZER_ONLY}
    expected["signage.sensing.roi"] = {"sensing/analyzer.py", "sensing/detection.py", "sensing/motion.py", "sensing/gaze.py"}
    assert importers == expected
    for helper in ("signage.sensing.detection", "signage.sensing.motion"):
        users = {str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
                 if any(isinstance(n, (ast.ImportFrom, ast.Import)) and helper in
                        ([n.module] if isinstance(n, ast.ImportFrom) else [a.name for a in n.names]) +
                        [f"{getattr(n, 'module', '')}.{a.name}" for a in n.names]
                        for n in ast.walk(ast.parse(p.read_text())))}
        assert users == {"sensing/analyzer.py"}, helper


FORBIDDEN_FIELDS = {"age", "gender", "sex", "ethnicity", "race", "identity", "embedding", "name", "landmarks", "image"}


def test_invariant3_no_identity_fields():
    for cls in (FaceObservation, TrackSummary, AudienceSnapshot):
        names = {f.name for f in dataclasses.fields(cls)}
        assert not names & FORBIDDEN_FIELDS, cls


# MediaPipe Tasks' generic model runner is called ImageEmbedder; signage runs Face Mesh's
# landmark model in it (its "embeddings" are the raw landmark and face-presence tensors).
TASKS_RUNNER = ("image_embedder", "imageembedder", ".embeddings", "h.embedding")


def test_invariant3_no_identity_or_embedding_code():
    pattern_words = ("embedding", "face_recognition", "insightface", "deepface", "gender", "ethnicity", "age_estimat")
    hits = []
    for path in PKG.rglob("*.py"):
        rel = str(path.relative_to(PKG))
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0].lower()
            if rel == "sensing/inference.py":
                for name in TASKS_RUNNER:
                    code = code.replace(name, "")
            hits += [f"{rel}:{n}" for w in pattern_words if w in code and "no " + w not in code]
    assert hits == []


def test_invariant3_the_only_models_are_the_face_detector_face_mesh_and_iris_landmarks():
    """No model that could identify anyone is shipped or loaded: the models folder holds the
    three listed models, each loaded by one class, and the models run in Tasks' ImageEmbedder
    give landmark coordinates (468 x 3 and a presence score; 5 iris points of one eye), not an
    embedding."""
    from signage.sensing import inference

    models = PKG / "models"
    assert sorted(p.name for p in models.iterdir() if p.suffix in (".tflite", ".task", ".onnx", ".bin")) == sorted(
        [inference.DETECTOR_MODEL, inference.LANDMARK_MODEL, inference.IRIS_MODEL])
    # signage's own model: two probabilities (smile, surprise) from landmark shape features
    assert sorted(p.name for p in models.iterdir() if p.suffix == ".json") == [expressions.MODEL_FILE]
    m_expr = expressions.load_model()
    assert m_expr.smile_net.w2.ndim == 1 and m_expr.surprise_net.w2.ndim == 1  # one output each, a probability
    src = (PKG / "sensing/inference.py").read_text()
    assert src.count("load_model(") == 2  # the detector's, and one for the raw-output models (landmarks, irises)
    assert {inference.MeshLandmarks.name, inference.IrisLandmarks.name} == {inference.LANDMARK_MODEL, inference.IRIS_MODEL}
    loaders = [p.relative_to(PKG) for p in PKG.rglob("*.py") if "load_model(" in p.read_text()]
    assert sorted(map(str, loaders)) == ["sensing/expressions.py", "sensing/inference.py", "sensing/model_files.py"]
    m = inference.MeshLandmarks()
    try:
        points, presence = m.run(np.zeros((192, 192, 3), np.uint8))
    finally:
        m.close()
    assert points.shape == (468, 3) and 0.0 <= presence <= 1.0
    iris = inference.IrisLandmarks()
    try:
        assert iris.run(np.zeros((64, 64, 3), np.uint8)).shape == (5, 3)
    finally:
        iris.close()


def test_invariant3_lost_track_is_forgotten_for_good():
    """A person who leaves and comes back is a new, unrelated track."""
    img = load("grace_hopper.jpg")
    empty = load("coffee.png")
    cfg = SensingConfig()
    with SensingPipeline(cfg) as pipe:
        t = 0.0
        for seq in ([img] * 15, [empty] * int(30 * (cfg.tracker.max_age_s + 0.5)), [img] * 15):
            for im in seq:
                pipe.process(Frame(im, t, 0, "x"))
                t += 1 / 30
        snap = pipe.process(Frame(img, t, 0, "x")).audience
    # two distinct passers-by in the window: the same face was not re-identified
    assert snap.passers_by == 2


# Every field the snapshot may carry, each a number (or the trend's word) over everyone in front of
# the screen. A new field goes here deliberately, after asking: is it an aggregate, never one person's?
SNAPSHOT_FIELDS = {
    "t", "faces", "measured", "watchers", "attention_ratio", "smile_ratio", "surprise_ratio", "passers_by",
    "mean_dwell_s", "mean_attention_s", "glances", "trend", "window_s",
    # counts of people (signage.sensing.counting): integers over everyone, and the labels they are for
    "counts_epoch", "arrivals_total", "viewers_total", "play_label", "play_impressions", "play_viewers",
    "minute_label", "minute_impressions", "minute_viewers",
}  # fmt: skip


def test_invariant4_the_snapshot_carries_only_aggregate_scalars():
    """Two people in front of the camera give a snapshot of scalars only, in the fields listed, and the
    people counter keeps nothing of a track once the tracker has forgotten it."""
    from signage.config import ExpressionConfig, TrackerConfig
    from signage.sensing.audience import AudienceAggregator
    from signage.sensing.counting import PeopleCounter
    from signage.sensing.tracker import AnonymousTracker

    assert {f.name for f in dataclasses.fields(AudienceSnapshot)} == SNAPSHOT_FIELDS
    tcfg = TrackerConfig()
    tracker = AnonymousTracker(tcfg, ExpressionConfig())
    counter = PeopleCounter(forget_s=tcfg.max_age_s + 1.0)
    agg = AudienceAggregator(SensingConfig().audience, counter)
    faces = [FaceObservation(box=(10, 10, 50, 50), score=0.9, looking=True),
             FaceObservation(box=(300, 10, 50, 50), score=0.9, looking=False)]  # fmt: skip
    t = 0.0
    for _ in range(45):
        snap = agg.update(tracker.update(faces, t), t, play=3, minute=0)
        t += 1 / 15
    assert (snap.arrivals_total, snap.play_impressions, snap.viewers_total) == (2, 2, 1)
    for f in dataclasses.fields(snap):
        v = getattr(snap, f.name)
        assert v is None or type(v) in (int, float, str), (f.name, v)
    for _ in range(int(15 * (tcfg.max_age_s + 2.0))):
        agg.update(tracker.update([], t), t, play=3, minute=0)
        t += 1 / 15
    assert counter._seen == {}  # nothing of either person left, only the counts
    period = counter._periods["play"]
    assert (period.base, period.seen_in_view, period.seen_looking, period.impressions) == ({}, set(), set(), 2)
    assert agg.update([], t, play=4).play_impressions == 0
