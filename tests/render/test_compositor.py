"""Composition on the GPU (SDL's renderer) against the surface path, pixel for pixel.

SDL's dummy driver has no accelerated renderer, only SDL's software one; the tests let the
renderer path take it (``allow_software_renderer``) and run the very same frames through both
paths: every frame read back off the renderer (SDL_RenderReadPixels, before the present) must
equal the surface path's panel exactly, landscape and turned 90/180/270, the notice in it. Under
a real X server (Xvfb) the renderer is OpenGL on Mesa's llvmpipe: the same comparison, and "auto"
leaving it alone (a CPU rasteriser, not a GPU).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from screenkit import CONTENT, DATA, image, notice_rect, rgb, text, video
from test_xvfb import xvfb  # noqa: F401  (the fixture: Xvfb on a free display number)
from videokit import SyntheticSource, _panel_xy, read_code

from signage.config import ConfigError, DisplayConfig, NoticeConfig, load_settings
from signage.render.display import Display
from signage.render.present import (SDL_RENDERER_ACCELERATED, SDL_RENDERER_PRESENTVSYNC, SDL_RENDERER_SOFTWARE,
                                    choose, panel_rect, placement, software_gl)
from signage.render.screen import Screen
from signage.render.video import VideoCreative

HERE = Path(__file__).resolve().parent


# ----------------------------------------------------------------------------- the choice (pure)

def test_auto_takes_an_accelerated_renderer_and_falls_back_from_the_software_one():
    gl = ("opengl", SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC)
    sw = ("software", SDL_RENDERER_SOFTWARE)
    c = choose("auto", gl, driver="x11")
    assert c.renderer and not c.warning and "GPU" in c.message and "opengl" in c.message and "vsync" in c.message
    c = choose("auto", sw, driver="dummy")
    assert not c.renderer and not c.warning
    assert "software renderer" in c.message and "dummy" in c.message and "surface path" in c.message
    c = choose("gpu", sw, driver="dummy")
    assert not c.renderer and c.warning and 'compositor = "gpu"' in c.message and "surface path" in c.message
    c = choose("gpu", None, driver="kmsdrm", error="Could not create renderer")
    assert not c.renderer and c.warning and "Could not create renderer" in c.message
    assert choose("gpu", sw, driver="dummy", allow_software=True).renderer
    assert not choose("surface", gl, driver="x11").renderer
    # OpenGL on a CPU rasteriser is not a GPU, whatever SDL's flags say
    c = choose("auto", gl, driver="x11", gl_renderer="llvmpipe (LLVM 15.0.6, 256 bits)")
    assert not c.renderer and "llvmpipe" in c.message and "CPU rasteriser" in c.message
    assert choose("gpu", gl, driver="x11", gl_renderer="llvmpipe (LLVM 15.0.6, 256 bits)").warning
    assert choose("gpu", gl, driver="x11", gl_renderer="llvmpipe", allow_software=True).renderer
    c = choose("auto", ("opengles2", SDL_RENDERER_ACCELERATED), driver="kmsdrm", gl_renderer="V3D 7.1")
    assert c.renderer and "V3D 7.1" in c.message
    assert software_gl("llvmpipe (LLVM 15.0.6, 256 bits)") and software_gl("softpipe")
    assert not software_gl("Mesa Intel(R) UHD Graphics 620 (KBL GT2)") and not software_gl(None)


def test_a_picture_rect_lands_on_the_panel_where_its_pixels_do():
    panel = (7, 5)
    for rotation in (0, 90, 180, 270):
        rect = (1, 2, 2, 3) if rotation in (0, 180) else (1, 2, 3, 2)
        x, y, w, h = panel_rect(rect, rotation, panel)
        corners = [_panel_xy(cx, cy, rotation, *panel) for cx in (rect[0], rect[0] + rect[2] - 1)
                   for cy in (rect[1], rect[1] + rect[3] - 1)]
        assert min(c[0] for c in corners) == x and max(c[0] for c in corners) == x + w - 1
        assert min(c[1] for c in corners) == y and max(c[1] for c in corners) == y + h - 1


def test_the_picture_is_placed_one_to_one_or_as_large_as_fits_centred():
    assert placement((640, 360), (640, 360), 0) == {"dstrect": (0, 0, 640, 360)}
    # turned about the texture's corner: the canvas (360x640) lands exactly on the panel
    assert placement((640, 360), (640, 360), 90) == {"dstrect": (640, 0, 360, 640), "angle": 90.0, "origin": (0, 0)}
    assert placement((640, 360), (640, 360), 270) == {"dstrect": (0, 360, 360, 640), "angle": 270.0, "origin": (0, 0)}
    assert placement((640, 360), (640, 360), 180) == {"dstrect": (0, 0, 640, 360), "flip_x": True, "flip_y": True}
    assert placement((640, 360), (1280, 720), 0) == {"dstrect": (0, 0, 1280, 720)}
    assert placement((640, 360), (1000, 700), 0) == {"dstrect": (0, 69, 1000, 562)}  # bars above and below
    assert placement((640, 360), (1000, 700), 90)["dstrect"] == (1000, 69, 562, 1000)
    assert placement((640, 360), (1600, 720), 0) == {"dstrect": (160, 0, 1280, 720)}  # bars left and right


def test_the_compositor_setting_is_strict(tmp_path, monkeypatch):
    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)
    assert load_settings().display.compositor == "auto"
    f = tmp_path / "s.toml"
    f.write_text('[display]\ncompositor = "vulkan"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(f)
    assert "display.compositor" in str(e.value)
    monkeypatch.setenv("SIGNAGE_DISPLAY__COMPOSITOR", "surface")
    assert load_settings().display.compositor == "surface"


# ----------------------------------------------------------------------------- both paths, pixel for pixel

def open_display(size, rotation=0, compositor="gpu", allow=True, **kw) -> Display:
    cfg = DisplayConfig(driver="dummy", fullscreen=False, size=size, rotation=rotation, compositor=compositor, **kw)
    disp = Display(cfg, allow_software_renderer=allow).open()
    disp.readback = True
    return disp


def play_sequence(compositor: str, size, rotation: int) -> dict:
    """The same frames, on a clock the test steps: the idle slate, a picture cut in and shown
    again unchanged, a crossfade to another picture, a slide to a text slide, the camera going off."""
    disp = open_display(size, rotation, compositor, allow=compositor == "gpu")
    t = [100.0]
    scr = Screen(disp, NoticeConfig(), camera_on=True, clock=lambda: t[0])
    frames, canvases, notices = [], [], []

    def tick(dt: float = 1 / 60) -> None:
        t[0] += dt
        scr.tick(t[0])
        frames.append(rgb(disp.panel_image()))
        canvases.append(rgb(scr.canvas))
        notices.append(tuple(notice_rect(scr)) if scr.notice.visible(scr.camera_on) else None)

    try:
        tick()
        scr.show(image(CONTENT / "welcome.png", fit="fill", background="#223344"), wait=True)
        tick()
        tick()
        tick()  # unchanged: not turned (surface path), not uploaded (renderer path), still on the panel
        unchanged = scr.unchanged
        scr.show(image(DATA / "grace_hopper.jpg", fit="fit", background="#223344", transition=("crossfade", 0.5)),
                 wait=True)
        for _ in range(4):
            tick(0.1)
        tick(0.5)
        scr.show(text("Come in, it's warm inside", "Fresh coffee, a step away.", transition=("slide", 0.4),
                      background="#2b1d16", color="#fff8ec", accent="#f0ba4c"), wait=True)
        for _ in range(3):
            tick(0.1)
        scr.set_camera(False)
        tick(0.5)
        return {"frames": frames, "canvases": canvases, "notices": notices, "path": disp.compositor,
                "renderer": disp.presenter.name, "unchanged": unchanged, "panel": disp.panel_size}
    finally:
        scr.close()
        disp.close()


def upright(panel: np.ndarray, rotation: int) -> np.ndarray:
    return np.rot90(panel, {0: 0, 90: 1, 180: 2, 270: 3}[rotation])  # np.rot90 turns counter-clockwise


@pytest.mark.parametrize("size,rotation", [((1280, 720), 0), ((1280, 720), 90), ((1280, 720), 180),
                                           ((1280, 720), 270), ((1366, 768), 90)])
def test_the_renderer_path_presents_exactly_what_the_surface_path_does(size, rotation):
    surface = play_sequence("surface", size, rotation)
    gpu = play_sequence("gpu", size, rotation)
    assert surface["path"] == "surface" and gpu["path"] == "renderer" and gpu["renderer"] == "software"
    assert gpu["unchanged"] and surface["unchanged"]
    assert len(gpu["frames"]) == len(surface["frames"]) == 13
    for n, (a, b, canvas) in enumerate(zip(surface["frames"], gpu["frames"], gpu["canvases"])):
        assert b.shape == (size[1], size[0], 3)
        # what reached the panel is what was composed, turned, and the same on both paths
        assert np.array_equal(upright(b, rotation), canvas), f"frame {n}: the panel is not the canvas turned"
        assert np.array_equal(a, b), f"frame {n}: the paths differ in {(a != b).any(axis=2).sum()} pixels"
        # no black edge where the turned texture would have missed the panel
        for edge in (b[0], b[-1], b[:, 0], b[:, -1]):
            assert (edge.max(axis=1) > 0).mean() > 0.9, f"frame {n}: a black edge"


@pytest.mark.parametrize("rotation", [0, 90, 270])
def test_the_notice_band_is_in_every_frame_the_renderer_presents(rotation):
    gpu = play_sequence("gpu", (1280, 720), rotation)
    panel = gpu["panel"]
    bands = []
    for n, (frame, rect) in enumerate(zip(gpu["frames"], gpu["notices"])):
        x, y, w, h = panel_rect(rect, rotation, panel)
        band = frame[y:y + h, x:x + w]
        assert band.size and np.median(band.reshape(-1, 3), axis=0).mean() < 60, f"frame {n}: no dark notice band"
        if 1 <= n <= 8:  # the two pictures and the crossfade between them, on one background colour
            bands.append(band)
    url, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(np.ascontiguousarray(upright(gpu["frames"][4], rotation)),
                                                                  cv2.COLOR_RGB2BGR))
    assert url == NoticeConfig().url
    # the band's pixels are the same on every frame of both pictures, mid-crossfade included (the
    # pictures are laid out clear of it): the renderer turned the notice with the rest, whole
    for n, band in enumerate(bands, 1):
        assert np.array_equal(band, bands[0]), f"frame {n}: the notice band changed"


def test_video_frames_reach_the_panel_turned_on_the_renderer_path():
    """Rotation 90 on the renderer: each frame of a numbered clip read back off the renderer in
    order; a frame's second refresh is drawn from the texture without an upload and still shows."""
    from test_video import Clock

    clock = Clock()
    disp = open_display((360, 640), 90, fps=60)
    scr = Screen(disp, NoticeConfig(), camera_on=True, clock=clock)
    try:
        assert disp.compositor == "renderer"
        v = VideoCreative(video("synthetic.mp4", id="synthetic", fit="fill"), scr.size,
                          source=SyntheticSource(8, 30.0, (640, 360)), clock=clock)
        scr.put(v)
        seen, skipped = [], []
        for j in range(16):
            assert v.wait_decoded(min(7, int((j + 0.5) / 2 + 1e-9)))
            scr.tick(clock())
            skipped.append(scr.unchanged)
            seen.append(read_code(disp.panel_image(), v._target, rotation=90))
            clock.n += 1
        assert seen == [n // 2 for n in range(16)]
        assert skipped[2:] == [n % 2 == 1 for n in range(2, 16)]
        assert (v.stats.due, v.stats.shown, v.stats.dropped) == (8, 8, 0)
    finally:
        scr.close()
        disp.close()


# Scaled content (the output is not the panel's size: a resized window, full screen at another
# mode): the renderer scales the turned picture smoothly, as large as fits, centred. Its pixels are
# compared with OpenCV's bilinear resize of the same picture: every channel within SCALED_MAX_DIFF
# levels, on average within SCALED_MEAN_DIFF (SDL's software renderer: max 4, mean 0.09; OpenGL
# under Xvfb: max 2, mean 0.04); the bars beside it black. Nothing else has a tolerance.
SCALED_MAX_DIFF = 6
SCALED_MEAN_DIFF = 0.25


def assert_scaled(out: np.ndarray, panel: np.ndarray, rect) -> None:
    x, y, w, h = rect
    want = cv2.resize(panel, (w, h), interpolation=cv2.INTER_LINEAR)
    diff = np.abs(out[y:y + h, x:x + w].astype(int) - want)
    assert diff.max() <= SCALED_MAX_DIFF and diff.mean() <= SCALED_MEAN_DIFF, (diff.max(), diff.mean())
    bars = out.copy()
    bars[y:y + h, x:x + w] = 0
    assert not bars.any()


@pytest.mark.parametrize("rotation", [0, 90])
def test_a_larger_output_gets_the_picture_scaled_smoothly_and_one_to_one_again_after(rotation):
    disp = open_display((640, 360), rotation)
    scr = Screen(disp, NoticeConfig(), camera_on=True)
    try:
        scr.show(image(CONTENT / "welcome.png", fit="fill"), wait=True)
        scr.tick()
        window = disp._borrowed_window()
        for size, rect in (((1280, 720), (0, 0, 1280, 720)), ((1000, 700), (0, 69, 1000, 562))):
            window.size = size
            scr.tick()
            out = rgb(disp.panel_image())
            assert out.shape == (size[1], size[0], 3) and disp.presenter.scaled
            assert_scaled(out, np.ascontiguousarray(np.rot90(rgb(scr.canvas), -rotation // 90)), rect)
        window.size = (640, 360)
        scr.tick()
        assert not disp.presenter.scaled
        assert np.array_equal(upright(rgb(disp.panel_image()), rotation), rgb(scr.canvas))
    finally:
        scr.close()
        disp.close()


def test_reading_back_part_of_the_panel_gives_those_pixels_only():
    disp = open_display((640, 360), 90)
    scr = Screen(disp, NoticeConfig(), camera_on=True)
    try:
        scr.show(image(CONTENT / "welcome.png", fit="fill"), wait=True)
        scr.tick()
        whole = rgb(disp.panel_image()).copy()
        area = panel_rect((10, 20, 200, 30), 90, disp.panel_size)
        disp.readback = area
        disp.panel_image().fill((0, 0, 0))
        disp.unchanged = True
        disp.present()
        part = rgb(disp.panel_image())
        x, y, w, h = area
        assert np.array_equal(part[y:y + h, x:x + w], whole[y:y + h, x:x + w])
        outside = part.copy()
        outside[y:y + h, x:x + w] = 0
        assert not outside.any()
    finally:
        scr.close()
        disp.close()


# ----------------------------------------------------------------------------- the choice, as logged

def test_gpu_asked_on_the_dummy_driver_warns_once_and_composes_on_the_cpu(caplog):
    caplog.set_level(logging.INFO, logger="signage.render")
    disp = open_display((640, 360), 90, "gpu", allow=False)
    scr = Screen(disp, NoticeConfig(), camera_on=True)
    try:
        scr.show(image(CONTENT / "welcome.png", fit="fill"), wait=True)
        for _ in range(10):
            scr.tick()
        assert disp.compositor == "surface"
        assert np.array_equal(upright(rgb(disp.panel_image()), 90), rgb(scr.canvas))
    finally:
        scr.close()
        disp.close()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    msg = warnings[0].getMessage()
    assert 'display.compositor = "gpu"' in msg and "software renderer" in msg and "surface path" in msg


def test_auto_on_the_dummy_driver_says_once_why_it_composes_on_the_cpu(caplog):
    caplog.set_level(logging.INFO, logger="signage.render")
    disp = open_display((640, 360), 0, "auto", allow=False)
    scr = Screen(disp, NoticeConfig(), camera_on=True)
    try:
        for _ in range(10):
            scr.tick()
        assert disp.compositor == "surface"
    finally:
        scr.close()
        disp.close()
    said = [r.getMessage() for r in caplog.records if 'compositor = "auto"' in r.getMessage()]
    assert len(said) == 1 and "not accelerated" in said[0] and "dummy" in said[0]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ----------------------------------------------------------------------------- a real X server

def test_under_a_real_x_server_the_opengl_renderer_presents_what_the_surface_path_does(xvfb):
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=xvfb, SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    out = subprocess.run([sys.executable, str(HERE / "compositor_window.py")], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    # SDL's OpenGL renderer ran (Mesa's llvmpipe under Xvfb: allowed here, as a CPU rasteriser)
    assert res["gpu"]["path"] == "renderer" and res["gpu"]["renderer"] == "opengl"
    assert "opengl renderer on llvmpipe" in res["gpu"]["0"]["choice"]
    assert res["surface"]["path"] == "surface"
    # "auto" does not take OpenGL on a CPU rasteriser, and says why
    assert res["auto"]["path"] == "surface" and "llvmpipe" in res["auto"]["choice"]
    assert "a CPU rasteriser" in res["auto"]["choice"] and "surface path" in res["auto"]["choice"]
    for rotation in ("0", "90"):
        g, s = res["gpu"][rotation], res["surface"][rotation]
        assert g["frames"] == s["frames"] and g["frames"] >= 5
        assert g["digests"] == s["digests"], f"rotation {rotation}: the paths' frames differ"
        assert g["equal_to_canvas"] and s["equal_to_canvas"]
        # the X server holds the pixels the renderer presented
        assert g["server"] == g["drawn"]
    # the window made twice as large: OpenGL scales the turned picture smoothly
    scaled = res["gpu"]["scaled"]
    assert scaled["size"] == [1280, 720] and scaled["max_diff"] <= SCALED_MAX_DIFF
    assert scaled["mean_diff"] <= SCALED_MEAN_DIFF
