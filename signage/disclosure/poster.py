"""The A4 poster for the approach to the screen: the camera pictogram, the notice's first
layer in each configured language (the same words as on screen), who is responsible and
the QR code of the second layer. Drawn with pygame at 150 dpi, saved as PDF (pdf.py) or PNG."""

from __future__ import annotations

import pygame

from signage.config import Settings
from signage.disclosure.facts import page_url
from signage.disclosure.pdf import image_pdf
from signage.render.fonts import font
from signage.render.linebreak import shorten_url, wrap_text
from signage.render.qr import qr_surface

DPI = 150
SIZE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 96
DARK = (28, 21, 18)
LIGHT = (255, 255, 255)
ACCENT = (200, 60, 30)


def _pictogram(surface: pygame.Surface, centre: tuple[int, int], unit: int) -> None:
    """A surveillance camera on its bracket, in white on the dark header (ISO 7010-like)."""
    cx, cy = centre
    body = pygame.Rect(0, 0, 5 * unit, 2 * unit)
    body.center = (cx, cy)
    pygame.draw.rect(surface, LIGHT, body, border_radius=unit // 3)
    hood = pygame.Rect(body.left - unit // 2, body.top - unit // 3, unit, body.height + 2 * unit // 3)
    pygame.draw.rect(surface, LIGHT, hood, border_radius=unit // 4)
    lens = (body.left - unit // 2, cy)
    pygame.draw.circle(surface, LIGHT, lens, int(0.9 * unit))
    pygame.draw.circle(surface, DARK, lens, int(0.55 * unit))
    pygame.draw.circle(surface, LIGHT, (lens[0] - unit // 6, cy - unit // 6), max(2, unit // 8))
    arm = pygame.Rect(body.right - 2 * unit, body.bottom, unit // 2, int(1.2 * unit))
    pygame.draw.rect(surface, LIGHT, arm)
    wall = pygame.Rect(arm.left - unit, arm.bottom, 2 * unit + unit // 2, unit // 2)
    pygame.draw.rect(surface, LIGHT, wall, border_radius=unit // 6)


def _lines(surface, text: str, px: int, color, x: int, y: int, width: int, gap: float = 1.25) -> int:
    f = font(px)
    for line in wrap_text(text, lambda s: f.size(s)[0], width):
        surface.blit(f.render(line, True, color), (x, y))
        y += int(px * gap)
    return y


def poster_surface(settings: Settings) -> pygame.Surface:
    if not pygame.font.get_init():
        pygame.font.init()
    w, h = SIZE
    s = pygame.Surface(SIZE)
    s.fill(LIGHT)
    header = 430
    s.fill(DARK, pygame.Rect(0, 0, w, header))
    _pictogram(s, (MARGIN + 230, header // 2), 52)
    notice = settings.notice
    texts = [notice.resolved_text(lang) for lang in notice.languages]
    y = MARGIN
    for t in texts:  # beside the pictogram: the lead of each language, large
        y = _lines(s, t["camera_on"].rstrip(":\u00a0 "), 64, LIGHT, MARGIN + 520, y, w - MARGIN * 2 - 520, 1.15) + 18
    y = header + 56
    width = w - 2 * MARGIN
    for t in texts:
        y = _lines(s, f'{t["camera_on"]} {t["purpose"]}', 38, DARK, MARGIN, y, width)
        y = _lines(s, t["object"], 38, ACCENT, MARGIN, y + 6, width) + 34
    y = _lines(s, f"{notice.controller} — {notice.contact}", 36, DARK, MARGIN, y + 6, width) + 30
    url = page_url(settings)
    qr_side = min(440, h - MARGIN - y - 120)
    card = qr_surface(url, max(qr_side, 120), 3) or qr_surface(url, 600, 1)
    if card is not None:
        qx = (w - card.get_width()) // 2
        pygame.draw.rect(s, DARK, pygame.Rect(qx - 6, y - 6, card.get_width() + 12, card.get_height() + 12), 3)
        s.blit(card, (qx, y))
        y += card.get_height() + 24
    more = " · ".join(t["more"] for t in texts)
    label = font(32)
    for line in (more, shorten_url(url.split("://", 1)[-1], 60)):
        img = label.render(line, True, DARK)
        s.blit(img, ((w - img.get_width()) // 2, y))
        y += 44
    return s


def poster_pdf(settings: Settings) -> bytes:
    surface = poster_surface(settings)
    rgb = pygame.image.tobytes(surface, "RGB")
    return image_pdf([(SIZE[0], SIZE[1], rgb)], title=f"{settings.notice.controller}: camera notice")
