"""A real window on a real X server (Xvfb, started here on a free display number)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def xvfb():
    exe = shutil.which("Xvfb")
    assert exe, "Xvfb is missing: scripts/bootstrap installs it (apt package xvfb)"
    r, w = os.pipe()
    # -displayfd: Xvfb picks a free display number itself and writes it to the pipe when ready.
    proc = subprocess.Popen([exe, "-displayfd", str(w), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        with os.fdopen(r) as f:
            number = f.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_window(display: str, mode: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=display, SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    out = subprocess.run([sys.executable, str(HERE / "x11_window.py"), mode], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_real_window_shows_what_the_screen_drew(xvfb):
    res = run_window(xvfb, "window")
    assert res["driver"] == "x11" and res["size"] == [800, 450]
    assert not res["cursor_visible"]
    # the X server holds the very pixels the screen drew: the creative and the notice band
    assert res["server"] == res["drawn"]
    in_notice = [s for (x, y), s in zip(res["points"], res["server"]) if y >= res["notice_top"] + 4]
    assert in_notice and sum(map(sum, in_notice)) / len(in_notice) < 3 * 70  # the dark panel


def test_the_window_stays_hidden_until_its_first_frame_is_drawn(xvfb):
    """No black window at start: the window is mapped by the first present(), its first frame drawn."""
    res = run_window(xvfb, "window")
    assert res["before_first_frame"] == "unmapped"
    assert res["after"] == "viewable"
    assert res["server"] == res["drawn"]


def test_fullscreen_takes_the_whole_x_screen(xvfb):
    res = run_window(xvfb, "fullscreen")
    assert res["driver"] == "x11" and res["size"] == [1280, 720]
    assert res["server"] == res["drawn"]
