"""SensingService: the sensing thread the player runs, on the real clip and real OpenCV.

The camera is a real cv2.VideoCapture on the test clip: it "drops out" when the file
ends and comes back when reopened, which is a camera failure and recovery mid-run.
"""

from __future__ import annotations

import logging
import shutil
import time

import cv2

from media import CLIP
from signage.config import CameraConfig, SensingConfig
from signage.sensing.service import SensingService
from signage.sensing.sources import CameraSource

FAST = dict(reconnect_min_s=0.05, reconnect_max_s=0.3, stall_timeout_s=0.5)


def wait_for(condition, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_video_stands_in_for_the_camera_and_snapshots_flow():
    svc = SensingService(SensingConfig(), CameraConfig(source=str(CLIP), **FAST)).start()
    try:
        assert wait_for(lambda: svc.latest() is not None, 30)
        assert wait_for(lambda: svc.latest().faces >= 1, 10)  # the clip shows a face
        st = svc.status()
        assert st.camera == "on" and st.camera_on and st.source == CLIP.name
        # the rate is measured (how high depends on the machine and its load, so not asserted)
        assert wait_for(lambda: svc.status().analysed >= 3 and svc.status().fps > 0, 60)
    finally:
        svc.stop()
    assert svc.status().camera == "stopped" and svc.latest() is None


def test_camera_failure_mid_run_and_recovery(caplog, tmp_path):
    """A camera (real capture on a short copy of the clip) drops out at the end of the file:
    snapshots stop (no audience rules), the state says reconnecting, then it comes back."""
    clip = tmp_path / "cam.mp4"
    shutil.copy(CLIP, clip)
    # the capture reads the file faster than real time, then is down for 1 s before it reopens
    cfg = CameraConfig(source=str(clip), reconnect_min_s=1.0, reconnect_max_s=1.0, stall_timeout_s=0.5)
    svc = SensingService(SensingConfig(), cfg, stale_after_s=0.5,
                         source_factory=lambda: CameraSource(cfg, opener=cv2.VideoCapture))
    caplog.set_level(logging.INFO)
    states: list[str] = []
    svc.start()
    try:
        end = time.monotonic() + 40
        while time.monotonic() < end:
            st = svc.status().camera
            if not states or states[-1] != st:
                states.append(st)
            if states.count("on") >= 2:
                break
            time.sleep(0.02)
    finally:
        svc.stop()
    assert states[:1] == ["starting"] and "on" in states
    i = states.index("on")
    assert "reconnecting" in states[i:] and states.count("on") >= 2, states
    assert svc.status().reconnects >= 1 and "read failed" in (svc.status().last_error or "")


def test_a_missing_camera_is_retried_and_nothing_raises(caplog):
    caplog.set_level(logging.INFO)
    svc = SensingService(SensingConfig(), CameraConfig(source="/nonexistent/video.mp4", **FAST)).start()
    try:
        assert wait_for(lambda: svc.status().reconnects >= 2, 10)
        st = svc.status()
        assert st.camera == "reconnecting" and "not found" in (st.last_error or "")
        assert svc.latest() is None
    finally:
        svc.stop()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "reconnecting" in r.getMessage()]
    assert len(warnings) == 1  # a state change is logged once, not on every retry


def test_camera_off_by_configuration():
    svc = SensingService(SensingConfig(), CameraConfig(enabled=False)).start()
    assert svc.status().camera == "off" and not svc.status().camera_on and svc.latest() is None
    svc.stop()
    assert svc.status().camera == "off"


def test_the_players_play_label_and_the_wall_minute_cross_to_the_sensing_thread():
    """mark_play hands the sensing thread a label only; the snapshots then carry the counts for it,
    and each is labelled with the minute of the (injected) wall clock."""
    svc = SensingService(SensingConfig(), CameraConfig(source=str(CLIP), **FAST), wall=lambda: 1_794_960_125.0).start()
    try:
        assert wait_for(lambda: svc.latest() is not None, 60)
        assert svc.latest().play_label is None and svc.latest().minute_label == 1_794_960_120
        svc.mark_play(41)
        assert wait_for(lambda: (s := svc.latest()) is not None and s.play_label == 41, 60)
        svc.mark_play(42)
        assert wait_for(lambda: (s := svc.latest()) is not None and s.play_label == 42, 60)
    finally:
        svc.stop()
