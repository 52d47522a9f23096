"""Each creative type and fit mode, checked pixel by pixel on a real (dummy-driver) display."""

import logging

import numpy as np
import pygame
import pytest

from screenkit import CONTENT, DATA, PROMO, image, quadrants_png, rgb, screen, switch, text, video


def near(pixel, want, tol=3):
    """Equal within ``tol`` per channel (cubic scaling may round a flat colour by one)."""
    return all(abs(int(a) - b) <= tol for a, b in zip(pixel, want))


def frame(scr, spec):
    switch(scr, spec)
    scr.tick()
    return rgb(scr.canvas)


def above_notice(scr, arr):
    top = scr.size[1] - scr.notice.height(scr.size, True)
    return arr[:top]


# The geometry of fit, fill and stretch on the whole screen: full-bleed creatives (the default
# safe area, clear of the notice, is tested in test_safe_area.py).


def test_fit_leaves_letterbox_bars_of_exact_size_and_colour():
    # astronaut.png is 512x512: on 1920x1080 it is 1080x1080 with 420 px bars each side
    with screen(camera_on=False, notice=None) as scr:
        arr = above_notice(scr, frame(scr, image(DATA / "astronaut.png", fit="fit", background="#123456", full_bleed=True)))
        bar = np.array([0x12, 0x34, 0x56])
        assert (arr[:, :420] == bar).all() and (arr[:, 1500:] == bar).all()
        inside = arr[:, 420:1500]
        # the picture reaches both bars: its edge columns are not the letterbox colour
        assert (np.abs(inside[:, 0].astype(int) - bar).sum(axis=1) > 30).mean() > 0.9
        assert (np.abs(inside[:, -1].astype(int) - bar).sum(axis=1) > 30).mean() > 0.9


def test_fit_picture_corners_land_on_the_picture_area(tmp_path):
    src = quadrants_png(tmp_path, (400, 300))  # 4:3 on 16:9 -> 1440x1080 at x=240
    with screen(camera_on=False) as scr:
        arr = frame(scr, image(src, fit="fit", background="#ffffff", full_bleed=True))
    assert (arr[:, :240] == 255).all() and (arr[:, 1680:] == 255).all()
    assert near(arr[5, 245], (220, 30, 30)) and near(arr[5, 1675], (30, 200, 30))
    assert near(arr[1075, 245], (30, 30, 220)) and near(arr[1075, 1675], (230, 220, 40))


def test_fill_covers_edge_to_edge_cropping_the_overflow(tmp_path):
    src = quadrants_png(tmp_path, (400, 400))  # square on 16:9: full width, top and bottom cropped
    with screen(camera_on=False) as scr:
        arr = frame(scr, image(src, fit="fill", background="#ff00ff", full_bleed=True))
    assert not (arr == (255, 0, 255)).all(axis=2).any()  # no letterbox anywhere
    assert near(arr[0, 0], (220, 30, 30)) and near(arr[0, 1919], (30, 200, 30))
    assert near(arr[1079, 0], (30, 30, 220)) and near(arr[1079, 1919], (230, 220, 40))
    # the quadrant boundary stays in the middle: the crop is centred
    assert near(arr[525, 100], (220, 30, 30)) and near(arr[555, 100], (30, 30, 220))


def test_stretch_maps_corners_to_corners(tmp_path):
    src = quadrants_png(tmp_path, (200, 600))  # tall picture squeezed onto a wide screen
    with screen(camera_on=False) as scr:
        arr = frame(scr, image(src, fit="stretch", background="#ff00ff", full_bleed=True))
    assert near(arr[0, 0], (220, 30, 30)) and near(arr[0, 1919], (30, 200, 30))
    assert near(arr[1079, 0], (30, 30, 220)) and near(arr[1079, 1919], (230, 220, 40))
    # the middle of the picture is the middle of the screen
    assert near(arr[525, 940], (220, 30, 30)) and near(arr[555, 980], (230, 220, 40))


def test_a_real_photo_fills_the_screen_like_the_source(tmp_path):
    """fill of coffee.png (600x400, 3:2): the screen shows the centred 16:9 band of the photo."""
    import cv2

    with screen(camera_on=False) as scr:
        arr = frame(scr, image(DATA / "coffee.png", fit="fill", full_bleed=True))
    src = cv2.cvtColor(cv2.imread(str(DATA / "coffee.png")), cv2.COLOR_BGR2RGB)
    band = src[31:31 + 338]
    ref = cv2.resize(band, (1920, 1080), interpolation=cv2.INTER_CUBIC)
    assert np.abs(arr.astype(int) - ref.astype(int)).mean() < 3


def test_transparent_png_is_drawn_over_the_background_colour(tmp_path):
    surf = pygame.Surface((100, 100), pygame.SRCALPHA)
    surf.fill((0, 0, 0, 0))
    surf.fill((255, 0, 0, 255), (0, 0, 50, 100))
    p = tmp_path / "half.png"
    pygame.image.save(surf, str(p))
    with screen(camera_on=False, size=(400, 400)) as scr:
        arr = frame(scr, image(p, fit="stretch", background="#00ff00", full_bleed=True))
    assert tuple(arr[200, 50]) == (255, 0, 0) and tuple(arr[200, 350]) == (0, 255, 0)


def test_text_slide_is_wrapped_aligned_scaled_and_clear_of_the_notice():
    from signage.render.slides import layout_text
    from signage.render.fonts import cap_height, px_for_cap

    long = "Two coffees for the price of one, every afternoon this week, in every café of the city"
    with screen() as scr:
        band = scr.notice.height(scr.size, True)
    with screen(camera_on=False) as scr:  # the notice hidden: what the slide itself draws
        arr = frame(scr, text(long, "Show this screen at the counter.", background="#202020", color="#ffffff",
                              align="left"))
        centred = frame(scr, text("Hello", "World", background="#202020", color="#ffffff"))
    white = (arr == 255).all(axis=2)
    # nothing of the slide's text is drawn where the notice goes: only its ground, one colour a row
    ground = arr[1080 - band:].astype(int)
    assert (ground == ground[:, :1]).all() and ground.max() <= 0x22
    # left aligned within the 8% margins, and wrapped onto several lines
    cols = np.nonzero(white.any(axis=0))[0]
    margin = int(1920 * 0.08)
    assert abs(int(cols.min()) - margin) <= 8 and cols.max() <= 1920 - margin
    rows = np.nonzero(white.any(axis=1))[0]
    assert len(np.split(rows, np.nonzero(np.diff(rows) > 1)[0] + 1)) >= 4  # >= 3 headline lines + body
    # centred: the ink is symmetric about the middle
    ccols = np.nonzero((centred == 255).all(axis=2).any(axis=0))[0]
    assert abs((ccols.min() + ccols.max()) / 2 - 960) <= 6
    # auto-scaled: a short headline is set larger than a long one, both readable from afar
    box = (1920 - 2 * margin, 1080 - band - int(1080 * 0.14))
    longer = long + ", with a free croissant for every child under twelve until the end of the month"
    floor = px_for_cap(26)
    short_l = layout_text("Hello", "World", box, floor)
    long_l = layout_text(longer, "Show this screen.", box, floor)
    assert short_l.headline_px > long_l.headline_px and len(long_l.headline) <= 3
    assert cap_height(long_l.headline_px) >= 40 and cap_height(long_l.body_px) >= 26


def test_text_slide_over_a_background_picture_keeps_contrast():
    with screen(camera_on=False) as scr:
        arr = frame(scr, text("Come in", "It's warm inside", background_image=str(CONTENT / "beans-bg.png"),
                              color="#ffffff", accent="#f0ba4c"))
    # the picture is under the text, darkened: the brightest background pixels stay well below white
    mask_text = (arr > 240).all(axis=2)
    assert mask_text.sum() > 5000
    bg = arr[~mask_text]
    assert np.percentile(bg.mean(axis=1), 99) < 140


def test_a_sample_clip_decodes_and_fits_with_bars():
    import cv2

    cap = cv2.VideoCapture(str(DATA / "white_house_hamilton_clip.mp4"))
    w, h = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    cap.release()
    with screen(camera_on=False, size=(1000, 1000)) as scr:
        arr = frame(scr, video(DATA / "white_house_hamilton_clip.mp4", background="#0000ff", full_bleed=True))
    th = round(h * 1000 / w)
    bar = (1000 - th) // 2
    assert (arr[: bar - 1] == (0, 0, 255)).all() and (arr[1000 - bar + 1:] == (0, 0, 255)).all()
    assert not (arr[bar + 2: 1000 - bar - 2] == (0, 0, 255)).all(axis=2).all(axis=1).any()


@pytest.mark.parametrize("make", ["missing", "corrupt_png", "corrupt_mp4", "empty"])
def test_a_bad_file_is_skipped_with_a_log_line_and_the_screen_stays_filled(tmp_path, caplog, make):
    if make == "missing":
        bad = image(tmp_path / "nowhere.png", id="bad")
    elif make == "corrupt_png":
        p = tmp_path / "broken.png"
        p.write_bytes((CONTENT / "welcome.png").read_bytes()[:3000])  # a truncated real PNG
        bad = image(p, id="bad")
    elif make == "corrupt_mp4":
        p = tmp_path / "broken.mp4"
        p.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
        bad = video(p, id="bad")
    else:
        p = tmp_path / "empty.jpg"
        p.write_bytes(b"")
        bad = image(p, id="bad")
    with screen() as scr:
        before = frame(scr, image(CONTENT / "welcome.png", fit="fill"))
        scr.drain_events()
        with caplog.at_level(logging.ERROR, logger="signage.render"):
            switch(scr, bad)
            scr.tick()
        after = rgb(scr.canvas)
        events = scr.drain_events()
        assert scr.current_id == "welcome"
    assert (after == before).all()  # the previous creative stays, whole
    assert [e.kind for e in events] == ["skip"] and events[0].creative_id == "bad"
    msgs = [r.getMessage() for r in caplog.records]
    assert any("'bad'" in m and str(bad.path) in m and "skipped" in m for m in msgs), msgs
