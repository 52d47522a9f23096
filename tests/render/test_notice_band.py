"""The notice band: its documented budget, the right to object, long URLs and the QR's modules."""

from __future__ import annotations

import re

import numpy as np
import pygame
import pytest

from screenkit import ROOT, rgb  # noqa: F401  (screenkit sets up the dummy video driver)
from signage.config import NoticeConfig
from signage.config.screen import DEFAULT_NOTICE_TEXT
from signage.render.band_budget import markdown_table, rows, url_warnings
from signage.render.overlay import PrivacyNotice
from signage.render.qr import MIN_MODULE_PX, qr_modules

LONG_URL = ("https://cafe-lumiere.example/" + "privacy-notice/" * 9)[:140]


def test_the_band_is_within_its_documented_budget_and_the_doc_is_true():
    table = rows()
    over = [(r.screen, r.languages, f"{r.share:.1%}", r.budget) for r in table if r.share > r.budget]
    assert not over, f"the notice band grew past its budget: {over}"
    doc = (ROOT / "docs" / "screen.md").read_text()
    m = re.search(r"<!-- band-budget -->\n(.*?)\n<!-- /band-budget -->", doc, re.S)
    assert m, "docs/screen.md lost its band-budget table"
    assert m.group(1).strip() == markdown_table(table), \
        "docs/screen.md's band table is out of date: python -m signage.render.band_budget prints it"


def test_every_default_language_names_the_right_to_object_and_where():
    cfg = NoticeConfig()
    assert set(cfg.languages) <= set(DEFAULT_NOTICE_TEXT)
    words = {"en": ("object", "ask staff"), "fr": ("Opposition", "personnel")}
    lines = PrivacyNotice(cfg).text_lines(True)
    for lang, line in zip(cfg.languages, lines):
        right, where = words[lang]
        said = cfg.resolved_text(lang)["object"]
        assert right in said and where in said and said in line
    # with a language of one's own, the words are required: none goes without the right
    with pytest.raises(ValueError, match="object"):
        NoticeConfig(languages=["de"], text={"de": {"camera_on": "Kamera an:", "purpose": "Messung.",
                                                    "camera_off": "Kamera aus.", "more": "Mehr"}})


def band_of(cfg, size):
    pn = PrivacyNotice(cfg)
    surf, _ = pn.surface(size, True)
    return pn, surf


def qr_module_px(card: np.ndarray) -> int:
    """The module size of a drawn QR card, measured: the shortest run of dark pixels in a row."""
    dark = card.mean(axis=2) < 128
    runs = []
    for row in dark:
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(int), [0]])))
        runs += list(edges[1::2] - edges[::2])
    return int(min(runs))


def test_a_140_character_url_at_720p_stays_inside_the_band_and_no_unreadable_qr_is_drawn():
    cfg = NoticeConfig(url=LONG_URL)
    assert len(LONG_URL) == 140
    pn, surf = band_of(cfg, (1280, 720))
    band = surf.get_rect()
    assert pn.drawn and all(band.contains(r) for r in pn.drawn), [r for r in pn.drawn if not band.contains(r)]
    # 49 modules would be 1 px each in this band: no QR code rather than an unreadable one, and
    # the whole URL written, wrapped at its '/' boundaries (it is then the only way to the notice)
    assert pn.qr_left_out and len(pn.drawn) >= 6
    assert LONG_URL.split("://")[1] in "".join(pn.drawn_lines)
    warn = url_warnings(cfg, [(1280, 720)])
    assert warn[0].startswith("notice.url: 140 characters") and "at 1280x720: the QR code is left out" in warn[0]
    assert f"{qr_modules(LONG_URL)} modules" in warn[0]
    assert any(w.startswith("notice: the band takes") for w in warn)  # and past its budget
    assert url_warnings(NoticeConfig(), [(1280, 720), (1920, 1080), (1080, 1920)]) == []


def test_at_1080p_the_long_url_keeps_its_qr_code_with_3_px_modules_and_is_shortened_beside_it():
    pn, surf = band_of(NoticeConfig(url=LONG_URL), (1920, 1080))
    assert not pn.qr_left_out and all(surf.get_rect().contains(r) for r in pn.drawn)
    drawn = " ".join(pn.drawn_lines)
    assert "cafe-lumiere.example/privacy-notice/…/" in drawn and LONG_URL.split("://")[1] not in drawn
    assert qr_module_px(rgb(surf.subsurface(pn.drawn[-1]))) >= MIN_MODULE_PX
    import cv2

    card = cv2.cvtColor(rgb(surf.subsurface(pn.drawn[-1])), cv2.COLOR_RGB2BGR)
    assert cv2.QRCodeDetector().detectAndDecode(card)[0] == LONG_URL  # the QR code carries it whole


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (1920, 1080)])
def test_the_default_qr_keeps_modules_of_at_least_3_px(size):
    pn, surf = band_of(NoticeConfig(), size)
    assert not pn.qr_left_out
    qr = pn.drawn[-1]  # the QR card is drawn last
    card = rgb(surf.subsurface(qr))
    assert (card[0] > 240).all() and qr.width == qr.height  # a white square card
    assert qr_module_px(card) >= MIN_MODULE_PX
    assert all(surf.get_rect().contains(r) for r in pn.drawn)


def test_config_and_validate_warn_about_a_url_too_long_for_the_qr(tmp_path, capsys, monkeypatch):
    import os

    from signage.cli import main

    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)
    conf = tmp_path / "s.toml"
    conf.write_text(f'[notice]\nurl = "{LONG_URL}"\n')
    assert main(["--config", str(conf), "config"]) == 0
    assert "warning: notice.url: " in capsys.readouterr().err
    pl = tmp_path / "p.yaml"
    pl.write_text("name: t\ncreatives:\n  - {id: a, type: text, headline: Hi}\nloop: [a]\n")
    assert main(["--config", str(conf), "validate", str(pl)]) == 0
    assert "QR code is left out" in capsys.readouterr().err
