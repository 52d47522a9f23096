"""Stream tiles by resolution: how many faces a stream finds, how soon, and at what CPU cost.

    .venv/bin/python bench/tiles.py [--only photos|crowds|empty] [--seconds 8] [--variants 2,auto]

Each stream runs through the real analyzer (MediaPipe) with an injected clock (stream time,
15 fps), for each way of tiling in the same run: a fixed grid (2, 3, 4: one place a detector
run, every other run), "auto" with one place a run, and "auto" as shipped (one place a run,
or more when the grid is large: a whole turn in at most detection.STREAM_TURN_RUNS runs).

1. photos: each face photo of tests/data (the Solvay group: 29 faces) letterboxed into
   640x480, 1280x720 and 1920x1080 frames and streamed still: the faces the photo analysis
   (still=True, every grid) finds in the same frame are the reference; per stream, the
   reference faces found (at any time), the faces in the last frame, the seconds of stream
   time until each reference face is first found (median, max), and CPU per frame;
2. crowds: GENKI-4K faces (../shared/devset or $DEVSET_DIR) walking across a 1920x1080 view
   at 2-6 widths/s, staggered (bench/passersby.py's crowd), about 40 and 54 px wide:
   passers-by (confirmed tracks) against the truth, CPU per frame;
3. empty: face-free streams (the coffee and chelsea photos panned) at 1280x720 and 1920x1080:
   every face is a false one.

CPU per frame is the analyzing thread's CPU time (time.thread_time), mean and the worst frame.
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
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
if "DEVSET_DIR" not in os.environ and not (ROOT.parent / "shared" / "devset").is_dir():
    os.environ["DEVSET_DIR"] = "/work/shared/devset"

from media import letterbox, load  # noqa: E402
from synthetic import render  # noqa: E402

from signage.config import SensingConfig  # noqa: E402
from signage.sensing import detection  # noqa: E402
from signage.sensing.analyzer import FaceAnalyzer  # noqa: E402
from signage.sensing.detection import same_face  # noqa: E402
from signage.sensing.pipeline import SensingPipeline  # noqa: E402
from signage.sensing.types import Frame  # noqa: E402

FPS = 15.0
SIZES = ((640, 480), (1280, 720), (1920, 1080))
PHOTOS = ("solvay_1927.png", "biden_white_house.jpg", "grace_hopper.jpg", "obama_official_portrait.jpg",
          "astronaut.png", "camera.png")
# label -> (detector.stream_tiles, detection.STREAM_TURN_RUNS or None for the shipped one)
VARIANTS = {"2": (2, None), "3": (3, None), "4": (4, None), "auto 1/run": ("auto", 10**6), "auto": ("auto", None)}


class Variant:
    """The analyzer's settings for one way of tiling, the turn bound set while it runs."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tiles, self.turn = VARIANTS[label]
        self.cfg = SensingConfig(detector={"stream_tiles": self.tiles})

    def __enter__(self) -> SensingConfig:
        self._saved = detection.STREAM_TURN_RUNS
        if self.turn is not None:
            detection.STREAM_TURN_RUNS = self.turn
        return self.cfg

    def __exit__(self, *exc: object) -> None:
        detection.STREAM_TURN_RUNS = self._saved


def cpu_line(costs: list[float]) -> str:
    return f"CPU/frame mean {1e3 * statistics.fmean(costs):5.1f} ms, worst {1e3 * max(costs):5.1f} ms"


# ----------------------------------------------------------------------------- photos
def photos(labels: list[str], seconds: float, names: list[str]) -> None:
    print(f"1. still photos streamed for {seconds:g} s at {FPS:g} fps (reference: the photo analysis of the same frame)")
    with FaceAnalyzer(SensingConfig()) as still:
        for name in names:
            img = load(name)
            for w, h in SIZES:
                frame = letterbox(img, w, h)
                ref = [f.box for f in still.analyze(Frame(frame, 0.0, 0, name), still=True)]
                grid = detection.stream_grid(w, h)
                print(f"  {name} at {w}x{h}: photo analysis {len(ref)} faces; auto grid {grid}")
                for label in labels:
                    with Variant(label) as cfg, FaceAnalyzer(cfg) as an:
                        first: dict[int, float] = {}
                        costs, last = [], []
                        for i in range(int(seconds * FPS)):
                            t = i / FPS
                            t0 = time.thread_time()
                            last = an.analyze(Frame(frame, t, i, name))
                            costs.append(time.thread_time() - t0)
                            for k, box in enumerate(ref):
                                if k not in first and any(same_face(box, f.box) for f in last):
                                    first[k] = t
                        when = sorted(first.values())
                        soon = (f"first found after median {statistics.median(when):4.1f} s, last {when[-1]:4.1f} s"
                                if when else "none found")
                        print(f"    tiles {label:<10} found {len(first):2d}/{len(ref)}, {len(last):2d} in the last frame; "
                              f"{soon}; {cpu_line(costs)}; detector passes {an.detector_runs}")


# ----------------------------------------------------------------------------- crowds
def passers_by(cfg: SensingConfig, frames, fps: float) -> tuple[int, int, list[float]]:
    seen, costs, most = set(), [], 0
    with SensingPipeline(cfg) as pipe:
        for i, img in enumerate(frames):
            t0 = time.thread_time()
            faces, tracks = pipe.track(Frame(img, i / fps, i, "bench"))
            costs.append(time.thread_time() - t0)
            seen.update(tr.id for tr in tracks)
            most = max(most, len(faces))
    return len(seen), most, costs


def crowds(labels: list[str], n: int) -> None:
    from passersby import crowd, devset_faces

    faces, where = devset_faces(n)
    bg = load("coffee.png")
    print(f"2. walking crowds at 1920x1080, {FPS:g} fps (faces: {where})")
    for photo_px in (90, 120):
        for seed in (0, 1):
            movers = crowd(faces, photo_px, seed)
            frames = list(render([(bg, movers, None)], FPS, (1920, 1080)))
            print(f"  {len(faces)} faces about {round(photo_px * 0.45)} px wide walking across (seed {seed}), "
                  f"{len(frames) / FPS:.1f} s: truth {len(faces)}")
            for label in labels:
                with Variant(label) as cfg:
                    got, most, costs = passers_by(cfg, iter(frames), FPS)
                print(f"    tiles {label:<10} passers-by {got:2d}, most faces in a frame {most:2d}; {cpu_line(costs)}")


# ----------------------------------------------------------------------------- empty
def empty(labels: list[str]) -> None:
    print(f"3. face-free streams (a slow pan over the photo, 6 s at {FPS:g} fps)")
    for name in ("coffee.png", "chelsea.png"):
        img = load(name)
        h, w = img.shape[:2]
        n = int(6 * FPS)
        pan = [np.ascontiguousarray(img[:, int(w * 0.2 * i / n): int(w * 0.2 * i / n) + int(w * 0.8)]) for i in range(n)]
        for size in SIZES[1:]:
            frames = [letterbox(f, *size) for f in pan]
            for label in labels:
                with Variant(label) as cfg:
                    got, most, costs = passers_by(cfg, iter(frames), FPS)
                print(f"  {name} {size[0]}x{size[1]} tiles {label:<10} passers-by {got}, most faces in a frame {most}; "
                      f"{cpu_line(costs)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("photos", "crowds", "empty"), action="append")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--photos", default=",".join(PHOTOS))
    ap.add_argument("--crowd", type=int, default=10, help="faces in a walking crowd")
    args = ap.parse_args()
    labels = args.variants.split(",")
    unknown = [v for v in labels if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"--variants: unknown {unknown}; choose from {list(VARIANTS)}")
    jobs = args.only or ["photos", "crowds", "empty"]
    cv2.setNumThreads(1)
    if "photos" in jobs:
        photos(labels, args.seconds, args.photos.split(","))
    if "crowds" in jobs:
        crowds(labels, args.crowd)
    if "empty" in jobs:
        empty(labels)


if __name__ == "__main__":
    main()
