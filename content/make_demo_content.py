"""Draw the demo creatives of the fictional café "Café Lumière".

Everything here is drawn by this script from flat shapes and pygame's bundled default
font: no photo, no logo, no third-party artwork. The outputs are part of the project
(licence: Apache-2.0, like the rest of it). Deterministic: the same pygame and OpenCV give
the same pictures.

    python content/make_demo_content.py            # writes into content/
    python content/make_demo_content.py OUT_DIR

Outputs: welcome.png, coffee-of-the-day.png, pastry.png, lunch-menu.png, evening.png,
smile-offer.png, group-offer.png (1920x1080), beans-bg.png (a background for text
creatives) and promo.mp4 (1280x720, 6 s, 30 fps, silent, mp4v).
"""

from __future__ import annotations

import math
import os
import random
import sys
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pygame.gfxdraw  # noqa: E402

W, H = 1920, 1080
SAFE_BOTTOM = 110  # the player's privacy notice sits along the bottom edge: keep text above it

# The café's palette
ESPRESSO = (43, 29, 22)
ROAST = (92, 58, 38)
CARAMEL = (196, 132, 72)
CREAM = (246, 236, 218)
FOAM = (255, 250, 240)
GOLD = (240, 186, 76)
SAGE = (120, 150, 112)
BERRY = (176, 62, 80)
NIGHT = (28, 32, 64)
DUSK = (70, 52, 110)

_fonts: dict[int, pygame.font.Font] = {}


def font(size: int) -> pygame.font.Font:
    if size not in _fonts:
        _fonts[size] = pygame.font.Font(None, size)  # pygame's bundled default font
    return _fonts[size]


# ----------------------------------------------------------------------------- drawing


def vgradient(surface: pygame.Surface, top: tuple[int, int, int], bottom: tuple[int, int, int], steps: int = 12) -> None:
    """A vertical gradient in a few flat bands (flat colours keep the PNG small)."""
    w, h = surface.get_size()
    for i in range(steps):
        t = i / (steps - 1)
        c = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom))
        y0, y1 = h * i // steps, h * (i + 1) // steps
        surface.fill(c, (0, y0, w, y1 - y0))


def band_color(top, bottom, y: int, h: int = H, steps: int = 12) -> tuple[int, ...]:
    """The colour ``vgradient`` gives at height ``y``."""
    i = min(steps - 1, y * steps // h)
    t = i / (steps - 1)
    return tuple(round(a + (b - a) * t) for a, b in zip(top, bottom))


def disc(surface: pygame.Surface, color, center, radius: int) -> None:
    x, y = (round(v) for v in center)
    pygame.gfxdraw.filled_circle(surface, x, y, radius, color)
    pygame.gfxdraw.aacircle(surface, x, y, radius, color)


def ellipse(surface: pygame.Surface, color, center, rx: int, ry: int) -> None:
    x, y = (round(v) for v in center)
    pygame.gfxdraw.filled_ellipse(surface, x, y, rx, ry, color)
    pygame.gfxdraw.aaellipse(surface, x, y, rx, ry, color)


def polygon(surface: pygame.Surface, color, points) -> None:
    pts = [(round(x), round(y)) for x, y in points]
    pygame.gfxdraw.filled_polygon(surface, pts, color)
    pygame.gfxdraw.aapolygon(surface, pts, color)


def text(surface: pygame.Surface, s: str, size: int, color, pos, anchor: str = "topleft") -> pygame.Rect:
    img = font(size).render(s, True, color)
    rect = img.get_rect(**{anchor: (round(pos[0]), round(pos[1]))})
    surface.blit(img, rect)
    return rect


def badge(surface: pygame.Surface, s: str, size: int, fg, bg, center) -> pygame.Rect:
    img = font(size).render(s, True, fg)
    pad_x, pad_y = size // 2, size // 4
    rect = img.get_rect(center=(round(center[0]), round(center[1]))).inflate(pad_x * 2, pad_y * 2)
    pygame.draw.rect(surface, bg, rect, border_radius=rect.height // 2)
    surface.blit(img, img.get_rect(center=rect.center))
    return rect


def bean(surface: pygame.Surface, center, size: int, angle: float, color, crease) -> None:
    """A coffee bean: an ellipse with a curved crease, turned by ``angle`` radians."""
    cx, cy = center
    rx, ry = size, int(size * 0.68)
    ca, sa = math.cos(angle), math.sin(angle)
    pts = [(cx + rx * math.cos(t) * ca - ry * math.sin(t) * sa, cy + rx * math.cos(t) * sa + ry * math.sin(t) * ca)
           for t in (i * 2 * math.pi / 48 for i in range(48))]
    polygon(surface, color, pts)
    crease_pts = []
    for i in range(13):
        u = -0.8 + 1.6 * i / 12
        x, y = u * rx, math.sin(u * 2.4) * ry * 0.22
        crease_pts.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    pygame.draw.lines(surface, crease, False, [(round(x), round(y)) for x, y in crease_pts], max(2, size // 9))


def cup(surface: pygame.Surface, center, scale: float, body=FOAM, coffee=ROAST, saucer=CARAMEL, steam=True, phase=0.0) -> None:
    """A cup on a saucer, seen from the side, with optional steam."""
    cx, cy = center
    s = scale
    ellipse(surface, saucer, (cx, cy + 150 * s), int(240 * s), int(38 * s))
    # body: a trapezoid with a round bottom
    top_w, bot_w, h = 190 * s, 130 * s, 220 * s
    polygon(surface, body, [(cx - top_w, cy - h / 2), (cx + top_w, cy - h / 2), (cx + bot_w, cy + h / 2 + 20 * s),
                            (cx - bot_w, cy + h / 2 + 20 * s)])
    ellipse(surface, body, (cx, cy + h / 2 + 20 * s), int(bot_w), int(30 * s))
    # handle
    pygame.draw.circle(surface, body, (round(cx + top_w + 20 * s), round(cy)), round(62 * s), round(26 * s))
    # rim and coffee
    ellipse(surface, body, (cx, cy - h / 2), int(top_w), int(34 * s))
    ellipse(surface, coffee, (cx, cy - h / 2 + 3 * s), int(top_w - 16 * s), int(24 * s))
    ellipse(surface, CARAMEL, (cx - 30 * s, cy - h / 2 + 3 * s), int(50 * s), int(9 * s))
    if steam:
        for k in (-1, 0, 1):
            pts = []
            for i in range(30):
                t = i / 29
                x = cx + k * 70 * s + math.sin(t * 5 + k + phase) * 18 * s
                y = cy - h / 2 - 50 * s - t * 210 * s
                pts.append((round(x), round(y)))
            pygame.draw.lines(surface, (*CREAM[:3],), False, pts, max(3, round(10 * s)))


def croissant(surface: pygame.Surface, center, scale: float) -> None:
    """An abstract croissant: overlapping crescents of shrinking lobes."""
    cx, cy = center
    lobes = [(-2, 70, 0.55), (-1, 95, 0.8), (0, 120, 1.0), (1, 95, 0.8), (2, 70, 0.55)]
    for k, r, depth in sorted(lobes, key=lambda l: -abs(l[0])):
        x = cx + k * 105 * scale
        y = cy + abs(k) ** 1.6 * 34 * scale
        ellipse(surface, (214, 150, 70), (x, y), int(r * scale), int(r * 0.78 * scale))
        ellipse(surface, (236, 180, 96), (x - 12 * scale, y - 14 * scale), int(r * 0.7 * scale), int(r * 0.5 * scale))
        if k:
            pygame.draw.arc(surface, (168, 106, 44),
                            pygame.Rect(round(x - r * scale), round(y - r * 0.78 * scale), round(2 * r * scale), round(1.56 * r * scale)),
                            0.6 if k < 0 else 1.8, 1.3 if k < 0 else 2.6, max(3, round(6 * scale)))


def brand(surface: pygame.Surface, color=CREAM, accent=GOLD) -> None:
    """The café's name with its little sun, top left."""
    disc(surface, accent, (110, 96), 30)
    for i in range(12):
        a = i * math.pi / 6
        pygame.draw.line(surface, accent, (110 + math.cos(a) * 42, 96 + math.sin(a) * 42),
                         (110 + math.cos(a) * 56, 96 + math.sin(a) * 56), 6)
    text(surface, "Café Lumière", 84, color, (190, 96), "midleft")


def scatter_beans(surface: pygame.Surface, rng: random.Random, n: int, area: pygame.Rect, colors, size=(26, 48)) -> None:
    for _ in range(n):
        c = rng.choice(colors)
        crease = tuple(max(0, v - 40) for v in c)
        bean(surface, (rng.uniform(area.left, area.right), rng.uniform(area.top, area.bottom)), rng.randint(*size),
             rng.uniform(0, math.pi), c, crease)


def canvas(top, bottom) -> pygame.Surface:
    s = pygame.Surface((W, H))
    vgradient(s, top, bottom)
    return s


# ----------------------------------------------------------------------------- creatives


def welcome() -> pygame.Surface:
    s = canvas((66, 42, 30), ESPRESSO)
    disc(s, (78, 52, 38), (1520, 540), 400)
    disc(s, (92, 62, 44), (1520, 540), 290)
    brand(s)
    text(s, "Bienvenue · Welcome", 132, FOAM, (120, 330))
    text(s, "Fresh coffee, bright mornings.", 76, CREAM, (124, 480))
    text(s, "Roasted in small batches, poured with care.", 56, CARAMEL, (124, 570))
    badge(s, "Open every day 7:30 – 20:00", 52, ESPRESSO, GOLD, (430, 760))
    cup(s, (1520, 580), 1.25)
    return s


def coffee_of_the_day() -> pygame.Surface:
    s = canvas((120, 76, 46), (70, 44, 30))
    scatter_beans(s, random.Random(11), 26, pygame.Rect(1080, 120, 760, 800), [(50, 31, 21), (62, 39, 26)])
    brand(s)
    text(s, "Coffee of the day", 140, FOAM, (120, 300))
    text(s, "Single origin, washed, light roast", 64, CREAM, (124, 440))
    text(s, "Notes of jasmine, lemon and honey", 64, GOLD, (124, 520))
    badge(s, "€3.20", 110, ESPRESSO, GOLD, (300, 740))
    text(s, "filter · espresso · oat milk", 50, CARAMEL, (124, 860))
    return s


def pastry() -> pygame.Surface:
    s = canvas(CREAM, (232, 214, 186))
    disc(s, (240, 224, 196), (1420, 560), 400)
    brand(s, color=ROAST, accent=CARAMEL)
    text(s, "Fresh from our oven", 136, ESPRESSO, (120, 300))
    text(s, "Baked here every morning at six.", 64, ROAST, (124, 440))
    rows = [("Butter croissant", "€1.90"), ("Pain au chocolat", "€2.20"), ("Almond twist", "€2.80")]
    for i, (item, price) in enumerate(rows):
        y = 580 + i * 100
        text(s, item, 66, ESPRESSO, (124, y))
        text(s, price, 66, BERRY, (900, y), "topright")
    croissant(s, (1420, 560), 1.6)
    return s


def lunch_menu() -> pygame.Surface:
    s = canvas((54, 78, 58), (34, 52, 40))
    disc(s, (66, 94, 70), (1620, 250), 260)
    disc(s, (66, 94, 70), (1750, 820), 180)
    brand(s)
    text(s, "Lunch menu", 150, FOAM, (120, 250))
    badge(s, "11:30 – 14:30", 58, ESPRESSO, GOLD, (1020, 315))
    rows = [("Soup of the day, bread", "€6.50"), ("Quiche & green salad", "€9.80"),
            ("Club sandwich, crisps", "€8.90"), ("Seasonal fruit tart", "€4.20")]
    for i, (item, price) in enumerate(rows):
        y = 440 + i * 104
        pygame.draw.line(s, (90, 120, 94), (124, y + 86), (1220, y + 86), 2)
        text(s, item, 68, CREAM, (124, y))
        text(s, price, 68, GOLD, (1220, y), "topright")
    text(s, "Menu: main + drink + dessert  €13.50", 60, FOAM, (124, 880))
    return s


def evening() -> pygame.Surface:
    s = canvas(NIGHT, DUSK)
    rng = random.Random(7)
    for _ in range(70):
        disc(s, (230, 226, 250), (rng.uniform(0, W), rng.uniform(0, H * 0.7)), rng.choice([2, 2, 3, 4]))
    disc(s, (250, 236, 190), (1580, 250), 110)
    disc(s, band_color(NIGHT, DUSK, 215), (1630, 215), 100)  # a crescent moon
    brand(s)
    text(s, "Evenings at Lumière", 140, FOAM, (120, 300))
    text(s, "Hot chocolate · herbal teas · decaf", 68, (214, 206, 240), (124, 450))
    text(s, "Slow down, stay a while.", 68, GOLD, (124, 540))
    badge(s, "Open until 20:00", 58, NIGHT, GOLD, (360, 740))
    cup(s, (1500, 700), 0.9, body=(236, 228, 250), coffee=(96, 60, 44), saucer=(120, 100, 170))
    return s


def smile_offer() -> pygame.Surface:
    s = canvas((250, 206, 120), (236, 150, 84))
    # a big, simple smiling sun
    disc(s, (255, 226, 140), (1460, 520), 330)
    disc(s, GOLD, (1460, 520), 250)
    disc(s, ESPRESSO, (1380, 460), 26)
    disc(s, ESPRESSO, (1540, 460), 26)
    pygame.draw.arc(s, ESPRESSO, pygame.Rect(1330, 420, 260, 220), math.pi * 1.12, math.pi * 1.88, 18)
    brand(s, color=ESPRESSO, accent=BERRY)
    text(s, "You're smiling!", 150, ESPRESSO, (120, 300))
    text(s, "So are we.", 110, BERRY, (124, 450))
    text(s, "Say \"Lumière\" at the counter:", 64, ESPRESSO, (124, 620))
    badge(s, "10% off your drink", 76, FOAM, BERRY, (470, 770))
    return s


def group_offer() -> pygame.Surface:
    s = canvas((176, 70, 84), (120, 40, 60))
    for i, x in enumerate((1280, 1480, 1680)):
        disc(s, (200, 96, 108), (x, 560 + (i % 2) * 60), 120)
    brand(s)
    text(s, "Here together?", 150, FOAM, (120, 300))
    text(s, "Share a little treat.", 76, CREAM, (124, 450))
    text(s, "2 coffees + 2 pastries", 84, GOLD, (124, 600))
    badge(s, "€9", 120, BERRY, FOAM, (230, 800))
    text(s, "for two, all day", 56, CREAM, (370, 780))
    cup(s, (1330, 640), 0.6, steam=False)
    cup(s, (1630, 640), 0.6, steam=False)
    return s


def beans_bg() -> pygame.Surface:
    """A quiet background for text creatives: beans scattered on a roast gradient."""
    s = canvas((74, 48, 34), (40, 26, 20))
    rng = random.Random(3)
    scatter_beans(s, rng, 80, pygame.Rect(-40, -40, W + 80, H + 80), [(96, 62, 42), (108, 70, 48), (88, 57, 39)], (22, 40))
    return s


# ----------------------------------------------------------------------------- video


def promo_frames(n: int = 180, size=(1280, 720)):
    """6 s at 30 fps: the glow pulses, the steam rises, the name and the hours slide in."""
    w, h = size
    base = pygame.Surface(size)
    vgradient(base, (66, 42, 30), ESPRESSO)
    for i in range(n):
        t = i / (n - 1)
        s = base.copy()
        r = 180 + 40 * math.sin(t * math.pi * 2)
        disc(s, (82, 55, 40), (930, 380), round(r + 60))
        disc(s, (96, 64, 46), (930, 380), round(r))
        cup(s, (930, 420), 0.85, steam=t > 0.15, phase=t * 12)
        ease = 1 - (1 - min(1.0, t / 0.35)) ** 3
        x = -600 + (80 + 600) * ease
        text(s, "Café Lumière", 104, FOAM, (x, 200))
        if t > 0.35:
            e2 = 1 - (1 - min(1.0, (t - 0.35) / 0.3)) ** 3
            text(s, "Fresh coffee, bright mornings", 44, CREAM, (84, 300 + (1 - e2) * 40))
        if t > 0.6:
            e3 = min(1.0, (t - 0.6) / 0.2)
            rect = badge(s, "Open 7:30 – 20:00", 40, ESPRESSO, GOLD, (260, 440))
            if e3 < 1:  # fade in by covering with the background band
                cover = pygame.Surface(rect.size)
                cover.blit(base, (0, 0), rect)
                cover.set_alpha(round(255 * (1 - e3)))
                s.blit(cover, rect)
        yield s


def write_video(path: Path, fps: int = 30) -> None:
    size = (1280, 720)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise SystemExit(f"cannot write {path}: this OpenCV has no mp4v encoder")
    try:
        for frame in promo_frames(6 * fps, size):
            rgb = pygame.surfarray.array3d(frame).swapaxes(0, 1)
            writer.write(np.ascontiguousarray(rgb[:, :, ::-1]))
    finally:
        writer.release()


# ----------------------------------------------------------------------------- main

IMAGES = {
    "welcome.png": welcome,
    "coffee-of-the-day.png": coffee_of_the_day,
    "pastry.png": pastry,
    "lunch-menu.png": lunch_menu,
    "evening.png": evening,
    "smile-offer.png": smile_offer,
    "group-offer.png": group_offer,
    "beans-bg.png": beans_bg,
}


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    pygame.font.init()  # fonts only: no display, no audio
    try:
        for name, draw in IMAGES.items():
            pygame.image.save(draw(), str(out / name))
            print(f"{out / name}  {(out / name).stat().st_size // 1024} KB")
        write_video(out / "promo.mp4")
        print(f"{out / 'promo.mp4'}  {(out / 'promo.mp4').stat().st_size // 1024} KB")
    finally:
        pygame.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
