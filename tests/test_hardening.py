"""Hardening (issue 17): no core dump can hold a frame, and importing the sensing stack spawns
no compiler or shell tool."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KIOSK = ROOT / "kiosk"


def _python(code: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, **kw)


def test_the_process_makes_itself_non_dumpable_with_no_core_limit():
    p = _python("""
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        from signage.hardening import dumpable, no_core_dumps
        before = dumpable()
        print(before, no_core_dumps(), dumpable(), resource.getrlimit(resource.RLIMIT_CORE))
    """)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split(maxsplit=1)[0] == "1"  # dumpable before: the check sees a change
    assert p.stdout.split(maxsplit=1)[1].strip() == "True 0 (0, 0)"


@pytest.mark.parametrize("unit", ["signage.service", "signage-admin.service", "signage-user.service"])
def test_units_forbid_core_files(unit):
    lines = (KIOSK / unit).read_text().splitlines()
    service = lines[lines.index("[Service]"):]
    assert "LimitCORE=0" in service


def test_the_running_player_has_no_core_limit(tmp_path):
    from test_run_e2e import Running

    player = Running("--db", tmp_path / "a.db", "--camera", "off")
    try:
        player.said("screen: ")
        limits = Path(f"/proc/{player.proc.pid}/limits").read_text()
    finally:
        player.stop()
    line = next(x for x in limits.splitlines() if x.startswith("Max core file size"))
    assert line.split()[4:6] == ["0", "0"], line


def test_importing_and_starting_sensing_spawns_nothing():
    # mediapipe's optional audio import (sounddevice) ran gcc and ldconfig through
    # ctypes.util.find_library at every start; every way of starting a program is audited here.
    p = _python("""
        import sys
        spawned = []
        def hook(event, args):
            if event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                         "os.forkpty", "pty.spawn"):
                spawned.append((event, repr(args)[:120]))
        sys.addaudithook(hook)
        import numpy as np
        from signage.config import Settings
        from signage.sensing.pipeline import SensingPipeline
        from signage.sensing.types import Frame
        pipe = SensingPipeline(Settings().sensing)
        pipe.process(Frame(np.zeros((480, 640, 3), np.uint8), 0.0, 0, "test"))
        pipe.close()
        print(spawned)
        import ctypes.util
        ctypes.util.find_library("nosuchlib")  # positive control: what sounddevice's import did
        print(bool(spawned))
    """)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip().splitlines()[-2:] == ["[]", "True"]


def test_signage_sense_hardens_its_own_process_but_not_a_caller_of_main():
    p = _python("""
        import resource, sys
        from signage.cli import main
        from signage.hardening import dumpable
        main(["sense", "tests/data/white_house_hamilton_clip.mp4", "--max-frames", "1", "--json"])
        print("CALLER", dumpable(), resource.getrlimit(resource.RLIMIT_CORE)[1] != 0)
    """)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip().splitlines()[-1] == "CALLER 1 True"  # a test calling main() keeps its process as it was
    q = subprocess.run([sys.executable, "-c", "import sys, runpy; sys.argv = ['signage', 'sense', "
                        "'tests/data/white_house_hamilton_clip.mp4', '--max-frames', '1'];"
                        "import signage.hardening as h, resource, atexit;"
                        "atexit.register(lambda: print('PROGRAM', h.dumpable(), resource.getrlimit(resource.RLIMIT_CORE)));"
                        "from signage.cli import main; sys.exit(main())"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert "PROGRAM 0 (0, 0)" in q.stdout, q.stderr[-2000:]
