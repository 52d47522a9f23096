"""The real test media (tests/data, see its SOURCES.md), for every test module."""

from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parent / "data"
CLIP = DATA / "white_house_hamilton_clip.mp4"


def load(name: str) -> np.ndarray:
    img = cv2.imread(str(DATA / name))
    assert img is not None, name
    return img


def letterbox(img: np.ndarray, w: int = 640, h: int = 480) -> np.ndarray:
    """``img`` scaled into a w x h black frame, as a 640x480 camera would frame it."""
    s = min(w / img.shape[1], h / img.shape[0])
    small = cv2.resize(img, (int(img.shape[1] * s), int(img.shape[0] * s)))
    out = np.zeros((h, w, 3), np.uint8)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def write_shop_window_clip(path: Path, empty_s: float, fps: float = 30.0) -> Path:
    """A camera stream for end-to-end runs: ``empty_s`` seconds of an empty scene (the coffee
    photo, no face), then the sample clip (a face), 640x480. Test input, never camera data."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480))
    empty = letterbox(load("coffee.png"))
    for _ in range(int(empty_s * fps)):
        w.write(empty)
    cap = cv2.VideoCapture(str(CLIP))
    ok, frame = cap.read()
    while ok:
        w.write(letterbox(frame))
        ok, frame = cap.read()
    cap.release()
    w.release()
    return path
