"""The screen as a whole: the notice on every frame, transitions, switches, rotation, overlays."""

import time

import cv2
import numpy as np
import pytest

from screenkit import CONTENT, DATA, PROMO, image, notice_rect, rgb, screen, switch, text, video, white_png
from signage.config import NoticeConfig
from signage.render.geometry import contrast_ratio
from signage.values import AudienceSnapshot


def luminance(arr):
    return arr[..., 0] * 0.2126 + arr[..., 1] * 0.7152 + arr[..., 2] * 0.0722


def assert_notice_legible(arr, rect):
    """The notice's area: a dark panel with bright text on it, contrast well above WCAG AA."""
    x, y, w, h = rect
    region = arr[y:y + h, x:x + w - int(w * 0.12)]  # leave out the QR code's white card
    lum = luminance(region.astype(float))
    panel = np.median(region.reshape(-1, 3), axis=0)
    assert luminance(panel) < 60, f"panel too light: {panel}"
    bright = region[lum > 180]
    assert len(bright) > 0.03 * lum.size, "too little text in the notice"
    text_colour = np.percentile(bright, 50, axis=0)
    assert contrast_ratio(tuple(text_colour), tuple(panel)) >= 7.0


def test_notice_over_an_all_white_picture_is_legible_and_its_qr_code_reads(tmp_path):
    with screen() as scr:
        switch(scr, image(white_png(tmp_path), full_bleed=True))  # white under the band too
        scr.tick()
        arr = rgb(scr.canvas)
        rect = notice_rect(scr)
    assert rect.bottom == 1080 and rect.width == 1920
    assert 100 <= rect.height <= 0.19 * 1080  # a band along the bottom, within its budget (docs/screen.md)
    assert_notice_legible(arr, rect)
    url, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(arr, cv2.COLOR_RGB2BGR))
    assert url == NoticeConfig().url
    assert (arr[: rect.top - 2] == 255).all()  # and nothing else is drawn over the picture


def test_notice_text_is_at_least_22_px_caps_at_1080_and_scales():
    from signage.render.fonts import cap_height
    from signage.render.overlay import notice_font_px

    assert cap_height(notice_font_px((1920, 1080))) >= 22
    assert cap_height(notice_font_px((1080, 1920))) >= 22
    assert cap_height(notice_font_px((3840, 2160))) >= 44
    assert cap_height(notice_font_px((1280, 720))) >= 14


@pytest.mark.parametrize("kind", ["cut", "crossfade", "slide"])
def test_notice_is_on_every_frame_including_mid_transition(tmp_path, kind):
    """Two white pictures: whatever the transition does underneath, the notice's pixels are
    the same on every frame; and over real creatives it stays legible mid-transition."""
    white = white_png(tmp_path)
    with screen() as scr:
        switch(scr, image(white, id="a"))
        scr.tick()
        rect = notice_rect(scr)
        x, y, w, h = rect
        ref = rgb(scr.canvas)[y:y + h, x:x + w]
        scr.show(image(white, id="b", transition=(kind, 0.5)), wait=True)
        t0 = time.perf_counter()
        for i in range(12):
            scr.draw(t0 + i * 0.05)
            assert (rgb(scr.canvas)[y:y + h, x:x + w] == ref).all(), f"frame {i}"
        scr.show(image(CONTENT / "welcome.png", fit="fill", transition=(kind, 0.5)), wait=True)
        scr.draw(t0 + 1)
        scr.show(video(PROMO, transition=(kind, 0.5)), wait=True)
        for i in range(6):
            scr.draw(t0 + 2 + i * 0.1)
            assert_notice_legible(rgb(scr.canvas), rect)


def test_crossfade_mid_point_is_the_average_of_both_frames(tmp_path):
    with screen(camera_on=False) as scr:
        a = image(CONTENT / "welcome.png", fit="fill")
        b = image(CONTENT / "lunch-menu.png", fit="fill", transition=("crossfade", 1.0))
        switch(scr, a)
        scr.tick()
        frame_a = rgb(scr.canvas).astype(int)
        scr.show(b, wait=True)
        t0 = time.perf_counter()
        scr.draw(t0)  # the switch: p = 0, still all of a
        assert (rgb(scr.canvas) == frame_a).all()
        scr.draw(t0 + 0.5)
        mid = rgb(scr.canvas).astype(int)
        scr.draw(t0 + 1.0)
        frame_b = rgb(scr.canvas).astype(int)
    expected = (frame_a + frame_b) / 2
    assert np.abs(mid - expected).max() <= 2
    assert np.abs(frame_a - frame_b).mean() > 20  # the two are really different pictures


def test_slide_pushes_the_old_frame_out_with_no_gap():
    with screen(camera_on=False, size=(960, 540)) as scr:
        switch(scr, image(CONTENT / "welcome.png", fit="fill"))
        scr.tick()
        a = rgb(scr.canvas)
        scr.show(image(CONTENT / "evening.png", fit="fill", transition=("slide", 1.0)), wait=True)
        t0 = time.perf_counter()
        scr.draw(t0)
        scr.draw(t0 + 0.5)  # ease(0.5) = 0.5: the seam is in the middle
        mid = rgb(scr.canvas)
        scr.draw(t0 + 1.0)
        b = rgb(scr.canvas)
    assert (mid[:, :480] == a[:, 480:]).all() and (mid[:, 480:] == b[:, :480]).all()


def _classify(frame, candidates):
    for name, ref in candidates.items():
        if np.array_equal(frame, ref):
            return name
    return None


def test_no_black_or_partial_frame_across_100_switches(tmp_path):
    """100 switches between real creatives, every frame checked: with cuts each frame is exactly
    one creative, whole; during crossfades and slides no pixel is black or left over; the frame
    shown while the next creative is being prepared is the current one, whole."""
    specs = [image(DATA / n, fit=f, background="#334455")
             for n, f in (("grace_hopper.jpg", "fit"), ("coffee.png", "fill"), ("chelsea.png", "fill"))]
    specs.append(text("Come in, it's warm inside", "Fresh coffee, a step away.", id="text",
                      background="#2b1d16", color="#fff8ec", accent="#f0ba4c"))
    frames_checked = 0
    with screen(size=(640, 360), camera_on=False) as scr:
        whole = {}
        for s in specs:  # each creative's frame, alone
            switch(scr, s)
            scr.tick()
            whole[s.id] = rgb(scr.canvas)
        for n in range(100):
            kind = ("cut", "crossfade", "slide")[n % 3] if n >= 40 else "cut"
            nxt = specs[(n + 1) % len(specs)]
            nxt = type(nxt)(**{**{f: getattr(nxt, f) for f in nxt.__slots__},
                               "transition": type(nxt.transition)(kind, 0.06)})
            cur = scr.current_id
            if n % 2:
                scr.preload(nxt)
            scr.show(nxt)
            while True:
                scr.tick()
                f = rgb(scr.canvas)
                frames_checked += 1
                assert (f.max(axis=2) > 8).mean() > 0.99, f"switch {n}: black pixels"
                got = _classify(f, whole)
                if kind == "cut" or scr.preparing:
                    assert got in (cur, nxt.id), f"switch {n}: a partial or foreign frame"
                if not scr.preparing and scr.current_id == nxt.id and scr._previous is None:
                    assert got == nxt.id
                    break
                time.sleep(0.004)
        events = scr.drain_events()
    assert sum(e.kind == "start" for e in events) == 104 and not any(e.kind == "skip" for e in events)
    assert frames_checked >= 200


@pytest.mark.parametrize("rotation", [90, 270])
def test_portrait_rotation_draws_upright_and_turns_it_onto_the_panel(rotation):
    with screen(size=(1920, 1080), rotation=rotation) as scr:
        assert scr.size == (1080, 1920)
        switch(scr, image(CONTENT / "welcome.png", fit="fit", background="#336699"))
        scr.tick()
        canvas = rgb(scr.canvas)
        panel = rgb(scr.display.surface)
        rect = notice_rect(scr)
    assert panel.shape == (1080, 1920, 3) and canvas.shape == (1920, 1080, 3)
    # the notice is along the bottom of the upright picture, reading left to right
    assert rect.bottom == 1920 and rect.width == 1080
    assert_notice_legible(canvas, rect)
    # turning the panel back by the mount's rotation gives the upright picture exactly
    k = 1 if rotation == 90 else 3  # np.rot90 turns counter-clockwise
    assert np.array_equal(np.rot90(panel, k), canvas)
    # on the panel the notice is a vertical band on the left (90) or right (270) edge
    band = panel[:, :rect.height] if rotation == 90 else panel[:, -rect.height:]
    assert luminance(np.median(band.reshape(-1, 3), axis=0)) < 60
    url, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    assert url == NoticeConfig().url


def test_camera_off_says_so_or_hides_as_configured(tmp_path):
    white = image(white_png(tmp_path), full_bleed=True)
    with screen(camera_on=True, notice=NoticeConfig(camera_off="say")) as scr:
        switch(scr, white)
        on_h = notice_rect(scr).height
        scr.set_camera(False)
        scr.tick()
        off_rect = notice_rect(scr)
        arr = rgb(scr.canvas)
        assert scr.notice.text_lines(False) == ["Camera off: no audience measurement.",
                                                "Caméra éteinte\u00a0: aucune mesure d'audience."]
    assert 0 < off_rect.height < on_h
    assert_notice_legible(arr, off_rect)
    with screen(camera_on=False, notice=NoticeConfig(camera_off="hide")) as scr:
        switch(scr, white)
        scr.tick()
        assert (rgb(scr.canvas) == 255).all()
        scr.set_camera(True)  # back on: the notice is back at once
        scr.tick()
        assert_notice_legible(rgb(scr.canvas), notice_rect(scr))


def test_notice_words_come_from_config_and_languages_are_laid_out():
    cfg = NoticeConfig(controller="Musée d'Orsay", contact="dpo@example.org", url="https://example.org/p",
                       languages=["fr", "en"])
    with screen(notice=cfg) as scr:
        lines = scr.notice.text_lines(True)
        h2 = notice_rect(scr).height
    assert lines[0].startswith("Caméra active") and lines[1].startswith("Camera on:")
    assert lines[2] == "Musée d'Orsay · dpo@example.org · Notice complète / Full notice: example.org/p"
    with screen(notice=NoticeConfig(languages=["en"])) as scr:
        assert notice_rect(scr).height < h2  # one language: a shorter band


def test_notice_is_rendered_once_not_per_frame():
    with screen(size=(640, 360)) as scr:
        switch(scr, image(CONTENT / "welcome.png"))
        for _ in range(30):
            scr.tick()
        renders = scr.notice.renders
        scr.set_camera(False)
        scr.tick()
        scr.set_camera(True)
        scr.tick()
    assert renders == 1 and scr.notice.renders == 3


def test_operator_overlay_shows_numbers_only_and_toggles(tmp_path):
    import pygame

    snap = AudienceSnapshot(t=0.0, faces=3, watchers=2, attention_ratio=2 / 3, smile_ratio=0.5, passers_by=7)
    with screen(show_overlay=False) as scr:
        switch(scr, image(white_png(tmp_path)))
        scr.set_audience(snap)
        scr.tick()
        plain = rgb(scr.canvas)
        scr.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_o))
        assert scr.show_overlay
        scr.tick()
        with_overlay = rgb(scr.canvas)
        lines = scr._operator_text()
    changed = np.nonzero((plain != with_overlay).any(axis=2))
    assert changed[0].max() < 300 and changed[1].max() < 1200  # a card in the top-left corner
    assert "faces 3" in lines[0] and "watchers 2" in lines[0] and "attention 67%" in lines[0]
    assert "fps" in lines[1] and "welcome" not in lines[0]


def test_idle_screen_before_the_first_creative_is_not_black():
    with screen(size=(640, 360)) as scr:
        scr.tick()
        arr = rgb(scr.canvas)
        top = notice_rect(scr).top
        assert scr.current_id is None
    assert (arr[:top] == (0x1c, 0x15, 0x12)).all()


def test_a_preloaded_creative_switches_on_the_next_frame(monkeypatch):
    """Once preloaded, show() takes the prepared creative: it is on screen at the next tick.
    Any preparation asked for after the preload never finishes here, so the switch can only
    have come from the preload (timed, this would be a race with the preparer)."""
    import threading

    import signage.render.screen as screen_module

    with screen(size=(960, 540)) as scr:
        switch(scr, image(CONTENT / "welcome.png"))
        nxt = image(CONTENT / "pastry.png")
        scr.preload(nxt)
        assert scr.wait_prepared(60)  # prepared off the render thread
        never = threading.Event()
        monkeypatch.setattr(screen_module, "prepare", lambda *a, **kw: never.wait(60))
        try:
            scr.show(nxt)
            scr.tick()
            assert scr.current_id == "pastry" and not scr.preparing
        finally:
            never.set()


def test_notice_on_top_and_text_slides_keep_clear_of_it():
    cfg = NoticeConfig(position="top")
    with screen(notice=cfg) as scr:
        switch(scr, text("Two coffees for the price of one, every afternoon this week in all our cafés and kiosks "
                         "across the city, with a croissant", "Show this screen at the counter.",
                         background="#202020", color="#ffffff"))
        scr.tick()
        rect = notice_rect(scr)
        arr = rgb(scr.canvas)
    assert rect.top == 0 and rect.width == 1920
    assert_notice_legible(arr, rect)
    below = arr[rect.bottom + 2:]
    rows = np.nonzero((below == 255).all(axis=2).any(axis=1))[0]
    # the words are centred in the space the band leaves free (below it, within the margins)
    top, bottom = rows.min() + rect.bottom + 2, rows.max() + rect.bottom + 2
    free_top, free_bottom = rect.bottom + 1080 * 0.09, 1080 - 1080 * 0.05
    assert top >= free_top - 20 and abs((top + bottom) / 2 - (free_top + free_bottom) / 2) < 30


def test_the_no_playlist_slate_has_its_words_and_the_notice_stays():
    """A kiosk with no playlist: a neutral slate with a headline, never black, notice drawn."""
    from signage.slate import SLATE

    with screen(camera_on=True) as scr:
        scr.tick()
        plain = rgb(scr.canvas)
        scr.set_slate(SLATE)
        scr.tick()
        slate = rgb(scr.canvas)
        rect = notice_rect(scr)
        assert_notice_legible(slate, rect)
        above = slate[: rect.top]
        changed = (np.abs(above.astype(int) - plain[: rect.top].astype(int)).sum(axis=2) > 60)
        rows = np.flatnonzero(changed.any(axis=1))
        assert changed.sum() > 2000, "no words on the slate"
        assert rect.top * 0.25 < rows.mean() < rect.top * 0.75  # centred above the notice
        assert (above.reshape(-1, 3).mean(axis=0) > 10).all()  # not black
        scr.set_slate(())
        scr.tick()
        assert (rgb(scr.canvas)[: rect.top] == plain[: rect.top]).all()  # the plain idle slate again
