"""Privacy at system-call level (issue 17): a player run on the sample clip, every process and
thread traced by strace. No socket is opened beyond local ones (the sensing process's attempts
are refused by the kernel), and no file is written outside the database, the status file and
/dev/null."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CALLS = "socket,connect,bind,sendto,sendmsg,openat,open,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,link,linkat,symlink,symlinkat,truncate"
WRITE_OPEN = re.compile(r'^(?:openat\(AT_FDCWD, |open\()"([^"]+)", ([^,)]*(?:O_WRONLY|O_RDWR|O_CREAT)[^,)]*)')
PATH_CALL = re.compile(r'^(rename|renameat2?|unlink|unlinkat|mkdir|mkdirat|link|linkat|symlink|symlinkat|creat|truncate)\((?:AT_FDCWD, |\d+, )?"([^"]+)"')


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    strace = shutil.which("strace")
    assert strace, "strace is installed by scripts/bootstrap --browser"
    tmp = tmp_path_factory.mktemp("syscalls")
    home, db = tmp / "home", tmp / "db" / "a.db"
    home.mkdir()
    db.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNAGE_", "XDG_"))}
    env.update(HOME=str(home), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", TMPDIR=str(tmp / "tmp"))
    (tmp / "tmp").mkdir()
    p = subprocess.run([strace, "-f", "-qq", "-ff", "-o", str(tmp / "trace"), "-e", f"trace={CALLS}",
                        sys.executable, "-m", "signage.cli", "run", "--headless", "--duration", "20", "--db", str(db)],
                       cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "locked down" in p.stderr and "camera white_house_hamilton_clip.mp4: on" in p.stderr, p.stderr[-3000:]
    lines = [ln for f in tmp.glob("trace.*") for ln in f.read_text().splitlines()]
    return tmp, db, home, lines


def test_no_socket_beyond_local_ones(traced):
    _tmp, _db, _home, lines = traced
    opened = [ln for ln in lines if ln.startswith("socket(") and not re.search(r"= -1 E", ln)]
    assert all(ln.startswith("socket(AF_UNIX") for ln in opened), opened
    refused = [ln for ln in lines if ln.startswith("socket(") and "EACCES" in ln]
    for ln in lines:
        if ln.startswith(("connect(", "bind(", "sendto(")) and not re.search(r"= -1 E", ln):
            assert "AF_UNIX" in ln or "127.0.0.1" in ln or "::1" in ln, ln
    # the sensing process tried (glibc's name-service lookups) and the kernel said no: the lock is on
    assert refused, "no refused socket: the trace did not follow the sensing process"


def test_no_file_written_outside_the_database_and_the_status_file(traced):
    _tmp, db, home, lines = traced
    status_dir = home / ".local" / "state" / "signage"  # health.status_file's default with no tmpfs
    allowed_dirs = {str(db.parent), str(status_dir), str(status_dir.parent), str(status_dir.parent.parent)}
    written = []
    for ln in lines:
        if re.search(r"= -1 E", ln):
            continue
        m = WRITE_OPEN.match(ln) or PATH_CALL.match(ln)
        if m:
            written.append(m.group(2) if m.re is PATH_CALL else m.group(1))
    assert written, "the trace saw no write at all: it did not follow the player"
    outside = sorted({w for w in written if w != "/dev/null" and str(Path(w).parent) not in allowed_dirs
                      and w not in allowed_dirs})
    assert outside == []
    assert any(w.startswith(str(db)) for w in written) and any(w.startswith(str(status_dir)) for w in written)
