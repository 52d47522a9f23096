"""Bytes written per hour of play, from /proc/PID/io, on this branch and on a baseline.

Runs `signage run PLAYLIST --headless` (SDL dummy driver) for each variant at the same
time, with its analytics database in a fresh folder on a real disk (``--dir``, default
the system temp dir: tmpfs writes are not counted by the kernel), and reads the player's
``write_bytes`` (bytes it caused to be sent to the block layer: page-cache pages it
dirtied) and ``wchar`` (bytes handed to write(), whatever the file) at the end of a
warm-up and at the end of the run; per hour = difference / seconds x 3600. Startup
(model loading, creating the database) is outside the measured window.

Variants: ``branch`` (the code this script sits in) and ``baseline`` (``--baseline``, a
commit, extracted with ``git archive`` into a temp folder and run with PYTHONPATH
pointing there), each with the status file on tmpfs (``SIGNAGE_HEALTH__STATUS_FILE``
under /dev/shm or $XDG_RUNTIME_DIR) and, with ``--status-on-disk``, also with the status
file next to the database (what today's default does).

    python bench/disk_writes.py --seconds 120 --status-on-disk
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def read_io(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k.strip()] = int(v)
    return out


def tmpfs_dir() -> Path:
    for d in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if d and Path(d).is_dir() and os.access(d, os.W_OK):
            return Path(d)
    raise SystemExit("disk_writes: no tmpfs folder for the status file (XDG_RUNTIME_DIR or /dev/shm)")


def extract(commit: str, into: Path) -> Path:
    """The ``signage`` package of ``commit`` in ``into`` (git archive, no worktree)."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "signage"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


@dataclass
class Run:
    name: str
    code: Path
    status_file: Path
    folder: Path
    log: Path
    extra_env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    start: dict[str, int] | None = None
    t0: float = 0.0
    end: dict[str, int] | None = None
    t1: float = 0.0

    def launch(self, playlist: str, camera: str | None, seconds: float) -> None:
        env = dict(os.environ, PYTHONPATH=str(self.code), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                   SIGNAGE_HEALTH__STATUS_FILE=str(self.status_file), SIGNAGE_ANALYTICS__DB_PATH=str(self.folder / "analytics.db"), **(self.extra_env or {}))
        cmd = [PYTHON, "-m", "signage.cli", "run", playlist, "--headless", "--duration", str(seconds + 600),
               "--db", str(self.folder / "analytics.db")]
        if camera:
            cmd += ["--camera", camera]
        log = open(self.log, "w")  # on tmpfs: a kiosk logs to journald, not to a file of its own
        self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(self.folder))

    def sample(self) -> tuple[dict[str, int], float]:
        assert self.proc is not None
        return read_io(self.proc.pid), time.monotonic()

    def per_hour(self, key: str) -> float:
        assert self.start and self.end
        return (self.end[key] - self.start[key]) / (self.t1 - self.t0) * 3600.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120.0, help="measured window (default 120)")
    ap.add_argument("--warmup", type=float, default=20.0, help="seconds before the window starts (default 20)")
    ap.add_argument("--playlist", default=str(ROOT / "playlists" / "demo.yaml"))
    ap.add_argument("--camera", default=None, help="camera source (default: the player's: the bundled sample clip)")
    ap.add_argument("--baseline", default="0d1497b", help="commit to compare against (default 0d1497b)")
    ap.add_argument("--dir", default=None, help="folder on a real disk for the databases (default: temp dir)")
    ap.add_argument("--status-on-disk", action="store_true", help="also run both with the status file on disk")
    ap.add_argument("--normal", action="store_true", help="also run the branch with analytics.synchronous = normal")
    ap.add_argument("--checkpoint", type=float, action="append", default=[], metavar="S",
                    help="also run the branch with analytics.checkpoint_s = S (repeatable)")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="signage-disk-", dir=args.dir))
    shm = Path(tempfile.mkdtemp(prefix="signage-disk-", dir=tmpfs_dir()))
    try:
        baseline_code = extract(args.baseline, work / "baseline-code")
        runs = []
        for status in ("tmpfs", "disk") if args.status_on_disk else ("tmpfs",):
            for name, code in (("baseline", baseline_code), ("branch", ROOT)):
                folder = work / f"{name}-{status}"
                folder.mkdir()
                sf = (shm if status == "tmpfs" else folder) / f"{name}-{status}-status.json"
                runs.append(Run(f"{name} {args.baseline if name == 'baseline' else 'HEAD'}, status file on {status}",
                                code, sf, folder, shm / f"{name}-{status}.log"))
        if args.normal:
            folder = work / "branch-normal"
            folder.mkdir()
            runs.append(Run("branch HEAD, synchronous=normal, status tmpfs", ROOT, shm / "normal-status.json", folder,
                            shm / "normal.log", {"SIGNAGE_ANALYTICS__SYNCHRONOUS": "normal"}))
        for cp in args.checkpoint:
            folder = work / f"branch-checkpoint-{cp:g}"
            folder.mkdir()
            runs.append(Run(f"branch HEAD, checkpoint_s={cp:g}, status tmpfs", ROOT, shm / f"cp{cp:g}-status.json",
                            folder, shm / f"cp{cp:g}.log", {"SIGNAGE_ANALYTICS__CHECKPOINT_S": str(cp)}))
            if args.normal:  # both at once
                folder = work / f"branch-normal-checkpoint-{cp:g}"
                folder.mkdir()
                runs.append(Run(f"branch HEAD, normal, checkpoint_s={cp:g}, status tmpfs", ROOT,
                                shm / f"ncp{cp:g}-status.json", folder, shm / f"ncp{cp:g}.log",
                                {"SIGNAGE_ANALYTICS__CHECKPOINT_S": str(cp), "SIGNAGE_ANALYTICS__SYNCHRONOUS": "normal"}))
        for r in runs:
            r.launch(args.playlist, args.camera, args.warmup + args.seconds)
        time.sleep(args.warmup)
        for r in runs:
            if r.proc.poll() is not None:
                raise SystemExit(f"disk_writes: {r.name} exited early:\n{r.log.read_text(errors='replace')[-2000:]}")
            r.start, r.t0 = r.sample()
        time.sleep(args.seconds)
        for r in runs:
            r.end, r.t1 = r.sample()
        for r in runs:
            r.proc.send_signal(signal.SIGTERM)
        for r in runs:
            r.proc.wait(60)
        plays = {}
        for r in runs:
            text = r.log.read_text(errors="replace")
            plays[r.name] = sum(1 for ln in text.splitlines() if "playing " in ln or "interrupting with " in ln)
        print(f"disk writes per hour of play: {args.playlist}, camera {args.camera or 'default'}, "
              f"{args.seconds:.0f} s measured after {args.warmup:.0f} s warm-up, databases in {work}")
        print(f"{'variant':50s} {'write_bytes/h':>14s} {'wchar/h':>12s} {'plays':>6s}")
        for r in runs:
            print(f"{r.name:50s} {r.per_hour('write_bytes') / 1e6:11.2f} MB {r.per_hour('wchar') / 1e6:9.2f} MB {plays[r.name]:6d}")
        by = {r.name: r for r in runs}
        if args.status_on_disk:  # each with its own defaults: the baseline wrote its status file to disk
            b = by[f"baseline {args.baseline}, status file on disk"].per_hour("write_bytes")
            for r in runs:
                if r.name.startswith("branch") and "on disk" not in r.name:
                    wb = r.per_hour("write_bytes")
                    print(f"today's default ({args.baseline}, status on disk) / {r.name}: "
                          f"{b / wb if wb else float('inf'):.1f}x fewer bytes")
        for status in ("tmpfs", "disk") if args.status_on_disk else ("tmpfs",):
            b = by[f"baseline {args.baseline}, status file on {status}"]
            h = by[f"branch HEAD, status file on {status}"]
            wb = h.per_hour("write_bytes")
            print(f"status file on {status}: write_bytes baseline/branch = "
                  f"{b.per_hour('write_bytes') / wb if wb else float('inf'):.1f}x, wchar "
                  f"{b.per_hour('wchar') / max(1.0, h.per_hour('wchar')):.1f}x")
        if args.status_on_disk:
            b = by[f"baseline {args.baseline}, status file on disk"]
            h = by[f"branch HEAD, status file on tmpfs"]
            wb = h.per_hour("write_bytes")
            print(f"today (status on disk) vs branch with status on tmpfs: "
                  f"{b.per_hour('write_bytes') / wb if wb else float('inf'):.1f}x write_bytes")
    finally:
        for r in locals().get("runs", []):
            if r.proc is not None and r.proc.poll() is None:
                r.proc.kill()
        shutil.rmtree(shm, ignore_errors=True)
        if os.environ.get("KEEP") is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
