"""Sensing benchmark: raw MediaPipe Face Mesh against the whole signage pipeline.

    .venv/bin/python bench/sensing.py [--rounds 3] [--cores 1]

On the same 640x480 frames (the sample clip, letterboxed from 640x360), it measures
per-frame latency of
  - raw Face Mesh alone (mp.solutions.face_mesh, stream mode, the same face limit), and
  - the whole pipeline: BGR->RGB, full-range detection, landmarks, features,
    tracking and aggregation,
interleaved over several rounds (the machine is shared and noisy), pinned to one
core, and prints their ratio, frames per second and CPU use. Then the reaction time
from the first frame of a smiling face to the snapshot's smile ratio crossing 0.5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import cv2  # noqa: E402
import mediapipe as mp  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signage.config import SensingConfig  # noqa: E402
from signage.sensing.pipeline import SensingPipeline  # noqa: E402
from signage.sensing.types import Frame  # noqa: E402

DATA = ROOT / "tests" / "data"
FPS = 30.0


def letterbox(img: np.ndarray, w: int = 640, h: int = 480) -> np.ndarray:
    scale = min(w / img.shape[1], h / img.shape[0])
    nw, nh = int(round(img.shape[1] * scale)), int(round(img.shape[0] * scale))
    out = np.zeros((h, w, 3), np.uint8)
    y, x = (h - nh) // 2, (w - nw) // 2
    out[y : y + nh, x : x + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def clip_frames() -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(DATA / "white_house_hamilton_clip.mp4"))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(letterbox(f))
    cap.release()
    return frames


FOUND = {"raw Face Mesh": 0, "whole pipeline": 0, "whole pipeline (measured)": 0}


def time_raw(frames: list[np.ndarray], max_faces: int) -> tuple[list[float], float]:
    rgb = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in frames]
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=max_faces, refine_landmarks=False)
    lat = []
    cpu0 = time.process_time()
    for f in rgb:
        t0 = time.perf_counter()
        res = mesh.process(f)
        lat.append(time.perf_counter() - t0)
        FOUND["raw Face Mesh"] += len(res.multi_face_landmarks or [])
    cpu = time.process_time() - cpu0
    mesh.close()
    return lat, cpu


def time_pipeline(frames: list[np.ndarray], cfg: SensingConfig) -> tuple[list[float], float]:
    lat = []
    with SensingPipeline(cfg) as pipe:
        cpu0 = time.process_time()
        for i, f in enumerate(frames):
            frame = Frame(f, i / FPS, i, "bench")
            t0 = time.perf_counter()
            res = pipe.process(frame)
            lat.append(time.perf_counter() - t0)
            FOUND["whole pipeline"] += len(res.faces)
            FOUND["whole pipeline (measured)"] += sum(f.measured for f in res.faces)
        cpu = time.process_time() - cpu0
    return lat, cpu


def reaction(cfg: SensingConfig, offsets: range) -> list[float]:
    """Seconds from the first frame showing a smiling face to smile_ratio >= 0.5,
    for several phases of the detector's schedule."""
    empty = letterbox(cv2.imread(str(DATA / "coffee.png")))
    smiling = letterbox(cv2.imread(str(DATA / "astronaut.png")))
    out = []
    with SensingPipeline(cfg) as pipe:
        for off in offsets:
            pipe.reset()
            seq = [empty] * (30 + off) + [smiling] * 60
            first = 30 + off
            for i, img in enumerate(seq):
                snap = pipe.process(Frame(img, i / FPS, i, "bench")).audience
                if i >= first and snap.smile_ratio >= 0.5:
                    out.append((i - first) / FPS)
                    break
            else:
                out.append(float("inf"))
    return out


def realtime(cfg: SensingConfig) -> tuple[int, int, float]:
    """The clip played at its own rate like a camera (decoding thread included, same core):
    frames analysed and frames the capture had to drop."""
    from signage.sensing.sources import VideoFileSource

    n = 0
    t0 = time.perf_counter()
    with VideoFileSource(str(DATA / "white_house_hamilton_clip.mp4"), realtime=True) as src, SensingPipeline(cfg) as pipe:
        while (frame := src.read(timeout=2.0)) is not None:
            pipe.process(Frame(letterbox(frame.image), frame.t, frame.index, frame.source))
            n += 1
        dropped = src.stats.dropped
    return n, dropped, time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cores", type=int, default=1, help="pin to this many cores (default 1)")
    args = ap.parse_args()
    if args.cores and hasattr(os, "sched_setaffinity"):
        avail = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, set(avail[: args.cores]))
    cfg = SensingConfig()
    frames = clip_frames()
    print(f"frames: {len(frames)} x 640x480 (sample clip, letterboxed); cores: {len(os.sched_getaffinity(0))}")
    print(f"pipeline: detector every {cfg.detector.interval_s}s, landmarks on up to {cfg.landmarks.max_faces} faces")

    raw_all, pipe_all, raw_cpu, pipe_cpu = [], [], 0.0, 0.0
    time_pipeline(frames[:30], cfg)  # warm-up (model load, allocator)
    time_raw(frames[:30], cfg.landmarks.max_faces)
    for k in FOUND:
        FOUND[k] = 0
    for _ in range(args.rounds):
        lat, cpu = time_raw(frames, cfg.landmarks.max_faces)
        raw_all += lat
        raw_cpu += cpu
        lat, cpu = time_pipeline(frames, cfg)
        pipe_all += lat
        pipe_cpu += cpu

    def row(name: str, lat: list[float], cpu: float) -> float:
        mean = statistics.fmean(lat) * 1000
        print(
            f"  {name:<22} mean {mean:6.2f} ms  median {pct(lat, 50) * 1000:6.2f}  p95 {pct(lat, 95) * 1000:6.2f}"
            f"  max {max(lat) * 1000:6.2f}  -> {1000 / mean:5.1f} fps, CPU {cpu / sum(lat):.0%} of one core"
        )
        return mean

    print("per-frame latency over", args.rounds, "interleaved rounds:")
    raw_mean = row("raw Face Mesh", raw_all, raw_cpu)
    pipe_mean = row("whole pipeline", pipe_all, pipe_cpu)
    print(f"  ratio pipeline / raw Face Mesh: mean {pipe_mean / raw_mean:.2f}x, "
          f"median {pct(pipe_all, 50) / pct(raw_all, 50):.2f}x")
    n = args.rounds * len(frames)
    print("  faces found per frame: " + ", ".join(f"{k} {v / n:.2f}" for k, v in FOUND.items()))
    print(f"  30 fps budget (33.3 ms): pipeline p95 {pct(pipe_all, 95) * 1000:.1f} ms, "
          f"{'sustained' if pct(pipe_all, 95) * 1000 < 33.3 else 'NOT sustained'}")

    n, dropped, secs = realtime(cfg)
    print(f"real time (clip paced at 30 fps, decoder on the same core): {n} frames analysed, {dropped} dropped "
          f"({dropped / (n + dropped):.1%}) in {secs:.1f} s")

    r = reaction(cfg, range(int(cfg.detector.interval_s * FPS) + 1))
    print(f"reaction (first smiling frame -> smile_ratio >= 0.5), {len(r)} phases of the detector schedule: "
          f"mean {statistics.fmean(r):.3f} s, max {max(r):.3f} s")


if __name__ == "__main__":
    main()
