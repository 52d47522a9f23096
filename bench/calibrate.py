"""Print the measurements the sensing thresholds are derived from.

    .venv/bin/python bench/calibrate.py

1. For every face in the labelled photos and a sample of the clip's frames: head pose
   and the raw expression geometry (in units of the outer-eye-corner distance, in the
   face's own frame), next to the label by eye. The ramps in
   signage/sensing/features.py run from the top of the neutral range to the bottom of
   the clear smiles.
2. A size sweep: each frontal face shrunk to a given detector-box width, to find the
   smallest face whose expression and pose still hold (landmarks.min_face_px).
3. Detection range on a 640x480 stream: the same faces at known widths in a 640x480
   frame, analysed as a stream, with and without detector.stream_tiles.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signage.config import SensingConfig  # noqa: E402
from signage.sensing import features  # noqa: E402
from signage.sensing.pose import Pose, head_pose  # noqa: E402
from signage.sensing.analyzer import FaceAnalyzer  # noqa: E402
from signage.sensing.types import Frame  # noqa: E402

DATA = ROOT / "tests" / "data"
PHOTOS = {
    "astronaut.png": "smile",
    "obama_official_portrait.jpg": "smile",
    "obama_official_portrait_240p.jpg": "smile",
    "grace_hopper.jpg": "neutral",
    "biden_white_house.jpg": "neutral",
    "camera.png": "profile",
    "solvay_1927.png": "neutral (group)",
}
CLIP_FRAMES = {0: "tiny, wide shot", 85: "smile, singing", 150: "neutral, talking", 240: "laughing, turned 45-90"}


class _Recorder(FaceAnalyzer):
    """The analyzer, also recording the raw geometry of each face it measures."""

    def __init__(self, cfg: SensingConfig) -> None:
        super().__init__(cfg)
        self.rows: list[tuple[Pose, features.MouthAndBrows, float]] = []

    def _observe(self, points, score, *rest):
        obs = super()._observe(points, score, *rest)
        self.rows.append((head_pose(points), features.mouth_and_brows(points), obs.box[2]))
        return obs


def show(label: str, rec: _Recorder, limit: int = 3) -> None:
    for pose, g, w in rec.rows[:limit]:
        print(
            f"  {label:<42} w={w:5.0f}px yaw={pose.yaw:+6.1f} pitch={pose.pitch:+6.1f}  width={g.mouth_width:.3f} "
            f"lift={g.corner_lift:+.3f} gap={g.lip_gap:.3f} brow={g.brow_height:.3f}"
        )
    rec.rows.clear()


def main() -> None:
    cfg = SensingConfig(landmarks={"min_face_px": 16})
    print("1. raw geometry (IOD units) by label")
    with _Recorder(cfg) as rec:
        for name, label in PHOTOS.items():
            rec.analyze(Frame(cv2.imread(str(DATA / name)), 0.0, 0, name), still=True)
            show(f"{name} [{label}]", rec)
        cap = cv2.VideoCapture(str(DATA / "white_house_hamilton_clip.mp4"))
        for idx, label in CLIP_FRAMES.items():
            cap.set(cv2.CAP_PROP_POS_FRAMES, idx)
            ok, img = cap.read()
            rec.analyze(Frame(img, 0.0, 0, "clip"), still=True)
            show(f"clip frame {idx} [{label}]", rec)

        print("\n2. size sweep: expression/smile/yaw by detector-box width (px)")
        for name, box_w in [("astronaut.png", 103), ("obama_official_portrait.jpg", 287),
                            ("grace_hopper.jpg", 200), ("biden_white_house.jpg", 334)]:
            img = cv2.imread(str(DATA / name))
            cells = []
            for target in (48, 40, 32, 28, 24, 20, 16):
                f = target / box_w
                small = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
                canvas = np.full((max(240, small.shape[0]), max(320, small.shape[1]), 3), 80, np.uint8)
                canvas[: small.shape[0], : small.shape[1]] = small
                faces = rec.analyze(Frame(canvas, 0.0, 0, name), still=True)
                rec.rows.clear()
                cells.append(
                    f"{target}:" + (",".join(f"{x.expression or '-'}/{x.smile}" for x in faces) or "none")
                )
            print(f"  {name:<30} " + "  ".join(cells))

    print("\n3. stream range at 640x480: faces found (m = measured) by detector-box width (px)")
    for tiles in (0, 2):
        with FaceAnalyzer(SensingConfig(detector={"stream_tiles": tiles})) as an:
            for name, box_w in [("astronaut.png", 103), ("grace_hopper.jpg", 200), ("obama_official_portrait.jpg", 287)]:
                img = cv2.imread(str(DATA / name))
                cells = []
                for target in (48, 40, 32, 28, 24, 20, 16):
                    f = target / box_w
                    small = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)[:380, :340]
                    canvas = np.full((480, 640, 3), 80, np.uint8)
                    canvas[100 : 100 + small.shape[0], 300 : 300 + small.shape[1]] = small
                    an.reset()
                    for i in range(12):  # 2.4 s at 5 detector runs a second: every tile visited
                        faces = an.analyze(Frame(canvas, i * 0.2, i, name))
                    cells.append(f"{target}:{len(faces)}{'m' if faces and faces[0].measured else ''}")
                print(f"  stream_tiles={tiles} {name:<30} " + "  ".join(cells))


if __name__ == "__main__":
    main()
