"""Draw the demo creatives of the fictional café "Café Lumière".

Everything here is drawn by this script (with demo_draw.py) from flat shapes and pygame's
bundled default font: no photo, no logo, no third-party artwork. The outputs are part of the
project (licence: Apache-2.0, like the rest of it). Deterministic: the same pygame and OpenCV
give the same pictures.

    python content/make_demo_content.py            # writes into content/
    python content/make_demo_content.py OUT_DIR

Outputs: welcome.png, coffee-of-the-day.png, pastry.png, lunch-menu.png, evening.png,
smile-offer.png, group-offer.png and beans-bg.png (a background for text creatives), each at
the shape of a 1080p screen's safe area (1920x880) and as NAME-portrait.png at a portrait
screen's (1080x1512; beans-bg-portrait.png: the whole portrait screen, 1080x1920); promo.mp4 (1280x720, 6 s, 30 fps, silent, mp4v) and promo-portrait.mp4
(720x1008). The words stay inside demo_draw.MARGIN, so fit and fill never cut them.
"""

from __future__ import annotations

import functools
import math
import os
import random
import sys
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402

from demo_draw import (BERRY, CARAMEL, CREAM, DUSK, ESPRESSO, FOAM, GOLD, LANDSCAPE, NIGHT, PORTRAIT,  # noqa: E402
                       ROAST, Column, Page, badge, crescent, croissant, cup, cup_in, disc, scatter_beans, text,
                       vgradient)

# ----------------------------------------------------------------------------- creatives


def _r(art: pygame.Rect) -> float:
    """The radius of a backdrop disc behind a creative's picture."""
    return min(art.h, art.w * 1.6) * 0.45


def welcome(page: Page) -> pygame.Surface:
    s = page.canvas((66, 42, 30), ESPRESSO)
    words, art = page.split(940, 600)
    disc(s, (78, 52, 38), art.center, _r(art))
    disc(s, (92, 62, 44), art.center, _r(art) * 0.72)
    page.brand(s)
    (Column(words.w).line("Bienvenue · Welcome", 124, FOAM)
     .line("Fresh coffee, bright mornings.", 76, CREAM, 40)
     .line("Roasted in small batches, poured with care.", 56, CARAMEL, 24)
     .badge("Open every day 7:30 – 20:00", 52, ESPRESSO, GOLD, 70)).draw(s, words)
    cup_in(s, art.inflate(-40, -40), 1.1)
    return s


def coffee_of_the_day(page: Page) -> pygame.Surface:
    s = page.canvas((120, 76, 46), (70, 44, 30))
    words, art = page.split(900, 520)
    scatter_beans(s, random.Random(11), 26, art.inflate(40, -40), [(50, 31, 21), (62, 39, 26)])
    page.brand(s)
    (Column(words.w).line("Coffee of the day", 140, FOAM)
     .line("Single origin, washed, light roast", 64, CREAM, 36)
     .line("Notes of jasmine, lemon and honey", 64, GOLD, 16)
     .badge("€3.20", 110, ESPRESSO, GOLD, 56)
     .line("filter · espresso · oat milk", 50, CARAMEL, 44)).draw(s, words)
    return s


def pastry(page: Page) -> pygame.Surface:
    s = page.canvas(CREAM, (232, 214, 186))
    words, art = page.split(940, 480)
    disc(s, (240, 224, 196), art.center, _r(art))
    page.brand(s, color=ROAST, accent=CARAMEL)
    col = (Column(words.w).line("Fresh from our oven", 136, ESPRESSO)
           .line("Baked here every morning at six.", 64, ROAST, 36))
    for i, (item, price) in enumerate([("Butter croissant", "€1.90"), ("Pain au chocolat", "€2.20"),
                                       ("Almond twist", "€2.80")]):
        col.row(item, price, 66, ESPRESSO, BERRY, 60 if i == 0 else 40, width=776)
    col.draw(s, words)
    croissant(s, art.center, min(1.3, (art.w - 20) / 580))
    return s


def lunch_menu(page: Page) -> pygame.Surface:
    s = page.canvas((54, 78, 58), (34, 52, 40))
    w, h = page.size
    words, art = page.split(1060, 300)
    disc(s, (66, 94, 70), (w - 300, h * 0.25) if not page.portrait else (w - 230, h - 330), 260)
    disc(s, (66, 94, 70), (w - 170, h * 0.78) if not page.portrait else (250, h - 130), 180)
    page.brand(s)
    col = Column(words.w).beside(("Lunch menu", 150, FOAM), ("11:30 – 14:30", 58, ESPRESSO, GOLD))
    for i, (item, price) in enumerate([("Soup of the day, bread", "€6.50"), ("Quiche & green salad", "€9.80"),
                                       ("Club sandwich, crisps", "€8.90"), ("Seasonal fruit tart", "€4.20")]):
        col.row(item, price, 68, CREAM, GOLD, 44, width=1040, rule=(90, 120, 94))
    col.line("Menu: main + drink + dessert  €13.50", 60, FOAM, 52).draw(s, words)
    return s


def evening(page: Page) -> pygame.Surface:
    s = page.canvas(NIGHT, DUSK)
    w, h = page.size
    words, art = page.split(980, 480)
    rng = random.Random(7)
    for _ in range(round(70 * w * h / (1920 * 1080))):
        disc(s, (230, 226, 250), (rng.uniform(0, w), rng.uniform(0, h * 0.7)), rng.choice([2, 2, 3, 4]))
    mx, my = (art.centerx + 60, art.top + 150) if not page.portrait else (page.keep.right - 150, page.keep.top + 130)
    crescent(s, (250, 236, 190), (mx, my), 110)
    page.brand(s)
    (Column(words.w).line("Evenings at Lumière", 140, FOAM)
     .line("Hot chocolate · herbal teas · decaf", 68, (214, 206, 240), 40)
     .line("Slow down, stay a while.", 68, GOLD, 24)
     .badge("Open until 20:00", 58, NIGHT, GOLD, 64)).draw(s, words)
    cup_box = pygame.Rect(art.left, art.top + art.h * 0.4, art.w, art.h * 0.6) if not page.portrait else art
    cup_in(s, cup_box, 0.9, body=(236, 228, 250), coffee=(96, 60, 44), saucer=(120, 100, 170))
    return s


def smile_offer(page: Page) -> pygame.Surface:
    s = page.canvas((250, 206, 120), (236, 150, 84))
    words, art = page.split(900, 600)
    k = min(1.0, art.w / 680, art.h / 680)
    cx, cy = art.center
    disc(s, (255, 226, 140), (cx, cy), 330 * k)  # a big, simple smiling sun
    disc(s, GOLD, (cx, cy), 250 * k)
    disc(s, ESPRESSO, (cx - 80 * k, cy - 60 * k), 26 * k)
    disc(s, ESPRESSO, (cx + 80 * k, cy - 60 * k), 26 * k)
    pygame.draw.arc(s, ESPRESSO, pygame.Rect(cx - 130 * k, cy - 100 * k, 260 * k, 220 * k), math.pi * 1.12,
                    math.pi * 1.88, round(18 * k))
    page.brand(s, color=ESPRESSO, accent=BERRY)
    (Column(words.w).line("You're smiling!", 150, ESPRESSO)
     .line("So are we.", 110, BERRY, 24)
     .line("Say \"Lumière\" at the counter:", 64, ESPRESSO, 56)
     .badge("10% off your drink", 76, FOAM, BERRY, 28)).draw(s, words)
    return s


def group_offer(page: Page) -> pygame.Surface:
    s = page.canvas((176, 70, 84), (120, 40, 60))
    words, art = page.split(900, 460)
    k = min(1.0, art.w / 660, art.h / 420)
    cx, cy = art.center
    for i, dx in enumerate((-200, 0, 200)):
        disc(s, (200, 96, 108), (cx + dx * k, cy + (i % 2 * 60 - 30) * k), 120 * k)
    cup(s, (cx - 150 * k, cy + 50 * k), 0.6 * k, steam=False)
    cup(s, (cx + 150 * k, cy + 50 * k), 0.6 * k, steam=False)
    page.brand(s)
    (Column(words.w).line("Here together?", 150, FOAM)
     .line("Share a little treat.", 76, CREAM, 24)
     .line("2 coffees + 2 pastries", 84, GOLD, 56)
     .beside(("for two, all day", 56, CREAM), ("€9", 120, BERRY, FOAM), 40, pill_first=True)).draw(s, words)
    return s


def beans_bg(page: Page) -> pygame.Surface:
    """A quiet background for text creatives: beans scattered on a roast gradient."""
    s = page.canvas((74, 48, 34), (40, 26, 20))
    w, h = page.size
    scatter_beans(s, random.Random(3), round(80 * w * h / (1920 * 1080)), pygame.Rect(-40, -40, w + 80, h + 80),
                  [(96, 62, 42), (108, 70, 48), (88, 57, 39)], (22, 40))
    return s


# ----------------------------------------------------------------------------- video

PROMO = {"promo.mp4": (1280, 720), "promo-portrait.mp4": (720, 1008)}


def promo_frames(n: int = 180, size=(1280, 720)):
    """6 s at 30 fps: the glow pulses, the steam rises, the name and the hours slide in
    (beside the cup in landscape, above it in portrait)."""
    w, h = size
    tall = h > w
    cup_at, name_y, tag_y, badge_at = ((w / 2 + 20, 690), 90, 190, (w / 2, 330)) if tall else \
        ((930, 420), 200, 300, (260, 440))
    base = pygame.Surface(size)
    vgradient(base, (66, 42, 30), ESPRESSO)
    for i in range(n):
        t = i / (n - 1)
        s = base.copy()
        r = 180 + 40 * math.sin(t * math.pi * 2)
        disc(s, (82, 55, 40), (cup_at[0], cup_at[1] - 40), round(r + 60))
        disc(s, (96, 64, 46), (cup_at[0], cup_at[1] - 40), round(r))
        cup(s, cup_at, 0.85, steam=t > 0.15, phase=t * 12)
        ease = 1 - (1 - min(1.0, t / 0.35)) ** 3
        x = -600 + ((w - 560) / 2 if tall else 80) * ease + 600 * ease
        text(s, "Café Lumière", 104, FOAM, (x, name_y))
        if t > 0.35:
            e2 = 1 - (1 - min(1.0, (t - 0.35) / 0.3)) ** 3
            line = "Fresh coffee, bright mornings"
            text(s, line, 44, CREAM, ((w / 2, tag_y + (1 - e2) * 40) if tall else (84, tag_y + (1 - e2) * 40)),
                 "midtop" if tall else "topleft")
        if t > 0.6:
            e3 = min(1.0, (t - 0.6) / 0.2)
            rect = badge(s, "Open 7:30 – 20:00", 40, ESPRESSO, GOLD, badge_at)
            if e3 < 1:  # fade in by covering with the background band
                cover = pygame.Surface(rect.size)
                cover.blit(base, (0, 0), rect)
                cover.set_alpha(round(255 * (1 - e3)))
                s.blit(cover, rect)
        yield s


def write_video(path: Path, size=(1280, 720), fps: int = 30) -> None:
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

DRAW = {"welcome": welcome, "coffee-of-the-day": coffee_of_the_day, "pastry": pastry, "lunch-menu": lunch_menu,
        "evening": evening, "smile-offer": smile_offer, "group-offer": group_offer, "beans-bg": beans_bg}
# The text slides' background (beans only, no words) covers a whole portrait screen: a slide with
# full_bleed shows it there uncropped, and the safe area's fill crops 18% of it (1080x1579 of 1080x1920).
SIZES = {"beans-bg": (LANDSCAPE, (1080, 1920))}
# file name -> a function drawing it: NAME.png at the landscape safe area's shape, NAME-portrait.png
IMAGES = {f"{name}{suffix}.png": functools.partial(draw, Page(size))
          for name, draw in DRAW.items()
          for suffix, size in zip(("", "-portrait"), SIZES.get(name, (LANDSCAPE, PORTRAIT)))}


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    pygame.font.init()  # fonts only: no display, no audio
    try:
        for name, draw in IMAGES.items():
            pygame.image.save(draw(), str(out / name))
            print(f"{out / name}  {(out / name).stat().st_size // 1024} KB")
        for name, size in PROMO.items():
            write_video(out / name, size)
            print(f"{out / name}  {(out / name).stat().st_size // 1024} KB")
    finally:
        pygame.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
