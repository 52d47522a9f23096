"""Wiring: build the player's parts from the configuration and run it (`signage run`).

With no arguments on a machine with no camera and no display, this plays the bundled
demo playlist, headless, with the bundled sample clip standing in for the camera, and
logs what it plays and why. With a display and a camera, it runs fullscreen on the camera.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from signage.config import CameraConfig, Settings

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


def playlist_path(settings: Settings, option: str | None) -> Path:
    return Path(option or settings.player.playlist or DEMO_PLAYLIST)


def open_display(settings: Settings, opts: RunOptions):
    from signage.render.display import Display, DisplayError

    cfg = settings.display
    if opts.headless:
        cfg = cfg.model_copy(update={"driver": "dummy"})
    if opts.windowed:
        cfg = cfg.model_copy(update={"fullscreen": False})
    try:
        return Display(cfg).open()
    except DisplayError as exc:
        if cfg.driver != "auto":
            raise
        log.warning("no display (%s): running headless; what plays is logged", exc)
        return Display(cfg.model_copy(update={"driver": "dummy", "fullscreen": False})).open()


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

    def start(self) -> None:
        self.sensing.start()
        self.watcher.start()
        self.trimmer.start()
        self.health.start()

    def close(self) -> None:
        self.notifier.stopping()
        self.health.stop()
        self.trimmer.stop()
        self.watcher.stop()
        self.sensing.stop()
        self.player.close()
        self.screen.close()
        self.display.close()


class NoPlaylist(Exception):
    pass


def build(settings: Settings, opts: RunOptions, *, wall=None) -> Built:
    """Load the playlist (or the bundled demo when it is invalid), open the display and
    build every part. ``wall`` replaces the wall clock (benchmarks run it faster)."""
    from signage.analytics.history import recent_plays
    from signage.analytics.writer import AnalyticsWriter
    from signage.director import Director
    from signage.health import HealthReporter
    from signage.memory import MemoryTrimmer, limit_arenas
    from signage.player import Player
    from signage.playlist.loader import ActivePlaylist
    from signage.playlist.watch import PlaylistWatcher
    from signage.render.screen import Screen
    from signage.sensing.service import SensingService
    from signage.systemd import Notifier

    limit_arenas(2)  # before any thread starts: freed memory is reused, not spread over arenas
    path = playlist_path(settings, opts.playlist)
    active = ActivePlaylist(settings.playlist)
    first = active.try_replace(path.resolve())
    if not first.ok:
        log.error("%s", first.error.format() if first.error else f"{path}: cannot be loaded")
        if path.resolve() == DEMO_PLAYLIST.resolve() or not active.try_replace(DEMO_PLAYLIST).ok:
            raise NoPlaylist(str(path))
        log.warning("playing the bundled demo until %s is valid", path)
    loaded = active.current
    assert loaded is not None
    log.info("playlist %r (%s): %d creatives, %d rules", loaded.playlist.name, loaded.path,
             len(loaded.playlist.creatives), len(loaded.playlist.rules))

    camera = camera_config(settings, opts.camera)
    analytics_cfg = settings.analytics if opts.db is None else settings.analytics.model_copy(update={"db_path": opts.db})
    display = open_display(settings, opts)
    screen = Screen(display, settings.notice, camera_on=camera.enabled)
    sensing = SensingService(settings.sensing, camera, stale_after_s=settings.player.audience_stale_s,
                             once=opts.camera_once,  # minutes of people counted on the player's own clock:
                             wall=time.time if wall is None else (lambda: wall().timestamp()))
    watcher = PlaylistWatcher(path, active, interval_s=settings.player.watch_interval_s)
    watcher.started_with(first.error)  # reported above: the watcher's first look is not an update refused
    analytics = AnalyticsWriter(analytics_cfg)
    director = Director(loaded, seed=settings.player.seed, preload_s=settings.player.preload_s)
    now_ts = time.time() if wall is None else wall().timestamp()  # caps and cooldowns go on across a restart:
    director.seed(recent_plays(analytics_cfg.db_path, now_ts, director.memory_s) if analytics_cfg.enabled else ())
    health = HealthReporter(settings.health)
    notifier = Notifier()

    def on_frame(state) -> None:
        health.update(state)
        if state.creative is not None or state.frames > 1:
            status = f"{state.creative or 'idle'} ({state.rule or 'loop'}); camera {state.sensing.camera}"
            notifier.ready(status)
            notifier.alive(status)

    kw = {"wall": wall} if wall is not None else {}
    player = Player(active=active, director=director, screen=screen, sensing=sensing, analytics=analytics,
                    on_frame=on_frame, until_camera_ends=opts.camera_once,
                    quit_key=settings.display.quit_key, **kw)
    return Built(player=player, display=display, screen=screen, sensing=sensing, watcher=watcher, analytics=analytics,
                 trimmer=MemoryTrimmer(), health=health, notifier=notifier)


def run(settings: Settings, opts: RunOptions) -> int:
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            built = build(settings, opts)
        except NoPlaylist:
            return 1
        try:
            built.start()
            built.player.run(stop, duration_s=opts.duration_s)
        finally:
            built.close()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    log.info("stopped after %d frames", built.player.state.frames)
    return 0
