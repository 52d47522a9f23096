"""Markdown, as `signage dpia` writes it, drawn on A4 pages (150 dpi) for a PDF (pdf.py):
headings, paragraphs, bullets and tables (a row per block, cells joined), wrapped; any script
the screen's font chain draws. Not a general Markdown renderer."""

from __future__ import annotations

import re

import pygame

from signage.disclosure.pdf import image_pdf
from signage.render.fonts import font
from signage.render.linebreak import wrap_text

SIZE = (1240, 1754)
MARGIN = 110
INK = (20, 20, 20)
MARK = (170, 40, 20)  # what the operator must answer
_INLINE = re.compile(r"\*\*|`")


def _plain(text: str) -> str:
    return _INLINE.sub("", text)


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """(style, text) per block: h1, h2, h3, p, li, th, td, gap."""
    out: list[tuple[str, str]] = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if not line:
            out.append(("gap", ""))
        elif line.startswith("### "):
            out.append(("h3", line[4:]))
        elif line.startswith("## "):
            out.append(("h2", line[3:]))
        elif line.startswith("# "):
            out.append(("h1", line[2:]))
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue
            header = not out or out[-1][0] not in ("th", "td")
            out.append(("th" if header else "td", "  —  ".join(cells)))
        elif re.match(r"^(- |\d+\. )", line):
            out.append(("li", line))
        else:
            out.append(("p", line))
    return out


_PX = {"h1": 40, "h2": 32, "h3": 28, "p": 24, "li": 24, "th": 22, "td": 22}


def pages(markdown: str) -> list[pygame.Surface]:
    if not pygame.font.get_init():
        pygame.font.init()
    result: list[pygame.Surface] = []
    page: pygame.Surface | None = None
    y = 0

    def new_page() -> None:
        nonlocal page, y
        page = pygame.Surface(SIZE)
        page.fill((255, 255, 255))
        result.append(page)
        y = MARGIN

    new_page()
    width = SIZE[0] - 2 * MARGIN
    for style, text in _blocks(markdown):
        if style == "gap":
            y += 12
            continue
        px = _PX[style]
        f = font(px)
        indent = 30 if style == "li" else 0
        text = _plain(text)
        if style in ("h1", "h2") and y > SIZE[1] - MARGIN - 6 * px:
            new_page()  # a heading does not end a page
        for line in wrap_text(text, lambda s: f.size(s)[0], width - indent):
            if y + px * 1.35 > SIZE[1] - MARGIN:
                new_page()
            color = MARK if "[OPERATOR:" in line or "OPERATOR" in line else INK
            page.blit(f.render(line, True, color), (MARGIN + indent, y))
            y += int(px * 1.35)
        y += 8 if style in ("h1", "h2", "h3") else 2
    return result


def markdown_pdf(markdown: str, title: str = "") -> bytes:
    return image_pdf([(SIZE[0], SIZE[1], pygame.image.tobytes(p, "RGB")) for p in pages(markdown)], title=title)
