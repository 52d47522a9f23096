"""What is drawn over every creative: the privacy notice, and the optional operator overlay.

The notice is the first layer of a two-level notice (CNIL and EDPB guidance on video
devices): who runs the screen, why the camera is on, what is not done, a contact and where
to read the full notice (its URL, also as a QR code), in each configured language. Its text
comes from configuration only; nothing a playlist says can change or hide it.

While a passer-by's pause runs (signage/pause.py), the band says instead, in each language,
that audience measurement is paused until HH:MM (``set_paused``), with the camera-off badge;
it then shows even where ``camera_off = "hide"``, and is never taller than the camera-on band.

Both overlays are rendered once into a cached surface and re-rendered only when what they
say changes, so drawing them costs one blit per frame.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pygame

from signage.config import NoticeConfig
from signage.render.fonts import cap_height, font, px_for_cap
from signage.render.geometry import Size
from signage.render.linebreak import break_units, shorten_url
from signage.render.qr import MIN_MODULE_PX, qr_modules, qr_surface
from signage.render.text import base_rtl
from signage.values import AudienceSnapshot

PANEL = (14, 16, 21)
LEAD = (255, 255, 255)
TEXT = (222, 226, 233)
MUTED = (246, 200, 112)  # the contact line: a warm amber, readable on the dark panel
BADGE_ON = (240, 186, 76)
BADGE_OFF = (120, 126, 138)
REC = (226, 61, 52)


def unit(size: Size) -> float:
    """The notice's scale: 1.0 on a 1080-line screen, by the shorter side (portrait too)."""
    return min(size) / 1080.0


def notice_font_px(size: Size, scale: float = 1.0) -> int:
    """The font px whose capitals are 22 px tall on a 1080-line screen (scaled to others)."""
    return px_for_cap(max(9, round(22 * unit(size) * scale)))


def _draw_camera_icon(side: int, on: bool) -> pygame.Surface:
    """A camera drawn with shapes in a rounded badge; a red dot when on, a slash when off."""
    ss = 4  # drawn 4x larger, then smoothed down: anti-aliased edges
    s = side * ss
    big = pygame.Surface((s, s), pygame.SRCALPHA)
    badge = BADGE_ON if on else BADGE_OFF
    pygame.draw.rect(big, badge, (0, 0, s, s), border_radius=s // 4)
    ink = PANEL
    bw, bh = int(s * 0.60), int(s * 0.40)
    bx, by = (s - bw) // 2 - int(s * 0.02), int(s * 0.34)
    pygame.draw.rect(big, ink, (bx + int(bw * 0.18), by - int(s * 0.09), int(bw * 0.30), int(s * 0.12)), border_radius=s // 40)
    pygame.draw.rect(big, ink, (bx, by, bw, bh), border_radius=s // 14)
    cx, cy = bx + bw // 2, by + bh // 2
    pygame.draw.circle(big, badge, (cx, cy), int(bh * 0.36))
    pygame.draw.circle(big, ink, (cx, cy), int(bh * 0.22))
    pygame.draw.circle(big, badge, (cx - int(bh * 0.07), cy - int(bh * 0.07)), max(2, int(bh * 0.06)))
    if on:
        pygame.draw.circle(big, PANEL, (int(s * 0.80), int(s * 0.20)), int(s * 0.14))
        pygame.draw.circle(big, REC, (int(s * 0.80), int(s * 0.20)), int(s * 0.10))
    else:
        pygame.draw.line(big, PANEL, (int(s * 0.18), int(s * 0.82)), (int(s * 0.82), int(s * 0.18)), int(s * 0.12))
        pygame.draw.line(big, badge, (int(s * 0.18), int(s * 0.82) + int(s * 0.07)), (int(s * 0.82) + int(s * 0.07), int(s * 0.18)), int(s * 0.04))
    return pygame.transform.smoothscale(big, (side, side))


@dataclass(frozen=True)
class _Run:
    text: str
    color: tuple[int, int, int]


def _wrap_runs(runs: list[_Run], f: pygame.font.Font, width: int) -> list[list[_Run]]:
    """Wrap coloured runs into lines no wider than ``width`` (a long word overflows).

    Lines break at plain spaces only, so a no-break space (French "Caméra\u00a0:") holds, and
    between Chinese or Japanese characters (signage/render/linebreak.py).
    """
    units: list[tuple[str, tuple[int, int, int]]] = []
    for r in runs:
        for i, u in enumerate(break_units(r.text)):
            u = " " + u if i == 0 and units and not u.startswith(" ") else u
            units += [(piece, r.color) for piece in _split_wide(u, f, width)]
    lines: list[list[tuple[str, tuple[int, int, int]]]] = []
    cur: list[tuple[str, tuple[int, int, int]]] = []
    for text, color in units:
        if not cur:
            cur = [(text.lstrip(" "), color)]
        elif f.size("".join(t for t, _ in cur) + text)[0] > width:
            lines.append(cur)
            cur = [(text.lstrip(" "), color)]
        else:
            cur.append((text, color))
    if cur:
        lines.append(cur)
    out = []
    for line in lines:
        merged: list[_Run] = []
        for text, color in line:
            if merged and merged[-1].color == color:
                merged[-1] = _Run(merged[-1].text + text, color)
            else:
                merged.append(_Run(text, color))
        out.append(merged)
    return out


def _split_wide(unit: str, f: pygame.font.Font, width: int) -> list[str]:
    """A unit wider than a line cut into pieces that fit: after ``/ ? & # =`` (a long URL
    wraps at its path's boundaries), and by characters where a piece is still too wide."""
    if width <= 0 or f.size(unit)[0] <= width:
        return [unit]
    out: list[str] = []
    cur = ""
    for piece in re.findall(r"[^/?&#=]*[/?&#=]+|[^/?&#=]+$", unit):
        if cur and f.size(cur + piece)[0] > width:
            out.append(cur)
            cur = ""
        cur += piece
        while len(cur) > 1 and f.size(cur)[0] > width:
            k = len(cur) - 1
            while k > 1 and f.size(cur[:k])[0] > width:
                k -= 1
            out.append(cur[:k])
            cur = cur[k:]
    if cur:
        out.append(cur)
    return out


def _wrap_segments(segments: list[str], color, f: pygame.font.Font, width: int, joiner: str = " · ") -> list[list[_Run]]:
    """Wrap ``segments`` joined by ``joiner``, breaking between segments where possible and
    inside a segment only when it is wider than a whole line."""
    lines: list[str] = []
    cur = ""
    for seg in segments:
        trial = f"{cur}{joiner}{seg}" if cur else seg
        if f.size(trial)[0] <= width:
            cur = trial
            continue
        if cur:
            lines.append(cur)
        if f.size(seg)[0] <= width:
            cur = seg
        else:
            parts = [" ".join(r.text for r in line).strip() for line in _wrap_runs([_Run(seg, color)], f, width)]
            lines.extend(parts[:-1])
            cur = parts[-1]
    if cur:
        lines.append(cur)
    return [[_Run(line, color)] for line in lines]


def _render_line(runs: list[_Run], f: pygame.font.Font) -> pygame.Surface:
    """One line of coloured runs; in a right-to-left line (Arabic, Hebrew) the first run is at the right."""
    parts = [f.render(r.text, True, r.color) for r in runs]
    if base_rtl("".join(r.text for r in runs)):
        parts.reverse()
    w = sum(p.get_width() for p in parts)
    h = max(p.get_height() for p in parts)
    line = pygame.Surface((max(1, w), h), pygame.SRCALPHA)
    x = 0
    for p in parts:
        line.blit(p, (x, 0))
        x += p.get_width()
    return line


class PrivacyNotice:
    """The privacy notice as a cached band along the bottom (or top) of the screen."""

    def __init__(self, config: NoticeConfig) -> None:
        self.config = config
        self._key: tuple | None = None
        self._surface: pygame.Surface | None = None
        self._pos = (0, 0)
        self.renders = 0  # how many times the band was (re)rendered: once per state, not per frame
        self.drawn: list[pygame.Rect] = []  # the last render's text lines and QR card, in the band
        self.drawn_lines: list[str] = []  # the words of those text lines
        self.qr_left_out = False  # the last render left the QR code out (modules would be too fine)
        self.paused_until: str | None = None  # HH:MM while a pause runs (set_paused)

    def set_paused(self, until: str | None) -> None:
        """A pause runs until ``until`` (HH:MM, local time), or none (None): what the band says."""
        self.paused_until = until

    def visible(self, camera_on: bool) -> bool:
        return camera_on or self.config.camera_off == "say" or self.paused_until is not None

    def height(self, size: Size, camera_on: bool = True) -> int:
        """Height of the band on a ``size`` screen (0 when hidden): creatives keep clear of it."""
        if not self.visible(camera_on):
            return 0
        return self.surface(size, camera_on)[0].get_height()

    def surface(self, size: Size, camera_on: bool) -> tuple[pygame.Surface, tuple[int, int]]:
        key = (size, camera_on, self.paused_until)
        if key != self._key or self._surface is None:
            self._surface = self._render(size, camera_on)
            h = self._surface.get_height()
            self._pos = (0, size[1] - h if self.config.position == "bottom" else 0)
            self._key = key
            self.renders += 1
        return self._surface, self._pos

    def draw(self, target: pygame.Surface, camera_on: bool) -> pygame.Rect | None:
        """Blit the notice onto ``target`` (last, over everything). Returns where, or None when hidden."""
        if not self.visible(camera_on):
            return None
        surf, pos = self.surface(target.get_size(), camera_on)
        return target.blit(surf, pos)

    def text_lines(self, camera_on: bool) -> list[str]:
        """The notice's words, line by line as configured (for logs and tests)."""
        c = self.config
        out = []
        for lang in c.languages:
            t = c.resolved_text(lang)
            if self.paused_until is not None:
                out.append(self._paused_text(lang))
                continue
            out.append(f"{t['camera_on']} {t['purpose']} {t['object']}" if camera_on else t["camera_off"])
        if camera_on:
            out.append(self._contact_line())
        return out

    def _paused_text(self, lang: str) -> str:
        return self.config.resolved_paused(lang).replace("{until}", self.paused_until or "")

    def _contact_segments(self, short: bool = False) -> list[str]:
        """Controller, contact, where the full notice is: its URL without the scheme, or, when
        ``short`` (the QR code beside it carries the whole URL), a shortened form of it."""
        c = self.config
        more = " / ".join(dict.fromkeys(c.resolved_text(lang)["more"] for lang in c.languages))
        url = c.url.split("://", 1)[-1]
        return [c.controller, c.contact, f"{more}: {shorten_url(url) if short else url}"]

    def _contact_line(self) -> str:
        return " · ".join(self._contact_segments())

    def _render(self, size: Size, camera_on: bool) -> pygame.Surface:
        """Lay the band out: camera badge | one column per language (as many side by side as
        shortens the band) above the contact line | QR code. Text never goes under 22 px caps
        at 1080 lines: long words wrap and the band grows instead."""
        c = self.config
        w, _ = size
        u = unit(size) * c.scale
        px = notice_font_px(size, c.scale)
        f = font(px)
        pitch = f.get_linesize()
        pad_y = max(6, round(14 * u))
        pad_x = max(8, round(28 * u))
        gap = max(6, round(24 * u))
        col_gap = 2 * gap
        sep = max(2, round(6 * u))  # extra space above the contact line

        texts = [c.resolved_text(lang) for lang in c.languages]
        if self.paused_until is not None:  # the camera is closed: the band says until when
            camera_on = False
            paragraphs = [[_Run(self._paused_text(lang), LEAD)] for lang in c.languages]
        elif camera_on:
            paragraphs = [[_Run(t["camera_on"], LEAD), _Run(t["purpose"], TEXT), _Run(t["object"], LEAD)] for t in texts]
        else:
            paragraphs = [[_Run(t["camera_off"], LEAD)] for t in texts]
        qr_on = camera_on and c.qr
        icon = round(2.2 * pitch) if camera_on else round(1.3 * pitch)

        def layout(cols: int, side: int, short: bool = qr_on):
            """Wrapped paragraphs, wrapped contact line and the number of text rows."""
            text_w = w - 2 * pad_x - icon - gap - (side + gap if side else 0)
            col_w = (text_w - (cols - 1) * col_gap) // cols
            wrapped = [_wrap_runs(p, f, col_w) for p in paragraphs]
            rows = sum(max(len(x) for x in wrapped[i:i + cols]) for i in range(0, len(wrapped), cols))
            groups = (len(wrapped) + cols - 1) // cols
            contact = _wrap_segments(self._contact_segments(short), MUTED, f, text_w) if camera_on else []
            return wrapped, contact, rows + len(contact), text_w, col_w, groups

        guess = round(3.5 * pitch) if qr_on else 0
        cols = min(range(1, len(paragraphs) + 1), key=lambda k: (layout(k, guess)[2], -k))
        rows = layout(cols, guess)[2]
        para = round(pitch * 0.3)  # between languages stacked in one column
        text_h = rows * pitch + (sep if camera_on else 0)
        qr = None
        if qr_on:  # at most 4.5 lines tall; a longer URL's code as tall as the text, for 3-px modules
            avail = text_h + max(pad_y, round(4 * u))  # the card may reach halfway into the band's padding
            smallest = (qr_modules(c.url) + 8) * MIN_MODULE_PX  # 3-px modules and a 4-module quiet zone
            qr = (qr_surface(c.url, min(avail, round(4.5 * pitch)), MIN_MODULE_PX)
                  or qr_surface(c.url, min(avail, smallest), MIN_MODULE_PX))
        self.qr_left_out = bool(qr_on and qr is None)  # too long a URL for readable modules here
        # without the QR code, the whole URL is written (wrapped): it is then the only way to it
        wrapped, contact, rows, text_w, col_w, groups = layout(cols, qr.get_width() if qr else 0, qr is not None)
        text_h = rows * pitch + (sep if camera_on else 0) + (groups - 1) * para
        band_h = max(max(text_h, icon) + 2 * pad_y, (qr.get_height() + pad_y) if qr else 0)

        band = pygame.Surface((w, band_h), pygame.SRCALPHA)
        band.fill((*PANEL, round(255 * c.opacity)))
        line_h = max(1, round(2 * u))
        band.fill((255, 255, 255, 48), (0, 0 if c.position == "bottom" else band_h - line_h, w, line_h))

        band.blit(_draw_camera_icon(icon, camera_on), (pad_x, (band_h - icon) // 2))
        rects: list[pygame.Rect] = []  # where each line of text went (tests check none is clipped)
        words: list[str] = []  # and what it says
        x0 = pad_x + icon + gap
        y = (band_h - text_h) // 2
        # Glyph boxes hold more room above the capitals than below the baseline; centre the ink.
        nudge = -max(0, (f.get_ascent() - cap_height(px)) - (pitch - f.get_ascent()) ) // 2
        for start in range(0, len(wrapped), cols):
            group = wrapped[start:start + cols]
            n = max(len(g) for g in group)
            for ci, lines in enumerate(group):
                cx = x0 + ci * (col_w + col_gap)
                if ci:  # a hairline between languages
                    band.fill((255, 255, 255, 46), (cx - col_gap // 2, y + pitch // 6, max(1, line_h // 2 + 1), n * pitch - pitch // 3))
                for li, line in enumerate(lines):
                    rects.append(band.blit(_render_line(line, f), (cx, y + li * pitch + nudge)))
                    words.append("".join(r.text for r in line))
            y += n * pitch + para
        if contact:
            y += sep - para
            for line in contact:
                rects.append(band.blit(_render_line(line, f), (x0, y + nudge)))
                words.append("".join(r.text for r in line))
                y += pitch
        if qr:
            rects.append(band.blit(qr, (w - pad_x - qr.get_width(), (band_h - qr.get_height()) // 2)))
        self.drawn, self.drawn_lines = rects, words
        return band.convert_alpha() if pygame.display.get_surface() is not None else band


class OperatorOverlay:
    """Live audience numbers and frame rates in a small card (numbers only, never an image)."""

    def __init__(self, refresh_s: float = 0.5) -> None:
        self.refresh_s = refresh_s
        self._lines: tuple[str, ...] = ()
        self._surface: pygame.Surface | None = None
        self._next = 0.0
        self._size: Size | None = None

    def due(self, size: Size, now: float) -> bool:
        """Whether the card should be refreshed (at most every ``refresh_s``)."""
        return self._surface is None or size != self._size or now >= self._next

    def update(self, size: Size, lines: tuple[str, ...], now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        if self._surface is not None and (now < self._next or lines == self._lines) and size == self._size:
            return
        self._next = now + self.refresh_s
        self._lines, self._size = lines, size
        u = unit(size)
        f = font(max(12, int(34 * u)))
        pad = max(6, int(16 * u))
        parts = [f.render(t, True, TEXT) for t in lines]
        w = max(p.get_width() for p in parts) + 2 * pad
        lh = f.get_linesize()
        card = pygame.Surface((w, len(parts) * lh + 2 * pad), pygame.SRCALPHA)
        pygame.draw.rect(card, (*PANEL, 215), card.get_rect(), border_radius=max(4, int(12 * u)))
        for i, p in enumerate(parts):
            card.blit(p, (pad, pad + i * lh))
        self._surface = card.convert_alpha() if pygame.display.get_surface() is not None else card

    def draw(self, target: pygame.Surface) -> None:
        if self._surface is not None:
            m = max(8, int(24 * unit(target.get_size())))
            target.blit(self._surface, (m, m))


def operator_lines(snapshot: AudienceSnapshot | None, camera_on: bool, fps: float, p99_ms: float,
                   creative: str, video: str | None, paused_until: str | None = None) -> tuple[str, ...]:
    """The operator overlay's text: audience numbers, then the screen's own figures."""
    if paused_until is not None:
        audience = f"paused until {paused_until}: no audience measurement"
    elif not camera_on:
        audience = "camera off: no audience measurement"
    elif snapshot is None:
        audience = "audience: waiting for the camera"
    else:
        s = snapshot
        audience = (f"faces {s.faces}  watchers {s.watchers}  attention {s.attention_ratio:.0%}  "
                    + ("expressions off" if s.smile_ratio is None else f"smiles {s.smile_ratio:.0%}")
                    + f"  passers-by {s.passers_by}  trend {s.trend}")
    screen = f"render {fps:.0f} fps  frame p99 {p99_ms:.1f} ms  now {creative}"
    return (audience, screen) + ((video,) if video else ())
