"""Wiring: build the player's parts from the configuration and run it (`signage run`).

With no arguments on a machine with no camera and no display, this plays the bundled
demo playlist, headless, with the bundled sample clip standing in for the camera, and
logs what it plays and why. With a display and a camera, it runs fullscreen on the camera.

A kiosk (``player.demo_fallback = false``) never plays the demo: with no valid playlist it
shows the "no playlist" slate (``signage/slate.py``) and reports unhealthy. A display that
cannot open is logged (naming the driver and the setting) and the player runs headless,
reporting unhealthy, rather than dying in a restart loop. Refusals before anything runs
exit 1 (a playlist file that does not exist) or 2 (a configuration or option that cannot
work), as the other commands do.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from signage.config import CameraConfig, Settings, picamera2_number

log = logging.getLogger("signage")

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAYLIST = ROOT / "playlists" / "demo.yaml"
SAMPLE_CLIP = ROOT / "tests" / "data" / "white_house_hamilton_clip.mp4"


@dataclass(frozen=True)
class RunOptions:
    playlist: str | None = None  # default: player.playlist, else the bundled demo
    camera: str | None = None  # a source spec, or "off"; default: camera.source
    headless: bool = False
    windowed: bool = False
    duration_s: float | None = None
    db: str | None = None
    camera_once: bool = False  # a video as the camera plays once; the run stops at its end


def camera_config(settings: Settings, option: str | None) -> CameraConfig:
    """The camera to use: the option, else the configured one; the sample clip when the
    configured camera does not exist and ``player.demo_clip_if_no_camera`` allows it."""
    cam = settings.camera
    if option is not None:
        if option.lower() == "off":
            return cam.model_copy(update={"enabled": False})
        return cam.model_copy(update={"enabled": True, "source": int(option) if option.isdigit() else option})
    if not cam.enabled:
        return cam
    src = cam.source
    device = Path(f"/dev/video{src}") if isinstance(src, int) else None
    if device is not None and not device.exists() and settings.player.demo_clip_if_no_camera and SAMPLE_CLIP.is_file():
        log.info("no camera at %s: the sample clip %s stands in for it (demo)", device, SAMPLE_CLIP.name)
        return cam.model_copy(update={"source": str(SAMPLE_CLIP)})
    return cam


def playlist_path(settings: Settings, option: str | None) -> Path | None:
    """The playlist to play: the option, else ``player.playlist``, else the bundled demo
    (None on a kiosk, ``player.demo_fallback = false``: there is nothing to play)."""
    chosen = option or settings.player.playlist
    if chosen:
        return Path(chosen)
    return DEMO_PLAYLIST if settings.player.demo_fallback else None


class Refused(Exception):
    """``signage run`` cannot start: the message says why; ``code`` is the exit status."""

    code = 2


class NoPlaylist(Refused):
    code = 1


def camera_once_problem(camera: CameraConfig) -> str | None:
    """``--camera-once`` plays a video file once, then stops: anything else would never end."""
    src = camera.source
    if not camera.enabled:
        return "--camera-once needs a video file as the camera (--camera FILE); the camera is off"
    if isinstance(src, int) or picamera2_number(src) is not None or "://" in src:
        return f"--camera-once needs a video file as the camera; {src!r} is a camera or a stream, which never ends"
    if not Path(src).expanduser().is_file():
        return f"--camera-once: {src}: no such video file"
    return None


def open_display(settings: Settings, opts: RunOptions):
    """The display, and its part of the health status. One that cannot open (any driver) is
    logged with the setting that chose it, and the player runs headless: the schedule and
    proof of play go on, and the status says it is unhealthy (a black screen is not green)."""
    from signage.render.display import Display, DisplayError, driver_origin, wanted

    cfg = settings.display
    if opts.headless:
        cfg = cfg.model_copy(update={"driver": "dummy"})
    if opts.windowed:
        cfg = cfg.model_copy(update={"fullscreen": False})
    env = dict(os.environ)  # as it was: opening sets SDL_VIDEODRIVER to each driver it tries
    configured = wanted(cfg, env)
    try:
        display = Display(cfg).open()
        return display, display.describe(configured)
    except DisplayError as exc:
        reason = str(exc).removeprefix("cannot open a display: ")
        # asked for by name: an error; "auto" finding no display (a developer's ./run): a warning
        level = logging.WARNING if cfg.driver == "auto" and not env.get("SDL_VIDEODRIVER") else logging.ERROR
        log.log(level, "display: cannot open %s, set by %s: %s. Running headless: nothing is on the screen; the "
                "schedule and proof of play go on and the player reports unhealthy (signage status)",
                configured, driver_origin(cfg.driver, env), reason)
    try:
        display = Display(cfg.model_copy(update={"driver": "dummy", "fullscreen": False})).open()
    except DisplayError as exc:
        raise Refused(f"not even an off-screen display opens: {exc}") from None
    return display, display.describe(configured, reason)


def load_first(settings: Settings, path: Path | None, explicit: bool):
    """The playlist to start with, and what is wrong (None: the one asked for plays).

    An explicit playlist file that does not exist is refused (NoPlaylist). One that cannot be
    loaded is replaced by the bundled demo (``player.demo_fallback``) or else by the "no
    playlist" slate; the watcher swaps the real one in once it is valid."""
    from signage.playlist.loader import ActivePlaylist
    from signage.slate import no_playlist

    active = ActivePlaylist(settings.playlist)
    if path is None:
        problem = "none configured (player.playlist is empty, player.demo_fallback is false)"
        log.error("no playlist: %s; showing the 'no playlist' slate", problem)
        return ActivePlaylist(settings.playlist, loaded=no_playlist()), None, problem
    if explicit and not path.exists():
        raise NoPlaylist(f"{path}: no such playlist file (nothing played)")
    first = active.try_replace(path.resolve())
    if first.ok:
        return active, first, None
    log.error("%s", first.error.format() if first.error else f"{path}: cannot be loaded")
    # one short line for the status: the file once, then each error ("line 3: rules.0: ...")
    errors = [("line " if p.line else "") + p.format("").lstrip(":").lstrip() for p in first.error.problems] \
        if first.error else ["cannot be loaded"]
    problem = f"{path}: " + "; ".join(errors)
    if settings.player.demo_fallback:
        if path.resolve() == DEMO_PLAYLIST.resolve() or not active.try_replace(DEMO_PLAYLIST).ok:
            raise NoPlaylist(f"{path}: not loaded, and the bundled demo cannot be loaded either")
        log.warning("playing the bundled demo until %s is valid (player.demo_fallback = true)", path)
        return active, first, problem + " (the bundled demo plays instead)"
    log.warning("no playlist: showing the 'no playlist' slate until %s is valid; nothing is recorded as played "
                "(player.demo_fallback = false)", path)
    return ActivePlaylist(settings.playlist, loaded=no_playlist()), first, problem


@dataclass
class Built:
    """The player and the parts it drives, built from the configuration."""

    player: object
    display: object
    screen: object
    sensing: object
    watcher: object
    analytics: object
    trimmer: object
    health: object
    notifier: object
    failed: list[str] | None = None  # why the run stopped by itself, when it did (exit 2)
    analytics_log: logging.Handler | None = None  # keeps the analytics writer's last warning

    def start(self) -> None:
        self.sensing.start()
        self.watcher.start()
        self.trimmer.start()
        self.health.start()

    def close(self) -> None:
        logging.getLogger("signage.analytics").removeHandler(self.analytics_log)
        self.notifier.stopping()
        self.health.stop()
        self.trimmer.stop()
        self.watcher.stop()
        self.sensing.stop()
        self.player.close()
        self.screen.close()
        self.display.close()


class _NoWatcher:
    """No playlist configured: nothing to watch."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


def preflight(settings: Settings, opts: RunOptions, camera: CameraConfig) -> None:
    """What must hold before anything starts (Refused otherwise)."""
    from signage.notice_check import notice_problems

    notice = notice_problems(settings.notice, kiosk=not settings.player.demo_fallback)
    if notice:
        raise Refused("the privacy notice is not set for this site:\n  " + "\n  ".join(notice))
    if opts.camera_once:
        problem = camera_once_problem(camera)
        if problem:
            raise Refused(problem)


def build(settings: Settings, opts: RunOptions, *, wall=None, stop: threading.Event | None = None) -> Built:
    """Load the playlist (the demo or the "no playlist" slate when it is invalid), open the
    display and build every part. ``wall`` replaces the wall clock (benchmarks run it faster);
    ``stop`` is set when the run must end by itself (``--camera-once`` whose video fails)."""
    from signage.analytics.history import recent_plays

    from signage.analytics.writer import AnalyticsWriter
    from signage.director import Director
    from signage.health import HealthReporter, LastWarning, analytics_status
    from signage.healthcheck import systemd_status
    from signage.memory import MemoryTrimmer, limit_arenas
    from signage.player import Player
    from signage.playlist.watch import PlaylistWatcher
    from signage.render.screen import Screen
    from signage.sensing.service import SensingService
    from signage.slate import SLATE, is_slate
    from signage.systemd import Notifier

    camera = camera_config(settings, opts.camera)
    preflight(settings, opts, camera)
    limit_arenas(2)  # before any thread starts: freed memory is reused, not spread over arenas
    path = playlist_path(settings, opts.playlist)
    active, first, playlist_problem = load_first(settings, path, explicit=opts.playlist is not None)
    loaded = active.current
    assert loaded is not None
    log.info("playlist %r (%s): %d creatives, %d rules", loaded.playlist.name, loaded.path,
             len(loaded.playlist.creatives), len(loaded.playlist.rules))

    analytics_cfg = settings.analytics if opts.db is None else settings.analytics.model_copy(update={"db_path": opts.db})
    display, display_status = open_display(settings, opts)
    screen = Screen(display, settings.notice, camera_on=camera.enabled)
    sensing = SensingService(settings.sensing, camera, stale_after_s=settings.player.audience_stale_s,
                             once=opts.camera_once,  # minutes of people counted on the player's own clock:
                             wall=time.time if wall is None else (lambda: wall().timestamp()))
    if path is None:
        watcher = _NoWatcher()
    else:
        watcher = PlaylistWatcher(path, active, interval_s=settings.player.watch_interval_s)
        watcher.started_with(first.error if first else None)  # reported: the first look is not a refused update
    warning = LastWarning()  # before the writer's thread starts: its first warning is kept
    logging.getLogger("signage.analytics").addHandler(warning)
    analytics = AnalyticsWriter(analytics_cfg)
    director = Director(loaded, seed=settings.player.seed, preload_s=settings.player.preload_s)
    now_ts = time.time() if wall is None else wall().timestamp()  # caps and cooldowns go on across a restart:
    director.seed(recent_plays(analytics_cfg.db_path, now_ts, director.memory_s) if analytics_cfg.enabled else ())
    health = HealthReporter(settings.health)
    health.set_static(display=display_status, playlist_problem=playlist_problem)
    health.add_part("analytics", lambda failing: analytics_status(
        analytics.stats, db=str(analytics.path), queue=analytics.pending(), last_error=warning.message,
        failing_s=failing(analytics.stats.state == "retrying")))
    if is_slate(loaded):
        screen.set_slate(SLATE)
    notifier = Notifier()
    started_version = active.version
    failed: list[str] = []

    def on_frame(state) -> None:
        if playlist_problem is not None and active.version != started_version and not is_slate(active.current):
            log.info("playlist: %r in use; the 'no playlist' problem is over", state.playlist)
            health.set_static(playlist_problem=None)
            screen.set_slate(())
        if opts.camera_once and state.sensing is not None and state.sensing.camera == "reconnecting" and not failed:
            failed.append(f"--camera-once: {state.sensing.source}: cannot be played "
                          f"({state.sensing.last_error or 'the video cannot be read'})")
            log.error("%s: stopping", failed[0])
            if stop is not None:
                stop.set()
        health.update(state)
        if state.creative is not None or state.frames > 1:
            status = systemd_status(health.problems,
                                    f"{state.creative or 'idle'} ({state.rule or 'loop'}); camera {state.sensing.camera}")
            # READY even when unhealthy: the unit must not hang or restart in a loop; STATUS says why
            notifier.ready(status)
            notifier.alive(status)

    kw = {"wall": wall} if wall is not None else {}
    player = Player(active=active, director=director, screen=screen, sensing=sensing, analytics=analytics,
                    on_frame=on_frame, until_camera_ends=opts.camera_once,
                    quit_key=settings.display.quit_key, **kw)
    return Built(player=player, display=display, screen=screen, sensing=sensing, watcher=watcher, analytics=analytics,
                 trimmer=MemoryTrimmer(), health=health, notifier=notifier, failed=failed,
                 analytics_log=warning)


def run(settings: Settings, opts: RunOptions) -> int:
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            built = build(settings, opts, stop=stop)
        except Refused as exc:
            print(f"signage run: {exc}", file=sys.stderr)
            return exc.code
        try:
            built.start()
            built.player.run(stop, duration_s=opts.duration_s)
        finally:
            built.close()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    log.info("stopped after %d frames", built.player.state.frames)
    return 2 if built.failed else 0
