"""Command line: ``signage sense | validate | simulate | schema | preview | config``.

``signage sense SOURCE`` is the operators' calibration tool and the contract for
checking sensing: it prints what the pipeline sees, as numbers only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # pygame's banner is not a log line

from signage import __version__
from signage.config import ConfigError, Settings, load_settings

log = logging.getLogger("signage")

DEFAULT_SAMPLE_CLIP = Path(__file__).resolve().parent.parent / "tests" / "data" / "white_house_hamilton_clip.mp4"


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # MediaPipe / TFLite print start-up chatter through absl/glog; keep stderr readable.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _face_json(face) -> dict:
    d = face.to_dict()
    return {
        "box": d["box"],
        "score": d["score"],
        "yaw": d["yaw"],
        "pitch": d["pitch"],
        "roll": d["roll"],
        "looking": d["looking"],
        "smile": d["smile"],
        "surprise": d["surprise"],
        "mouth_open": d["mouth_open"],
        "brow_raise": d["brow_raise"],
        "expression": d["expression"],
    }


def _audience_json(snap) -> dict:
    d = snap.to_dict()
    d.pop("t", None)
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


def _summary_line(source: str, frame_no: int, t: float, faces, snap, still: bool) -> str:
    measured = [f for f in faces if f.yaw is not None]  # landmarks ran (expressions on or off)
    people = ", ".join(
        f"{f.expression + ' ' if f.expression else ''}{'looking' if f.looking else 'turned away'} (yaw {f.yaw:+.0f}"
        + (f", smile {f.smile:.2f})" if f.smile is not None else ")")
        for f in measured
    )
    far = len(faces) - len(measured)
    if far:
        people = (people + ", " if people else "") + f"{far} too small to measure"
    head = f"{source}" if still else f"{source} t={t:6.2f}s frame {frame_no}"
    expressions = ("expressions off" if snap.smile_ratio is None
                   else f"smile {snap.smile_ratio:.0%}, surprise {snap.surprise_ratio:.0%}")
    return (
        f"{head}: faces {snap.faces}, watchers {snap.watchers}, attention {snap.attention_ratio:.0%}, {expressions}"
        + ("" if still else f", passers-by {snap.passers_by}, dwell {snap.mean_dwell_s:.1f}s")
        + (f" — {people}" if people else "")
    )


def cmd_sense(args: argparse.Namespace, settings: Settings) -> int:
    from signage.hardening import no_core_dumps
    from signage.sensing.model_files import ModelError
    from signage.sensing.pipeline import SensingPipeline
    from signage.sensing.sources import SourceError, open_source

    if args.harden:
        no_core_dumps()  # a camera's frames pass through this process: no core file may hold one

    try:
        source = open_source(args.source, realtime_video=args.realtime, camera=settings.camera)
    except SourceError as exc:
        print(f"signage sense: {exc}", file=sys.stderr)
        return 2
    view = None
    cfg = settings.sensing
    if args.zones or args.zones_png:
        from signage.sensing.schematic import SchematicView
        from signage.sensing.zones import ZoneFilter

        # Boxes only: every face is found (zones marked, not applied, so the operator sees
        # their box fall inside one), and no expression is computed.
        view = SchematicView(ZoneFilter.from_config(cfg.zones), window=args.zones_png is None, png=args.zones_png)
        cfg = cfg.model_copy(update={"zones": [], "expressions": "off"})
    try:
        pipeline = SensingPipeline(cfg)
    except ModelError as exc:
        source.close()
        print(f"signage sense: cannot start sensing: {exc}", file=sys.stderr)
        return 1
    out = sys.stdout
    started = time.perf_counter()
    n = 0
    last_line = ""
    last_print = 0.0
    with source, pipeline:
        still = not source.is_stream
        while args.max_frames is None or n < args.max_frames:
            frame = source.read(timeout=1.0)
            if frame is None:
                if source.is_stream and source.stats.state not in ("closed", "ended"):
                    if getattr(source, "is_camera", False):
                        continue  # a camera with no frame yet: keep waiting, it reconnects itself
                break
            result = pipeline.process(frame, still=still)
            if view is not None:
                boxes = [f.box for f in result.faces]
                view.show(boxes, frame.size)
                inside = [z for z in (view.zones.zone_of(b, *frame.size) for b in boxes) if z]
                print(f"{frame.source}: {len(boxes)} face box(es), {len(inside)} in a zone"
                      + (f" ({', '.join(sorted(set(inside)))})" if inside else ""), file=out, flush=True)
                n += 1
                if view.closed:
                    break
                continue
            if args.json:
                record = {
                    "source": frame.source,
                    "frame": n if still else frame.index,
                    "t": round(frame.t, 3),
                    "faces": [_face_json(f) for f in result.faces],
                    "audience": _audience_json(result.audience),
                }
                out.write(json.dumps(record) + "\n")
                out.flush()
            else:
                line = _summary_line(frame.source, frame.index, frame.t, result.faces, result.audience, still)
                now = time.perf_counter()
                key = line.split(": ", 1)[1] if not still else line
                if still or key != last_line or now - last_print >= 1.0:
                    print(line, file=out, flush=True)
                    last_line, last_print = key, now
            n += 1
        elapsed = time.perf_counter() - started
        stats = source.stats
    if view is not None:
        view.close()
    print(
        f"signage sense: {n} frame(s) analysed in {elapsed:.1f}s ({n / elapsed if elapsed else 0:.1f} fps), "
        f"{stats.dropped} dropped by capture",
        file=sys.stderr,
    )
    return 0


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from signage.playlist.schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from signage.playlist.loader import PlaylistError, load_playlist

    status = 0
    for path in args.playlist:
        try:
            loaded = load_playlist(path, limits=settings.playlist)
        except PlaylistError as exc:
            print(exc.format(), file=sys.stderr)
            status = 1
            continue
        print(loaded.summary())
        from signage.render.glyph_check import playlist_warnings, safely

        for line in safely(lambda: playlist_warnings(loaded.playlist)):
            print(f"{path}: warning: {line}", file=sys.stderr)
        from signage.render import fit_check

        for line in safely(lambda: fit_check.playlist_warnings(loaded, settings.notice, settings.display)):
            print(f"{path}: warning: {line}", file=sys.stderr)
        if settings.sensing.expressions == "off":
            from signage.playlist.expression_checks import expressions_off_warnings

            for line in expressions_off_warnings(loaded.playlist):
                print(f"{path}: warning: {line}", file=sys.stderr)
    if args.playlist:
        from signage.render.band_budget import url_warnings
        from signage.render.fit_check import screens
        from signage.render.glyph_check import safely

        for line in safely(lambda: url_warnings(settings.notice, screens(settings.display))):
            print(f"warning: {line}", file=sys.stderr)
    return status


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from signage.playlist.loader import PlaylistError, load_playlist
    from signage.playlist.simulate import ScenarioError, format_report, load_scenario, report_json, simulate

    try:
        loaded = load_playlist(args.playlist, limits=settings.playlist)
    except PlaylistError as exc:
        print(exc.format(), file=sys.stderr)
        return 1
    try:
        scenario = load_scenario(args.audience)
    except ScenarioError as exc:
        print(f"signage simulate: {exc}", file=sys.stderr)
        return 2
    try:
        result = simulate(loaded.playlist, scenario, start=args.start, duration=args.duration, seed=args.seed)
    except ValueError as exc:
        print(f"signage simulate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report_json(result), indent=2) if args.json else format_report(result))
    return 0


def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from signage.config import DisplayConfig
    from signage.playlist.loader import PlaylistError, load_playlist
    from signage.render.preview import PreviewError, render_preview

    try:
        display = DisplayConfig.model_validate({**settings.display.model_dump(), "size": args.size,
                                                "rotation": args.rotation if args.rotation is not None
                                                else settings.display.rotation})
    except ValueError as exc:
        print(f"signage preview: --size/--rotation: {exc}", file=sys.stderr)
        return 2
    try:
        loaded = load_playlist(args.playlist, limits=settings.playlist)
    except PlaylistError as exc:
        print(exc.format(), file=sys.stderr)
        return 1
    ids = [c.id for c in loaded.playlist.creatives]
    cid = args.creative or loaded.playlist.loop[0]
    if cid not in ids:
        print(f"signage preview: {args.playlist}: no creative {cid!r} (it has: {', '.join(ids)})", file=sys.stderr)
        return 2
    camera_on = args.camera == "on" if args.camera else settings.camera.enabled
    try:
        out = render_preview(loaded.spec(cid), args.out, display=display, notice=settings.notice,
                             camera_on=camera_on, at=args.at)
    except PreviewError as exc:
        print(f"signage preview: {exc}", file=sys.stderr)
        return 1
    print(out)
    from signage.render import fit_check
    from signage.render.geometry import rotated_size
    from signage.render.glyph_check import safely

    size = rotated_size(tuple(display.size or (1920, 1080)), display.rotation)
    for line in safely(lambda: fit_check.preview_warnings(loaded.spec(cid), size, settings.notice)):
        print(f"signage preview: warning: {line}", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from signage.app import run
    from signage.hardening import no_core_dumps
    from signage.run_options import RunOptions

    if args.harden:
        no_core_dumps()  # before the camera opens: no core file can hold a frame

    return run(settings, RunOptions(playlist=args.playlist, camera=args.camera, headless=args.headless,
                                    windowed=args.windowed, duration_s=args.duration, db=args.db,
                                    camera_once=args.camera_once))


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from signage.status_cli import run_status

    return run_status(args, settings)


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(settings.model_dump(mode="json"), indent=2))
    from signage.render.glyph_check import notice_warnings, safely

    for line in safely(lambda: notice_warnings(settings.notice)):
        print(f"warning: {line}", file=sys.stderr)
    from signage.render.band_budget import url_warnings
    from signage.render.fit_check import screens

    for line in safely(lambda: url_warnings(settings.notice, screens(settings.display))):
        print(f"warning: {line}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from signage.analytics.cli import run_report
    from signage.campaigns import index_for

    return run_report(args, settings, campaigns=lambda: index_for(args.playlist, settings))


def cmd_admin(args: argparse.Namespace, settings: Settings) -> int:
    from signage.admin.cli import run_admin

    return run_admin(args, settings)


def cmd_privacy(args: argparse.Namespace, settings: Settings) -> int:
    from signage.disclosure.cli import run_privacy

    return run_privacy(args, settings)


def cmd_dpia(args: argparse.Namespace, settings: Settings) -> int:
    from signage.disclosure.cli import run_dpia

    return run_dpia(args, settings)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="signage", description="Adaptive digital-signage player.")
    p.add_argument("--version", action="version", version=f"signage {__version__}")
    p.add_argument("--config", metavar="FILE", help="TOML configuration file (default: $SIGNAGE_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "sense",
        help="analyse a camera, video, image or folder of images and print the audience numbers",
        description="Run audience sensing on SOURCE: a camera index (0), picamera2 or picamera2:N (a Raspberry Pi "
        "camera module, docs/camera.md), a stream URL, a video file, an image, or a folder of images. A still image is analysed as one photo; a video or camera "
        "as a stream (with tracking); a folder image by image.",
    )
    s.add_argument("source", nargs="?", default=str(DEFAULT_SAMPLE_CLIP), help="default: the bundled sample clip")
    s.add_argument("--json", action="store_true", help="one JSON object per analysed frame on stdout")
    s.add_argument("--max-frames", type=int, default=None, metavar="N", help="stop after N frames")
    s.add_argument(
        "--realtime",
        action="store_true",
        help="play a video file at its own rate, like a camera (frames the analyser cannot keep up with are dropped)",
    )
    s.add_argument("--zones", action="store_true",
                   help="set exclusion zones: a live schematic of face boxes and sensing.zones on a blank grid, "
                        "in a window (never a camera image); no audience numbers")
    s.add_argument("--zones-png", metavar="FILE.png", default=None,
                   help="with --zones: write the schematic to this PNG (rewritten each frame) instead of a window")
    s.set_defaults(func=cmd_sense)

    rn = sub.add_parser(
        "run",
        help="play: the player, fullscreen (headless when there is no display)",
        description="Play PLAYLIST (default: player.playlist, else the bundled demo) with audience sensing on "
        "the camera (default: camera.source; with no camera, the bundled sample clip stands in for it). "
        "With no display it runs headless and logs what it plays and why (and reports unhealthy when a display "
        "was configured). SIGTERM or SIGINT stops it cleanly. Exit 1: PLAYLIST does not exist (nothing plays); "
        "2: a configuration or option that cannot work (e.g. the notice's placeholders, --camera-once without "
        "a readable video).",
    )
    rn.add_argument("playlist", nargs="?", default=None)
    rn.add_argument("--camera", default=None, metavar="SOURCE",
                    help="camera index, device, picamera2[:N], stream URL or video file; 'off' for no camera")
    rn.add_argument("--camera-once", action="store_true",
                    help="with a video file as the camera: play it once and stop at its end (scripted runs)")
    rn.add_argument("--headless", action="store_true", help="draw off screen (SDL dummy driver)")
    rn.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    rn.add_argument("--duration", type=float, default=None, metavar="SECONDS", help="stop after this long")
    rn.add_argument("--db", default=None, metavar="FILE", help="analytics database (default: analytics.db_path)")
    rn.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check playlists and every file they use; exit 1 listing every error")
    v.add_argument("playlist", nargs="+", help="playlist file(s), YAML or JSON")
    v.set_defaults(func=cmd_validate)

    m = sub.add_parser(
        "simulate",
        help="play a playlist against a scripted audience on a simulated clock and print the timeline",
    )
    m.add_argument("playlist")
    m.add_argument("--audience", required=True, metavar="SCENARIO", help="scenario file: audience values over time")
    m.add_argument("--start", default=None, metavar="ISO-TIME", help="simulated start (default: the scenario's, else now)")
    m.add_argument("--duration", default=None, metavar="DURATION", help="e.g. 2h, 90m (default: the scenario's length)")
    m.add_argument("--seed", type=int, default=0, help="seed for ties between equal rules (default 0)")
    m.add_argument("--json", action="store_true", help="timeline and summary as JSON")
    m.set_defaults(func=cmd_simulate)

    sc = sub.add_parser("schema", help="print the playlist format's JSON Schema (for editors)")
    sc.set_defaults(func=cmd_schema)

    pv = sub.add_parser(
        "preview",
        help="render one frame of a creative, with the privacy notice, to a PNG (no display needed)",
        description="Render what the screen shows for one creative of PLAYLIST, upright as people see it, "
        "to a PNG. With --rotation 90 or 270 a 1920x1080 screen gives a 1080x1920 picture.",
    )
    pv.add_argument("playlist")
    pv.add_argument("--creative", metavar="ID", help="default: the first creative of the loop")
    pv.add_argument("--at", type=float, default=0.0, metavar="SECONDS", help="a video's frame at this time (default 0)")
    pv.add_argument("--size", default="1920x1080", metavar="WxH", help="the screen's mode (default 1920x1080)")
    pv.add_argument("--rotation", type=int, choices=(0, 90, 180, 270), default=None,
                    help="degrees clockwise the picture is turned on the panel (default: display.rotation)")
    pv.add_argument("--camera", choices=("on", "off"), default=None,
                    help="draw the notice as with the camera on or off (default: camera.enabled)")
    pv.add_argument("--out", required=True, metavar="FILE.png")
    pv.set_defaults(func=cmd_preview)

    st = sub.add_parser("status", help="the running player's health: display, camera, analytics, what plays and why; "
                        "exit 1 when unhealthy or stale (each reason on one line), 2 when there is no status")
    st.add_argument("--json", action="store_true")
    st.add_argument("--file", default=None, help="status file (default: health.status_file, else on tmpfs: docs/health.md)")
    st.set_defaults(func=cmd_status)

    c = sub.add_parser("config", help="print the effective configuration as JSON")
    c.set_defaults(func=cmd_config)

    r = sub.add_parser("report", help="proof of play and audience per creative and per rule, over a period")
    from signage.analytics.cli import add_report_arguments

    add_report_arguments(r)
    r.set_defaults(func=cmd_report)

    ad = sub.add_parser("admin", help="the advertisers' upload service, and its users and API tokens")
    from signage.admin.cli import add_admin_arguments

    add_admin_arguments(ad)
    ad.set_defaults(func=cmd_admin)

    pr = sub.add_parser("privacy", help="the privacy notice's second layer as an HTML file, and the A4 poster (PDF)")
    from signage.disclosure.cli import add_privacy_arguments

    add_privacy_arguments(pr)
    pr.set_defaults(func=cmd_privacy)

    dp = sub.add_parser("dpia", help="a draft data protection impact assessment (Markdown, PDF) from the configuration")
    from signage.disclosure.cli import add_dpia_arguments

    add_dpia_arguments(dp)
    dp.set_defaults(func=cmd_dpia)

    from signage.fleet.cli import add_fleet_arguments

    add_fleet_arguments(sub.add_parser("fleet", help="the fleet's central side: the collector (broker -> PostgreSQL)"))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The process is made non-dumpable when it is the `signage` program (argv from the command
    # line), not when a test or a script calls main() inside a process of its own.
    args.harden = argv is None
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"signage: {exc}", file=sys.stderr)
        return 2
    _setup_logging(settings.log_level)
    try:
        return args.func(args, settings)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
