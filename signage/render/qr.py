"""The QR code of the privacy notice's URL, drawn as a pygame surface.

segno computes the symbol (error correction level M); this module only paints its modules:
dark on a white card with a quiet zone, whole pixels per module so that every edge is sharp.
"""

from __future__ import annotations

import numpy as np
import pygame
import segno

DARK = (16, 18, 24)
LIGHT = (255, 255, 255)


def qr_matrix(text: str) -> np.ndarray:
    """The QR symbol of ``text`` as a boolean array (True = dark module), without quiet zone."""
    qr = segno.make(text, error="m", micro=False)
    return np.array([list(row) for row in qr.matrix], dtype=bool)


# The smallest module drawn, in screen pixels: a finer code does not scan from a step away,
# so the notice leaves the QR code out rather than draw it finer (docs/screen.md).
MIN_MODULE_PX = 3


def qr_modules(text: str) -> int:
    """How many modules a side the QR code of ``text`` has (without quiet zone)."""
    return int(qr_matrix(text).shape[0])


def qr_surface(text: str, max_px: int, min_module: int = 1) -> pygame.Surface | None:
    """A square white card at most ``max_px`` wide holding the QR code of ``text``, or None
    when its modules would be under ``min_module`` pixels.

    The quiet zone is 4 modules when a module can be at least 3 pixels, else 2 (the card sits
    on a dark panel, so the light margin is what a scanner needs to find the code).
    """
    m = qr_matrix(text)
    n = m.shape[0]
    border = 4
    module = max_px // (n + 2 * border)
    if module < 3:
        border = 2
        module = max_px // (n + 2 * border)
    if module < max(1, min_module):
        return None
    side = (n + 2 * border) * module
    rgb = np.full((n + 2 * border, n + 2 * border, 3), LIGHT, np.uint8)
    rgb[border:border + n, border:border + n][m] = DARK
    small = pygame.surfarray.make_surface(np.ascontiguousarray(rgb.transpose(1, 0, 2)))
    return pygame.transform.scale(small, (side, side))  # nearest neighbour: crisp modules
