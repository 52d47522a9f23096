"""The screen: what is on it now, what comes next, and one frame at a time.

``show(spec)`` hands the next creative to a preparer thread (read, decode, scale, lay
out); the switch happens on the first ``tick()`` after it is ready, so the screen keeps
showing the current creative, whole, until the next one can be shown whole. A creative
that cannot be prepared is skipped with a log line naming it, the file and the reason,
and the current one stays. ``tick()`` draws one frame: the creative (or a transition
between two prepared frames), the operator overlay when on, then the privacy notice,
last, on every frame while the camera is on.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import pygame

from signage.config import DisplayConfig, NoticeConfig
from signage.render import transitions
from signage.render.creatives import Creative, CreativeError, prepare
from signage.render.display import Display, FramePacer
from signage.render.geometry import parse_color
from signage.render.overlay import OperatorOverlay, PrivacyNotice, operator_lines
from signage.render.screenshot import ScreenshotHook
from signage.render.video import VideoCreative
from signage.values import AudienceSnapshot, CreativeSpec, TransitionSpec

log = logging.getLogger("signage.render")


@dataclass(frozen=True)
class ScreenEvent:
    """A change on screen, for the player's proof of play: a creative started, or was skipped."""

    kind: str  # "start" | "skip"
    creative_id: str
    t: float  # time.perf_counter() of the frame it happened on
    reason: str = ""


_IDLE_TRANSITION = TransitionSpec("crossfade", 0.6)


class _Idle(Creative):
    """What fills the screen before the first creative: a plain slate, never black; with
    ``lines``, a headline and a line under it, centred (the "no playlist" slate)."""

    kind = "idle"

    def __init__(self, size, color, lines: tuple[str, ...] = (), safe_bottom: int = 0) -> None:
        self.spec = None
        self.size = size
        surf = pygame.Surface(size)
        self.surface = surf.convert() if pygame.display.get_surface() is not None else surf
        self.surface.fill(color)
        if lines:
            _draw_centred(self.surface, lines, safe_bottom)

    def frame(self) -> pygame.Surface:
        return self.surface


def _draw_centred(surface: pygame.Surface, lines: tuple[str, ...], safe_bottom: int) -> None:
    """A headline and smaller lines under it, centred above the notice, light grey on the slate."""
    from signage.render.fonts import font

    w, h = surface.get_size()
    unit = min(w, h - safe_bottom) / 1080
    rendered = [font(int((72 if i == 0 else 44) * unit)).render(text, True, (0xd8, 0xd2, 0xcc) if i == 0 else (0x9a, 0x92, 0x8c))
                for i, text in enumerate(lines)]
    gap = int(24 * unit)
    total = sum(r.get_height() for r in rendered) + gap * (len(rendered) - 1)
    y = max(0, (h - safe_bottom - total) // 2)
    for r in rendered:
        surface.blit(r, ((w - r.get_width()) // 2, y))
        y += r.get_height() + gap


class Screen:
    """Draws creatives, transitions and overlays onto a ``Display``'s canvas."""

    def __init__(self, display: Display, notice: NoticeConfig, *, camera_on: bool = True,
                 show_overlay: bool | None = None, clock=time.perf_counter) -> None:
        # The render loop shares the GIL with the preparer, video and sensing threads; hand it
        # over every millisecond (not every 5) so a busy thread cannot hold a frame up for long.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self.display = display
        self.canvas = display.canvas
        self.size = self.canvas.get_size()
        self.clock = clock
        self.notice = PrivacyNotice(notice)
        self.camera_on = camera_on
        cfg: DisplayConfig = display.config
        self.show_overlay = cfg.show_overlay if show_overlay is None else show_overlay
        self.pacer = FramePacer(cfg.fps, clock=clock)
        self._operator = OperatorOverlay()
        self._audience: AudienceSnapshot | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare")
        self._pending: tuple[CreativeSpec, Future] | None = None
        self._preloaded: tuple[CreativeSpec, Future] | None = None
        self._idle_color = parse_color(cfg.idle_color)
        self._slate_lines: tuple[str, ...] = ()
        self._idle = _Idle(self.size, self._idle_color)
        self.current: Creative = self._idle
        self._previous: Creative | None = None
        self._switch_t = clock()
        self._events: deque[ScreenEvent] = deque(maxlen=1000)
        self.screenshots = ScreenshotHook()  # what the screen shows, for the fleet's screenshot command
        self.frame_times: deque[float] = deque(maxlen=3600)  # seconds to draw each frame
        self.frames = 0
        self._drawn_videos: list[VideoCreative] = []  # drawn into the frame being composed
        self._switches = 0  # creatives taken so far: part of what identifies a frame
        self._drawn_key: tuple | None = None  # what the canvas holds (None: redraw)
        self.unchanged = False  # the last draw found the canvas already showing its frame
        self._fps_t, self._fps_n, self.fps = clock(), 0, 0.0
        # Text slides keep clear of the notice, wherever it is and whether or not it shows now.
        h = self.notice.height(self.size, True)
        self._safe_bottom = h if notice.position == "bottom" else 0
        self._safe_top = h if notice.position == "top" else 0

    # ------------------------------------------------------------------ what to show

    def preload(self, spec: CreativeSpec) -> None:
        """Start preparing what will most likely play next, so that ``show(spec)`` is instant.

        Only the latest preload is kept; an older one that was not shown is released.
        """
        if self._preloaded is not None:
            if self._preloaded[0] == spec:
                return
            self._preloaded[1].add_done_callback(_close_unused)
        self._preloaded = (spec, self._pool.submit(self._prepare, spec, 0.0))

    def show(self, spec: CreativeSpec, *, at: float = 0.0, wait: bool = False) -> None:
        """Put ``spec`` on screen at the first tick after it is prepared (off the render thread).

        Uses the preloaded creative when it is this one. A newer ``show`` supersedes one still
        being prepared. ``at`` starts a video that many seconds in. ``wait`` blocks until it
        is prepared (preview, tests).
        """
        if self._pending is not None:
            self._pending[1].add_done_callback(_close_unused)
        if self._preloaded is not None and self._preloaded[0] == spec and at == 0.0:
            fut = self._preloaded[1]
            self._preloaded = None
        else:
            fut = self._pool.submit(self._prepare, spec, at)
        self._pending = (spec, fut)
        if wait:
            try:
                fut.result()
            except Exception:
                pass  # reported by the tick that takes it

    def put(self, creative: Creative) -> None:
        """Put a creative prepared elsewhere on screen at the next tick (tests, benchmarks)."""
        if self._pending is not None:
            self._pending[1].add_done_callback(_close_unused)
        fut: Future = Future()
        fut.set_result(creative)
        self._pending = (creative.spec, fut)

    def set_slate(self, lines: tuple[str, ...] = ()) -> None:
        """Words on the idle slate (the "no playlist" slate), or none; taken at once when idle."""
        if lines == self._slate_lines:
            return
        self._slate_lines = lines
        old = self._idle
        self._idle = _Idle(self.size, self._idle_color, lines, self._safe_bottom)
        if self.current is old:
            self.current = self._idle
            self._switches += 1
        log.info("screen: idle slate %s", repr(" / ".join(lines)) if lines else "plain")

    def idle(self) -> None:
        """Nothing to play: fade to the idle slate (the notice stays)."""
        if self.current is self._idle:
            return
        if self._pending is not None:
            self._pending[1].add_done_callback(_close_unused)
        fut: Future = Future()
        fut.set_result(self._idle)
        self._pending = (None, fut)

    def _prepare(self, spec: CreativeSpec, at: float) -> Creative:
        creative = prepare(spec, self.size, safe_bottom=self._safe_bottom, safe_top=self._safe_top, at=at)
        if isinstance(creative, VideoCreative):
            creative.clock = self.clock  # its frames' times are on the screen's clock (before start())
        return creative

    @property
    def preparing(self) -> bool:
        return self._pending is not None

    def wait_prepared(self, timeout: float | None = None) -> bool:
        """Wait until what is being prepared (to show next, and the preload) is ready, so the next
        tick can take it; True if it is. For callers that run the clock faster than real time
        (tests, simulations): the render loop itself never waits."""
        futures = [item[1] for item in (self._pending, self._preloaded) if item is not None]
        return not wait(futures, timeout).not_done

    @property
    def current_id(self) -> str | None:
        return self.current.spec.id if self.current.spec is not None else None

    def elapsed(self, now: float | None = None) -> float:
        """Seconds the current creative has been on screen."""
        return (self.clock() if now is None else now) - self._switch_t

    def set_camera(self, on: bool) -> None:
        if on != self.camera_on:
            log.info("screen: camera %s; privacy notice %s", "on" if on else "off",
                     "shown" if self.notice.visible(on) else "hidden")
        self.camera_on = on

    def set_audience(self, snapshot: AudienceSnapshot | None) -> None:
        self._audience = snapshot

    def toggle_overlay(self) -> None:
        self.show_overlay = not self.show_overlay
        log.info("screen: operator overlay %s", "on" if self.show_overlay else "off")

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Key O toggles the operator overlay. Returns True when the event was used."""
        if event.type == pygame.KEYDOWN and event.key == pygame.K_o:
            self.toggle_overlay()
            return True
        return False

    def drain_events(self) -> list[ScreenEvent]:
        out = list(self._events)
        self._events.clear()
        return out

    # ------------------------------------------------------------------ frames

    def _take_pending(self, now: float) -> None:
        if self._pending is None or not self._pending[1].done():
            return
        spec, fut = self._pending
        self._pending = None
        try:
            new = fut.result()
        except CreativeError as exc:
            log.error("screen: %s; skipped, %s stays on screen", exc, self.current_id or "the idle screen")
            self._events.append(ScreenEvent("skip", spec.id, now, str(exc)))
            return
        except Exception as exc:  # a bug in preparing must not take the screen down
            log.exception("screen: creative %r could not be prepared; skipped", spec.id)
            self._events.append(ScreenEvent("skip", spec.id, now, repr(exc)))
            return
        if self._previous is not None:  # a transition still running: its outgoing frame goes now
            self._retire(self._previous)
        self._previous = self.current
        self.current = new
        self._switches += 1
        self._switch_t = now
        new.start(now)
        if spec is None:
            log.info("screen: idle")
            return
        self._events.append(ScreenEvent("start", spec.id, now))
        t = spec.transition
        log.info("screen: %s (%s) on, %s", spec.id, spec.kind, t.kind if t.kind == "cut" else f"{t.kind} {t.duration_s:.1f}s")

    def _retire(self, creative: Creative) -> None:
        if isinstance(creative, VideoCreative):
            self._pool.submit(creative.close)  # joining its thread is not the render loop's job

    def draw(self, now: float | None = None) -> None:
        """Compose one frame onto the canvas (no present): creative, overlay, notice last."""
        now = self.clock() if now is None else now
        self._take_pending(now)
        self._drawn_videos = []
        new = self._frame_of(self.current, now)
        # Nothing changed since the last frame (a still, or a video's frame on its second
        # refresh; no transition, no overlay): the canvas already holds this very frame. Whatever
        # is drawn below and can change from one frame to the next must be part of this key.
        key = (self._switches, getattr(self.current, "frame_version", 0), self.camera_on, self.notice.renders,
               self.size) if self._previous is None and not self.show_overlay else None
        self.unchanged = key is not None and key == self._drawn_key
        if self.unchanged:
            return
        if self._previous is not None:
            tr = self.current.spec.transition if self.current.spec is not None else _IDLE_TRANSITION
            elapsed = now - self._switch_t
            if transitions.is_done(tr, elapsed):
                self._retire(self._previous)
                self._previous = None
                self.canvas.blit(new, (0, 0))
            else:
                p = transitions.progress(elapsed, tr.duration_s)
                transitions.compose(self.canvas, tr.kind, p, self._frame_of(self._previous, now), new)
        else:
            self.canvas.blit(new, (0, 0))
        if self.show_overlay:
            if self._operator.due(self.size, now):  # the numbers are gathered twice a second, not per frame
                self._operator.update(self.size, self._operator_text(), now)
            self._operator.draw(self.canvas)
        self.notice.draw(self.canvas, self.camera_on)
        self._drawn_key = key if key is None or key[3] == self.notice.renders else None

    def _frame_of(self, creative: Creative, now: float) -> "pygame.Surface":
        if isinstance(creative, VideoCreative):  # the newest frame due on this refresh
            self._drawn_videos.append(creative)
            return creative.frame(now, self.pacer.period)
        return creative.frame()

    def tick(self, now: float | None = None) -> float:
        """Draw and show one frame. Returns the seconds spent drawing it (before present)."""
        t0 = self.clock()
        now = t0 if now is None else now
        self.draw(now)
        dt = self.clock() - t0
        self.frame_times.append(dt)
        self.display.unchanged = self.unchanged
        self.display.present()
        self.screenshots.presented(self.canvas)
        for video in self._drawn_videos:  # counted as shown once it is in the frame flipped
            video.presented(now)
        self._drawn_videos = []
        self.frames += 1
        self._fps_n += 1
        if t0 - self._fps_t >= 1.0:
            self.fps = self._fps_n / (t0 - self._fps_t)
            self._fps_t, self._fps_n = t0, 0
        return dt

    def wait_next_frame(self) -> None:
        self.pacer.wait()

    def _operator_text(self) -> tuple[str, ...]:
        times = sorted(self.frame_times)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000 if times else 0.0
        video = None
        if isinstance(self.current, VideoCreative):
            s = self.current.stats
            video = f"video {s.fps:.0f} fps  due {s.due}  shown {s.shown}  late {s.late}  dropped {s.dropped}"
        name = f"{self.current_id} ({self.current.kind})" if self.current_id else "idle"
        return operator_lines(self._audience, self.camera_on, self.fps, p99, name, video, self.notice.paused_until)

    def close(self) -> None:
        for c in (self._previous, self.current):
            if c is not None:
                c.close()
        for held in (self._pending, self._preloaded):
            if held is not None:
                held[1].add_done_callback(_close_unused)
        self._pool.shutdown(wait=True)


def _close_unused(fut: Future) -> None:
    """A creative prepared but superseded before it was shown: release it."""
    if not fut.cancelled() and fut.exception() is None and not isinstance(fut.result(), _Idle):
        fut.result().close()
