"""Sensing as a service for the player: a thread that reads the camera, runs the pipeline
and publishes only the latest audience snapshot (a one-slot mailbox).

The render loop calls ``latest()`` and ``status()``; both return at once and never wait
on the camera. Frames stay on the sensing thread: nothing here hands one out.

The source is opened from ``camera.source``: a camera index, a device, a stream URL, or a
video file (played in real time and looped, standing in for a camera). A source that
cannot be opened, or a file that ends, is retried with a backoff that doubles up to
``camera.reconnect_max_s``; a camera reconnects on its own (see ``CameraSource``). Each
change of state is logged once.

``pause()`` (a passer-by's objection, signage/pause.py) closes the source within one read
(at most half a second) and publishes nothing until ``resume()``, which opens it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from signage.config import CameraConfig, SensingConfig
from signage.sensing.pipeline import SensingPipeline
from signage.sensing.sources import FrameSource, SourceError, open_source
from signage.values import AudienceSnapshot, CameraState, SensingStatus

log = logging.getLogger(__name__)

SourceFactory = Callable[[], FrameSource]


class SensingService:
    """Run sensing on its own thread; ``latest()`` is the newest snapshot or None.

    None means there is no audience measurement right now (camera off, starting,
    reconnecting, paused, or no frame for ``stale_after_s``): rules on the audience do not apply.
    """

    def __init__(self, sensing: SensingConfig, camera: CameraConfig, *, source_factory: SourceFactory | None = None,
                 stale_after_s: float = 2.0, clock: Callable[[], float] = time.monotonic, once: bool = False,
                 wall: Callable[[], float] = time.time) -> None:
        self._sensing = sensing
        self._camera = camera
        self._factory = source_factory or (lambda: open_source(str(camera.source), realtime_video=True,
                                                               loop_video=not once, camera=camera))
        self._once = once  # a video file standing in for the camera plays once, then "ended"
        self._stale_after = stale_after_s
        self._clock = clock
        self._wall = wall  # epoch seconds: labels each frame with its wall-clock minute
        self._play: int | None = None  # the label of the play on screen (mark_play)
        self._latest: tuple[float, AudienceSnapshot] | None = None
        self._state: CameraState = "off" if not camera.enabled else "starting"
        self._source_name = str(camera.source)
        self._error: str | None = None
        self._reconnects = 0
        self._dropped = 0
        self._analysed = 0
        self._times: deque[float] = deque(maxlen=60)
        self._stop = threading.Event()
        self._paused = threading.Event()  # set by pause(): the source is closed until resume()
        self._resumed = threading.Event()
        self._thread: threading.Thread | None = None

    # --------------------------------------------------------------- render-thread side

    def latest(self) -> AudienceSnapshot | None:
        item = self._latest  # one reference read: never a half-written snapshot
        if item is None or self._state != "on":
            return None
        at, snap = item
        return snap if self._clock() - at <= self._stale_after else None

    def mark_play(self, label: int) -> None:
        """A play began on screen: people are counted for ``label`` from the next frame on
        (a label only goes in; nothing comes back but the snapshot's counts)."""
        self._play = int(label)  # one reference written: the sensing thread reads it per frame

    def status(self) -> SensingStatus:
        times = list(self._times)
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) >= 2 and times[-1] > times[0] else 0.0
        state = self._state
        if state == "on" and self._latest is not None and self._clock() - self._latest[0] > self._stale_after:
            state = "reconnecting"  # frames stopped coming: say so until they come back
        return SensingStatus(camera=state, source=self._source_name, fps=fps, analysed=self._analysed,
                             dropped=self._dropped, reconnects=self._reconnects, last_error=self._error)

    def pause(self) -> None:
        """Stop measuring now: nothing is published from here, and the sensing thread closes
        the source at its next read (within half a second). A camera off by configuration
        stays "off"."""
        if self._state == "off" or self._paused.is_set():
            return
        self._resumed.clear()
        self._paused.set()
        self._latest = None
        self._set_state("paused")

    def resume(self) -> None:
        """Measure again: the source is opened again (its state "starting" until a frame comes)."""
        if not self._paused.is_set():
            return
        self._paused.clear()
        self._resumed.set()
        if self._state == "paused":
            self._set_state("starting")

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    # --------------------------------------------------------------- lifecycle

    def start(self) -> SensingService:
        if not self._camera.enabled:
            log.info("camera off by configuration: the schedule plays without audience rules")
            return self
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="signage sensing", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._state != "off":
            self._set_state("stopped")

    def __enter__(self) -> SensingService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --------------------------------------------------------------- sensing thread

    def _set_state(self, state: CameraState, error: str | None = None) -> None:
        if self._paused.is_set() and state not in ("paused", "stopped"):
            return  # the sensing thread's last words after pause(): the pause is what is true
        if state != self._state:
            if state == "reconnecting":
                log.warning("camera %s: %s%s", self._source_name, state, f" ({error})" if error else "")
            else:
                log.info("camera %s: %s", self._source_name, state)
        self._state = state
        if error:
            self._error = error

    def _run(self) -> None:
        backoff = self._camera.reconnect_min_s

        def retry(error: str) -> None:
            nonlocal backoff
            self._reconnects += 1
            self._set_state("reconnecting", error)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self._camera.reconnect_max_s)

        try:
            pipeline = SensingPipeline(self._sensing)
        except Exception as exc:  # noqa: BLE001 - a broken MediaPipe install must not take the screen down
            log.error("sensing cannot start: %s", exc)
            self._set_state("reconnecting", f"sensing cannot start: {exc}")
            return
        with pipeline:
            while not self._stop.is_set():
                if self._paused.is_set():  # the source stays closed until resume()
                    self._resumed.wait(0.5)
                    continue
                try:
                    source = self._factory()
                except Exception as exc:  # noqa: BLE001 - any device error is retried
                    retry(str(exc) if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}")
                    continue
                self._source_name = getattr(source, "name", self._source_name)
                with source:
                    if self._pump(source, pipeline):
                        backoff = self._camera.reconnect_min_s
                    ended = source.stats.state == "ended" and not getattr(source, "is_camera", False)
                if self._once and ended:
                    self._latest = None
                    self._set_state("ended")
                    return
                pipeline.reset()  # a new connection: nobody carries over
                self._latest = None
                if self._paused.is_set():
                    log.info("camera %s closed: audience measurement paused", self._source_name)
                    backoff = self._camera.reconnect_min_s
                elif not self._stop.is_set():
                    retry(self._error or "the source ended")

    def _pump(self, source: FrameSource, pipeline: SensingPipeline) -> bool:
        """Analyse frames until the source ends or stop(); True if any frame came."""
        got_any = False
        base_dropped, base_reconnects = self._dropped, self._reconnects
        while not self._stop.is_set() and not self._paused.is_set():
            frame = source.read(timeout=0.5)
            stats = source.stats
            self._dropped = base_dropped + stats.dropped
            self._reconnects = base_reconnects + stats.reconnects  # a camera reconnects on its own
            if stats.last_error:
                self._error = stats.last_error
            if frame is None:
                if stats.state in ("ended", "closed"):
                    return got_any
                if stats.state == "reconnecting" and self._state == "on":
                    self._set_state("reconnecting", stats.last_error)
                continue
            try:
                result = pipeline.process(frame, play=self._play, minute=int(self._wall() // 60) * 60)
            except Exception as exc:  # noqa: BLE001 - one bad frame must not stop sensing
                log.warning("sensing: a frame could not be analysed: %s", exc)
                continue
            del frame  # the pixels go no further
            if self._paused.is_set():  # paused while this frame was analysed: it counts for nothing
                return got_any
            now = self._clock()
            self._latest = (now, result.audience)
            self._times.append(now)
            self._analysed += 1
            got_any = True
            if self._state != "on":
                self._set_state("on")
        return got_any
