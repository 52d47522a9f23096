"""Pure geometry and transition maths: fitting, rotation, wrapping, contrast, progress."""

import pytest

from signage.render import transitions
from signage.render.display import driver_candidates
from signage.render.geometry import contrast_ratio, parse_color, place, rotated_size, wrap_words


def test_fit_letterboxes_a_square_picture_on_a_wide_screen():
    crop, target = place((512, 512), (1920, 1080), "fit")
    assert crop == (0, 0, 512, 512)
    assert target == (420, 0, 1080, 1080)  # bars of 420 px left and right


def test_fit_pillarboxes_a_wide_picture_on_a_portrait_screen():
    crop, target = place((1920, 1080), (1080, 1920), "fit")
    assert target == (0, 656, 1080, 608)  # 1080 * 1080/1920 = 607.5 -> 608, centred


def test_fill_crops_the_overflow_centred():
    crop, target = place((600, 400), (1920, 1080), "fill")
    assert target == (0, 0, 1920, 1080)
    assert crop == (0, 31, 600, 338)  # 600 * 1080/1920 = 337.5 rows kept, centred
    crop, _ = place((1920, 1080), (1080, 1920), "fill")
    assert crop == (656, 0, 608, 1080)


def test_stretch_maps_whole_picture_to_whole_screen():
    assert place((451, 300), (1920, 1080), "stretch") == ((0, 0, 451, 300), (0, 0, 1920, 1080))


def test_same_aspect_is_edge_to_edge_in_every_mode():
    for mode in ("fit", "fill", "stretch"):
        assert place((1280, 720), (1920, 1080), mode)[1] == (0, 0, 1920, 1080)


@pytest.mark.parametrize("bad", [((0, 10), (10, 10), "fit"), ((10, 10), (10, 10), "zoom")])
def test_place_refuses_bad_input(bad):
    with pytest.raises(ValueError):
        place(*bad)


def test_rotated_size():
    assert rotated_size((1920, 1080), 0) == (1920, 1080)
    assert rotated_size((1920, 1080), 90) == (1080, 1920)
    assert rotated_size((1920, 1080), 180) == (1920, 1080)
    assert rotated_size((1920, 1080), 270) == (1080, 1920)
    with pytest.raises(ValueError):
        rotated_size((1920, 1080), 45)


def test_wrap_words_greedy_and_long_words_alone():
    width_of = len
    assert wrap_words("aa bb cc dd".split(), width_of, 5) == ["aa bb", "cc dd"]
    assert wrap_words(["abcdefgh", "x"], width_of, 5) == ["abcdefgh", "x"]
    assert wrap_words([], width_of, 5) == []


def test_colours_and_contrast():
    assert parse_color("#F0ba4c") == (240, 186, 76)
    with pytest.raises(ValueError, match="#rrggbb"):
        parse_color("red")
    assert contrast_ratio((255, 255, 255), (0, 0, 0)) == pytest.approx(21.0)
    assert contrast_ratio((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.02)


def test_transition_maths():
    assert transitions.progress(0.3, 0.6) == 0.5
    assert transitions.progress(-1, 0.6) == 0.0 and transitions.progress(9, 0.6) == 1.0
    assert transitions.progress(0.1, 0.0) == 1.0
    assert transitions.ease(0.0) == 0.0 and transitions.ease(0.5) == 0.5 and transitions.ease(1.0) == 1.0
    assert transitions.crossfade_alpha(0.0) == 0 and transitions.crossfade_alpha(0.5) == 128
    assert transitions.crossfade_alpha(1.0) == 255
    # slide: the two frames always abut, the new one comes in from the right
    for p in (0.0, 0.1, 0.5, 0.9, 1.0):
        old_x, new_x = transitions.slide_offsets(p, 1920)
        assert new_x - old_x == 1920
    assert transitions.slide_offsets(0.0, 1920) == (0, 1920)
    assert transitions.slide_offsets(1.0, 1920) == (-1920, 0)


def test_driver_candidates():
    assert driver_candidates("kmsdrm", {"DISPLAY": ":0"}) == ["kmsdrm"]
    assert driver_candidates("auto", {"SDL_VIDEODRIVER": "dummy", "DISPLAY": ":0"}) == ["dummy"]
    assert driver_candidates("auto", {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == ["wayland", "x11", "kmsdrm"]
    assert driver_candidates("auto", {}) == ["kmsdrm"]


def test_crossfade_frames_never_ask_sdl_for_its_slow_path():
    """Every crossfade frame is cheap, including the last ones: SDL blends a surface alpha of
    255 on a slow path (about 25 ms at 1080p), so compose must never ask for it. What it asks
    SDL for is checked, not how long it takes (that depends on the machine and its load)."""
    import pygame

    from screenkit import screen

    class Recorded(pygame.Surface):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            self.alphas: list = []

        def set_alpha(self, *args) -> None:
            self.alphas.append(args[0] if args else None)
            super().set_alpha(*args)

    with screen(size=(1920, 1080), camera_on=False):
        target = pygame.display.get_surface()
        old = Recorded((1920, 1080), 0, target)
        new = Recorded((1920, 1080), 0, target)
        old.fill((200, 100, 50))
        new.fill((20, 100, 250))
        asked = {}
        for p in (0.0, 0.001, 0.5, 0.998, 0.9985, 0.9999, 1.0):
            new.alphas.clear()
            transitions.compose(target, "crossfade", p, old, new)
            asked[p] = [a for a in new.alphas if a is not None]
            assert new.get_alpha() is None  # left opaque for the next frame
        assert tuple(target.get_at((5, 5)))[:3] == (20, 100, 250)
    assert all(0 < a < 255 for alphas in asked.values() for a in alphas), asked
    assert asked[0.5] == [128] and asked[0.9999] == [] and asked[1.0] == [] and old.alphas == []
