"""The player's main loop: the one place where sensing, the playlist, the screen and the
analytics meet (see ARCHITECTURE.md). Everything it drives is built by ``app.py``.

Each frame, on the main thread: take the latest audience snapshot (never waiting on the
camera), let the director decide when a decision is due, hand the screen what to show
(prepared in advance), draw one frame, and pass proof-of-play events to the analytics
writer (which writes on its own thread). A playlist swapped in by the watcher is taken at
the next frame. A passer-by's pause (``PauseControl``, signage/pause.py: a key nothing else
uses, a button, the admin service) closes the camera while it runs: the notice says until
when, and with no audience measurement no audience rule fires. ``stop`` (set by SIGTERM or SIGINT) ends the loop cleanly: the play on
screen is recorded as interrupted and everything queued is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import pygame

from signage.director import Director, Idle, Play, Show
from signage.pause import PauseControl
from signage.playlist.active import ActivePlaylist
from signage.render.screen import Screen
from signage.values import AudienceSnapshot, SensingStatus

log = logging.getLogger("signage.player")


class Sensing(Protocol):
    """What the player needs of sensing (``SensingService``): the latest numbers, never a frame."""

    def latest(self) -> AudienceSnapshot | None: ...
    def status(self) -> SensingStatus: ...
    def mark_play(self, label: int) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


class Analytics(Protocol):
    def play_started(self, creative_id: str, **kw) -> object: ...
    def on_record(self, handle: object, now=None) -> bool: ...
    def play_on_screen(self, handle: object, now=None) -> None: ...
    def play_ended(self, handle: object, outcome: str = "completed", now=None) -> None: ...
    def audience(self, snapshot: AudienceSnapshot | None, now=None) -> None: ...
    def paused(self, paused: bool, now=None) -> None: ...
    def close(self, timeout: float = 5.0, now=None) -> None: ...


@dataclass
class PlayerState:
    """What the player is doing, for the health report (numbers and ids only)."""

    started_at: dt.datetime
    frames: int = 0
    creative: str | None = None
    rule: str | None = None
    reason: str = ""
    decided_at: dt.datetime | None = None
    playlist: str = ""
    playlist_version: int = 0
    playlist_file: str = ""  # the real file in use (the admin service compares it with its active version)
    sensing: SensingStatus | None = None
    audience: AudienceSnapshot | None = None
    render_fps: float = 0.0
    paused_until: dt.datetime | None = None  # audience measurement paused by a passer-by until then
    errors: list[tuple[str, str]] = field(default_factory=list)  # (ISO time, message), newest last

    def error(self, now: dt.datetime, message: str) -> None:
        self.errors.append((now.isoformat(timespec="seconds"), message))
        del self.errors[:-20]


# How long the start waits for the first creative before it draws anything (a big video on a
# slow card may take longer: the slate then shows until it is ready, as before).
FIRST_FRAME_WAIT_S = 3.0


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Player:
    def __init__(self, *, active: ActivePlaylist, director: Director, screen: Screen, sensing: Sensing,
                 analytics: Analytics | None = None, wall: Callable[[], dt.datetime] = utcnow,
                 on_frame: Callable[[PlayerState], None] | None = None, until_camera_ends: bool = False,
                quit_key: bool = False, pause: PauseControl | None = None) -> None:
        self.active = active
        self.director = director
        self.screen = screen
        self.sensing = sensing
        self.analytics = analytics
        self.wall = wall
        self.on_frame = on_frame
        self.until_camera_ends = until_camera_ends  # a scripted run: a video as the camera, played once
        self.quit_key = quit_key  # Escape stops the player
        self.pause = pause  # None: nothing can pause audience measurement (the camera is off by configuration)
        self.state = PlayerState(started_at=wall(), playlist=director.loaded.playlist.name,
                                 playlist_version=active.version, playlist_file=str(director.loaded.path))
        self._version = active.version
        self._handles: dict[int, object] = {}  # director play id -> analytics handle
        self._on_screen: set[int] = set()  # plays whose first frame was shown
        self._pending: Show | None = None  # decided, shown once its open row is on record
        self._stop_asked = False  # the window was closed (or Escape): run() stops
        director.listeners.ended.append(self._ended)

    # ------------------------------------------------------------------ proof of play
    # A play is on record from its first frame: it is announced when decided, and the screen
    # switches to it once the analytics say its open row is committed (on_record: at most
    # analytics.start_wait_s later; meanwhile the previous frame stays and the loop goes on).
    def _decided(self, order: Show, now: dt.datetime) -> None:
        play = order.play
        if self.analytics is not None:
            self._handles[play.id] = self.analytics.play_started(
                play.creative, rule_id=play.rule, reason=play.reason, planned_s=play.planned_s,
                playlist=play.playlist, playlist_version=play.playlist_digest, key=play.id, now=now)
        self._pending = order

    def _show_when_recorded(self, now: dt.datetime) -> None:
        order = self._pending
        if order is None:
            return
        handle = self._handles.get(order.play.id)
        if self.analytics is None or handle is None or self.analytics.on_record(handle, now):
            self._pending = None
            self.screen.show(order.spec)

    def _started_on_screen(self, play: Play, now: dt.datetime) -> None:
        if play.id in self._on_screen:
            return
        self._on_screen.add(play.id)
        self.sensing.mark_play(play.id)  # people are counted per play from here (the label is the writer's key)
        handle = self._handles.get(play.id)
        if self.analytics is not None and handle is not None:
            self.analytics.play_on_screen(handle, now)

    def _ended(self, play: Play) -> None:
        self._on_screen.discard(play.id)
        handle = self._handles.pop(play.id, None)
        if self.analytics is not None and handle is not None:
            self.analytics.play_ended(handle, play.outcome or "completed", now=play.end)

    def _skipped(self, play: Play | None, creative: str, reason: str, now: dt.datetime) -> None:
        self.state.error(now, f"{creative}: {reason}")
        if play is not None and play.creative == creative and play.id not in self._on_screen:
            handle = self._handles.pop(play.id, None)
            if self.analytics is not None and handle is not None:
                self.analytics.play_ended(handle, "skipped", now=now)
        self.director.failed(creative, reason, now)

    # ------------------------------------------------------------------ one frame
    def frame(self) -> None:
        now = self.wall()
        if self.active.version != self._version and self.active.current is not None:
            self._version = self.active.version
            self.director.set_playlist(self.active.current)
            self.state.playlist = self.active.current.playlist.name
            self.state.playlist_version = self._version
            self.state.playlist_file = str(self.active.current.path)
        self._pause_step(now)
        status = self.sensing.status()
        audience = self.sensing.latest()
        self.screen.set_camera(status.camera_on)
        self.screen.set_audience(audience)
        if self.analytics is not None:
            self.analytics.audience(audience, now)

        order = self.director.step(now, audience)
        if isinstance(order, Show):
            self._decided(order, now)
        elif isinstance(order, Idle):
            self._pending = None
            self.screen.idle()
        self._show_when_recorded(now)
        upcoming = self.director.upcoming(now, audience)
        if upcoming is not None:
            self.screen.preload(upcoming)

        self.screen.tick()
        for ev in self.screen.drain_events():
            current = self.director.current
            if ev.kind == "start" and current is not None and current.creative == ev.creative_id:
                self._started_on_screen(current, now)
            elif ev.kind == "skip":
                self._skipped(current, ev.creative_id, ev.reason, now)

        st = self.state
        st.frames += 1
        st.sensing, st.audience, st.render_fps = status, audience, self.screen.fps
        cur = self.director.current
        st.creative, st.rule = (cur.creative, cur.rule) if cur else (None, None)
        st.reason, st.decided_at = self.director.stats.last_reason, self.director.stats.last_decision_at
        if self.on_frame is not None:
            self.on_frame(st)

    def _pause_step(self, now: dt.datetime) -> None:
        """A pause that began closes the camera, one that ended reopens it (and the analytics count both)."""
        if self.pause is None:
            return
        until = self.pause.step(now)
        if (until is not None) != (self.state.paused_until is not None):
            if until is not None:
                self.sensing.pause()
            else:
                self.sensing.resume()
                log.info("audience measurement resumed")
            if self.analytics is not None:
                self.analytics.paused(until is not None, now)
        self.state.paused_until = until
        self.screen.notice.set_paused(None if until is None else self.pause.label(until))

    def apply_pause(self) -> None:
        """Take the pause requests now (before sensing starts: an old request still running keeps
        the camera closed from the start)."""
        self._pause_step(self.wall())

    def handle_events(self) -> None:
        """The window's events: closing it (or Escape, when ``quit_key``) stops the player; a key
        the screen does not use (O: the operator overlay) may pause audience measurement."""
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                log.info("window closed: stopping")
                self._stop_asked = True
            elif self.quit_key and event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
                log.info("Escape pressed: stopping")
                self._stop_asked = True
            elif not self.screen.handle_event(event) and self.pause is not None and event.type == pygame.KEYDOWN:
                self.pause.key(event.key, self.wall())

    # ------------------------------------------------------------------ the loop
    def prepare_first(self, timeout_s: float = FIRST_FRAME_WAIT_S) -> bool:
        """Before the first frame is drawn: decide the first play, and wait (at most
        ``timeout_s``) until its open row is on record and its creative prepared, so that
        the first frame passers-by see is the creative, not a black window or the slate.
        True when it is ready (False: the loop starts anyway and the slate shows until then)."""
        deadline = time.monotonic() + timeout_s
        now = self.wall()
        audience = self.sensing.latest()
        self.screen.set_camera(self.sensing.status().camera_on)
        order = self.director.step(now, audience)
        if not isinstance(order, Show):
            return True  # nothing to play: the slate is the first frame
        self._decided(order, now)
        while self._pending is not None and time.monotonic() < deadline:
            self._show_when_recorded(now)  # the decision's own time: the loop's clock has not started
            if self._pending is not None:
                time.sleep(0.005)
        return self._pending is None and self.screen.wait_prepared(max(0.0, deadline - time.monotonic()))

    def run(self, stop: threading.Event, duration_s: float | None = None) -> None:
        """Play until ``stop`` is set (or for ``duration_s`` seconds)."""
        t_end = time.monotonic() + duration_s if duration_s is not None else None
        try:
            if not self.prepare_first():
                log.info("first creative not ready after %.0f s: the slate shows until it is", FIRST_FRAME_WAIT_S)
            while not stop.is_set():
                self.handle_events()
                if self._stop_asked:
                    stop.set()  # this frame is still drawn, as before
                self.frame()
                if self.until_camera_ends and self.state.sensing is not None and self.state.sensing.camera == "ended":
                    log.info("the camera video has ended: stopping")
                    break
                if t_end is not None and time.monotonic() >= t_end:
                    log.info("ran for %.0f s: stopping", duration_s)
                    break
                self.screen.wait_next_frame()
        finally:
            self.close()

    def close(self) -> None:
        now = self.wall()
        self.director.stop(now)
        if self.analytics is not None:
            self.analytics.close(now=now)
