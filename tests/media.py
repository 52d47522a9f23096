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
