"""plan_extraction is a pure function of the zip's entry list and the limits."""

from __future__ import annotations

import stat
import zipfile

import pytest

from signage.admin.zipcheck import BundleRefused, ZipLimits, plan_extraction

LIM = ZipLimits(max_entries=10, max_total_bytes=10_000_000, max_ratio=100)


def info(name: str, size: int = 100, compressed: int | None = None, mode: int | None = None, **kw) -> zipfile.ZipInfo:
    i = zipfile.ZipInfo(name)
    i.file_size = size
    i.compress_size = size if compressed is None else compressed
    i.compress_type = kw.get("method", zipfile.ZIP_DEFLATED)
    if mode is not None:
        i.create_system = 3
        i.external_attr = mode << 16
    i.flag_bits = kw.get("flags", 0)
    return i


def problems(infos, limits=LIM) -> list[tuple[str, str]]:
    with pytest.raises(BundleRefused) as e:
        plan_extraction(infos, limits)
    return [(p.entry, p.message) for p in e.value.problems]


def test_a_good_zip_and_its_plan():
    plan = plan_extraction([info("playlist.yaml"), info("img/"), info("img/a.png", mode=stat.S_IFREG | 0o644),
                            info("__MACOSX/._a.png"), info("img/.DS_Store")], LIM)
    assert [(p.entry, p.target) for p in plan] == [("playlist.yaml", "playlist.yaml"), ("img/a.png", "img/a.png")]


def test_one_top_folder_is_unwrapped():
    plan = plan_extraction([info("spring/"), info("spring/playlist.yaml"), info("spring/a.png")], LIM)
    assert [p.target for p in plan] == ["playlist.yaml", "a.png"]
    # not when something sits at the top
    plan = plan_extraction([info("playlist.yaml"), info("img/a.png")], LIM)
    assert [p.target for p in plan] == ["playlist.yaml", "img/a.png"]


@pytest.mark.parametrize("name,reason", [
    ("../evil.png", "'..'"), ("a/../../evil.png", "'..'"), ("/etc/passwd", "absolute path"),
    ("C:/windows/x.png", "drive-letter"), ("a\\..\\x.png", "backslash"),
    (".signage/version.json", "reserved"), (".hidden.png", "hidden"), ("/".join(["d"] * 20) + "/x.png", "deep"),
    ("x" * 300 + ".png", "longer than"),
])
def test_names_that_leave_the_bundle_or_hide(name, reason):
    got = problems([info("playlist.yaml"), info(name)])
    assert len(got) == 1 and reason in got[0][1], got


@pytest.mark.parametrize("mode,what", [(stat.S_IFLNK | 0o777, "a symbolic link"), (stat.S_IFCHR | 0o600, "a device file"),
                                       (stat.S_IFBLK | 0o600, "a device file"), (stat.S_IFIFO | 0o600, "a named pipe"),
                                       (stat.S_IFSOCK | 0o600, "a socket")])
def test_links_and_special_files(mode, what):
    assert problems([info("playlist.yaml"), info("x.png", mode=mode)]) == [("x.png", f"{what}: only plain files are accepted")]


def test_encrypted_and_unknown_methods():
    assert "encrypted" in problems([info("a.png", flags=0x1)])[0][1]
    assert "compression method 99" in problems([info("a.png", method=99)])[0][1]


def test_ratio_limits():
    mb = 1024 * 1024
    assert "zip bomb" in problems([info("bomb.bin", size=50 * mb, compressed=50 * mb // 1000)])[0][1]
    plan_extraction([info("ok.bin", size=5 * mb, compressed=5 * mb // 90)], LIM)  # under 100:1
    plan_extraction([info("small.txt", size=100_000, compressed=100)], LIM)  # small files are not judged by ratio


def test_counts_and_totals():
    assert "11 entries, more than the 10" in problems([info(f"{i}.png") for i in range(11)])[0][1]
    got = problems([info(f"{i}.png", size=3_000_000) for i in range(4)])
    assert got == [("", "the files add up to 12000000 bytes once uncompressed, more than the 10000000 allowed")]
    assert problems([info("empty/")]) == [("", "the zip holds no file")]


def test_duplicates_and_file_folder_clashes():
    assert "given twice" in problems([info("a.png"), info("A.PNG")])[0][1]
    assert "same name as a folder" in problems([info("a"), info("a/b.png")])[0][1]


def test_every_problem_is_listed_at_once():
    got = problems([info("../a.png"), info("/b.png"), info("c.png", mode=stat.S_IFLNK | 0o777), info("ok.png")])
    assert [e for e, _ in got] == ["../a.png", "/b.png", "c.png"]
