import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/media.py for every test folder

from media import DATA  # noqa: E402


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
