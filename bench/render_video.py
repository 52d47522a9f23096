"""Video on the screen, counted from what reaches it (part of bench/render.py).

Each source is an mp4v file of numbered frames (tests/render/videokit.py: a barcode in a
corner, the codec this OpenCV build writes); the player's Screen plays it once, paced at
60 fps with the privacy notice on, and after every present the frame's number is read
back off the surface that was flipped (the panel, turned when the display is rotated).
From those: frames due, shown (reached the screen at least once), late (first reached it
more than a refresh after its time) and dropped (due, never on screen), beside the video's
own counters, which must agree. "with sensing": the real sensing pipeline on the sample
clip at 30 fps in a thread of the same process, as ``signage run`` does on a desktop.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "render"))

import cv2  # noqa: E402
from videokit import _grid, read_code, write_clip  # noqa: E402

from signage.config import DisplayConfig, NoticeConfig  # noqa: E402
from signage.render.display import Display  # noqa: E402
from signage.render.present import panel_rect  # noqa: E402
from signage.render.screen import Screen  # noqa: E402
from signage.render.video import VideoCreative  # noqa: E402
from signage.render.video_source import CvSource  # noqa: E402
from signage.values import CreativeSpec, TransitionSpec  # noqa: E402

CLIP = ROOT / "tests" / "data" / "white_house_hamilton_clip.mp4"  # the shared sample clip's copy
SOURCES = {"1080p30": ((1920, 1080), 30.0, 300), "1080p60": ((1920, 1080), 60.0, 600), "4K30": ((3840, 2160), 30.0, 180)}
SCREENS = {"1080p": (1920, 1080), "4K": (3840, 2160)}


def clip(name: str, folder: Path) -> Path:
    size, fps, count = SOURCES[name]
    path = folder / f"numbered-{name}-{count}.mp4"
    if not path.is_file():
        print(f"  (writing {path.name}: {count} frames {size[0]}x{size[1]} at {fps:g} fps, mp4v)", flush=True)
        write_clip(path.with_suffix(".tmp.mp4"), count, fps, size).rename(path)
    return path


@dataclass
class Played:
    due: int
    shown: int
    late: int
    dropped: int
    stats: object
    cpu_ms: list[float]  # the render thread's CPU time per frame (draw + present)
    proc_ms: float  # the whole process's CPU time per refresh (all threads)
    rss_mb: float = 0.0  # the process's resident memory at the end of the play (its frames still held)
    path: str = "surface"  # the compositor that ran: "surface" or "renderer <name>"


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def start_sensing(nice: int = 0, mode: str = "thread"):
    """Sensing on the sample clip: "thread" (in this process) or "process" (its own locked-down
    process, as the player runs it by default)."""
    from signage.config import Settings
    from signage.config.sensing import CameraConfig
    from signage.sensing.service import SensingService

    if mode == "process":
        from signage.sensing.process import SensingProcess

        svc = SensingProcess(Settings().sensing, CameraConfig(source=str(CLIP), fps=30.0)).start()
    else:
        svc = SensingService(Settings().sensing, CameraConfig(source=str(CLIP), fps=30.0)).start()
    t_end = time.monotonic() + 60
    while svc.latest() is None and time.monotonic() < t_end:  # MediaPipe loaded and running
        time.sleep(0.05)
    if nice:  # an experiment, not what the player does: the sensing threads below the screen's
        mine = {threading.main_thread().native_id}
        for tid in os.listdir("/proc/self/task"):
            name = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
            if int(tid) not in mine and not name.startswith("video:"):
                try:
                    os.setpriority(os.PRIO_PROCESS, int(tid), nice)
                except OSError:
                    pass
    return svc


def code_strip(target: tuple[int, int, int, int], rotation: int, panel: tuple[int, int]) -> tuple[int, int, int, int]:
    """The part of the panel the frame's barcode is on: all the renderer path reads back per frame."""
    tx, ty, tw, th = target
    _, bh, _, y0 = _grid(tw, th)
    return panel_rect((tx, ty, tw, min(th, y0 + 2 * bh + 1)), rotation, panel)


def play(path: Path, screen: tuple[int, int], rotation: int, driver: str, compositor: str = "surface") -> Played:
    """``compositor``: "surface", or "gpu" (SDL's renderer; its software renderer is allowed, for
    the dummy driver). The render thread's CPU excludes reading the barcode back off the renderer."""
    disp = Display(DisplayConfig(driver=driver, fullscreen=False, size=screen, rotation=rotation, fps=60,
                                 compositor=compositor), allow_software_renderer=True).open()
    disp.readback = True  # the whole panel for the first frame, the barcode's strip from then on
    scr = Screen(disp, NoticeConfig(), camera_on=True)
    try:
        spec = CreativeSpec(id="numbered", kind="video", duration_s=60, fit="fit", path=str(path),
                            transition=TransitionSpec("cut", 0.0))
        scr.show(spec, wait=True)
        c0 = time.thread_time()
        scr.tick()
        v = scr.current
        assert isinstance(v, VideoCreative), "the video did not open"
        t0, fps, period = v._t0, v.fps, scr.pacer.period
        count = int(cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT))
        first: dict[int, float] = {}
        cpu = [(time.thread_time() - c0 - disp.readback_cpu_s) * 1000]
        disp.readback = code_strip(v._target, rotation, disp.panel_size)
        p0 = time.process_time()
        ticks, last = 0, t0
        while True:
            code = read_code(disp.panel_image(), v._target, rotation)
            if code is not None and code not in first:
                first[code] = last
            scr.wait_next_frame()
            now = time.perf_counter()
            if now - t0 > (count - 0.5) / fps:  # the last frame is due: one pass only (no loop back)
                break
            c0 = time.thread_time()
            scr.tick(now)
            cpu.append((time.thread_time() - c0 - disp.readback_cpu_s) * 1000)
            ticks, last = ticks + 1, now
        proc = (time.process_time() - p0) * 1000 / max(1, ticks)
        due = min(count, int((last - t0 + period / 2) * fps + 1e-9) + 1)
        shown = sum(1 for k in first if k < due)
        late = sum(1 for k, t in first.items() if k < due and t - t0 > k / fps + period * 1.001)
        return Played(due, shown, late, due - shown, v.stats, cpu, proc, rss_mb=_rss_mb(),
                      path=disp.compositor + (f" {disp.presenter.name}" if disp.compositor == "renderer" else ""))
    finally:
        scr.close()
        disp.close()


def ms(values: list[float]) -> str:
    v = sorted(values)
    return f"median {statistics.median(v):5.2f} p99 {v[min(len(v) - 1, int(0.99 * len(v)))]:6.2f} ms"


def decode_rates(folder: Path) -> None:
    """Decoding alone (no screen), frames per second, by FFmpeg thread count."""
    for name in ("1080p60", "4K30"):
        path = clip(name, folder)
        out = []
        for threads in (1, 2):
            src = CvSource.open(str(path), threads=threads)
            n, t0, c0 = 0, time.perf_counter(), time.process_time()
            while src.read() is not None and n < 150:
                n += 1
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            hw, got = src.hardware, src.threads
            src.close()
            out.append(f"{threads} thread{'s' if threads > 1 else ''} (got {got}): {n / wall:5.1f} fps, "
                       f"{cpu / n * 1000:5.1f} ms CPU/frame")
        print(f"decode {name:8s} " + "; ".join(out) + f"; hardware acceleration {'on' if hw else 'off (none here)'}")


def run(args) -> None:
    folder = Path(args.clips)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"video: {args.driver} driver, 60 Hz pacing, privacy notice on; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start")
    decode_rates(folder)
    cases = [(s, sc, r, c) for c in args.compositor for s in args.sources for sc in args.screens for r in args.rotations]
    for sensing in args.sensing:
        svc = start_sensing(args.sensing_nice, "process" if sensing == "process" else "thread") if sensing else None
        for source, screen, rotation, compositor in cases:
            p = play(clip(source, folder), SCREENS[screen], rotation, args.driver, compositor)
            st = p.stats
            agree = (st.due, st.shown, st.late, st.dropped) == (p.due, p.shown, p.late, p.dropped)
            sfps = f", sensing {svc.status().fps:4.1f} fps" if svc else ""
            print(f"{source:8s} on {screen:5s} rot {rotation:3d} {('+ sensing' + ('(proc)' if sensing == 'process' else '      ')) if sensing else '               '} [{p.path}]: "
                  f"due {p.due:4d} shown {p.shown:4d} ({p.shown / p.due:6.1%}) late {p.late:3d} dropped {p.dropped:3d}"
                  f" | render thread {ms(p.cpu_ms)}, process {p.proc_ms:5.1f} ms CPU/refresh{sfps}, RSS {p.rss_mb:4.0f} MB; "
                  f"counters {'agree' if agree else f'DIFFER: {st}'}; load {os.getloadavg()[0]:.2f}", flush=True)
        if svc is not None:
            svc.stop()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
