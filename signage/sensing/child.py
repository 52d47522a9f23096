"""The sensing process (``python -m signage.sensing.child``), started and supervised by the
player (sensing/process.py). It locks itself down first (sensing/sandbox.py: no file
written, no socket, no program run, no core dump), then runs the camera and the pipeline
(``SensingService``) and hands the player only its latest audience snapshot and status.

The channel is the process's own pipes, JSON lines both ways:
  stdin, one line first: {"sensing": {...}, "camera": {...}, "stale_after_s": 2.0, "once": false,
                          "sandbox": true, "log_level": "INFO"}
  stdin, then:           {"play": 12} (a play began on screen), {"pause": true | false} (a
                         passer-by's pause: the camera closed, then opened again), {"stop": true};
                         EOF = stop
  stdout:                {"t": <CLOCK_MONOTONIC>, "status": {...}, "snapshot": {...} | null}
                         when a frame was analysed or the status changed, and every 0.5 s.
File descriptor 1 is pointed at stderr before anything else runs, so that no library's
print can corrupt the channel; logs go to stderr, which is the player's.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from dataclasses import asdict

HEARTBEAT_S = 0.5
POLL_S = 1 / 60
# The screen comes first: when the two compete for the CPU, sensing (which keeps only the
# newest frame and drops the rest) yields to the render loop and the video decoder.
NICE = 5


def _channel():
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # whatever prints now lands in the log, not in the channel
    sys.stdout = sys.stderr
    return out


def _stand_by(sensing, log) -> bool:
    """A standby child: load the models once (so that taking over costs no start-up), then wait
    for "go" (True) or for "stop" / the end of the input (False)."""
    from signage.sensing.pipeline import SensingPipeline

    SensingPipeline(sensing).close()
    log.info("sensing process %d: standing by", os.getpid())
    for line in sys.stdin:
        try:
            cmd = json.loads(line)
        except json.JSONDecodeError:
            continue
        if cmd.get("stop"):
            return False
        if cmd.get("go"):
            log.info("sensing process %d: taking over", os.getpid())
            return True
    return False


def main() -> int:
    out = _channel()
    first = sys.stdin.readline()
    try:
        cfg = json.loads(first)
    except json.JSONDecodeError:
        print("signage sensing process: no configuration on stdin", file=sys.stderr)
        return 2
    logging.basicConfig(level=getattr(logging, str(cfg.get("log_level", "INFO")).upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    log = logging.getLogger("signage.sensing.child")
    try:
        os.nice(NICE)
    except OSError:
        pass
    source = str(cfg.get("camera", {}).get("source", 0))
    if cfg.get("sandbox", True):
        from signage.sensing.sandbox import camera_paths, lock_down, needs_network

        locks = lock_down(camera_paths(source), needs_network(source))  # before any thread exists
        log.info("sensing process %d locked down: %s", os.getpid(), locks.describe())
    else:
        log.warning("sensing process %d: no sandbox (asked for by the player)", os.getpid())

    from signage.config import CameraConfig, SensingConfig
    from signage.sensing.service import SensingService

    sensing = SensingConfig.model_validate(cfg["sensing"])
    service = SensingService(sensing, CameraConfig.model_validate(cfg["camera"]),
                             stale_after_s=float(cfg.get("stale_after_s", 2.0)), once=bool(cfg.get("once", False)))
    if cfg.get("standby") and not _stand_by(sensing, log):
        return 0
    stop = threading.Event()

    def commands() -> None:
        for line in sys.stdin:
            try:
                cmd = json.loads(line)
            except json.JSONDecodeError:
                log.warning("sensing process: a command that is not JSON was ignored")
                continue
            if cmd.get("stop"):
                break
            if isinstance(cmd.get("play"), int):
                service.mark_play(cmd["play"])
            if cmd.get("pause") is True:
                service.pause()
            elif cmd.get("pause") is False:
                service.resume()
        stop.set()  # "stop", or the player's end of the pipe closed (it stopped or died)

    threading.Thread(target=commands, name="sensing commands", daemon=True).start()
    service.start()
    sent_analysed, sent_state, sent_at = -1, None, 0.0
    try:
        while not stop.is_set():
            status = service.status()
            now = time.monotonic()
            if status.analysed != sent_analysed or status.camera != sent_state or now - sent_at >= HEARTBEAT_S:
                snap = service.latest()
                out.write(json.dumps({"t": now, "status": asdict(status),
                                      "snapshot": asdict(snap) if snap is not None else None}) + "\n")
                sent_analysed, sent_state, sent_at = status.analysed, status.camera, now
            if status.camera == "ended":
                break
            stop.wait(POLL_S)
    except (BrokenPipeError, OSError):
        pass  # the player is gone
    finally:
        service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
