"""Reading the lock files and checking what they cover (standard library only).

Used by tools/lock (after it regenerates the locks, with the file lists fetched from PyPI)
and by tests/test_lock.py (offline, with requirements/files.txt, the list tools/lock wrote).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQ = ROOT / "requirements"
PLAYER_LOCK = REQ / "player.lock"
TEST_LOCK = REQ / "test.lock"
KIOSK_LOCK = REQ / "kiosk.lock"
LOCKS = (PLAYER_LOCK, TEST_LOCK, KIOSK_LOCK)
FILES = REQ / "files.txt"

# Where the locks must install from wheels: (machine, Python), on glibc 2.36 or newer
# (Debian 12 and Raspberry Pi OS Bookworm; Ubuntu 24.04 and Debian 13 are newer).
ARCHES = ("x86_64", "aarch64")
PYTHONS = ((3, 11), (3, 12), (3, 13))
TARGETS = tuple((arch, py) for arch in ARCHES for py in PYTHONS)
GLIBC_MINOR = 36
# The OpenCV distributions: mediapipe brings opencv-contrib-python; two of them in one
# environment overwrite each other's cv2.
OPENCVS = {"opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"}
# Built from source on purpose: kiosk/install.sh builds pygame against Debian's SDL (kmsdrm).
SDIST_NEEDED = {"pygame"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Entry:
    name: str
    version: str
    marker: str = ""
    hashes: set[str] = field(default_factory=set)


def parse_lock(path: Path) -> dict[str, Entry]:
    """name -> Entry, from a pip requirements file written by uv (one `name==version ;
    marker` line per package, continued with `--hash=sha256:...` lines)."""
    text = path.read_text()
    logical: list[str] = []
    cur = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            if cur:
                logical.append(cur)
                cur = ""
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
        else:
            logical.append(cur + line)
            cur = ""
    if cur:
        logical.append(cur)
    entries: dict[str, Entry] = {}
    for line in logical:
        tokens = line.split()
        hashes = {t.split(":", 1)[1] for t in tokens if t.startswith("--hash=sha256:")}
        spec = " ".join(t for t in tokens if not t.startswith("--hash="))
        req, _, marker = spec.partition(";")
        m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*(\S+)\s*", req)
        if not m:
            raise ValueError(f"{path.name}: not an exact pin: {line.strip()!r}")
        name = normalize(m.group(1))
        if name in entries:
            raise ValueError(f"{path.name}: {name} is pinned twice")
        entries[name] = Entry(name, m.group(2), marker.strip(), hashes)
    return entries


def parse_files(path: Path = FILES) -> dict[str, list[tuple[str, str]]]:
    """name -> [(filename, sha256)], from requirements/files.txt."""
    out: dict[str, list[tuple[str, str]]] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pin, filename, sha = line.split()
        out.setdefault(normalize(pin.split("==")[0]), []).append((filename, sha))
    return out


def _platforms(arch: str) -> set[str]:
    plats = {f"manylinux_2_{minor}_{arch}" for minor in range(5, GLIBC_MINOR + 1)}
    plats |= {f"manylinux2014_{arch}"}
    if arch == "x86_64":
        plats |= {"manylinux2010_x86_64", "manylinux1_x86_64"}
    return plats | {"any"}


def wheel_fits(filename: str, arch: str, py: tuple[int, int]) -> bool:
    """Whether pip on CPython `py`, Linux `arch` with glibc 2.36, can install this wheel."""
    if not filename.endswith(".whl"):
        return False
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        return False
    pys, abis, plats = (set(p.split(".")) for p in parts[-3:])
    if not plats & _platforms(arch):
        return False
    cp = f"cp{py[0]}{py[1]}"
    for tag in pys:
        for abi in abis:
            if tag == cp and abi in (cp, "abi3", "none"):
                return True
            if abi == "abi3" and tag.startswith("cp3") and tag[2:].isdigit() and int(tag[3:] or 0) <= py[1]:
                return True
            if abi == "none" and tag in ("py3", f"py{py[0]}{py[1]}", "py2.py3"):
                return True
    return False


def coverage_problems(entries: dict[str, Entry], files: dict[str, list[tuple[str, str]]]) -> list[str]:
    """What is wrong with the lock for the TARGETS: a package with no wheel (among the files
    whose hash the lock holds) for one of them; a hash that matches no known file; a
    package built from source on purpose whose source archive is not hashed."""
    problems = []
    for name, e in sorted(entries.items()):
        if 'sys_platform == "never"' in e.marker or "sys_platform == 'never'" in e.marker:
            continue
        known = files.get(name, [])
        hashed = [f for f, sha in known if sha in e.hashes]
        unknown = e.hashes - {sha for _, sha in known}
        if unknown:
            problems.append(f"{name}=={e.version}: {len(unknown)} hash(es) match no file of {name} {e.version} on the index")
        for arch, py in TARGETS:
            if not any(wheel_fits(f, arch, py) for f in hashed):
                problems.append(f"{name}=={e.version}: no wheel for Linux {arch}, Python {py[0]}.{py[1]}")
        if name in SDIST_NEEDED and not any(f.endswith((".tar.gz", ".zip")) for f in hashed):
            problems.append(f"{name}=={e.version}: the source archive's hash is missing (kiosk/install.sh builds it)")
    return problems
