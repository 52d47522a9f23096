"""What the process boundary costs: sensing on the sample clip in real time, in a thread of
this process against in its own locked-down process (player.sensing_isolation), in
interleaved rounds of the same length.

    .venv/bin/python bench/sensing_process.py [--seconds 20] [--rounds 2] [--crashes 20]

Prints, per mode: frames analysed, CPU per analysed frame (this process's, plus the child's
for "process", read from /proc before it exits), the ratio process/thread, and for
"process" the snapshot's delay from the child's send to the player's receipt (p50/p99;
CLOCK_MONOTONIC is the same in both processes). CPU time, not wall time: figures hold on a
loaded machine, the delay less so (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signage.config import CameraConfig, SensingConfig  # noqa: E402
from signage.sensing.process import SensingProcess  # noqa: E402
from signage.sensing.service import SensingService  # noqa: E402

CLIP = ROOT / "tests/data/white_house_hamilton_clip.mp4"
TICK = os.sysconf("SC_CLK_TCK")


def _child_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def run(mode: str, seconds: float) -> dict:
    cam = CameraConfig(source=str(CLIP))
    svc = (SensingProcess(SensingConfig(), cam, stale_after_s=5.0) if mode == "process"
           else SensingService(SensingConfig(), cam, stale_after_s=5.0))
    svc.start()
    deadline = time.monotonic() + 120
    while svc.status().camera != "on":
        if time.monotonic() > deadline:
            raise SystemExit(f"{mode}: sensing did not start")
        time.sleep(0.05)
    a0, c0 = svc.status().analysed, time.process_time()
    pid = svc._proc.pid if mode == "process" else None
    k0 = _child_cpu(pid) if pid else 0.0
    end = time.monotonic() + seconds
    polls = 0
    while time.monotonic() < end:  # the render loop's side: read the snapshot 60 times a second
        svc.latest()
        svc.status()
        polls += 1
        time.sleep(1 / 60)
    analysed = svc.status().analysed - a0
    cpu = time.process_time() - c0 + ((_child_cpu(pid) - k0) if pid else 0.0)
    delays = list(getattr(svc, "latency_s", []))
    svc.stop()
    return {"analysed": analysed, "cpu_ms": 1000 * cpu / max(1, analysed), "delays": delays}


def crashes(n: int) -> None:
    """The running child killed ``n`` times (SIGSEGV and SIGKILL in turn), with and without the
    warm standby: seconds from the kill to the next snapshot in the player's hands."""
    import signal

    for standby in (True, False):
        sp = SensingProcess(SensingConfig(), CameraConfig(source=str(CLIP)), stale_after_s=5.0, standby=standby).start()
        while sp.latest() is None:
            time.sleep(0.02)
        back = []
        for i in range(n):
            while standby and (sp._spare is None or sp._spare.poll() is not None):
                time.sleep(0.02)
            time.sleep(2.0)  # the standby has loaded its models
            pid = sp._proc.pid
            os.kill(pid, signal.SIGKILL if i % 2 else signal.SIGSEGV)
            t0 = time.monotonic()
            while sp._proc is None or sp._proc.pid == pid or sp.latest() is None:
                time.sleep(0.005)
            back.append(time.monotonic() - t0)
        sp.stop()
        back.sort()
        print(f"crashes, standby {'on ' if standby else 'off'}: {n} kills, numbers back after median "
              f"{statistics.median(back):.2f} s, worst {back[-1]:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--crashes", type=int, default=0, help="then kill the child this many times (0: no)")
    args = ap.parse_args()
    print(f"sensing, thread against process, on {CLIP.name} in real time; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    res: dict[str, list[dict]] = {"thread": [], "process": []}
    for r in range(args.rounds):
        for mode in ("thread", "process") if r % 2 == 0 else ("process", "thread"):
            res[mode].append(run(mode, args.seconds))
            x = res[mode][-1]
            print(f"  round {r + 1} {mode:7}: {x['analysed']:4d} frames analysed, {x['cpu_ms']:.2f} ms CPU per frame")
    t = statistics.median(x["cpu_ms"] for x in res["thread"])
    p = statistics.median(x["cpu_ms"] for x in res["process"])
    delays = sorted(d for x in res["process"] for d in x["delays"])
    print(f"CPU per analysed frame (median of rounds): thread {t:.2f} ms, process {p:.2f} ms: ratio {p / t:.3f}")
    if delays:
        q = lambda f: 1000 * delays[min(len(delays) - 1, int(f * len(delays)))]  # noqa: E731
        print(f"snapshot delay child -> player: p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms ({len(delays)} snapshots)")
    if args.crashes:
        crashes(args.crashes)
    print("load average at the end " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
