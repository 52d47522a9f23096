"""Screen benchmark: video frames due, shown, late and dropped; frame times; switch latency.

    .venv/bin/python bench/render.py [--only video|ui|compose] [--sources 1080p30 1080p60 4K30]
        [--screens 1080p 4K] [--rotations 0 90] [--sensing off on] [--driver dummy] [--xvfb]
        [--compositor surface gpu]

``--compositor``: which path composes the frames (signage/render/present.py), one or both:
"surface" (OpenCV turns the canvas into the window surface, SDL flips it) or "gpu" (SDL's
renderer: the canvas uploaded into a texture, turned and presented by it; on the dummy driver
that is SDL's software renderer, allowed here); each case prints the path that ran.

Compose (``--only compose``): the render thread's CPU per refresh, composing (draw: a crossfade
between two pictures, the notice) and presenting (turn, upload, flip or present) measured apart,
and presenting a frame that did not change, on the 1080p and 4K screens at each rotation.

Video (bench/render_video.py): 1080p30, 1080p60 and 4K30 sources on 1080p and 4K screens,
rotation 0 and 90, without and with sensing running beside it, counted from what reaches
the screen (each frame's number read back off the surface flipped); the render thread's
CPU time per frame includes the present (rotation and flip). ``--xvfb`` runs it all again
under Xvfb (a real X server, SDL's x11 driver) when xvfb-run is installed.

UI: frame time is what the render loop spends composing one frame and blitting it to the
display surface (creative or transition, then the notice), paced at 60 fps, with the next
creative prepared on the preparer thread meanwhile. Figures go to stdout.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from signage.config import DisplayConfig, NoticeConfig  # noqa: E402
from signage.render.display import Display  # noqa: E402
from signage.render.screen import Screen  # noqa: E402
from signage.values import CreativeSpec, TransitionSpec  # noqa: E402

import render_video  # noqa: E402  (bench/render_video.py)

CONTENT = ROOT / "content"
PICTURES = ["welcome.png", "pastry.png", "evening.png", "lunch-menu.png"]


def img(name: str, kind: str = "cut", dur: float = 0.0, id: str | None = None) -> CreativeSpec:
    return CreativeSpec(id=id or name.split(".")[0], kind="image", duration_s=8, fit="fill", path=str(CONTENT / name),
                        transition=TransitionSpec(kind, dur))


def vid(kind: str = "cut", dur: float = 0.0) -> CreativeSpec:
    return CreativeSpec(id="promo", kind="video", duration_s=6, fit="fit", background="#2b1d16",
                        path=str(CONTENT / "promo.mp4"), transition=TransitionSpec(kind, dur))


def dist(times_s: list[float]) -> str:
    ms = sorted(t * 1000 for t in times_s)
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):5.2f} ms  p99 {p99:5.2f}  max {ms[-1]:5.2f}  ({len(ms)} frames)"


CPU: dict[str, list[float]] = {"steady": [], "moving": []}


def run(scr: Screen, seconds: float, schedule=None) -> tuple[list[float], list[float], int]:
    """Tick at the display's pace for ``seconds``; ``schedule(t)`` may switch creatives.
    Returns the draw times of steady frames, of frames mid-transition, and late frames.
    The render thread's own CPU time per frame goes to CPU (the machine may be shared)."""
    steady, moving = [], []
    CPU["steady"], CPU["moving"] = [], []
    late0 = scr.pacer.late_frames
    t0 = time.perf_counter()
    while (now := time.perf_counter()) - t0 < seconds:
        if schedule:
            schedule(now - t0)
        in_transition = scr._previous is not None
        c0 = time.thread_time()
        dt = scr.tick()
        cpu = time.thread_time() - c0
        which = "moving" if in_transition or scr._previous is not None else "steady"
        (moving if which == "moving" else steady).append(dt)
        CPU[which].append(cpu)
        scr.wait_next_frame()
    return steady, moving, scr.pacer.late_frames - late0


def compose(args) -> None:
    """The render thread's CPU per refresh, draw and present apart, for each compositor, screen
    and rotation: a long crossfade (every frame redrawn), then a still (nothing changed)."""
    import pygame

    print(f"compose: {args.driver} driver, 60 Hz pacing, privacy notice on; load average "
          f"{os.getloadavg()[0]:.2f} at the start")
    for compositor in args.compositor:
        for screen in args.screens:
            for rotation in args.rotations:
                size = render_video.SCREENS[screen]
                disp = Display(DisplayConfig(driver=args.driver, fullscreen=False, size=size, rotation=rotation, fps=60,
                                             vsync=False, compositor=compositor), allow_software_renderer=True).open()
                scr = Screen(disp, NoticeConfig(), camera_on=True)
                path = disp.compositor + (f" {disp.presenter.name}" if disp.compositor == "renderer" else "")
                try:
                    scr.show(img("welcome.png"), wait=True)
                    scr.tick()
                    scr.show(img("pastry.png", "crossfade", 60.0), wait=True)
                    out = {}
                    for label, frames in (("crossfade", 120), ("still", 60)):
                        if label == "still":
                            scr.show(img("evening.png"), wait=True)
                            for _ in range(3):  # past the cut: unchanged from here on
                                scr.tick()
                        draw, present = [], []
                        p0 = time.process_time()
                        for _ in range(frames):
                            c0 = time.thread_time()
                            scr.draw()
                            c1 = time.thread_time()
                            disp.unchanged = scr.unchanged
                            disp.present()
                            c2 = time.thread_time()
                            draw.append(c1 - c0)
                            present.append(c2 - c1)
                            pygame.event.pump()
                            scr.wait_next_frame()
                        out[label] = (draw, present, (time.process_time() - p0) / frames)
                    (d, p, proc), (_, ps, _) = out["crossfade"], out["still"]
                    med = lambda v: statistics.median(v) * 1000  # noqa: E731
                    print(f"{screen:5s} rot {rotation:3d} [{path}]: crossfade draw {med(d):6.2f} ms + present "
                          f"{med(p):6.2f} ms = {med([a + b for a, b in zip(d, p)]):6.2f} ms CPU/refresh (process, "
                          f"all threads: {proc * 1000:6.2f}); still: present "
                          f"{med(ps):6.2f} ms; load {os.getloadavg()[0]:.2f}", flush=True)
                finally:
                    scr.close()
                    disp.close()


def xvfb(args) -> None:
    """The video and compose parts again under Xvfb (a real X server; SDL's x11 driver), when it is installed."""
    if shutil.which("xvfb-run") is None:
        print("xvfb: xvfb-run is not installed (apt-get install xvfb); skipped")
        return
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 3840x2160x24", sys.executable, __file__, "--only", args.only or "video",
           "--driver", "x11", "--clips", args.clips, "--sources", *args.sources, "--screens", *args.screens,
           "--rotations", *map(str, args.rotations), "--sensing", *({False: "off", True: "on", "process": "process"}[s] for s in args.sensing),
           "--compositor", *args.compositor]
    print("xvfb: " + " ".join(cmd[:5]) + " ...", flush=True)
    subprocess.run(cmd, check=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1920x1080", help="screen size for the UI part")
    ap.add_argument("--only", choices=("video", "ui", "compose"))
    ap.add_argument("--compositor", nargs="+", default=["surface"], choices=("surface", "gpu"),
                    help="the path composing the frames (gpu: SDL's renderer, its software one on the dummy driver)")
    ap.add_argument("--sources", nargs="+", default=["1080p30", "1080p60", "4K30"], choices=render_video.SOURCES)
    ap.add_argument("--screens", nargs="+", default=["1080p", "4K"], choices=render_video.SCREENS)
    ap.add_argument("--rotations", nargs="+", type=int, default=[0, 90], choices=(0, 90, 180, 270))
    ap.add_argument("--sensing", nargs="+", default=["off", "on"], choices=("off", "on", "process"),
                    help="on: sensing in a thread of this process; process: in its own process (the player's default)")
    ap.add_argument("--sensing-nice", type=int, default=0,
                    help="experiment: lower the priority of the threads running when sensing has started (not the player's way)")
    ap.add_argument("--decode-threads", type=int, help="FFmpeg decoding threads (default: the player's choice)")
    ap.add_argument("--driver", default="dummy", help="SDL video driver (x11 under --xvfb)")
    ap.add_argument("--xvfb", action="store_true", help="run again under xvfb-run with the x11 driver")
    ap.add_argument("--clips", default=os.path.join(tempfile.gettempdir(), "signage-bench-clips"),
                    help="where the numbered test videos are written (kept for the next run)")
    args = ap.parse_args()
    args.sensing = [{"off": False, "on": True, "process": "process"}[s] for s in args.sensing]
    os.environ["SDL_VIDEODRIVER"] = args.driver
    if args.decode_threads:
        import signage.render.video_source as video_source

        video_source.DECODE_THREADS = args.decode_threads
    if args.only == "compose":
        compose(args)
    if args.only in (None, "video"):
        render_video.run(args)
    if args.xvfb and args.only in (None, "video", "compose"):
        xvfb(args)
    if args.only in ("video", "compose"):
        return 0
    w, h = (int(v) for v in args.size.lower().split("x"))

    disp = Display(DisplayConfig(driver="dummy", fullscreen=False, size=(w, h), fps=60, compositor=args.compositor[0]),
                   allow_software_renderer=True).open()
    scr = Screen(disp, NoticeConfig(), camera_on=True)
    print(f"compositor {disp.compositor}{' ' + disp.presenter.name if disp.compositor == 'renderer' else ''}; "
          f"screen {w}x{h}, SDL {disp.driver} driver, 60 fps pacing, privacy notice on "
          f"({scr.notice.height(scr.size, True)} px band); {os.cpu_count()} cores, {platform.machine()}, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")

    # 1. A still image.
    scr.show(img("welcome.png"), wait=True)
    steady, _, late = run(scr, 10.0)
    print(f"image      {dist(steady[5:])}, late frames {late}")
    print(f"  cpu      {dist(CPU['steady'][5:])}  (the render thread's own CPU time per frame)")

    # 2. Transitions: crossfade and slide (0.6 s), a switch every 1.5 s, next prepared meanwhile.
    order = [img(PICTURES[i % 4], ("crossfade", "slide")[i % 2], 0.6, id=f"p{i}") for i in range(16)]
    state = {"i": 0}

    def every_1_5s(t: float) -> None:
        if t >= 1.5 * state["i"] + 0.5 and state["i"] < len(order):
            scr.show(order[state["i"]])
            state["i"] += 1

    steady, moving, late = run(scr, 1.5 * len(order) + 1.0, every_1_5s)
    print(f"transition {dist(moving)}, late frames {late}")
    print(f"  cpu      {dist(CPU['moving'])}")
    print(f"  between  {dist(steady)}  (still frames while the next picture is prepared)")

    # 4. Switch latency: show() to the first frame of the next creative.
    def latency(spec: CreativeSpec, preload: bool) -> float:
        if preload:
            scr.preload(spec)
            time.sleep(0.4)
        t0 = time.perf_counter()
        scr.show(spec)
        while scr.preparing:
            scr.tick()
            scr.wait_next_frame()
        scr.tick()
        return time.perf_counter() - t0

    for label, make in (("image", lambda i: img(PICTURES[i % 4], id=f"l{i}")), ("video", lambda i: vid())):
        cold = [latency(make(i), False) for i in range(6)]
        warm = [latency(make(i), True) for i in range(6)]
        print(f"switch {label}: to first frame, not preloaded median {statistics.median(cold) * 1000:.0f} ms "
              f"(max {max(cold) * 1000:.0f}); preloaded median {statistics.median(warm) * 1000:.1f} ms "
              f"(max {max(warm) * 1000:.1f})")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    scr.close()
    disp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
