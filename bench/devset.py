"""The development set (../shared/devset) for training and scoring: labels, honest folds, and
each image's largest face as Face Mesh landmarks, cached outside the project.

    .venv/bin/python bench/devset.py            # build (or check) the landmark cache, print a summary

The images stay in ../shared/devset (never copied into the project). Their landmarks are
derived data of third-party photos, so they are cached under ~/.cache/signage/devset/, never
in the repository; the cache is keyed by the sensing code and models that made it.

Folds: GENKI-4K is sorted by label and has 10 byte-identical pairs, so images are shuffled
with a seed and identical files share a group (and so a fold); Yale is split by subject.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEVSET = Path(os.environ.get("DEVSET_DIR", ROOT.parent / "shared" / "devset"))
CACHE = Path(os.environ.get("DEVSET_CACHE", Path.home() / ".cache" / "signage" / "devset"))
# What finds the faces and their landmarks: a change to any of these makes a new cache (the
# analyzer's _observe, which turns landmarks into scalars, and the other models do not count).
_KEYED = ["signage/sensing/analyzer.py", "signage/sensing/detection.py", "signage/sensing/roi.py",
          "signage/sensing/inference.py"]
_KEYED_MODELS = ("face_detection_full_range_sparse.tflite", "face_landmark.tflite")


@dataclass(frozen=True)
class Item:
    set: str  # "genki" or "yale"
    file: Path
    group: str  # images that must share a fold: a GENKI duplicate pair, a Yale subject
    smile: int
    expression: str  # GENKI: "smile" / "other"; Yale: happy, neutral, sad, surprised, sleepy, wink
    yaw: float | None = None
    pitch: float | None = None
    roll: float | None = None


def available() -> bool:
    return (DEVSET / "genki4k" / "labels.csv").is_file() and (DEVSET / "yale_expressions" / "labels.csv").is_file()


def genki() -> list[Item]:
    base = DEVSET / "genki4k"
    rows = list(csv.DictReader(open(base / "labels.csv", newline="")))
    digest_group: dict[str, str] = {}
    items = []
    for r in rows:
        f = base / r["file"]
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        group = digest_group.setdefault(digest, f.stem)  # byte-identical files: one group
        items.append(Item("genki", f, group, int(r["smile"]), "smile" if r["smile"] == "1" else "other",
                          float(r["yaw_deg"]), float(r["pitch_deg"]), float(r["roll_deg"])))
    return items


def yale() -> list[Item]:
    base = DEVSET / "yale_expressions"
    return [Item("yale", base / r["file"], r["subject"], int(r["smile"]), r["expression"])
            for r in csv.DictReader(open(base / "labels.csv", newline=""))]


def folds(items: list[Item], k: int = 5, seed: int = 0) -> np.ndarray:
    """A fold number per item: groups shuffled with the seed and dealt round-robin, so every
    fold gets about as many groups (and, GENKI being sorted by label, a mix of labels)."""
    groups = sorted({it.group for it in items})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % k for i, g in enumerate(groups)}
    return np.array([fold_of[it.group] for it in items])


def _code_key() -> str:
    import ast

    h = hashlib.sha256()
    for rel in _KEYED:
        src = (ROOT / rel).read_text()
        lines = src.splitlines(keepends=True)
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.FunctionDef) and node.name == "_observe":
                lines[node.lineno - 1 : node.end_lineno] = [""] * (node.end_lineno - node.lineno + 1)
        h.update("".join(lines).encode())
    sums = (ROOT / "signage/models/SHA256SUMS").read_text().splitlines()
    h.update("\n".join(line for line in sums if line.split()[-1] in _KEYED_MODELS).encode())
    return h.hexdigest()[:12]


def landmarks(items: list[Item], name: str) -> dict[str, np.ndarray]:
    """For each item, its largest face found by the analyzer (still mode) as Face Mesh's 468
    points in pixels (NaN when no face was found), the number of faces, and the image size.
    Cached in CACHE/<name>-<code key>.npz."""
    path = CACHE / f"{name}-{_code_key()}.npz"
    files = np.array([str(it.file.relative_to(DEVSET)) for it in items])
    if path.is_file():
        data = dict(np.load(path))
        if data["files"].shape == files.shape and (data["files"] == files).all():
            return data
    data = _measure(items)
    data["files"] = files
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **data)
    os.replace(tmp, path)
    return data


def _measure(items: list[Item]) -> dict[str, np.ndarray]:
    import cv2

    from signage.config import SensingConfig
    from signage.sensing.analyzer import FaceAnalyzer
    from signage.sensing.features import bounding_box
    from signage.sensing.types import FaceObservation, Frame

    class Capturing(FaceAnalyzer):
        """Keeps each measured face's landmarks; needs no expression model (it trains one)."""

        _load_expressions = staticmethod(lambda: None)

        def _observe(self, points, score, *_):
            obs = FaceObservation(box=bounding_box(points), score=round(score, 3))
            self.captured.append((obs, points.copy()))
            return obs

    points = np.full((len(items), 468, 3), np.nan, np.float32)
    counts = np.zeros(len(items), np.int16)
    sizes = np.zeros((len(items), 2), np.int16)
    with Capturing(SensingConfig()) as a:
        for i, it in enumerate(items):
            img = cv2.imread(str(it.file), cv2.IMREAD_COLOR)
            if img is None:
                continue
            sizes[i] = img.shape[1], img.shape[0]
            a.captured = []
            faces = a.analyze(Frame(img, 0.0, i, str(it.file)), still=True)
            counts[i] = len(faces)
            if a.captured:
                obs, pts = max(a.captured, key=lambda c: c[0].box[2] * c[0].box[3])
                points[i] = pts
            if i % 500 == 499:
                print(f"  {i + 1}/{len(items)}", file=sys.stderr)
    return {"points": points, "faces": counts, "size": sizes}


def iris(items: list[Item], name: str, face_px: float | None = None) -> np.ndarray:
    """For each item's face (``landmarks``), its two iris centres in pixels as the analyzer
    measures them (signage.sensing.gaze's eye crops, MediaPipe's iris model): N x 2 eyes x
    (x, y), NaN where no face or the eye is too small. ``face_px``: the image is first scaled
    down so that the face is at most this wide (a face further from the camera; its landmarks
    are the full-size image's, scaled, so only the iris model sees the smaller face). Cached like
    the landmarks, keyed also by gaze.py and the iris model."""
    key = hashlib.sha256((_code_key() + (ROOT / "signage/sensing/gaze.py").read_text()
                          + (ROOT / "signage/models/SHA256SUMS").read_text()).encode()).hexdigest()[:12]
    path = CACHE / f"{name}-iris{'' if face_px is None else f'-{face_px:g}px'}-{key}.npz"
    if path.is_file():
        return np.load(path)["iris"]
    import cv2

    from signage.sensing import gaze
    from signage.sensing.inference import IRIS_CROP_PX, IrisLandmarks
    from signage.sensing.roi import crop

    points = landmarks(items, name)["points"].astype(np.float64)
    out = np.full((len(items), 2, 2), np.nan)
    model = IrisLandmarks()
    try:
        for i, it in enumerate(items):
            if not np.isfinite(points[i, 0, 0]):
                continue
            img = cv2.imread(str(it.file), cv2.IMREAD_COLOR)
            f = 1.0 if face_px is None else min(1.0, face_px / float(np.ptp(points[i, :, 0])))
            if f < 1.0:
                img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            for k, roi, mirrored in gaze.eye_rois(points[i] * f):
                eye = crop(img, roi, IRIS_CROP_PX, bgr=True)
                raw = model.run(np.ascontiguousarray(eye[:, ::-1]) if mirrored else eye)
                out[i, k] = np.array(gaze.iris_centre(raw, roi, mirrored, IRIS_CROP_PX)) / f
    finally:
        model.close()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, iris=out)
    os.replace(tmp, path)
    return out


def load_images(items: list[Item]):
    """The images, read one at a time (for appearance features at training time)."""
    import cv2

    for it in items:
        yield cv2.imread(str(it.file), cv2.IMREAD_COLOR)


def main() -> None:
    if not available():
        raise SystemExit(f"no development set at {DEVSET} (set DEVSET_DIR)")
    for name, items in (("genki", genki()), ("yale", yale())):
        data = landmarks(items, name)
        found = np.isfinite(data["points"][:, 0, 0])
        one = (data["faces"] == 1).sum()
        print(f"{name}: {len(items)} images, landmarks for {found.sum()}, exactly one face {one}, "
              f"groups {len({it.group for it in items})}; cache {CACHE}")


if __name__ == "__main__":
    main()
