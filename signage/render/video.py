"""A video creative: decoded ahead on its own thread, presented on the display's refresh.

A decoder thread reads the file (OpenCV's FFmpeg backend, with FFmpeg's own threads),
fits each frame into place and converts it to the display's pixel format, writing it
straight into one of a few full-screen surfaces; the render thread only blits. Frames wait
in a small queue (up to ``MAX_AHEAD``, fewer when a frame is large: ``AHEAD_BUDGET``
bytes in all), each with its presentation time (its position / the video's frame rate,
from the switch).

On each refresh the render loop takes the newest frame that is due and keeps it until a
newer one is; one not decoded in time leaves the previous frame on screen (never black).
What reaches the screen is counted when it does: ``presented(now)`` after the flip marks
the frame in it SHOWN (LATE when that was more than one refresh after it was due); a frame
that was due and never presented is DROPPED. ``stats`` holds the play's figures, logged
once when the play ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
import pygame

from signage.render.creatives import Creative, CreativeError, compose_picture
from signage.render.geometry import Rect, Size, parse_color
from signage.render.layout import place_in
from signage.render.video_source import CvSource, FrameSource
from signage.values import CreativeSpec

log = logging.getLogger("signage.render")

MAX_AHEAD = 6  # frames decoded ahead at most
CATCH_UP_S = 0.25  # a decoder this far behind skips every frame it can until it catches up
AHEAD_BUDGET = 140 * 2**20  # bytes of decoded frames waiting (a 4K frame is 33 MB: 4 of them)


@dataclass
class VideoStats:
    """One play's figures. ``due``: frames whose time came while it was on screen; ``shown``:
    of those, frames that reached the screen (each counted once); ``late``: shown more than a
    refresh after their time; ``dropped``: due and never shown (``due - shown``)."""

    fps: float = 0.0
    due: int = 0
    shown: int = 0
    late: int = 0
    dropped: int = 0
    decoded: int = 0  # frames decoded and converted
    skipped: int = 0  # frames the decoder did not convert: already too late to show
    loops: int = 0


@dataclass
class _Frame:
    position: int  # frames since the start of the play (over loops)
    due: float  # seconds after the switch
    surface: pygame.Surface
    shown: bool = False


def ahead_for(size: Size, budget: int = AHEAD_BUDGET, most: int = MAX_AHEAD) -> int:
    """How many full-screen frames may wait decoded: the budget's worth, 2 to ``most``."""
    return max(2, min(most, budget // (size[0] * size[1] * 4)))


def shrink(img: np.ndarray, size: Size) -> np.ndarray:
    """``img`` (not smaller than ``size``) scaled to ``size`` at video rates: halved by area
    averaging while it stays at least twice the size (OpenCV's fast whole-ratio path), then
    bilinear. Area averaging at a ratio like the safe area's 0.82 costs six times more (25 ms a
    1080p frame here, against 4)."""
    while size[0] * 2 <= img.shape[1] and size[1] * 2 <= img.shape[0]:
        img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if (img.shape[1], img.shape[0]) == tuple(size):
        return img
    return cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)


class VideoCreative(Creative):
    """A silent video, looped when shorter than its slot. See the module's docstring."""

    kind = "video"

    def __init__(self, spec: CreativeSpec, size: Size, at: float = 0.0, box: Rect | None = None, *,
                 source: FrameSource | None = None, clock=time.perf_counter, ahead: int | None = None) -> None:
        super().__init__(spec, size)
        self._box: Rect = box or (0, 0, size[0], size[1])  # the safe area (creatives.creative_box)
        self.clock = clock
        self._src = source if source is not None else CvSource.open(spec.path)
        try:
            fps = self._src.fps
            self.fps = fps if 1.0 <= fps <= 240.0 else 25.0
            self.stats = VideoStats(fps=self.fps)
            self._bg = parse_color(spec.background)
            if at > 0 and not self._src.seek(int(at * self.fps)):
                raise CreativeError(f"{spec.path}: cannot start {at:g} s in")
            first = self._src.read()
            if first is None:
                raise CreativeError(f"{spec.path}: no frame could be decoded (corrupt or unsupported)")
            self._layout(first)
            self._pool = self._make_pool(first, 2 + (ahead or ahead_for(size)))
        except BaseException:
            self._src.close()
            raise
        self._cond = threading.Condition()
        self._queue: deque[_Frame] = deque()  # decoded, not yet on screen, oldest first
        self._free = self._pool[1:]
        self._current = _Frame(0, 0.0, self._pool[0])  # the first frame, on screen from the switch
        self._drawn: _Frame | None = None  # the frame in what is being drawn now
        self._t0: float | None = None
        self._refresh = 1.0 / 60
        self._last_rel = -1.0
        self._behind_logged = False
        self._stop = threading.Event()
        self.decoded_to = 0  # the position of the newest frame decoded
        self.ended = False  # it has played to its end at least once
        self._thread = threading.Thread(target=self._run, name=f"video:{spec.id}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ layout (decoder side)

    def _layout(self, first: np.ndarray) -> None:
        """Where the video goes on the screen: the crop of the source and the target rectangle."""
        vh, vw = first.shape[:2]
        (cx, cy, cw, ch), (tx, ty, tw, th) = place_in((vw, vh), self._box, self.spec.fit)
        self._crop = (cx, cy, cw, ch)
        self._target = (tx, ty, tw, th)

    def _make_pool(self, first: np.ndarray, n: int) -> list[pygame.Surface]:
        """``n`` screen-sized surfaces in the display's format, letterboxed once; the first frame in the first."""
        bgr = compose_picture(first, self.size, self.spec.fit, self._bg, self._box)
        h, w = bgr.shape[:2]
        base = pygame.image.frombuffer(np.ascontiguousarray(bgr).data, (w, h), "BGR")
        if pygame.display.get_surface() is not None:
            base = base.convert()
        else:  # no display (a preview's converter): plain 32-bit pixels
            plain = pygame.Surface((w, h), 0, 32)
            plain.blit(base, (0, 0))
            base = plain
        # 32-bit XRGB (the usual screen): frames are converted straight into the surface's rows.
        self._direct = base.get_bytesize() == 4 and base.get_masks()[:3] == (0xFF0000, 0xFF00, 0xFF)
        return [base] + [base.copy() for _ in range(n - 1)]

    def _fit(self, frame: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """One decoded frame cropped, scaled to its target rectangle and converted: BGRA (into
        ``out`` when given, the target rectangle of a surface's pixels) or BGR when not direct."""
        cx, cy, cw, ch = self._crop
        part, size = frame[cy:cy + ch, cx:cx + cw], (self._target[2], self._target[3])
        if self._direct and size[0] * size[1] > cw * ch:
            # Enlarging: convert the smaller picture, then scale it (bilinear: a third cheaper than
            # the cubic a still picture gets, at video rates) straight into place.
            return cv2.resize(cv2.cvtColor(part, cv2.COLOR_BGR2BGRA), size, dst=out, interpolation=cv2.INTER_LINEAR)
        fitted = shrink(part, size)
        if self._direct:
            return cv2.cvtColor(fitted, cv2.COLOR_BGR2BGRA, dst=out)
        return np.ascontiguousarray(fitted)

    def _store(self, frame: np.ndarray, surface: pygame.Surface) -> None:
        tx, ty, tw, th = self._target
        if self._direct:
            buf = surface.get_buffer()  # locks the surface until released below
            rows = np.frombuffer(buf, np.uint8).reshape(self.size[1], surface.get_pitch() // 4, 4)
            self._fit(frame, rows[ty:ty + th, tx:tx + tw])
            del rows, buf
        else:
            fitted = self._fit(frame)
            surface.blit(pygame.image.frombuffer(fitted.data, (tw, th), "BGR"), (tx, ty))

    # ------------------------------------------------------------------ decoder thread

    def start(self, t: float) -> None:
        with self._cond:
            self._t0 = t
            self._cond.notify_all()

    def _run(self) -> None:
        try:
            self._decode()
        except Exception:  # a broken file must not take the screen down: the last frame stays
            log.exception("video %s: decoding stopped; holding its last frame", self.spec.id)

    def _decode(self) -> None:
        with self._cond:
            while self._t0 is None and not self._stop.is_set():
                self._cond.wait(0.5)
        period = 1.0 / self.fps
        pos, empty = 1, 0  # the frame at position 0 is already on screen
        skipped_last = False
        in_loop = 1
        while not self._stop.is_set():
            with self._cond:
                while not self._free and not self._stop.is_set():
                    self._cond.wait(0.5)
                if self._stop.is_set():
                    return
                surface = self._free.pop()
                # Already too late (the next frame is due): skip it without converting its pixels,
                # but not two in a row unless far behind: a decoder that cannot keep up shows every
                # other frame (late) rather than freezing on one until it catches up.
                behind = self.clock() - self._t0 - pos * period
                late = behind > period + self._refresh / 2 and (not skipped_last or behind > CATCH_UP_S)
                skipped_last = late
            if late:
                ok, frame = self._src.skip(), None
            else:
                frame = self._src.read()
                ok = frame is not None
            if not ok:
                with self._cond:
                    self._free.append(surface)
                # The end (or a broken tail): from the first frame again, on the same timeline.
                empty = empty + 1 if in_loop == 0 else 0
                if empty >= 2 or not self._src.seek(0):
                    log.warning("video %s: cannot decode %s any further; holding its last frame",
                                self.spec.id, self.spec.path)
                    return
                self.ended = True
                self.stats.loops += 1
                in_loop = 0
                continue
            in_loop += 1
            if late:
                with self._cond:
                    self._free.append(surface)
                self.stats.skipped += 1
                pos += 1
                continue
            self._store(frame, surface)
            with self._cond:
                self._queue.append(_Frame(pos, pos * period, surface))
                self.stats.decoded += 1
                self.decoded_to = pos
                self._cond.notify_all()
            pos += 1

    def wait_decoded(self, position: int, timeout: float = 30.0) -> bool:
        """Wait until the frame at ``position`` (or a later one) is decoded: for tests and
        benchmarks that run the clock themselves. The render loop never waits."""
        with self._cond:
            return self._cond.wait_for(lambda: self.decoded_to >= position or self._stop.is_set(), timeout)

    # ------------------------------------------------------------------ render thread

    def frame(self, now: float | None = None, refresh: float | None = None) -> pygame.Surface:
        """The surface to draw at ``now`` (the newest due frame, else the one on screen)."""
        if refresh is not None:
            self._refresh = refresh
        with self._cond:
            if self._t0 is not None:
                rel = (self.clock() if now is None else now) - self._t0
                newest = None
                while self._queue and self._queue[0].due <= rel + self._refresh / 2:
                    if newest is not None:
                        self._free.append(newest.surface)  # passed over: never shown
                    newest = self._queue.popleft()
                if newest is not None:
                    self._free.append(self._current.surface)
                    self._current = newest
                    self._cond.notify_all()
            self._drawn = self._current
        return self._current.surface

    @property
    def frame_version(self) -> int:
        """Changes whenever ``frame()`` gives a different picture (the frame's position)."""
        return self._current.position

    def presented(self, now: float) -> None:
        """What ``frame()`` returned last is on screen since ``now`` (called after the flip)."""
        f, self._drawn = self._drawn, None
        if f is None or self._t0 is None:
            return
        rel = now - self._t0
        period = 1.0 / self.fps
        st = self.stats
        if not f.shown:
            f.shown = True
            st.shown += 1
            if rel > f.due + self._refresh * 1.001:
                st.late += 1
        if rel > self._last_rel:
            self._last_rel = rel
            st.due = max(st.due, int((rel + self._refresh / 2) / period + 1e-9) + 1)
        st.dropped = max(0, st.due - st.shown)
        if st.dropped and not self._behind_logged:
            self._behind_logged = True
            log.info("video %s: falling behind at %.1f s (frame %d due, %d dropped so far)",
                     self.spec.id, rel, st.due, st.dropped)

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._src.close()
        s = self.stats
        if s.due:
            log.info("video %s: %d frames due, %d shown (%d late), %d dropped; %d decoded, %d skipped by the decoder, "
                     "%d loops", self.spec.id, s.due, s.shown, s.late, s.dropped, s.decoded, s.skipped, s.loops)
