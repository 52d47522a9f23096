"""The safe area: by default nothing of a creative is hidden under the privacy notice.

An ad with a distinctive legal line in its bottom rows is shown at 1080p, 720p and in
portrait; the screen is read back and the picture's scaled content must appear whole, above
the band. fit, fill and stretch are all computed inside the box; full_bleed covers the whole
screen and the validator says how much of it the band covers; portrait variants are picked
by the screen's orientation; fill's crop warning.
"""

from __future__ import annotations

import cv2
import numpy as np
import pygame
import pytest

from screenkit import PROMO, image, rgb, screen, switch, text, video
from signage.config import NoticeConfig
from signage.render.layout import content_box, covered_share, crop_share, place_in

LEGAL = (250, 0, 250)  # the legal line's stripe: a colour nothing else in the ad has


def ad_png(tmp_path, size=(1600, 900), name="ad.png"):
    """An ad: a gradient, a headline, and at the very bottom a legal line on a magenta stripe."""
    w, h = size
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    y = np.linspace(40, 200, h, dtype=np.uint8)[:, None]
    arr = np.dstack([np.broadcast_to(x, (h, w)), np.broadcast_to(y, (h, w)), np.full((h, w), 90, np.uint8)])
    surf = pygame.surfarray.make_surface(np.ascontiguousarray(arr.transpose(1, 0, 2)))
    stripe = max(24, h // 20)
    surf.fill(LEGAL, (0, h - stripe, w, stripe))
    pygame.font.init()
    f = pygame.font.Font(None, stripe)
    surf.blit(f.render("Offer valid 12-14 Dec. T&Cs in store", True, (255, 255, 255)), (10, h - stripe + 2))
    p = tmp_path / name
    pygame.image.save(surf, str(p))
    return p


def expected(path, box, mode):
    """The picture as it should be on screen: (target rect, its scaled RGB pixels)."""
    src = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    (cx, cy, cw, ch), target = place_in((src.shape[1], src.shape[0]), box, mode)
    part = src[cy:cy + ch, cx:cx + cw]
    shrink = target[2] * target[3] < cw * ch
    return target, cv2.resize(part, target[2:], interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


SCREENS = [((1920, 1080), 0), ((1280, 720), 0), ((1920, 1080), 90)]  # 90: a portrait 1080x1920 picture


@pytest.mark.parametrize("panel,rotation", SCREENS, ids=["1080p", "720p", "portrait"])
def test_an_ad_with_a_legal_line_shows_all_its_pixels_by_default(tmp_path, panel, rotation):
    ad = ad_png(tmp_path)
    with screen(size=panel, rotation=rotation) as scr:
        switch(scr, image(ad))  # the defaults: fit, the notice on
        scr.tick()
        arr = rgb(scr.canvas)
        band = scr.notice.height(scr.size, True)
        size = scr.size
    assert band > 0.09 * size[1]  # the notice is there and takes a real band
    box = content_box(size, band, "bottom")
    (tx, ty, tw, th), want = expected(ad, box, "fit")
    assert ty + th <= size[1] - band  # the picture lies wholly above the band
    got = arr[ty:ty + th, tx:tx + tw].astype(int)
    # every pixel of the picture is on screen as scaled (100% of it; rounding only)
    assert np.abs(got - want.astype(int)).max() <= 2
    # and the legal line is there: its stripe's rows, right above the band
    legal_rows = np.nonzero((np.abs(arr[:, tx + tw // 2].astype(int) - LEGAL).sum(axis=1) <= 6))[0]
    assert legal_rows.size >= 0.9 * th / 20 and legal_rows.max() < size[1] - band


@pytest.mark.parametrize("mode", ["fit", "fill", "stretch"])
@pytest.mark.parametrize("position", ["bottom", "top"])
def test_fit_fill_and_stretch_are_all_inside_the_box(tmp_path, mode, position):
    ad = ad_png(tmp_path, (900, 1200))  # a tall picture on a wide screen: fill crops, stretch squeezes
    with screen(size=(1280, 720), notice=NoticeConfig(position=position)) as scr:
        switch(scr, image(ad, fit=mode, background="#103050"))
        creative = rgb(scr.current.frame())  # the creative alone, under the notice
        band = scr.notice.height(scr.size, True)
    box = content_box((1280, 720), band, position)
    (tx, ty, tw, th), want = expected(ad, box, mode)
    assert np.abs(creative[ty:ty + th, tx:tx + tw].astype(int) - want.astype(int)).max() <= 2
    strip = creative[:band] if position == "top" else creative[720 - band:]
    assert (strip == (0x10, 0x30, 0x50)).all()  # the band's strip: the creative's background colour
    if mode != "fit":
        assert (tx, ty, tw, th) == box  # fill and stretch cover the box exactly


def test_a_video_frame_is_fitted_inside_the_box():
    with screen(size=(640, 360)) as scr:
        switch(scr, video(PROMO, fit="fill", background="#ff00ff"))
        v = scr.current
        band = scr.notice.height(scr.size, True)
        arr = rgb(v.frame())
    assert v._target == content_box((640, 360), band, "bottom")
    assert (arr[360 - band:] == (255, 0, 255)).all()
    assert not (arr[:360 - band] == (255, 0, 255)).all(axis=2).any()


def test_full_bleed_covers_the_whole_screen_and_the_share_is_reported(tmp_path):
    ad = ad_png(tmp_path)  # 16:9 on 16:9: fit covers the screen edge to edge
    with screen() as scr:
        switch(scr, image(ad, full_bleed=True, background="#00ff00"))
        creative = rgb(scr.current.frame())
        band = scr.notice.height(scr.size, True)
    assert not (creative == (0, 255, 0)).all(axis=2).any()  # no background colour anywhere
    (tx, ty, tw, th), want = expected(ad, (0, 0, 1920, 1080), "fit")
    assert (tx, ty, tw, th) == (0, 0, 1920, 1080)
    cov = covered_share((1600, 900), (1920, 1080), "fit", band, "bottom")
    assert cov.rows == band and cov.share == pytest.approx(band / 1080)


def test_covered_and_crop_shares_are_exact_on_simple_shapes():
    cov = covered_share((100, 100), (1000, 1000), "stretch", 150)
    assert (cov.share, cov.rows, cov.side) == (0.15, 150, "bottom")
    assert covered_share((1000, 500), (1000, 1000), "fit", 200).share == 0  # letterboxed clear of the band
    assert covered_share((1000, 500), (1000, 1000), "fit", 300, "top").rows == 50
    crop = crop_share((1920, 1080), (1080, 1920), "fill")
    assert crop.sides == "left and right" and crop.share == pytest.approx(1 - (1080 * 1080 / 1920) / 1920, abs=1e-3)
    assert crop_share((1000, 1000), (1000, 1000), "fill").share == 0


def test_portrait_variant_is_picked_by_the_screens_orientation(tmp_path):
    land = ad_png(tmp_path, (1600, 900), "land.png")
    port = ad_png(tmp_path, (900, 1600), "port.png")
    spec = image(land, id="promo", fit="fill", portrait_path=str(port))
    for panel, rotation, want_path in (((1920, 1080), 0, land), ((1920, 1080), 90, port)):
        with screen(size=panel, rotation=rotation) as scr:
            switch(scr, spec)
            assert scr.current.spec.path == str(want_path)
            band = scr.notice.height(scr.size, True)
            creative = rgb(scr.current.frame())
            size = scr.size
        (tx, ty, tw, th), want = expected(want_path, content_box(size, band, "bottom"), "fill")
        assert np.abs(creative[ty:ty + th, tx:tx + tw].astype(int) - want.astype(int)).max() <= 2


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)


def validated(tmp_path, capsys, name: str, creatives: str):
    """``signage validate`` of a playlist of ``creatives`` beside two ads, NAME.png (1600x900) and
    NAME-tall.png (the shape of a portrait screen's free area): (playlist, what it printed)."""
    from signage.cli import main

    ad_png(tmp_path, (1600, 900), f"{name}.png")
    ad_png(tmp_path, (900, 1260), f"{name}-tall.png")
    pl = tmp_path / "p.yaml"
    ids = [line.split("id: ")[1].split(",")[0] for line in creatives.splitlines()]
    pl.write_text(f"name: t\ncreatives:\n{creatives}loop: [{', '.join(ids)}]\n")
    assert main(["validate", str(pl)]) == 0
    return pl, capsys.readouterr().err


def test_validate_reports_the_covered_share_and_fills_crop(tmp_path, capsys, clean_env):
    from signage.render.overlay import PrivacyNotice

    pl, err = validated(tmp_path, capsys, "promo",
                        "  - {id: bleed, type: image, source: promo.png, full_bleed: true}\n"
                        "  - {id: wide, type: image, source: promo.png, fit: fill}\n"
                        "  - {id: both, type: image, source: promo.png, portrait_source: promo-tall.png, fit: fill}\n")
    band = PrivacyNotice(NoticeConfig()).height((1920, 1080), True)
    assert (f"creatives[0] bleed: full_bleed: the notice covers {band / 1080:.0%} of promo.png at 1920x1080 "
            f"(its bottom {band} px)") in err
    assert "at 1080x1920 (letterboxed clear of it)" in err  # fit: the portrait screen letterboxes it
    crop = crop_share((1600, 900), content_box((1080, 1920), PrivacyNotice(NoticeConfig()).height((1080, 1920)))[2:],
                      "fill")
    assert (f"creatives[1] wide: fill crops {crop.share:.0%} of promo.png in portrait (1080x1920: its left and right); "
            "give a portrait variant (portrait_source") in err
    assert "both" not in err  # its portrait variant fits the portrait screen: no crop warning
    assert str(tmp_path) not in err.replace(str(pl), "")  # names the files as written, no server path


def test_validate_checks_the_portrait_file_and_the_schema_is_strict(tmp_path, capsys, clean_env):
    from signage.cli import main

    ad_png(tmp_path, (1600, 900), "promo.png")
    pl = tmp_path / "p.yaml"
    pl.write_text("name: t\ncreatives:\n  - {id: a, type: image, source: promo.png, portrait_source: gone.png}\n"
                  "loop: [a]\n")
    assert main(["validate", str(pl)]) == 1
    err = capsys.readouterr().err
    assert "creatives.0.portrait_source" in err and "gone.png" in err and "file not found" in err
    pl.write_text("name: t\ncreatives:\n  - {id: a, type: image, source: promo.png, full_bleed: maybe}\nloop: [a]\n")
    assert main(["validate", str(pl)]) == 1
    assert "creatives.0.full_bleed" in capsys.readouterr().err
    pl.write_text("name: t\ncreatives:\n  - {id: a, type: text, headline: Hi, portrait_source: x.png}\nloop: [a]\n")
    assert main(["validate", str(pl)]) == 1
    assert "portrait_source" in capsys.readouterr().err


def test_preview_warns_when_fill_crops_in_portrait(tmp_path, capsys, clean_env):
    from signage.cli import main

    ad_png(tmp_path, (1600, 900), "promo.png")
    pl = tmp_path / "p.yaml"
    pl.write_text("name: t\ncreatives:\n  - {id: a, type: image, source: promo.png, fit: fill}\nloop: [a]\n")
    out = tmp_path / "f.png"
    assert main(["preview", str(pl), "--size", "1920x1080", "--rotation", "90", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: a: fill crops" in err and "of promo.png in portrait (1080x1920: its left and right)" in err
    assert main(["preview", str(pl), "--size", "1920x1080", "--out", str(out)]) == 0
    assert "fill crops" not in capsys.readouterr().err


def test_the_box_stays_when_the_camera_goes_off_so_nothing_jumps(tmp_path):
    ad = ad_png(tmp_path)
    frames = {}
    for camera_off in ("say", "hide"):
        with screen(notice=NoticeConfig(camera_off=camera_off)) as scr:
            switch(scr, image(ad, background="#103050"))
            on = rgb(scr.current.frame())
            scr.set_camera(False)
            switch(scr, image(ad, id="again", background="#103050"))  # prepared with the camera off
            frames[camera_off] = rgb(scr.current.frame())
            band = scr.notice.height(scr.size, True)
        assert (frames[camera_off] == on).all()
        assert (on[1080 - band:] == (0x10, 0x30, 0x50)).all()


def test_a_text_slides_background_picture_fills_the_box_unless_full_bleed():
    from screenkit import CONTENT

    bg = str(CONTENT / "beans-bg.png")
    with screen() as scr:
        switch(scr, text("Hi", background="#204060", background_image=bg))
        boxed = rgb(scr.current.frame())
        switch(scr, text("Hi", id="bleed", background="#204060", background_image=bg, full_bleed=True))
        bleed = rgb(scr.current.frame())
        band = scr.notice.height(scr.size, True)
    strip, bleed_strip = boxed[1080 - band:].astype(int), bleed[1080 - band:].astype(int)
    assert (strip == strip[0, 0]).all()  # the slide's colour (under its scrim), flat
    assert bleed_strip.std() > 3  # the picture goes on under the band
    assert boxed[: 1080 - band].astype(int).std() > 3


def solid_png(tmp_path, size, color, name):
    p = tmp_path / name
    cv2.imwrite(str(p), np.full((size[1], size[0], 3), color[::-1], np.uint8))  # BGR on disk
    return p


WIDE, TALL = (200, 40, 40), (40, 200, 40)  # the landscape and the portrait background, told apart by colour


@pytest.mark.parametrize("panel,rotation,shown", [((1920, 1080), 0, WIDE), ((1280, 720), 0, WIDE),
                                                  ((1920, 1080), 90, TALL), ((1080, 1920), 0, TALL)],
                         ids=["1080p", "720p", "rotated-portrait", "portrait-panel"])
def test_a_text_slide_draws_its_portrait_background_on_a_portrait_screen(tmp_path, panel, rotation, shown):
    wide = solid_png(tmp_path, (1920, 880), WIDE, "wide.png")
    tall = solid_png(tmp_path, (1080, 1512), TALL, "tall.png")
    with screen(size=panel, rotation=rotation) as scr:
        switch(scr, text("Hi", background="#204060", background_image=str(wide), portrait_background_image=str(tall)))
        arr = rgb(scr.current.frame()).astype(int)
        band = scr.notice.height(scr.size, True)
    w, h = scr.size
    assert (h > w) == (shown == TALL)  # the upright picture's orientation, after rotation
    scrim = np.round(np.array(shown) * 170 / 255)  # white words: the picture is darkened under them
    margin = arr[: h - band, : int(w * 0.08) - 2]  # left of the words, the whole safe area's height
    assert np.abs(margin - scrim).max() <= 2, (margin.min(axis=(0, 1)), margin.max(axis=(0, 1)), scrim)


def test_validate_and_preview_warn_when_a_slides_background_is_cropped_unless_it_has_a_portrait_one(
        tmp_path, capsys, clean_env):
    from signage.cli import main
    from signage.render.overlay import PrivacyNotice

    pl, err = validated(tmp_path, capsys, "wide",
                        "  - {id: plain, type: text, headline: Hi, background_image: wide.png, fit: fit}\n"
                        "  - {id: both, type: text, headline: Hi, background_image: wide.png, "
                        "portrait_background_image: wide-tall.png}\n"
                        "  - {id: bleed, type: text, headline: Hi, background_image: wide-tall.png, full_bleed: true}\n")
    area = content_box((1080, 1920), PrivacyNotice(NoticeConfig()).height((1080, 1920), True))[2:]
    crop = crop_share((1600, 900), area, "fill")  # a slide's background is always fill (its fit is ignored)
    assert (f"creatives[0] plain: fill crops {crop.share:.0%} of wide.png in portrait (1080x1920: its left and right); "
            f"give a portrait variant (portrait_background_image; the picture's area is {area[0]}x{area[1]})") in err
    assert "both" not in err  # its portrait variant fits the portrait screen
    crop = crop_share((900, 1260), (1920, 1080), "fill")  # full bleed: the whole landscape screen
    assert (f"creatives[2] bleed: fill crops {crop.share:.0%} of wide-tall.png in landscape (1920x1080: its top and bottom); "
            "give a landscape picture as background_image (the picture's area is 1920x1080) "
            "and this one as portrait_background_image") in err
    assert "notice covers" not in err  # the words keep clear of the band: no covered share for a slide
    out = tmp_path / "f.png"
    for cid, warned in (("plain", True), ("both", False)):
        assert main(["preview", str(pl), "--creative", cid, "--size", "1920x1080", "--rotation", "90",
                     "--out", str(out)]) == 0
        assert ("fill crops" in capsys.readouterr().err) == warned, cid
