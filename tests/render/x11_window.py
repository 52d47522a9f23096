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


class _Attributes(ctypes.Structure):  # Xlib's XWindowAttributes
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
                ("root", ctypes.c_ulong), ("class_", ctypes.c_int), ("bit_gravity", ctypes.c_int),
                ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int), ("backing_planes", ctypes.c_ulong),
                ("backing_pixel", ctypes.c_ulong), ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong),
                ("map_installed", ctypes.c_int), ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
                ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
                ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p)]


def map_state(window: int) -> str:
    """The X server's word on the window: "unmapped" (hidden), "unviewable" or "viewable"."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_Attributes)]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(None)
    attrs = _Attributes()
    x11.XGetWindowAttributes(dpy, window, ctypes.byref(attrs))
    x11.XCloseDisplay(dpy)
    return {0: "unmapped", 1: "unviewable", 2: "viewable"}.get(attrs.map_state, str(attrs.map_state))


def main() -> None:
    fullscreen = sys.argv[1] == "fullscreen"
    cfg = DisplayConfig(driver="x11", fullscreen=fullscreen, size=None if fullscreen else (800, 450), vsync=False)
    disp = Display(cfg).open()
    before = map_state(pygame.display.get_wm_info()["window"])  # opened hidden: nothing seen yet
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
        "before_first_frame": before, "after": map_state(window),
    }))
    scr.close()
    disp.close()


if __name__ == "__main__":
    main()
