"""The Raspberry Pi camera module as a frame source (``camera.source = "picamera2"``).

picamera2 drives libcamera and a CSI camera on a Raspberry Pi; neither exists on the machine
that runs this suite, so this is the one test file with a stand-in: a small ``picamera2``
module put into ``sys.modules`` for the test, with just the calls the source makes
(``Picamera2.global_camera_info``, ``Picamera2(n)``, ``create_video_configuration``,
``configure``, ``start``, ``camera_configuration``, ``capture_array``, ``close``). Its
frames are real test images. Everything else is real: the source's threads, the one-slot
mailbox, reconnection, the configuration, ``signage sense`` with MediaPipe, the player's
sensing service. A missing picamera2 is this machine's real state, tested as such. On a Pi,
docs/camera.md is the check with the real camera.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

from media import load
from test_sources import wait_for
from signage.cli import main
from signage.config import CameraConfig, ConfigError, SensingConfig, load_settings, picamera2_number
from signage.sensing.service import SensingService
from signage.sensing.sources import PICAMERA2_MISSING, Picamera2Source, SourceError, open_source

ROOT = Path(__file__).resolve().parents[2]
FAST = dict(reconnect_min_s=0.05, reconnect_max_s=0.2, stall_timeout_s=2.0)
PICAMERA2_HERE = importlib.util.find_spec("picamera2") is not None


class Rig:
    """The stand-in picamera2 and what it saw.

    plan: one entry per camera opened, in order: an exception to raise on opening, a number
    of frames after which capture_array raises (the camera "fails"), or None (frames for
    ever). gated: capture_array hands out one frame per permit the test releases.
    """

    def __init__(self, *, cameras: int = 1, plan=(), gated: bool = False, image: np.ndarray | None = None) -> None:
        self.cameras = [{"Model": "imx708_wide", "Location": 2, "Rotation": 0, "Id": f"/base/i2c@{i}/imx708@1a"}
                        for i in range(cameras)]  # fmt: skip
        self.plan = list(plan)
        self.gate = threading.Semaphore(0) if gated else None
        self.image = load("grace_hopper.jpg") if image is None else image
        self.opened: list = []
        self.module = self._module()

    def _module(self) -> types.ModuleType:
        rig = self

        class Picamera2:
            @staticmethod
            def global_camera_info():
                return [dict(c) for c in rig.cameras]

            def __init__(self, camera_num=0):
                step = rig.plan.pop(0) if rig.plan else None
                if isinstance(step, Exception):
                    raise step
                self.num, self.fail_after, self.captured = camera_num, step, 0
                self.config, self.started, self.closed = None, False, False
                self.others_closed = all(c.closed for c in rig.opened)  # a real camera is busy until closed
                rig.opened.append(self)

            def create_video_configuration(self, main=None, controls=None, buffer_count=6):
                return {"use_case": "video", "main": dict(main), "controls": dict(controls or {}),
                        "buffer_count": buffer_count}  # fmt: skip

            def configure(self, config):
                self.config = config

            def start(self):
                self.started = True

            def camera_configuration(self):
                return self.config

            def capture_array(self, name="main", wait=None):
                assert self.started and not self.closed and name == "main"
                if rig.gate is not None:
                    if not rig.gate.acquire(timeout=wait):
                        raise TimeoutError("frame wait timed out")
                else:
                    time.sleep(0.003)  # a sensor's pace, fast
                if self.closed:
                    raise RuntimeError("camera closed")
                if self.fail_after is not None and self.captured >= self.fail_after:
                    raise RuntimeError("Device timeout detected, attempting a restart")
                self.captured += 1
                w, h = self.config["main"]["size"]
                return cv2.resize(rig.image, (w, h))

            def close(self):
                self.started, self.closed = False, True

        module = types.ModuleType("picamera2")
        module.Picamera2 = Picamera2
        return module


@pytest.fixture()
def rig(monkeypatch):
    """Install a stand-in picamera2 (built with ``rig(...)``) for one test."""

    def install(**kw) -> Rig:
        r = Rig(**kw)
        monkeypatch.setitem(sys.modules, "picamera2", r.module)
        return r

    return install


@pytest.fixture()
def no_picamera2(monkeypatch):
    """picamera2 cannot be imported (None in sys.modules makes ``import picamera2`` fail)."""
    monkeypatch.setitem(sys.modules, "picamera2", None)


# --------------------------------------------------------------------------- frames


def test_frames_flow_and_only_the_newest_is_kept(rig, caplog):
    caplog.set_level(logging.INFO, logger="signage.sensing.sources")
    r = rig(gated=True)
    cfg = CameraConfig(source="picamera2", width=320, height=240, fps=15, **dict(FAST, stall_timeout_s=30.0))
    src = open_source("picamera2", camera=cfg)
    try:
        assert isinstance(src, Picamera2Source) and src.is_stream and src.is_camera and src.name == "picamera2"
        assert wait_for(lambda: src.stats.state == "open", 2.0)
        [cam] = r.opened
        assert cam.num == 0 and cam.started
        # The video configuration: a main stream in RGB888 (BGR in memory) at the configured
        # size, the configured frame rate as a fixed frame duration.
        assert cam.config["use_case"] == "video"
        assert cam.config["main"] == {"size": (320, 240), "format": "RGB888"}
        assert cam.config["controls"]["FrameDurationLimits"] == (66667, 66667)
        # Five frames captured, none read: the mailbox holds the newest, four were dropped.
        r.gate.release(5)
        assert wait_for(lambda: src.stats.dropped == 4, 2.0)
        frame = src.read(timeout=1.0)
        assert frame is not None and frame.index == 4 and frame.source == "picamera2"
        # The pixels are handed on as they come: BGR, 240 rows of 320, no channel swap.
        assert np.array_equal(frame.image, cv2.resize(r.image, (320, 240)))
        assert src.read(timeout=0.1) is None  # nothing newer: no backlog of old frames
        r.gate.release(1)
        nxt = src.read(timeout=1.0)
        assert nxt is not None and nxt.index == 5 and nxt.t >= frame.t
        stats = src.stats
        assert (stats.delivered, stats.dropped, stats.reconnects) == (2, 4, 0)
    finally:
        r.gate.release(1000)  # let the capture loop finish its last wait
        src.close()
    opened = [m for m in caplog.messages if ": open (" in m]
    assert opened == ["picamera2: open (320x240 RGB888 (BGR in memory), 15 fps, imx708_wide via picamera2)"]


def test_the_second_camera_and_a_number_that_is_not_there(rig, caplog):
    caplog.set_level(logging.INFO, logger="signage.sensing.sources")
    r = rig(cameras=2)
    with open_source("picamera2:1", camera=CameraConfig(**FAST)) as src:
        assert src.read(timeout=2.0) is not None
        assert [c.num for c in r.opened] == [1] and src.name == "picamera2:1"
    r = rig(cameras=1)
    with open_source("picamera2:1", camera=CameraConfig(**FAST)) as src:
        assert wait_for(lambda: src.stats.reconnects >= 2, 2.0)
        stats = src.stats
    assert r.opened == []  # never opened a camera that is not there
    assert stats.state == "reconnecting"
    assert "no camera number 1, libcamera sees 1" in stats.last_error and "rpicam-hello --list-cameras" in stats.last_error
    warnings = [m for m in caplog.messages if "no camera number 1" in m]
    assert len(warnings) == 1  # retried quietly: one warning for the state change


def test_signage_sense_picamera2_analyses_its_frames(rig, capsys):
    """The operator's check (docs/camera.md), on the stand-in's frames of a real face."""
    rig(image=load("grace_hopper.jpg"))
    assert main(["sense", "picamera2", "--json", "--max-frames", "3"]) == 0
    out, err = capsys.readouterr()
    import json

    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 3 and {r["source"] for r in records} == {"picamera2"}
    assert [r["audience"]["faces"] for r in records][-1] == 1 and len(records[-1]["faces"]) == 1
    assert "3 frame(s) analysed" in err


# --------------------------------------------------------------------------- failures


@pytest.mark.skipif(PICAMERA2_HERE, reason="picamera2 is installed here: the missing case cannot be real")
def test_missing_picamera2_is_one_clear_line_from_signage_sense():
    """This machine has no picamera2: the real command as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    proc = subprocess.run([sys.executable, "-m", "signage.cli", "sense", "picamera2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr == f"signage sense: {PICAMERA2_MISSING}\n"
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_missing_picamera2_message_and_what_broke_inside_it(no_picamera2, monkeypatch, tmp_path):
    with pytest.raises(SourceError) as err:
        open_source("picamera2")
    assert str(err.value) == PICAMERA2_MISSING
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no chained traceback
    # A picamera2 that is there but cannot import what it needs (a venv made without
    # --system-site-packages sees no libcamera): the same advice, and what failed.
    pkg = tmp_path / "picamera2"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import libcamera_not_installed_here\n")
    monkeypatch.delitem(sys.modules, "picamera2")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SourceError) as err:
        open_source("picamera2")
    assert str(err.value).startswith(PICAMERA2_MISSING)
    assert "importing it failed: No module named 'libcamera_not_installed_here'" in str(err.value)


def test_the_players_camera_state_says_picamera2_is_missing(no_picamera2, caplog):
    caplog.set_level(logging.INFO)
    svc = SensingService(SensingConfig(), CameraConfig(source="picamera2", **FAST)).start()
    try:
        assert wait_for(lambda: svc.status().reconnects >= 2, 60)
        st = svc.status()
    finally:
        svc.stop()
    assert st.camera == "reconnecting" and not st.camera_on and st.source == "picamera2"
    assert st.last_error == PICAMERA2_MISSING
    said = [r for r in caplog.records if PICAMERA2_MISSING in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and said[0].exc_info is None  # once, no traceback


def test_a_failed_open_and_a_capture_error_reconnect(rig, caplog):
    caplog.set_level(logging.INFO, logger="signage.sensing.sources")
    # 1st open: the camera is busy; 2nd: three frames, then the capture fails; 3rd: fine.
    r = rig(plan=[RuntimeError("Camera __init__ sequence did not complete."), 3, None])
    src = open_source("picamera2", camera=CameraConfig(**FAST))
    try:
        assert wait_for(lambda: len(r.opened) == 2 and src.stats.state == "open", 3.0)
        frames = []
        end = time.monotonic() + 3.0
        while len(frames) < 5 and time.monotonic() < end:
            f = src.read(timeout=0.5)
            if f is not None:
                frames.append(f)
        stats = src.stats
    finally:
        src.close()
    # the busy camera was never made; the failing one was closed before the next was opened
    assert len(r.opened) == 2 and r.opened[0].captured == 3 and r.opened[1].others_closed
    assert len(frames) == 5 and [f.index for f in frames] == sorted(f.index for f in frames)
    assert stats.reconnects == 2 and "read failed: Device timeout detected" in stats.last_error
    warnings = [m for m in caplog.messages if "retrying in" in m]
    assert len(warnings) == 2
    assert "cannot open: Camera __init__ sequence did not complete." in warnings[0]
    assert "read failed: Device timeout detected" in warnings[1]


def test_close_stops_the_capture_thread_and_closes_the_camera(rig):
    r = rig()
    src = open_source("picamera2", camera=CameraConfig(**FAST))
    assert src.read(timeout=2.0) is not None
    src.close()
    [cam] = r.opened
    assert cam.closed and not cam.started
    assert wait_for(lambda: not [t for t in threading.enumerate() if t.name.startswith("signage picamera2")], 2.0)
    captured = cam.captured
    time.sleep(0.1)
    assert cam.captured == captured  # nothing captures any more
    assert src.stats.state == "closed" and src.read(timeout=0.1) is None
    src.close()  # idempotent


# --------------------------------------------------------------------------- configuration


def test_the_config_value_validates(tmp_path, monkeypatch):
    assert [picamera2_number(s) for s in ("picamera2", "picamera2:0", "picamera2:1", "picamera2:12")] == [0, 0, 1, 12]
    assert [picamera2_number(s) for s in (0, "0", "picamera2:", "picamera2:x", "PiCamera2", "/dev/video0")] == [None] * 6
    cfg = tmp_path / "signage.toml"
    cfg.write_text('[camera]\nsource = "picamera2:1"\n')
    assert load_settings(cfg).camera.source == "picamera2:1"
    monkeypatch.setenv("SIGNAGE_CAMERA__SOURCE", "picamera2")
    assert load_settings().camera.source == "picamera2"
    for bad in ("picamera2:x", "picamera2:", "picamera2:-1", "PiCamera2", "picamera", "libcamera:0", "picamera2 1"):
        monkeypatch.setenv("SIGNAGE_CAMERA__SOURCE", bad)
        with pytest.raises(ConfigError) as err:
            load_settings()
        assert f"camera.source: Value error, {bad!r} is not a camera source" in str(err.value)
        assert '"picamera2" (the first) or "picamera2:N"' in str(err.value)
    monkeypatch.delenv("SIGNAGE_CAMERA__SOURCE")
    cfg.write_text('[camera]\nsource = "picamera2:one"\n')
    with pytest.raises(ConfigError, match=r"camera\.source: .*'picamera2:one' is not a camera source"):
        load_settings(cfg)
    # The other kinds of source are untouched by it.
    assert load_settings(camera={"source": "rtsp://192.0.2.1/stream"}).camera.source == "rtsp://192.0.2.1/stream"
    assert load_settings(camera={"source": 1}).camera.source == 1
    # On the command line, a misspelt form is not opened as anything.
    with pytest.raises(SourceError, match=r"source not found: picamera2:x \(expected .*picamera2\[:N\]"):
        open_source("picamera2:x")
