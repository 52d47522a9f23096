"""Print the video drivers compiled into the SDL library that pygame uses, one per line.

    /opt/signage/current/.venv/bin/python kiosk/sdl-video-drivers.py

A console kiosk needs ``kmsdrm``. pygame's wheels from PyPI bundle an SDL built without it
(x11, wayland, offscreen, dummy, evdev), so kiosk/install.sh checks with this script and,
for the console mode, builds pygame against the system's SDL instead.
"""

from __future__ import annotations

import ctypes
import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402,F401 - loads the SDL library pygame is linked with


def loaded_sdl() -> str:
    with open("/proc/self/maps", encoding="utf-8") as f:
        paths = {line.split()[-1] for line in f if "/libSDL2-2" in line}
    if not paths:
        raise SystemExit("sdl-video-drivers: pygame loaded no libSDL2")
    return sorted(paths)[0]


def main() -> int:
    lib = ctypes.CDLL(loaded_sdl())
    lib.SDL_GetVideoDriver.restype = ctypes.c_char_p
    for i in range(lib.SDL_GetNumVideoDrivers()):
        print(lib.SDL_GetVideoDriver(i).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
