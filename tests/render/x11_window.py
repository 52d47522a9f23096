"""Run by test_xvfb.py in its own process, on the X server named by $DISPLAY.

Opens the real display (SDL's x11 driver) the way the player does, shows a creative with
the notice, then reads the window's pixels back from the X server with Xlib's XGetImage
and prints, as JSON, what the server has against what the screen drew.
"""

import ctypes
import ctypes.util
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pygame  # noqa: E402

from screenkit import CONTENT, image, rgb, switch  # noqa: E402
from signage.config import DisplayConfig, NoticeConfig  # noqa: E402
from signage.render.display import Display  # noqa: E402
from signage.render.screen import Screen  # noqa: E402


def server_pixels(window: int, points):
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XGetImage.restype = ctypes.c_void_p
    x11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
                              ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    x11.XGetPixel.restype = ctypes.c_ulong
    x11.XGetPixel.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    x11.XDestroyImage.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(None)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, y0 = min(xs), min(ys)
    img = x11.XGetImage(dpy, window, x0, y0, max(xs) - x0 + 1, max(ys) - y0 + 1, 0xFFFFFFFF, 2)  # ZPixmap
    out = []
    for x, y in points:
        v = x11.XGetPixel(img, x - x0, y - y0)
        out.append([(v >> 16) & 255, (v >> 8) & 255, v & 255])
    x11.XDestroyImage(img)
    return out


def main() -> None:
    fullscreen = sys.argv[1] == "fullscreen"
    cfg = DisplayConfig(driver="x11", fullscreen=fullscreen, size=None if fullscreen else (800, 450), vsync=False)
    disp = Display(cfg).open()
    scr = Screen(disp, NoticeConfig())
    switch(scr, image(CONTENT / "welcome.png", fit="fill"))
    for _ in range(5):
        scr.tick()
        time.sleep(0.02)
    drawn = rgb(disp.surface)
    w, h = disp.panel_size
    points = [(x, y) for x in range(3, w, max(1, w // 23)) for y in range(3, h, max(1, h // 17))]
    window = pygame.display.get_wm_info()["window"]
    server = server_pixels(window, points)
    print(json.dumps({
        "driver": disp.driver, "size": [w, h], "cursor_visible": bool(pygame.mouse.get_visible()),
        "points": points, "server": server, "drawn": [drawn[y, x].tolist() for x, y in points],
        "notice_top": h - scr.notice.height((w, h), True),
    }))
    scr.close()
    disp.close()


if __name__ == "__main__":
    main()
