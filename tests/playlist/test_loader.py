"""Loading playlists: every error listed at once with file, line, field and reason; assets
checked by content; the playlist in use replaced only by a fully valid one."""

from __future__ import annotations

import json
import shutil
import struct
import threading
import zlib
from pathlib import Path

import pytest

from signage.config import PlaylistLimits
from signage.playlist.active import ActivePlaylist
from signage.playlist.loader import PlaylistError, load_playlist, parse_playlist
from signage.values import CreativeSpec

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
DATA = ROOT / "tests" / "data"
EXAMPLES = sorted((ROOT / "playlists").glob("*.yaml"))


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A playlist folder with real creatives: two project-made pictures, a photo, the promo video."""
    for name in ("welcome.png", "pastry.png", "promo.mp4", "beans-bg.png"):
        shutil.copy(CONTENT / name, tmp_path / name)
    shutil.copy(DATA / "grace_hopper.jpg", tmp_path / "photo.jpg")
    return tmp_path


GOOD = """\
name: test
creatives:
  - {id: welcome, type: image, source: welcome.png}
  - {id: pastry, type: image, source: pastry.png, duration: 6s}
  - {id: promo, type: video, source: promo.mp4}
  - {id: hello, type: text, headline: Hello, background_image: beans-bg.png}
loop: [welcome, promo, pastry, hello]
rules:
  - {id: smile, when: {smile_ratio: ">= 0.5"}, play: pastry, interrupt: true, cooldown: 1m}
"""


def write(folder: Path, text: str, name: str = "p.yaml") -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def errors_of(path: Path, **kw) -> list[str]:
    with pytest.raises(PlaylistError) as exc:
        load_playlist(path, **kw)
    return [p.format(str(path)) for p in exc.value.problems]


# ------------------------------------------------------------------------- valid playlists


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_loads_with_its_assets(path):
    loaded = load_playlist(path)
    for c in loaded.playlist.creatives:
        spec = loaded.spec(c.id)
        assert isinstance(spec, CreativeSpec)
        if spec.path:
            assert Path(spec.path).is_absolute() and Path(spec.path).is_file()
        assert spec.duration_s > 0


def test_video_length_filled_in_from_the_file_and_specs_are_absolute(folder):
    loaded = load_playlist(write(folder, GOOD))
    assert loaded.playlist.duration_of("promo") == pytest.approx(6.0, abs=0.05)  # promo.mp4: 180 frames at 30 fps
    assert loaded.assets["promo"].fps == pytest.approx(30.0)
    assert (loaded.assets["welcome"].width, loaded.assets["welcome"].height) == (1920, 880)
    spec = loaded.spec("hello")
    assert spec.kind == "text" and spec.background_image == str((folder / "beans-bg.png").resolve())
    assert loaded.spec("pastry").duration_s == 6.0 and loaded.spec("welcome").duration_s == 10.0  # the default
    assert loaded.spec("welcome").transition.kind == "crossfade"
    assert "valid" in loaded.summary() and "4 creatives" in loaded.summary()


def test_json_playlist_is_accepted(folder):
    data = {"name": "json", "creatives": [{"id": "w", "type": "image", "source": "welcome.png"}], "loop": ["w"]}
    loaded = load_playlist(write(folder, json.dumps(data), "p.json"))
    assert loaded.playlist.loop == ["w"]


def test_yaml_1_1_surprises_are_avoided(folder):
    text = GOOD.replace("rules:\n", "dayparts: {lunch: {from: 11:30, to: 14:00}}\nrules:\n  - {id: off, when: {camera: off, daypart: lunch}, play: hello}\n")
    loaded = load_playlist(write(folder, text))
    assert str(loaded.playlist.dayparts["lunch"].from_) == "11:30:00"  # not the number 690
    assert loaded.playlist.rules[0].when.camera == "off"  # not False


def test_warnings_do_not_refuse(folder):
    small = folder / "small.jpg"
    shutil.copy(DATA / "obama_official_portrait_240p.jpg", small)
    text = GOOD + "  - {id: never, when: {faces: 9}, play: small, enabled: false}\n"
    text = text.replace("loop:", "  - {id: small, type: image, source: small.jpg}\n  - {id: unused, type: text, headline: x}\nloop:")
    loaded = load_playlist(write(folder, text))
    messages = " | ".join(w.format("p") for w in loaded.warnings)
    assert "unused" in messages and "never played" in messages
    assert "will look soft" in messages and "disabled" in messages


# ------------------------------------------------------------------------- the table of invalid playlists

# (what is wrong, playlist text, [expected substrings of one error line each])
INVALID = [
    ("not a mapping", "- a\n- b\n", ["p.yaml:1: a playlist is a mapping"]),
    ("empty file", "", ["a playlist is a mapping with name, creatives and loop; this file holds nothing"]),
    ("bad YAML", "name: x\ncreatives: [\n", ["not valid YAML", "p.yaml:3"]),
    ("missing name", GOOD.replace("name: test\n", ""), ["p.yaml: name: required field is missing"]),
    ("unknown top-level key", GOOD + "lop: [welcome]\n", ["p.yaml:10: lop: unknown field; did you mean 'loop'?"]),
    ("misspelt metric", GOOD.replace("smile_ratio", "smile_ration"),
     ["p.yaml:9: rules.0.when.smile_ration (rule 'smile'): unknown field; did you mean 'smile_ratio'?"]),
    ("bad comparison", GOOD.replace('">= 0.5"', '">= lots"'),
     ["rules.0.when.smile_ratio (rule 'smile'): '>= lots' is not a test"]),
    ("ratio above 1", GOOD.replace('">= 0.5"', '">= 50"'), ["rules.0.when (rule 'smile'): smile_ratio: min 50.0 is outside 0..1"]),
    ("impossible bounds", GOOD.replace('">= 0.5"', "{min: 0.8, max: 0.2}"),
     ["rules.0.when.smile_ratio (rule 'smile'): no value can pass this test"]),
    ("bad duration", GOOD.replace("duration: 6s", "duration: 6 secs"), ["p.yaml:4: creatives.1.duration (creative 'pastry'): '6 secs' is not a duration"]),
    ("zero duration", GOOD.replace("duration: 6s", "duration: 0"), ["creatives.1.duration (creative 'pastry'): a creative's duration must be more than 0 s"]),
    ("unknown creative type", GOOD.replace("type: video", "type: movie"),
     ["p.yaml:5: creatives.2.type (creative 'promo'): 'movie' is not a creative type: write image, video or text"]),
    ("bad fit", GOOD.replace("source: welcome.png}", "source: welcome.png, fit: cover}"),
     ["creatives.0.fit (creative 'welcome'): must be 'fit', 'fill' or 'stretch'"]),
    ("bad colour", GOOD.replace("headline: Hello,", "headline: Hello, color: white,"),
     ["creatives.3.color (creative 'hello'): 'white' is not a colour"]),
    ("duplicate creative id", GOOD.replace("id: pastry", "id: welcome").replace("play: pastry", "play: welcome").replace("welcome, promo, pastry", "welcome, promo"),
     ["p.yaml:4: creatives.1.id (creative 'welcome'): 'welcome' is used twice"]),
    ("loop names an unknown creative", GOOD.replace("loop: [welcome,", "loop: [welcom,"),
     ["p.yaml:7: loop.0: no creative has the id 'welcom'"]),
    ("empty loop", GOOD.replace("loop: [welcome, promo, pastry, hello]", "loop: []"), ["p.yaml:7: loop: List should have at least 1 item"]),
    ("rule plays an unknown creative", GOOD.replace("play: pastry", "play: [pastry, cake]"),
     ["rules.0.play.1 (rule 'smile'): no creative has the id 'cake'"]),
    ("unknown daypart", GOOD.replace('when: {smile_ratio: ">= 0.5"}', "when: {daypart: brunch}"),
     ["rules.0.when.daypart (rule 'smile'): no daypart is named 'brunch' (dayparts: none)"]),
    ("bad time of day", GOOD + "dayparts: {lunch: {from: '11:30', to: '25:00'}}\n", ["p.yaml:10: dayparts.lunch.to: '25:00' is not a time of day"]),
    ("bad day name", GOOD.replace('when: {smile_ratio: ">= 0.5"}', "when: {days: [mon, funday]}"),
     ["rules.0.when.days (rule 'smile'): 'funday' is not a day"]),
    ("bad timezone", GOOD + "timezone: Europe/Pariss\n", ["p.yaml:10: timezone: 'Europe/Pariss' is not a known time zone"]),
    ("campaign ends before it starts", GOOD + "campaign: {from: 2026-12-31, to: 2026-12-01}\n", ["p.yaml:10: campaign"]),
    ("negative priority out of range", GOOD.replace("cooldown: 1m", "cooldown: 1m, priority: 5000"),
     ["rules.0.priority (rule 'smile'): must be less than or equal to 1000"]),
    ("key given twice", GOOD + "name: again\n", ["p.yaml:10: name: given twice (first on line 1); give it once"]),
    ("play is a number", GOOD.replace("play: pastry", "play: 5"),
     ["rules.0.play (rule 'smile'): must be a creative id or a list of creative ids"]),
    ("missing asset", GOOD.replace("welcome.png", "welcom.png"),
     ["p.yaml:3: creatives.0.source (creative 'welcome'): file not found: welcom.png (looked for"]),
    ("empty condition", GOOD.replace('when: {smile_ratio: ">= 0.5"}', "when: {}"), ["rules.0.when (rule 'smile'): an empty condition"]),
]


@pytest.mark.parametrize("what,text,expected", INVALID, ids=[x[0] for x in INVALID])
def test_invalid_playlists_are_refused_with_the_field_named(folder, what, text, expected):
    path = write(folder, text)
    lines = errors_of(path)
    for exp in expected:
        assert any(exp in line for line in lines), f"{what}: {exp!r} not in {lines}"


def test_table_is_large():
    assert len(INVALID) >= 20


def test_every_error_is_listed_at_once(folder):
    text = """\
name: broken
defaults: {duration: 8x}
creatives:
  - {id: a, type: image, source: nothing.png}
  - {id: a, type: imag, source: welcome.png}
loop: [a, b]
rules:
  - {id: r, when: {smile_ration: 1}, play: ghost}
"""
    lines = errors_of(write(folder, text))
    joined = "\n".join(lines)
    for exp in ("p.yaml:2: defaults.duration", "p.yaml:4: creatives.0.source (creative 'a'): file not found",
                "p.yaml:5: creatives.1.id (creative 'a'): 'a' is used twice", "creatives.1.type",
                "p.yaml:6: loop.1: no creative has the id 'b'", "p.yaml:8: rules.0.when.smile_ration",
                "rules.0.play (rule 'r'): no creative has the id 'ghost'"):
        assert exp in joined, (exp, joined)
    assert len(lines) == 7


def test_error_header_and_json(folder):
    path = write(folder, GOOD.replace("smile_ratio", "smiles"))
    with pytest.raises(PlaylistError) as exc:
        load_playlist(path)
    text = exc.value.format()
    assert text.splitlines()[0] == f"{path}: not loaded, 1 error"
    j = exc.value.to_json()
    assert j["errors"][0]["line"] == 9 and j["errors"][0]["field"] == "rules.0.when.smiles"


# ------------------------------------------------------------------------- assets by content


def _png_header(w: int, h: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def _bomb_png(w: int, h: int) -> bytes:
    """A valid PNG header for a w x h picture whose data inflates to w*h*3 bytes."""
    raw = zlib.compress(b"\0" * min((w * 3 + 1) * h, 50_000_000), 9)
    idat = b"IDAT" + raw
    return _png_header(w, h) + struct.pack(">I", len(raw)) + idat + struct.pack(">I", zlib.crc32(idat)) + \
        struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


ASSET_CASES = [
    ("a text file named .png", "welcome.png", lambda p: p.write_text("hello"), "not an image this player can show"),
    ("empty file", "welcome.png", lambda p: p.write_bytes(b""), "the file is empty"),
    ("truncated PNG", "welcome.png", lambda p: p.write_bytes(p.read_bytes()[:20000]), "does not decode"),
    ("truncated JPEG", "photo.jpg", lambda p: p.write_bytes(p.read_bytes()[:30000]), "truncated JPEG"),
    ("a video named .png", "welcome.png", lambda p: shutil.copy(CONTENT / "promo.mp4", p), "a mp4 file"),
    ("decompression bomb", "welcome.png", lambda p: p.write_bytes(_bomb_png(20000, 20000)), "400 megapixels"),
    ("header lies about size", "welcome.png", lambda p: p.write_bytes(_png_header(640, 480) + (CONTENT / "welcome.png").read_bytes()[33:]),
     "a damaged PNG file"),
    ("a picture named .mp4", "promo.mp4", lambda p: shutil.copy(CONTENT / "welcome.png", p), "a png file"),
    ("truncated video", "promo.mp4", lambda p: p.write_bytes(p.read_bytes()[:300000]), "damaged MP4"),
    ("a directory", "welcome.png", lambda p: (p.unlink(), p.mkdir()), "not a file"),
]


@pytest.mark.parametrize("what,name,damage,expected", ASSET_CASES, ids=[c[0] for c in ASSET_CASES])
def test_broken_assets_are_refused_by_content(folder, what, name, damage, expected):
    damage(folder / name)
    lines = errors_of(write(folder, GOOD.replace("photo.jpg", "x").replace("source: pastry.png", "source: photo.jpg")))
    field = {"welcome.png": "creatives.0.source", "photo.jpg": "creatives.1.source", "promo.mp4": "creatives.2.source"}[name]
    assert any(field in line and expected in line for line in lines), lines


def test_size_limits_come_from_settings(folder):
    limits = PlaylistLimits(max_image_bytes=50_000)
    lines = errors_of(write(folder, GOOD), limits=limits)
    assert any("creatives.0.source" in x and "more than the" in x and "allowed for an image" in x for x in lines)
    limits = PlaylistLimits(max_video_seconds=2)
    lines = errors_of(write(folder, GOOD), limits=limits)
    assert any("creatives.2.source" in x and "lasts 6 s, more than the 2 s allowed" in x for x in lines)


def test_assets_confined_to_the_bundle(folder):
    text = GOOD.replace("source: welcome.png", f"source: {CONTENT / 'welcome.png'}").replace("beans-bg.png", "../x/../beans-bg.png")
    lines = errors_of(write(folder, text), confine_to=folder)
    assert any("creatives.0.source" in x and "outside the playlist's folder" in x for x in lines)
    assert any("creatives.3.background_image" in x and "outside" in x for x in lines)


def test_playlist_file_problems(folder):
    assert errors_of(folder / "nope.yaml") == [f"{folder / 'nope.yaml'}: file not found"]
    (folder / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in errors_of(folder / "latin1.yaml")[0]
    big = write(folder, GOOD + "#" * 5000 + "\n", "big.yaml")
    assert "more than the" in errors_of(big, limits=PlaylistLimits(max_playlist_bytes=2048))[0]


def test_parse_playlist_from_text(folder):
    loaded = parse_playlist(GOOD.encode(), folder / "uploaded.yaml")
    assert loaded.assets["welcome"].path == (folder / "welcome.png").resolve()


# ------------------------------------------------------------------------- the playlist in use


def test_active_playlist_swaps_only_valid_versions(folder):
    path = write(folder, GOOD)
    active = ActivePlaylist()
    r = active.try_replace(path)
    assert r.ok and r.changed and active.version == 1
    first = active.current
    # the same content again: nothing to do
    r = active.try_replace(path)
    assert r.ok and not r.changed and active.current is first and active.version == 1
    # an invalid update: refused, the old one keeps playing
    write(folder, GOOD.replace("welcome.png", "gone.png"))
    r = active.try_replace(path)
    assert not r.ok and "file not found" in r.error.format()
    assert active.current is first and active.version == 1
    # a valid update replaces it
    write(folder, GOOD.replace("duration: 6s", "duration: 7s"))
    r = active.try_replace(path)
    assert r.ok and r.changed and active.version == 2 and active.current.playlist.duration_of("pastry") == 7.0
    # an asset changed on disk changes the digest even if the playlist text did not
    digest = active.current.digest
    shutil.copy(CONTENT / "evening.png", folder / "welcome.png")
    r = active.try_replace(path)
    assert r.changed and active.current.digest != digest


def test_readers_never_see_a_half_built_playlist(folder):
    """Readers on other threads only ever see a complete playlist: one of the valid versions."""
    good_a = GOOD
    good_b = GOOD.replace("duration: 6s", "duration: 7s")
    bad = GOOD.replace("loop: [welcome", "loop: [ghost")
    path = write(folder, good_a)
    active = ActivePlaylist()
    assert active.try_replace(path).ok
    seen: set[float] = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            cur = active.current
            seen.add(cur.playlist.duration_of("pastry"))
            assert cur.playlist.loop[0] == "welcome"

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(30):
            write(folder, (good_a, bad, good_b)[i % 3])
            active.try_replace(path)
    finally:
        stop.set()
        t.join()
    assert seen <= {6.0, 7.0} and active.current.playlist.loop[0] == "welcome"


def test_full_bleed_and_portrait_source_reach_the_spec_and_the_portrait_file_is_checked(folder):
    p = write(folder, "name: t\ncreatives:\n"
                      "  - {id: a, type: image, source: welcome.png, portrait_source: pastry.png, full_bleed: true}\n"
                      "  - {id: b, type: video, source: promo.mp4}\n"
                      "loop: [a, b]\n")
    loaded = load_playlist(p)
    a, b = loaded.spec("a"), loaded.spec("b")
    assert a.full_bleed and a.portrait_path == str((folder / "pastry.png").resolve())
    assert not b.full_bleed and b.portrait_path is None
    assert loaded.assets["a:portrait"].kind == "image"  # probed like source, and part of the digest
    (folder / "pastry.png").write_bytes(b"not a picture")
    errors = errors_of(p)
    assert any("creatives.0.portrait_source" in e for e in errors), errors


def test_a_text_slides_portrait_background_is_checked_like_its_background(folder):
    shutil.copy(CONTENT / "beans-bg-portrait.png", folder / "beans-tall.png")
    slide = "  - {id: s, type: text, headline: Hi, background_image: beans-bg.png, %s}\n"
    p = write(folder, "name: t\ncreatives:\n" + slide % "portrait_background_image: beans-tall.png" + "loop: [s]\n")
    loaded = load_playlist(p)
    spec = loaded.spec("s")
    assert spec.portrait_background_image == str((folder / "beans-tall.png").resolve())
    assert spec.background_image == str((folder / "beans-bg.png").resolve())
    assert (loaded.assets["s:portrait"].width, loaded.assets["s:portrait"].height) == (1080, 1920)  # probed
    before = loaded.digest
    (folder / "beans-tall.png").write_bytes(b"not a picture")  # probed by content, not by name
    errors = errors_of(p)
    assert len(errors) == 1 and "creatives.0.portrait_background_image" in errors[0] and "beans-tall.png" in errors[0]
    shutil.copy(CONTENT / "welcome-portrait.png", folder / "beans-tall.png")
    assert load_playlist(p).digest != before  # part of the digest: a new picture reloads
    for value, words in (("gone.png", "file not found"), ("promo.mp4", "images: PNG"), ("../x/../beans-bg.png", "outside"),
                         ("3", "must be a valid string")):
        lines = errors_of(write(folder, "name: t\ncreatives:\n" + slide % f"portrait_background_image: {value}"
                                + "loop: [s]\n"), confine_to=folder)
        assert len(lines) == 1 and "creatives.0.portrait_background_image" in lines[0] and words in lines[0], lines
    lines = errors_of(write(folder, "name: t\ncreatives:\n" + slide % "background_image_portrait: beans-tall.png"
                            + "loop: [s]\n"))
    assert any("creatives.0.background_image_portrait" in x and "did you mean 'portrait_background_image'" in x
               for x in lines), lines  # strict: a word out of order fails, and the message names the field
    lines = errors_of(write(folder, "name: t\ncreatives:\n  - {id: s, type: text, headline: Hi, "
                            "portrait_background_image: beans-tall.png}\nloop: [s]\n"))
    assert any("creatives.0" in x and "give background_image" in x for x in lines), lines
