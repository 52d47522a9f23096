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
  cost ROUNDS        CPU time per frame of the whole pipeline on the sample clip and on a
                     portrait stream (a face in every frame); legacy adds raw Face Mesh
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


def streams() -> dict[str, list[np.ndarray]]:
    cap = cv2.VideoCapture(str(DATA / "white_house_hamilton_clip.mp4"))
    clip = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        clip.append(letterbox(f))
    cap.release()
    # a face in every frame: a portrait 200 px wide drifting slowly across a 640x480 view
    face = cv2.resize(cv2.imread(str(DATA / "grace_hopper.jpg")), (200, 240), interpolation=cv2.INTER_AREA)
    portrait = []
    for i in range(150):
        f = np.full((480, 640, 3), 90, np.uint8)
        x, y = 100 + i, 120 + (i % 20)
        f[y : y + 240, x : x + 200] = face
        portrait.append(f)
    return {"clip": clip, "portrait": portrait}


def job_cost(backend: str, rounds: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    pipeline_module.FaceAnalyzer = analyzer_class(backend)
    cfg = SensingConfig()
    frames = streams()
    for name, seq in frames.items():
        for r in range(rounds + 1):  # the first round warms up and is not reported
            faces = measured = 0
            with pipeline_module.SensingPipeline(cfg) as pipe:
                cpu0 = time.process_time()
                for i, f in enumerate(seq):
                    res = pipe.process(Frame(f, i / FPS, i, name))
                    faces += len(res.faces)
                    measured += sum(x.measured for x in res.faces)
                cpu = time.process_time() - cpu0
            if r:
                emit({"job": "pipeline", "stream": name, "frames": len(seq), "cpu_s": cpu,
                      "faces": faces, "measured": measured})
        if backend == "legacy":
            import mediapipe as mp

            for r in range(rounds + 1):
                rgb = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in seq]
                found = 0
                mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=cfg.landmarks.max_faces)
                cpu0 = time.process_time()
                for f in rgb:
                    found += len(mesh.process(f).multi_face_landmarks or [])
                cpu = time.process_time() - cpu0
                mesh.close()
                if r:
                    emit({"job": "raw Face Mesh", "stream": name, "frames": len(seq), "cpu_s": cpu, "faces": found,
                          "measured": found})


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
