"""The lock files: in agreement with pyproject.toml, every line hashed, one OpenCV, a wheel
for every (arch, Python) target. Offline: the file names behind the hashes come from
requirements/files.txt, which tools/lock writes from PyPI's own lists."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import lockfiles  # noqa: E402

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins(requirements: list[str]) -> dict[str, str]:
    out = {}
    for r in requirements:
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", r.strip())
        assert m, f"pyproject.toml: not an exact pin: {r!r}"
        out[lockfiles.normalize(m.group(1))] = m.group(2)
    return out


@pytest.fixture(scope="module")
def player():
    return lockfiles.parse_lock(lockfiles.PLAYER_LOCK)


@pytest.fixture(scope="module")
def test_lock():
    return lockfiles.parse_lock(lockfiles.TEST_LOCK)


def disagreements(wanted: dict[str, str], lock: dict[str, lockfiles.Entry]) -> list[str]:
    return [f"{name}: pyproject {v}, lock {lock[name].version if name in lock else 'missing'}"
            for name, v in wanted.items() if name not in lock or lock[name].version != v]


def test_pyproject_pins_and_the_player_lock_agree(player):
    wanted = pins(PYPROJECT["project"]["dependencies"])
    assert {"mediapipe", "numpy", "opencv-contrib-python", "pygame"} <= wanted.keys()
    assert disagreements(wanted, player) == [], "run tools/lock"


def test_the_test_extra_and_the_test_lock_agree(test_lock):
    assert disagreements(pins(PYPROJECT["project"]["optional-dependencies"]["test"]), test_lock) == [], \
        "run tools/lock"


def test_the_test_lock_only_adds_to_the_player_lock(player, test_lock):
    # resolved with player.lock as constraints, emitting only what the player lacks: installed
    # on top of it, it changes no version the player runs with
    assert player.keys() & test_lock.keys() == set()


@pytest.fixture(scope="module")
def kiosk_lock():
    return lockfiles.parse_lock(lockfiles.KIOSK_LOCK)


@pytest.mark.parametrize("lock", lockfiles.LOCKS, ids=lambda p: p.name)
def test_every_line_is_an_exact_pin_with_hashes(lock):
    entries = lockfiles.parse_lock(lock)  # raises on a line that is not name==version
    assert entries
    assert [name for name, e in entries.items() if not e.hashes] == []


def test_the_kiosk_lock_pins_pip_and_the_player_s_setuptools(player, kiosk_lock):
    assert set(kiosk_lock) == {"pip", "setuptools"}
    assert kiosk_lock["setuptools"].version == player["setuptools"].version


def test_one_opencv_only(player, test_lock):
    assert lockfiles.OPENCVS & (player.keys() | test_lock.keys()) == {"opencv-contrib-python"}


def test_matplotlib_and_sounddevice_stay_out_of_the_player(player):
    assert {"matplotlib", "sounddevice"} & player.keys() == set()
    overrides = (ROOT / "requirements/overrides.txt").read_text()
    assert 'matplotlib; sys_platform == "never"' in overrides and 'sounddevice; sys_platform == "never"' in overrides


def test_the_project_installs_offline_from_the_player_lock(player):
    # `pip install --no-build-isolation --no-index -e .` needs the build backend in .venv
    backend = PYPROJECT["build-system"]["requires"]
    assert [r.split(">")[0].split("=")[0] for r in backend] == ["setuptools"]
    assert "setuptools" in player


def test_python_range_is_the_one_the_lock_is_made_for():
    assert PYPROJECT["project"]["requires-python"] == ">=3.11,<3.14"
    assert lockfiles.PYTHONS == ((3, 11), (3, 12), (3, 13))


def test_the_files_list_is_that_of_the_locks(player, test_lock, kiosk_lock):
    files = lockfiles.parse_files()
    entries = {**player, **test_lock, **kiosk_lock}
    listed_pins = {line.split()[0] for line in lockfiles.FILES.read_text().splitlines()
                   if line and not line.startswith("#")}
    assert listed_pins == {f"{n}=={e.version}" for n, e in entries.items()}, "run tools/lock"
    assert all(sha in entries[name].hashes for name, fs in files.items() for _, sha in fs)


def test_every_package_has_a_wheel_for_each_arch_and_python(player, test_lock, kiosk_lock):
    problems = lockfiles.coverage_problems({**player, **test_lock, **kiosk_lock}, lockfiles.parse_files())
    assert problems == []


def test_the_coverage_check_sees_a_missing_wheel_and_a_missing_source_archive():
    e = lockfiles.Entry("pygame", "2.6.1", hashes={"a", "b"})
    files = {"pygame": [("pygame-2.6.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "a"),
                        ("pygame-2.6.1-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", "b"),
                        ("pygame-2.6.1.tar.gz", "c")]}  # the sdist is known but not hashed in the lock
    problems = lockfiles.coverage_problems({"pygame": e}, files)
    assert "pygame==2.6.1: no wheel for Linux aarch64, Python 3.11" in problems
    assert "pygame==2.6.1: no wheel for Linux x86_64, Python 3.13" in problems
    assert not any("x86_64, Python 3.11" in p for p in problems)
    assert any("source archive" in p for p in problems)


@pytest.mark.parametrize("filename, arch, py, fits", [
    ("mediapipe-1.2.3-py3-none-manylinux_2_28_aarch64.whl", "aarch64", (3, 13), True),
    ("mediapipe-1.2.3-py3-none-manylinux_2_28_aarch64.whl", "x86_64", (3, 13), False),
    ("opencv_contrib_python-4.13.0.92-cp37-abi3-manylinux_2_28_x86_64.whl", "x86_64", (3, 12), True),
    ("numpy-2.4.6-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "x86_64", (3, 13), True),
    ("numpy-2.4.6-cp313-cp313t-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "x86_64", (3, 13), False),
    ("numpy-2.4.6-cp313-cp313-musllinux_1_2_x86_64.whl", "x86_64", (3, 13), False),
    ("x-1.0-cp312-cp312-manylinux_2_39_x86_64.whl", "x86_64", (3, 12), False),  # newer than Debian 12's glibc
    ("x-1.0-py3-none-any.whl", "aarch64", (3, 11), True),
    ("x-1.0-cp311-cp311-win_amd64.whl", "x86_64", (3, 11), False),
])
def test_wheel_tags(filename, arch, py, fits):
    assert lockfiles.wheel_fits(filename, arch, py) is fits
