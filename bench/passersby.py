"""Passers-by against the truth: the shared clip, counted by eye per scene, and synthetic
streams made at run time from real photos (GENKI-4K faces from ../shared/devset, moved across
a canvas at walking speeds, missed for a while, crossing, cut between two people).

    .venv/bin/python bench/passersby.py [--only clip|synthetic|cost] [--pair K] [--match TEXT]

Each stream runs through the real analyzer twice in the same run: with the tracker of the
baseline commit (box overlap only, max_age_s 1 s, no cut detection; its source is read
from git) and with the current pipeline (signage.sensing.pipeline.SensingPipeline.track).
Passers-by = confirmed tracks over the whole stream (what the audience window and the
people counter count). The devset images are read from ../shared/devset (or
$DEVSET_DIR) and never written anywhere; without it the synthetic part uses the
photos in tests/data.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
DATA = ROOT / "tests" / "data"
DEVSET = Path(os.environ.get("DEVSET_DIR", ROOT.parent / "shared" / "devset"))
BASELINE = "3f4554f"  # the tracker before this work (IoU only)

from signage.config import SensingConfig, TrackerConfig  # noqa: E402
from signage.sensing.pipeline import SensingPipeline  # noqa: E402
from signage.sensing.types import Frame  # noqa: E402
from synthetic import Mover, cover, paste, render  # noqa: E402

# The shared clip (tests/data/white_house_hamilton_clip.mp4, 275 frames, 640x360, 29.97 fps),
# counted by eye on 2026-12-02 from full-size frames (every 10th frame, and frames 5, 18,
# 30, 55, 215, 250): the first frame of each scene, the faces a viewer can make out in it
# (profiles included; backs of heads and out-of-focus blobs not), and at most the faces
# including the blurred or half-cut ones. Scene starts are the cuts (0.08, 0.34 and 0.49
# correlation of the frames' colour summaries, every other frame >= 0.83).
CLIP_SCENES = [
    # (first frame, truth, at most, what is seen)
    (0, 2, 2, "wide stage shot: the singer standing, the pianist seated at left (2 backs of heads in front)"),
    (20, 2, 5, "close profile of the pianist, and behind him the audience out of focus: a woman in red "
               "clear from frame ~45, 2-3 more blurred faces"),
    (82, 1, 1, "the singer alone, frontal, moving"),
    (211, 4, 6, "the audience: 3 seated in front (left, middle, right), a man laughing behind at left; "
                "2 half-cut faces at the edges; backs of heads in front"),
]
CLIP_FPS = 29.97
CROWD = 6  # faces in the crowd streams (other devset faces than the pair's)


def baseline_tracker():
    """The baseline commit's tracker class, from git (its source only; today's other modules)."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE}:signage/sensing/tracker.py"],
                         check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "baseline_tracker.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("baseline_tracker", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["baseline_tracker"] = mod
    spec.loader.exec_module(mod)
    return mod.AnonymousTracker


def run(frames: Iterator[np.ndarray], fps: float, old_cls=None) -> tuple[list[tuple[int, float]], int]:
    """Confirmed tracks of a stream, (id, first_seen) each, and the cuts found; a new pipeline
    for each stream (the analyzer's turn of stream tiles starts the same way each time)."""
    cfg = SensingConfig()
    old = None if old_cls is None else old_cls(TrackerConfig(max_age_s=1.0), cfg.expression)
    seen: dict[int, float] = {}
    with SensingPipeline(cfg) as pipe:
        for i, img in enumerate(frames):
            frame = Frame(img, i / fps, i, "bench")
            if old is None:
                _, tracks = pipe.track(frame)
            else:
                tracks = old.update(pipe.analyzer.analyze(frame), frame.t)
            for tr in tracks:
                seen.setdefault(tr.id, tr.first_seen)
        return sorted(seen.items()), pipe.cuts.cuts


def clip_frames() -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(DATA / "white_house_hamilton_clip.mp4"))
    out = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        out.append(f)
    cap.release()
    return out


def clip(old_cls) -> None:
    frames = clip_frames()
    starts = [s for s, *_ in CLIP_SCENES]
    print(f"shared clip ({len(frames)} frames): passers-by per scene (truth by eye, at most)")
    rows = []
    for label, cls in (("baseline", old_cls), ("now", None)):
        tracks, cuts = run(iter(frames), CLIP_FPS, cls)
        per = [0] * len(starts)
        for _, first in tracks:
            k = max(i for i, s in enumerate(starts) if first * CLIP_FPS + 1e-6 >= s)
            per[k] += 1
        rows.append((label, per, len(tracks)))
        if cls is None:
            print(f"  scene cuts found: {cuts} (truth {len(starts) - 1})")
    for k, (start, truth, most, what) in enumerate(CLIP_SCENES):
        print(f"  scene {k + 1} from frame {start:3d}: truth {truth} (at most {most}); "
              + ", ".join(f"{label} {per[k]}" for label, per, _ in rows) + f"  [{what}]")
    truth, most = sum(s[1] for s in CLIP_SCENES), sum(s[2] for s in CLIP_SCENES)
    print(f"  whole clip: truth {truth} (at most {most}); " + ", ".join(f"{label} {n}" for label, _, n in rows))


# ----------------------------------------------------------------------------- synthetic
def devset_faces(n: int) -> tuple[list[np.ndarray], str]:
    """``n`` frontal GENKI-4K photos (seeded order; the first ``n`` that the analyzer finds as
    exactly one face when pasted 110 px wide on the background: some GENKI photos are small
    faces in a wide, dark or blurred shot), or the tests/data portraits without the devset."""
    labels = DEVSET / "genki4k" / "labels.csv"
    if not labels.is_file():
        names = ["grace_hopper.jpg", "obama_official_portrait.jpg", "astronaut.png"]
        return [cv2.imread(str(DATA / x)) for x in names][:n], f"tests/data ({DEVSET} not present)"
    from signage.sensing.analyzer import FaceAnalyzer

    rows = [r for r in csv.DictReader(open(labels)) if abs(float(r["yaw_deg"])) < 10 and abs(float(r["pitch_deg"])) < 10]
    random.Random(0).shuffle(rows)
    bg = cover(cv2.imread(str(DATA / "coffee.png")), (640, 480))
    picked, names, tried = [], [], 0
    with FaceAnalyzer(SensingConfig()) as analyzer:
        for r in rows:
            photo = cv2.imread(str(DEVSET / "genki4k" / r["file"]))
            view = bg.copy()
            paste(view, Mover(photo, 110, 0.0).patch(), 320, 200)
            tried += 1
            if len(analyzer.analyze(Frame(view, 0.0, 0, "pick"), still=True)) == 1:
                picked.append(photo)
                names.append(Path(r["file"]).stem.replace("file", ""))
                if len(picked) == n:
                    break
    return picked, f"GENKI-4K {' '.join(names)} (first {n} of {tried} tried giving one face)"


@dataclass
class Seq:
    name: str
    truth: int
    frames: Callable[[], Iterator[np.ndarray]]
    fps: float


def crowd(faces: list[np.ndarray], width_px: int, seed: int = 0) -> list[Mover]:
    """Each face once, walking across at 2-6 widths/s either way, on rows apart by at least a
    face, coming in at staggered times over 4 s (seeded)."""
    rng = random.Random(seed)
    rows = [0.2 + 0.6 * k / max(1, len(faces) - 1) for k in range(len(faces))]
    rng.shuffle(rows)
    return [Mover(f, width_px, speed_w=rng.uniform(2, 6) * rng.choice((-1, 1)), row=r, delay=rng.uniform(0, 4))
            for f, r in zip(faces, rows)]


def sequences(faces: list[np.ndarray], group: list[np.ndarray] | None = None) -> list[Seq]:
    bg_a = cv2.imread(str(DATA / "coffee.png"))
    bg_b = cv2.imread(str(DATA / "chelsea.png"))
    out: list[Seq] = []
    a, b = faces[0], faces[1]

    def add(name, truth, fps, size, scenes):
        out.append(Seq(f"{name} @{fps:g} fps {size[0]}x{size[1]}", truth,
                       lambda scenes=scenes, fps=fps, size=size: render(scenes, fps, size), fps))

    for size, face_px in (((640, 480), 110), ((1280, 720), 130)):
        w = face_px
        for fps in (15, 30):
            for speed in (3, 9):  # face widths per second: oblique walk, walking straight across
                add(f"one face walks across, {speed} widths/s", 1, fps, size,
                    [(bg_a, [Mover(a, w, speed_w=speed)], None)])
            for gap in (0.5, 1.0, 1.5, 2.0):
                add(f"one face walks (3 widths/s), missed {gap:g} s", 1, fps, size,
                    [(bg_a, [Mover(a, w, speed_w=3, gap=(0.45, gap))], None)])
            add("one face walks (9 widths/s), missed 0.5 s", 1, fps, size,
                [(bg_a, [Mover(a, w, speed_w=9, gap=(0.45, 0.5))], None)])
        fps = 15
        add("one face stands, turned away 2 s", 1, fps, size,
            [(bg_a, [Mover(a, w, speed_w=0.2, gap=(0.4, 2.0), duration=5.0)], None)])
        add("two faces cross (3 widths/s each)", 2, fps, size,
            [(bg_a, [Mover(a, w, speed_w=3), Mover(b, w, speed_w=-3)], None)])
        add("two faces cross (9 widths/s each)", 2, fps, size,
            [(bg_a, [Mover(a, w, speed_w=9), Mover(b, w, speed_w=-9)], None)])
        add("scene cut: one face, then another at the same place", 2, fps, size,
            [(bg_a, [Mover(a, w, speed_w=0.2, duration=2.0)], 2.0), (bg_b, [Mover(b, w, speed_w=0.2, duration=2.0)], 2.0)])
        add("same view: one face replaced by another at the same place (no cut)", 2, fps, size,
            [(bg_a, [Mover(a, w, speed_w=0.2, duration=2.0)], 2.0), (bg_a, [Mover(b, w, speed_w=0.2, duration=2.0)], 2.0)])
        add("two faces cross (9 widths/s each)", 2, 30, size,
            [(bg_a, [Mover(a, w, speed_w=9), Mover(b, w, speed_w=-9)], None)])
        # the price of holding a lost track for max_age_s: someone taking the place of
        # someone else within it, in the same view, is taken for them
        add("one face leaves the middle, another comes to the same place 1.5 s later", 2, fps, size,
            [(bg_a, [Mover(a, w, speed_w=0.2, duration=2.0)], 2.0), (bg_a, [], 1.5),
             (bg_a, [Mover(b, w, speed_w=0.2, duration=2.0)], 2.0)])
        add("one face leaves the middle, another comes to the same place 3 s later", 2, fps, size,
            [(bg_a, [Mover(a, w, speed_w=0.2, duration=2.0)], 2.0), (bg_a, [], 3.0),
             (bg_a, [Mover(b, w, speed_w=0.2, duration=2.0)], 2.0)])
        add("one face walks out at the right, another walks in there 1.5 s later", 2, fps, size,
            [(bg_a, [Mover(a, w, speed_w=3)], None), (bg_a, [], 1.5), (bg_a, [Mover(b, w, speed_w=-3)], None)])
        add("no face (the background, panned)", 0, fps, size, [(bg_a, [], 4.0)])
        if group:
            for fps in (15, 30):
                add(f"a crowd: {len(group)} faces walking across at 2-6 widths/s, staggered", len(group), fps, size,
                    [(bg_a, crowd(group, round(w * 0.7)), None)])
    return out


def synthetic(old_cls, pair: int, only: str | None = None) -> None:
    every, where = devset_faces(2 * pair + 2 + CROWD)
    faces, group = every[2 * pair:2 * pair + 2], every[2 * pair + 2:]
    if len(faces) < 2:
        print(f"synthetic streams: no pair {pair} of faces ({where})")
        return
    print(f"synthetic streams (faces: {where}; backgrounds: tests/data coffee.png, chelsea.png)")
    tot = {"baseline": 0, "now": 0}
    seqs = [s for s in sequences(faces, group) if only is None or only in s.name]
    for seq in seqs:
        got = {}
        for label, cls in (("baseline", old_cls), ("now", None)):
            got[label] = len(run(seq.frames(), seq.fps, cls)[0])
            tot[label] += got[label] == seq.truth
        print(f"  {seq.name:<86} truth {seq.truth}: baseline {got['baseline']}, now {got['now']}")
    n = len(seqs)
    print(f"  right: baseline {tot['baseline']}/{n}, now {tot['now']}/{n}")


# ----------------------------------------------------------------------------- cost
def cost(old_cls, rounds: int = 5) -> None:
    """CPU per frame of what this work adds (the cut detector's summary and test, the new
    association) against the baseline tracker and against the whole pipeline, on the same
    frames and faces: 3 faces walking across 640x480 and 1280x720 at 15 fps."""
    import time

    from signage.sensing.cuts import CutDetector
    from signage.sensing.tracker import AnonymousTracker

    faces, _ = devset_faces(3)
    bg = cv2.imread(str(DATA / "coffee.png"))
    print("cost: CPU ms per frame (thread CPU time, median of rounds), 3 faces walking at 3 widths/s, 15 fps")
    for size in ((640, 480), (1280, 720)):
        movers = [Mover(f, 110, speed_w=3 * (-1) ** k, row=0.3 + 0.2 * k) for k, f in enumerate(faces)]
        frames = list(render([(bg, movers, None)], 15, size))
        cfg = SensingConfig()
        with SensingPipeline(cfg) as pipe:
            t0 = time.thread_time()
            seen = [pipe.track(Frame(img, i / 15, i, "cost"))[0] for i, img in enumerate(frames)]
            whole = (time.thread_time() - t0) / len(frames)

        def per_frame(fn) -> float:
            out = []
            for _ in range(rounds):
                t0 = time.thread_time()
                fn()
                out.append((time.thread_time() - t0) / len(frames))
            return sorted(out)[len(out) // 2]

        def old_run():
            trk = old_cls(TrackerConfig(max_age_s=1.0), cfg.expression)
            for i, f in enumerate(seen):
                trk.update(f, i / 15)

        def new_run():
            trk, cuts = AnonymousTracker(cfg.tracker, cfg.expression), CutDetector(0.6, 8.0)
            for i, (img, f) in enumerate(zip(frames, seen)):
                if cuts(img):
                    trk.cut()
                trk.update(f, i / 15, size)

        def cuts_only():
            cuts = CutDetector(0.6, 8.0)
            for img in frames:
                cuts(img)

        o, n, c = per_frame(old_run), per_frame(new_run), per_frame(cuts_only)
        print(f"  {size[0]}x{size[1]}, {np.mean([len(f) for f in seen]):.2f} faces/frame: whole pipeline "
              f"{whole * 1e3:.2f} ms; baseline tracker {o * 1e3:.3f} ms; now tracker + cut detector {n * 1e3:.3f} ms "
              f"(of which the cut detector {c * 1e3:.3f} ms): +{(n - o) * 1e3:.3f} ms, "
              f"{100 * (n - o) / whole:.1f}% of the pipeline")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("clip", "synthetic", "cost"), action="append")
    ap.add_argument("--pair", type=int, default=0, help="which pair of devset faces: 0 (the first two), 1, ...")
    ap.add_argument("--match", help="only the synthetic streams whose name contains this")
    args = ap.parse_args()
    jobs = args.only or ["clip", "synthetic", "cost"]
    old_cls = baseline_tracker()
    if "clip" in jobs:
        clip(old_cls)
    if "synthetic" in jobs:
        synthetic(old_cls, args.pair, args.match)
    if "cost" in jobs:
        cost(old_cls)


if __name__ == "__main__":
    main()
