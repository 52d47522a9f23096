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

The choices and checks live in modules named for them: ``run_options.py`` (the options, the
camera and playlist chosen), ``preflight.py`` (what must hold before anything starts),
``display_fallback.py`` (the display, or headless), ``first_playlist.py`` (the playlist to
start with) and ``run_monitor.py`` (what each frame tells the health status and systemd).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass

from signage.config import Settings
from signage.display_fallback import open_display
from signage.first_playlist import load_first
from signage.preflight import Refused, preflight
from signage.run_options import RunOptions, camera_config, playlist_path

log = logging.getLogger("signage")


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
    fleet: object = None  # the fleet agent (fleet.enabled), signage/fleet/service.py
    pause_inputs: object = None  # the staff's pause file and the button (signage/pause_inputs.py)

    def start(self) -> None:
        if self.pause_inputs is not None:  # a pause asked before the start keeps the camera closed from it
            self.pause_inputs.start()
            self.player.apply_pause()
        self.sensing.start()
        self.watcher.start()
        self.trimmer.start()
        self.health.start()
        if self.fleet is not None:
            self.fleet.start()

    def close(self) -> None:
        if self.fleet is not None:
            self.fleet.stop()
        logging.getLogger("signage.analytics").removeHandler(self.analytics_log)
        self.notifier.stopping()
        if self.pause_inputs is not None:
            self.pause_inputs.stop()
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


def build(settings: Settings, opts: RunOptions, *, wall=None, stop: threading.Event | None = None) -> Built:
    """Load the playlist (the demo or the "no playlist" slate when it is invalid), open the
    display and build every part. ``wall`` replaces the wall clock (benchmarks run it faster);
    ``stop`` is set when the run must end by itself (``--camera-once`` whose video fails)."""
    from signage.analytics.history import recent_plays

    from signage.analytics.writer import AnalyticsWriter
    from signage.director import Director
    from signage.fleet.service import build_agent, fleet_content
    from signage.health import HealthReporter, LastWarning, analytics_status
    from signage.memory import MemoryTrimmer, limit_arenas
    from signage.player import Player
    from signage.playlist.watch import PlaylistWatcher
    from signage.render.screen import Screen
    from signage.run_monitor import RunMonitor
    from signage.sensing.service import SensingService
    from signage.slate import SLATE, is_slate
    from signage.systemd import Notifier

    camera = camera_config(settings, opts.camera)
    preflight(settings, opts, camera)
    limit_arenas(2)  # before any thread starts: freed memory is reused, not spread over arenas
    content = fleet_content(settings)  # before the playlist is chosen: the player follows what the fleet activates
    path = playlist_path(settings, opts.playlist)
    active, first, playlist_problem = load_first(settings, path, explicit=opts.playlist is not None)
    loaded = active.current
    assert loaded is not None
    log.info("playlist %r (%s): %d creatives, %d rules", loaded.playlist.name, loaded.path,
             len(loaded.playlist.creatives), len(loaded.playlist.rules))

    analytics_cfg = settings.analytics if opts.db is None else settings.analytics.model_copy(update={"db_path": opts.db})
    display, display_status = open_display(settings, opts)
    screen = Screen(display, settings.notice, camera_on=camera.enabled)
    if settings.player.sensing_isolation == "process" and wall is None:
        from signage.sensing.process import SensingProcess

        from signage.memory import physical_memory, standby_wanted

        standby, why = standby_wanted(settings.player.sensing_standby, physical_memory())
        log.info("sensing: %s standby (%s)", "a warm" if standby else "no", why)
        sensing = SensingProcess(settings.sensing, camera, stale_after_s=settings.player.audience_stale_s,
                                 once=opts.camera_once, log_level=settings.log_level, standby=standby)
    else:
        if camera.enabled:
            log.warning("sensing runs in a thread of the player: no kernel sandbox (player.sensing_isolation)")
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
    health.set_static(display=display_status, playlist_problem=playlist_problem,
                      playlist_watched=str(path) if path is not None else "")  # what the watcher follows
    health.add_part("analytics", lambda failing: analytics_status(
        analytics.stats, db=str(analytics.path), queue=analytics.pending(), last_error=warning.message,
        failing_s=failing(analytics.stats.state == "retrying")))
    if is_slate(loaded):
        screen.set_slate(SLATE)
    notifier = Notifier()
    failed: list[str] = []
    on_frame = RunMonitor(active=active, screen=screen, health=health, notifier=notifier,
                          playlist_problem=playlist_problem, camera_once=opts.camera_once, failed=failed, stop=stop)

    from signage.pause_inputs import build_pause

    pause, pause_inputs = build_pause(settings, camera.enabled)
    kw = {"wall": wall} if wall is not None else {}
    player = Player(active=active, director=director, screen=screen, sensing=sensing, analytics=analytics,
                    on_frame=on_frame, until_camera_ends=opts.camera_once,
                    quit_key=settings.display.quit_key, pause=pause, **kw)
    fleet = build_agent(settings, analytics_cfg, store=content, screen=screen, watcher=watcher, active=active)
    return Built(player=player, display=display, screen=screen, sensing=sensing, watcher=watcher, analytics=analytics,
                 trimmer=MemoryTrimmer(), health=health, notifier=notifier, failed=failed,
                 analytics_log=warning, fleet=fleet, pause_inputs=pause_inputs)


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
