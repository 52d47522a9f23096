"""The notice band's budget: how tall the privacy notice may be, per screen and languages.

The band takes screen from every creative (they are laid out in the rest), so its height is a
documented budget (docs/screen.md, "The notice band budget"), checked by a test that renders
the default notice and fails if the band grows past it. ``python -m signage.render.band_budget``
prints the table that docs/screen.md holds.

``url_warnings`` says where a notice URL is too long for a QR code of readable modules: the
notice then leaves the QR code out and shows the URL wrapped (``signage config``, ``validate``).
"""

from __future__ import annotations

from dataclasses import dataclass

from signage.render.geometry import Size

# (name, size) of the screens in the table
SCREENS: tuple[tuple[str, Size], ...] = (
    ("720p", (1280, 720)), ("1080p", (1920, 1080)), ("4:3", (1024, 768)), ("4K", (3840, 2160)),
    ("portrait 1080p", (1080, 1920)), ("portrait 720p", (720, 1280)),
)
LANGUAGES: tuple[tuple[str, ...], ...] = (("en", "fr"), ("en",))

# The budget: the band's share of the screen's height, at most, with the default notice.
BUDGET: dict[tuple[str, ...], dict[str, float]] = {
    ("en", "fr"): {"16:9": 0.16, "4:3": 0.23, "portrait": 0.18},
    ("en",): {"16:9": 0.13, "4:3": 0.16, "portrait": 0.11},
}


def shape(size: Size) -> str:
    """The budget's class of a screen: portrait, 4:3 (or squarer) or 16:9 (wider)."""
    w, h = size
    return "portrait" if h > w else "4:3" if w * 3 <= h * 4 + 1 else "16:9"


@dataclass(frozen=True)
class Row:
    screen: str
    size: Size
    languages: tuple[str, ...]
    band_px: int
    budget: float

    @property
    def share(self) -> float:
        return self.band_px / self.size[1]


def rows(notice_for=None) -> list[Row]:
    """The band's height on each screen of the table, camera on, for each set of languages."""
    from signage.config import NoticeConfig
    from signage.render.overlay import PrivacyNotice

    make = notice_for or (lambda langs: NoticeConfig(languages=list(langs)))
    out = []
    for langs in LANGUAGES:
        pn = PrivacyNotice(make(langs))
        for name, size in SCREENS:
            out.append(Row(name, size, langs, pn.height(size, True), BUDGET[langs][shape(size)]))
    return out


def markdown_table(table: list[Row] | None = None) -> str:
    """The table docs/screen.md holds (between its band-budget markers)."""
    lines = ["| screen | languages | band | share of the height | budget |", "|---|---|---|---|---|"]
    for r in table if table is not None else rows():
        lines.append(f"| {r.screen} ({r.size[0]}x{r.size[1]}) | {'+'.join(r.languages)} | {r.band_px} px | "
                     f"{r.share:.1%} | ≤ {r.budget:.0%} |")
    return "\n".join(lines)


def url_warnings(notice, sizes: list[Size]) -> list[str]:
    """One line per screen where the notice's URL is too long for a readable QR code, and one
    where the configured notice makes the band taller than its budget."""
    from signage.render.overlay import PrivacyNotice
    from signage.render.qr import MIN_MODULE_PX, qr_modules

    pn = PrivacyNotice(notice)
    budgets = BUDGET.get(tuple(notice.languages), BUDGET[("en", "fr")])
    out = []
    for size in sizes:
        share = pn.height(size, True) / size[1]
        at = f"{size[0]}x{size[1]}"
        if notice.qr and pn.qr_left_out:
            out.append(f"notice.url: {len(notice.url)} characters make a QR code of {qr_modules(notice.url)} modules a "
                       f"side, too many for modules of {MIN_MODULE_PX} px in the notice at {at}: the QR code is left "
                       "out there and the URL wraps (give a shorter URL, e.g. a redirect)")
        if share > budgets[shape(size)]:
            out.append(f"notice: the band takes {share:.0%} of the screen's height at {at}, more than its budget of "
                       f"{budgets[shape(size)]:.0%} (docs/screen.md); shorter words or a shorter notice.url keep "
                       "creatives larger")
    return out


if __name__ == "__main__":  # pragma: no cover - prints the doc's table
    import os

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    print(markdown_table())
