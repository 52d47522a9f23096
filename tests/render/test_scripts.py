"""Every script on the screen: the font chain, shaping, right to left, the glyph check (real
pygame on the dummy driver, real installed fonts; scripts/bootstrap --browser installs them)."""

import os

import numpy as np
import pygame
import pytest

from screenkit import rgb, screen, switch, text
from signage.cli import main
from signage.config import NoticeConfig
from signage.render import glyphs
from signage.render.fonts import font
from signage.render.glyph_check import notice_warnings
from signage.render.overlay import PrivacyNotice
from signage.render.text import bidi_runs, pieces

NEEDED = {"NotoSansArabic-Bold.ttf": "fonts-noto-core", "NotoSansCJK-Bold.ttc": "fonts-noto-cjk",
          "NotoColorEmoji.ttf": "fonts-noto-color-emoji"}
_have = {os.path.basename(p) for p in glyphs.chain()}
_missing = sorted({pkg for name, pkg in NEEDED.items() if name not in _have})
needs_noto = pytest.mark.skipif(bool(_missing), reason=f"Noto fonts not installed: apt-get install {' '.join(_missing)}")

ZH = "摄像头开启：匿名统计观众人数，不保存任何图像。"
AR = "مرحبا بكم"
EMOJI = "😀☕🎉"
NOTDEF = "\U000F0000"  # private use: no font has it, every font draws its empty box


@pytest.fixture(autouse=True)
def display():
    pygame.display.init()
    pygame.display.set_mode((16, 16))
    yield


def ink(surf):
    """Alpha (or brightness) of a rendered line as a 2-D array."""
    a = pygame.surfarray.array_alpha(surf).T if surf.get_flags() & pygame.SRCALPHA else rgb(surf).max(axis=2)
    return a.astype(np.int32)


def box_of(px):
    """The bundled font's .notdef box, as the screen drew Chinese and emoji before the chain."""
    return ink(pygame.font.Font(None, px).render(NOTDEF, True, (255, 255, 255)))


@needs_noto
@pytest.mark.parametrize("sample", [ZH, AR, EMOJI])
def test_every_character_gets_a_font_that_has_it_and_is_no_empty_box(sample):
    assert glyphs.missing(sample) == []
    f, box = font(80), box_of(80)
    for ch in sample.replace(" ", ""):
        path = glyphs.font_for(ch)
        assert glyphs.has_glyph(path, ch)
        drawn = ink(f.render(ch, True, (255, 255, 255)))
        assert drawn.sum() > 0, ch
        if drawn.shape == box.shape:
            assert np.abs(drawn - box).mean() > 8, f"U+{ord(ch):04X} drawn as the empty box"


@needs_noto
@pytest.mark.parametrize("ch", list(EMOJI))
def test_emoji_are_drawn_in_colour(ch):
    s = font(80).render(ch, True, (255, 255, 255)).convert_alpha()
    px = rgb(s)[pygame.surfarray.array_alpha(s).T > 200].astype(int)
    coloured = int(((px.max(axis=1) - px.min(axis=1)) > 60).sum())
    print(f"U+{ord(ch):04X}: {coloured} coloured pixels of {len(px)}")
    assert coloured > 40  # colour (the ☕'s coffee is brown), not the white of a monochrome glyph


@needs_noto
def test_arabic_is_joined_and_right_to_left():
    f = font(90)
    word = "سلام"
    joined = f.size(word)[0]
    isolated = sum(f.size(ch)[0] for ch in word)
    print(f"joined {joined} px, letters side by side {isolated} px")
    assert joined < isolated * 0.9
    # alef (the first logical letter, a tall stroke) then beh: alef must be drawn at the right
    a = ink(f.render("ا ب", True, (255, 255, 255)))
    cols = (a > 128).sum(axis=0)
    tallest = int(np.argmax(cols))
    assert tallest > a.shape[1] / 2, f"alef at column {tallest} of {a.shape[1]}: left to right"


def test_mixed_lines_are_ordered_by_the_bidi_rules():
    assert bidi_runs("abc") == [("abc", False)]
    # an Arabic line: the first word at the right, the Latin word and the number keep their order
    assert [t.strip() for t, _ in bidi_runs("مرحبا 2026 hello")] == ["hello", "", "2026", "مرحبا"]
    # Latin line with an Arabic word and a number after it
    runs = bidi_runs("Price سعر 25 today")
    assert runs[0] == ("Price ", False) and runs[-1] == (" today", False)
    assert [t.strip() for t, _ in runs[1:-1]] == ["25", "سعر"]


@needs_noto
def test_mixed_latin_and_arabic_line_draws_pieces_in_visual_order():
    got = pieces("مرحبا OK 7")
    texts = [t.strip() for t, _, _ in got if t.strip()]
    assert texts == ["OK 7", "مرحبا"]  # a number after a Latin word stays with it (W7), the Arabic word at the right
    assert [os.path.basename(p) for t, p, _ in got if t.strip() == "مرحبا"] == ["NotoSansArabic-Bold.ttf"]


@needs_noto
def test_a_chinese_notice_renders_with_no_empty_boxes():
    cfg = NoticeConfig(languages=["zh"], controller="光明咖啡馆", text={"zh": {
        "camera_on": "摄像头开启：", "purpose": "匿名统计观众人数，不保存任何图像，不识别任何人。",
        "camera_off": "摄像头关闭。", "more": "完整说明", "object": "您可以反对：请询问店员或写信给我们。"}})
    assert notice_warnings(cfg) == []
    band = PrivacyNotice(cfg)._render((1920, 1080), True)
    # The same band with only the bundled font: every Chinese character an empty box.
    glyphs.reset([glyphs.bundled()])
    try:
        from signage.render import fonts
        fonts._cache.clear()
        tofu = PrivacyNotice(cfg)._render((1920, 1080), True)
    finally:
        glyphs.reset()
        fonts._cache.clear()
    assert np.abs(rgb(band).astype(int) - rgb(tofu).astype(int)).sum(axis=2).astype(bool).sum() > 5000


@needs_noto
def test_text_slide_with_emoji_and_arabic_shows_them():
    with screen((1280, 720)) as scr:
        switch(scr, text("قهوة طازجة ☕😀", "كل يوم 8–18", background="#1d3557"))
        scr.tick()
        arr = rgb(scr.canvas)
    yellow = (arr[..., 0] > 200) & (arr[..., 1] > 150) & (arr[..., 2] < 120)
    assert yellow.sum() > 200  # the emoji in colour on a blue slide with white words


def test_glyph_check_names_the_missing_character(tmp_path, capsys):
    pl = tmp_path / "p.yaml"
    pl.write_text("name: t\ncreatives:\n  - {id: a, type: text, headline: \"Hi \U000F0001\"}\nloop: [a]\n",
                  encoding="utf-8")
    assert main(["validate", str(pl)]) == 0
    err = capsys.readouterr().err
    assert "creatives[0].headline: U+F0001" in err and "has no font here" in err
    assert "Traceback" not in err


def test_glyph_check_of_the_notice():
    cfg = NoticeConfig(controller="Caf\U000F0002")
    assert notice_warnings(cfg) == ["notice.controller: U+F0002 \U000F0002 has no font here (install fonts-noto-core)"]
    assert glyphs.describe("x", "😀").endswith("(install fonts-noto-color-emoji)")
    assert glyphs.package_for("中") == "fonts-noto-cjk"


def test_signage_config_warns_about_the_notice_s_missing_character(monkeypatch, capsys):
    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("SIGNAGE_NOTICE__CONTROLLER", "Caf\U000F0003")
    assert main(["config"]) == 0
    err = capsys.readouterr().err
    assert "warning: notice.controller: U+F0003" in err and "Traceback" not in err


def test_chinese_breaks_between_characters_and_a_no_break_space_holds():
    from signage.render.linebreak import break_units, wrap_text

    assert break_units("Hello world 中文字，好。") == ["Hello", " world", " 中", "文", "字，", "好。"]
    assert break_units("Caméra\u00a0: on") == ["Caméra\u00a0:", " on"]
    assert wrap_text("摄像头开启：匿名统计观众人数，不保存任何图像。", len, 6) == ["摄像头开启：", "匿名统计观众", "人数，不保存", "任何图像。"]


@needs_noto
def test_a_long_chinese_notice_line_wraps_inside_its_column():
    from signage.render.overlay import _Run, _wrap_runs

    f = font(40)
    lines = _wrap_runs([_Run("摄像头开启：", (255, 255, 255)), _Run("匿名统计观众人数，不保存任何图像，不识别任何人。" * 3, (200, 200, 200))], f, 500)
    assert len(lines) >= 4
    assert all(f.size("".join(r.text for r in line))[0] <= 500 for line in lines)
    assert "".join(r.text for line in lines for r in line).replace(" ", "") == "摄像头开启：" + "匿名统计观众人数，不保存任何图像，不识别任何人。" * 3


@needs_noto
def test_an_arabic_letter_the_bundled_font_has_is_still_drawn_with_the_arabic_font():
    assert glyphs.has_glyph(glyphs.bundled(), "س")  # FreeSans has it, without the joining forms
    assert [os.path.basename(p) for _, p, _ in pieces("س")] == ["NotoSansArabic-Bold.ttf"]
