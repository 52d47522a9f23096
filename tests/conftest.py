import os
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

DATA = Path(__file__).resolve().parent / "data"
CLIP = DATA / "white_house_hamilton_clip.mp4"


def load(name: str) -> np.ndarray:
    img = cv2.imread(str(DATA / name))
    assert img is not None, name
    return img


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
