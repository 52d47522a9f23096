"""The demo content (content/) and the example playlists that show it: the files are the
script's output, drawn at the safe area's shape, and fit or fill never cuts their words."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pygame
import pytest

from signage.config import NoticeConfig
from signage.playlist.loader import load_playlist
from signage.render import fit_check
from signage.render.band_budget import SCREENS, shape
from signage.render.geometry import place
from signage.render.layout import content_box, is_portrait
from signage.render.overlay import PrivacyNotice

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
PLAYLISTS = sorted((ROOT / "playlists").glob("*.yaml"))
NAMES = ["welcome", "coffee-of-the-day", "pastry", "lunch-menu", "evening", "smile-offer", "group-offer", "beans-bg"]


@pytest.fixture(scope="module")
def mdc():
    sys.path.insert(0, str(CONTENT))
    try:
        import demo_draw
        import make_demo_content
    finally:
        sys.path.remove(str(CONTENT))
    pygame.font.init()
    return make_demo_content, demo_draw


def test_demo_content_is_there_and_small():
    for name in NAMES:
        tall = (1920, 1080, 3) if name == "beans-bg" else (1512, 1080, 3)  # a background: the whole portrait screen
        for suffix, shape_ in (("", (880, 1920, 3)), ("-portrait", tall)):
            img = cv2.imread(str(CONTENT / f"{name}{suffix}.png"))
            assert img is not None and img.shape == shape_, name + suffix
    for name, size in (("promo.mp4", (1280, 720)), ("promo-portrait.mp4", (720, 1008))):
        cap = cv2.VideoCapture(str(CONTENT / name))
        try:
            assert cap.isOpened()
            assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == size
            assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(30)
            frames = 0
            while cap.read()[0]:
                frames += 1
            assert frames == 180  # 6 s
        finally:
            cap.release()
        assert (CONTENT / name).stat().st_size < 1.5 * 1024 * 1024
    total = sum(p.stat().st_size for p in CONTENT.iterdir() if p.is_file())
    assert total < 4 * 1024 * 1024
    assert "Apache-2.0" in (CONTENT / "README.md").read_text()


def test_demo_content_is_what_the_script_draws(mdc):
    """The pictures in content/ are the script's output (pixel for pixel)."""
    make, _ = mdc
    for name in ("welcome.png", "welcome-portrait.png", "smile-offer.png", "lunch-menu-portrait.png",
                 "beans-bg-portrait.png"):
        drawn = pygame.surfarray.array3d(make.IMAGES[name]()).swapaxes(0, 1)[:, :, ::-1]
        assert np.array_equal(drawn, cv2.imread(str(CONTENT / name))), name


def _screens():
    """(screen, band height) of the band budget's table: the default notice (English and
    French) on every screen, English only on 16:9 and portrait ones."""
    out = []
    for langs in (["en", "fr"], ["en"]):
        pn = PrivacyNotice(NoticeConfig(languages=langs))
        out += [(size, pn.height(size, True)) for _, size in SCREENS if langs != ["en"] or shape(size) != "4:3"]
    return out


def test_fill_never_cuts_the_words_on_the_common_screens(mdc):
    """Every word, price and the logo of every picture is inside what fill shows of it in the
    safe area of 720p, 1080p, 4K, 4:3 and portrait screens (fit shows all of it)."""
    make, draw = mdc
    screens = _screens()
    checked = 0
    for name, paint in make.IMAGES.items():
        draw.WORDS.clear()
        size = paint().get_size()
        assert draw.WORDS or name.startswith("beans-bg"), name
        for screen, band in screens:
            if is_portrait(screen) != is_portrait(size):
                continue
            box = content_box(screen, band)
            (cx, cy, cw, ch), _ = place(size, box[2:], "fill")
            shown = pygame.Rect(cx, cy, cw, ch)
            for words in draw.WORDS:
                assert shown.contains(words), f"{name} at {screen}: fill shows {shown}, cuts the words at {words}"
                checked += 1
    assert checked > 500


def test_the_example_playlists_give_every_picture_a_portrait_variant_and_no_crop_warning():
    notice = NoticeConfig()
    for path in PLAYLISTS:
        loaded = load_playlist(path)
        for c in loaded.playlist.creatives:
            if c.type in ("image", "video"):
                assert c.portrait_source, f"{path.name}: {c.id}"
        assert fit_check.playlist_warnings(loaded, notice) == [], path.name
