"""One sensing backend, measured on request of bench/sensing.py (run it, not this).

    PYTHON bench/sensing_worker.py {tasks|legacy} JOB [ARGS]   (JSON lines out)

Runs in the player's venv (backend "tasks": mediapipe 1.x, signage/sensing/analyzer.py)
or in a venv with mediapipe 0.10.18 (backend "legacy": signage/sensing/analyzer.py as it was
at commit 3e97963, the last release that sensed with 0.10.18, read from git history), so
that both are measured in one run.

Jobs:
  photos FILE...     analyse each image as a photo; one `signage sense --json`-like line each
  landmarks FILE...  (legacy) detector, Face Mesh ROI and landmarks per face found
  same-roi           (tasks) the landmarks for the ROIs read on stdin (from `landmarks`),
                     compared point for point; the points stay inside this bench
  cost ROUNDS        CPU time per frame of the whole pipeline on 0, 1, 3 and 10 faces of the
                     shared photos at 640x480 and 1280x720, and on development photos; with
                     a baseline: raw Face Mesh (legacy) or the same models run raw (tasks)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signage.config import SensingConfig  # noqa: E402
from signage.sensing import pipeline as pipeline_module  # noqa: E402
from signage.sensing.types import Frame  # noqa: E402

DATA = ROOT / "tests" / "data"
FPS = 30.0


LEGACY_COMMIT = "3e97963"


def legacy_module():
    """signage/sensing/analyzer.py of LEGACY_COMMIT, as the module ``analyzer_0_10_18``."""
    import subprocess
    import types

    if "analyzer_0_10_18" not in sys.modules:
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{LEGACY_COMMIT}:signage/sensing/analyzer.py"],
                             capture_output=True, text=True, check=True).stdout
        mod = types.ModuleType("analyzer_0_10_18")
        mod.__file__ = f"{LEGACY_COMMIT}:signage/sensing/analyzer.py"
        sys.modules[mod.__name__] = mod
        exec(compile(src, mod.__file__, "exec"), mod.__dict__)
    return sys.modules["analyzer_0_10_18"]


def analyzer_class(backend: str):
    if backend == "legacy":
        return legacy_module().FaceAnalyzer
    from signage.sensing.analyzer import FaceAnalyzer

    return FaceAnalyzer


def emit(obj) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def job_photos(backend: str, files: list[str]) -> None:
    with analyzer_class(backend)(SensingConfig()) as a:
        for i, f in enumerate(files):
            img = cv2.imread(f, cv2.IMREAD_COLOR)
            if img is None:
                emit({"source": os.path.basename(f), "error": "unreadable"})
                continue
            faces = a.analyze(Frame(img, 0.0, i, f), still=True)
            emit({"source": os.path.basename(f), "faces": [face.to_dict() for face in faces]})


def job_landmarks(files: list[str]) -> None:
    legacy = legacy_module()
    roi_from_detection = legacy.roi_from_detection
    with legacy.FaceAnalyzer(SensingConfig()) as a:
        for f in files:
            rgb = cv2.cvtColor(cv2.imread(f, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            for d in a._run_detector(rgb):
                roi = roi_from_detection(d)
                out = a._landmark_pass(rgb, roi)
                if out is not None:
                    emit({"file": f, "roi": [roi.cx, roi.cy, roi.side, roi.rotation], "points": out[0].tolist()})


def job_same_roi() -> None:
    from signage.sensing import roi as R
    from signage.sensing.inference import MeshLandmarks

    m = MeshLandmarks()
    try:
        for line in sys.stdin:
            ref = json.loads(line)
            rgb = cv2.cvtColor(cv2.imread(ref["file"], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            roi = R.Roi(*ref["roi"])
            raw, presence = m.run(R.crop(rgb, roi))
            pts = R.project_landmarks(raw, roi)
            old = np.asarray(ref["points"])
            d = np.linalg.norm(pts[:, :2] - old[:, :2], axis=1)
            corr = float(np.corrcoef(pts[:, :2].ravel(), old[:, :2].ravel())[0, 1])
            emit({"file": os.path.basename(ref["file"]), "face_px": round(roi.side / 1.5, 1), "presence": presence,
                  "max_px": float(d.max()), "mean_px": float(d.mean()), "max_z_px": float(np.abs(pts[:, 2] - old[:, 2]).max()),
                  "r": corr})
    finally:
        m.close()


def letterbox(img: np.ndarray, w: int = 640, h: int = 480) -> np.ndarray:
    scale = min(w / img.shape[1], h / img.shape[0])
    nw, nh = int(round(img.shape[1] * scale)), int(round(img.shape[0] * scale))
    out = np.zeros((h, w, 3), np.uint8)
    y, x = (h - nh) // 2, (w - nw) // 2
    out[y : y + nh, x : x + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


# The frontal faces of the shared photos: the detector's box as fractions of the photo (x, y, w, h).
FACES = {
    "astronaut.png": (0.339, 0.132, 0.201, 0.201),
    "obama_official_portrait.jpg": (0.39, 0.117, 0.315, 0.252),
    "grace_hopper.jpg": (0.325, 0.217, 0.389, 0.332),
    "biden_white_house.jpg": (0.438, 0.104, 0.344, 0.152),
}
SCENE_FRAMES = 90
DEVSET = Path(os.environ.get("DEVSET_DIR", ROOT.parent / "shared" / "devset"))


def face_tile(name: str, side: int) -> np.ndarray:
    """A square cut of a shared photo around its face (the face about half its width)."""
    img = cv2.imread(str(DATA / name))
    h, w = img.shape[:2]
    fx, fy, fw, fh = FACES[name]
    cx, cy, s = (fx + fw / 2) * w, (fy + fh / 2) * h, 2.0 * fw * w
    x0, y0 = int(max(0, cx - s / 2)), int(max(0, cy - s / 2))
    cut = img[y0 : int(min(h, y0 + s)), x0 : int(min(w, x0 + s))]
    return cv2.resize(cut, (side, side), interpolation=cv2.INTER_AREA)


def scene(n: int, w: int, h: int) -> list[np.ndarray]:
    """n faces of the shared photos side by side (rows of up to 5) in a w x h view, each
    drifting a few pixels from frame to frame as people do; no face: the coffee photo."""
    if n == 0:
        still = letterbox(cv2.imread(str(DATA / "coffee.png")), w, h)
        return [np.roll(still, 2 * (i % 20), axis=1) for i in range(SCENE_FRAMES)]
    rows = 1 if n <= 5 else 2
    cols = -(-n // rows)
    side = min(int(w * 0.9 / cols), int(h * 0.9 / rows), int(w * 0.35))
    tiles = [face_tile(name, side) for name in list(FACES) * 3][:n]
    frames = []
    for i in range(SCENE_FRAMES):
        f = np.full((h, w, 3), 90, np.uint8)
        dx, dy = int(6 * np.sin(i / 9)), int(3 * np.cos(i / 7))
        for k, tile in enumerate(tiles):
            r, c = divmod(k, cols)
            x = (w - cols * side) // 2 + c * side + dx
            y = (h - rows * side) // 2 + r * side + dy + 8
            f[y : y + side, x : x + side] = tile
        frames.append(f)
    return frames


def devset_stream() -> list[np.ndarray]:
    """Development photos (a seeded 24 of GENKI-4K and 6 of Yale) in turn on a 640x480 canvas,
    10 frames each, at their own size: a face in every frame, a new face every third of a second."""
    import random

    genki = sorted((DEVSET / "genki4k" / "files").glob("*.jpg"))
    yale = sorted((DEVSET / "yale_expressions" / "files").glob("*.png"))
    if not genki or not yale:
        return []
    rnd = random.Random(0)
    frames = []
    for path in rnd.sample(genki, 24) + rnd.sample(yale, 6):
        img = cv2.imread(str(path))
        f = np.full((480, 640, 3), 90, np.uint8)
        ih, iw = img.shape[:2]
        y, x = (480 - ih) // 2, (640 - iw) // 2
        f[y : y + ih, x : x + iw] = img
        frames += [f] * 10
    return frames


def cost_streams() -> dict[str, tuple[int, list[np.ndarray]]]:
    """{name: (faces in view, frames)}."""
    out = {f"{n:>2} faces {w}x{h}": (n, scene(n, w, h)) for w, h in ((640, 480), (1280, 720)) for n in (0, 1, 3, 10)}
    photos = devset_stream()
    if photos:
        out["devset photos 640x480"] = (1, photos)
    return out


def raw_same_models(seq: list[np.ndarray], n: int) -> tuple[float, int]:
    """The product's two models run as Face Mesh runs its own in stream mode, and nothing else:
    the detector on the whole frame while fewer than n faces are followed, then the landmark
    model on each face's crop, each next ROI from the landmarks; no padding, no tiles, no
    features, no tracking. (CPU seconds, faces found)."""
    from signage.sensing import roi as R
    from signage.sensing.inference import FaceDetector, MeshLandmarks

    det, lm = FaceDetector(0.5), MeshLandmarks()
    try:
        rois: list = []
        found = 0
        cpu0 = time.process_time()
        for img in seq:
            rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            if len(rois) < max(n, 1):
                for d in det.detect(rgb):
                    r = R.roi_from_detection(d.box, d.right_eye, d.left_eye)
                    if len(rois) < max(n, 1) and not any(R.box_iou(r.box(), o.box()) >= 0.5 for o in rois):
                        rois.append(r)
            nxt = []
            for r in rois:
                raw, presence = lm.run(R.crop(rgb, r))
                if presence > 0.5:
                    nxt.append(R.roi_from_landmarks(R.project_landmarks(raw, r)))
            rois = nxt
            found += len(rois)
        return time.process_time() - cpu0, found
    finally:
        det.close()
        lm.close()


def raw_face_mesh(seq: list[np.ndarray], n: int) -> tuple[float, int]:
    """mediapipe 0.10.18's Face Mesh solution in stream mode, max_num_faces = the faces in view."""
    import mediapipe as mp

    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=max(n, 1))
    try:
        found = 0
        cpu0 = time.process_time()
        for img in seq:
            found += len(mesh.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).multi_face_landmarks or [])
        return time.process_time() - cpu0, found
    finally:
        mesh.close()


# Every face's lids made to read "eyes down" (a camera said to be 30 deg above the screen, a cone
# wide enough to keep the heads in it), so every face gets its irises measured, as phone users'
# faces do (signage.sensing.pose.iris_wanted): the pipeline's dearest case.
IRISES_ASKED = {"expression": {"camera_pitch_offset_deg": 30, "looking_max_pitch_deg": 60}}


def whole_pipeline(seq: list[np.ndarray], name: str, cfg: SensingConfig | None = None) -> tuple[float, int]:
    with pipeline_module.SensingPipeline(cfg or SensingConfig()) as pipe:
        measured = 0
        cpu0 = time.process_time()
        for i, f in enumerate(seq):
            res = pipe.process(Frame(f, i / FPS, i, name))
            measured += sum(x.measured for x in res.faces)
        return time.process_time() - cpu0, measured


def job_cost(backend: str, rounds: int) -> None:
    """CPU time per frame, pinned to one core, each stream's jobs in turn within a round;
    a first, short round warms up and is not reported."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    if backend == "legacy":  # the baseline only: LEGACY_COMMIT's analyzer no longer fits today's modules
        jobs = {"raw Face Mesh": lambda seq, n, name: raw_face_mesh(seq, n)}
    else:
        pipeline_module.FaceAnalyzer = analyzer_class(backend)
        jobs = {f"{backend} pipeline": lambda seq, n, name: whole_pipeline(seq, name),
                "raw same models": lambda seq, n, name: raw_same_models(seq, n)}
    for name, (n, seq) in cost_streams().items():
        here = dict(jobs)
        if backend != "legacy" and n in (1, 3) and "640x480" in name and "devset" not in name:
            asked = SensingConfig.model_validate(IRISES_ASKED)
            here[f"{backend} pipeline, irises asked"] = lambda seq, n, name: whole_pipeline(seq, name, asked)
        for r in range(rounds + 1):
            for job, run in here.items():
                cpu, measured = run(seq if r else seq[:15], n, name)
                if r:
                    emit({"job": job, "stream": name, "faces": n, "frames": len(seq), "cpu_s": cpu,
                          "measured": measured})


def main(argv: list[str]) -> None:
    backend, job, *args = argv
    if job == "photos":
        job_photos(backend, args)
    elif job == "landmarks":
        job_landmarks(args)
    elif job == "same-roi":
        job_same_roi()
    elif job == "cost":
        job_cost(backend, int(args[0]))
    else:
        raise SystemExit(f"unknown job {job}")


if __name__ == "__main__":
    main(sys.argv[1:])
