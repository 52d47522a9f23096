"""The report chart (``signage report --format png``, the admin's chart), drawn with pygame.

Every chart here is drawn from a real report: plays and minutes written to a real SQLite file
by the real AnalyticsStore, read back with load_history and built with build_report, as the
command does. The PNG is decoded with OpenCV and its pixels checked: the size, text drawn
where the title is, one bar per creative shown, nothing drawn off the edges.
"""

from __future__ import annotations

import datetime as dt
import itertools

import cv2
import numpy as np
import pytest

from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.chart import COLOURS, MAX_CREATIVES, PERCENT_STEPS, render_png, render_png_bytes, ticks
from signage.analytics.formats import period_text
from signage.analytics.report import build_report, load_history, timezone
from signage.analytics.store import AnalyticsStore, PlayRow, connect_readonly

UTC = timezone("UTC")
DAY0 = 1_794_960_000  # 2026-11-18 00:00 UTC
SIZES = [(2000, 1125), (1280, 720)]
DB_NUMBERS = itertools.count()


def week_report(tmp_path, names: list[str], *, tz=UTC, site: str | None = None):
    """A week of plays of ``names`` (screen time falling with the position in the list, each
    with its own attention and smiles) and of minute aggregates, through the real store."""
    plays, minutes = [], []
    for day in range(7):
        for hour in range(9, 19):
            t0 = DAY0 + day * 86400 + hour * 3600
            for m in range(0, 60, 5):
                minutes.append(MinuteTotals(t0 + m * 60, AudienceTotals(
                    span_s=60, samples=600, camera_on_s=60, face_s=90, watcher_s=40, measured_s=80, smile_s=15)))  # fmt: skip
            for i, name in enumerate(names):
                if (day * 10 + hour + i) % (1 + i % 3):
                    continue
                faces = 20.0 + i
                plays.append(PlayRow(
                    f"{name}-{day}-{hour}", name, f"rule-{i % 4}" if i % 2 else None, "test", t0 + 60 * i,
                    t0 + 60 * i + 30 - i, "completed", 30.0, "week", "v1",
                    AudienceTotals(span_s=30 - i, samples=100, camera_on_s=30 - i, face_s=faces,
                                   watcher_s=faces * (0.2 + 0.05 * (i % 12)), measured_s=faces * 0.9,
                                   smile_s=faces * 0.9 * (0.05 + 0.04 * (i % 7)), max_faces=2, passers_by=2)))  # fmt: skip
    path = tmp_path / f"week-{next(DB_NUMBERS)}.db"
    store = AnalyticsStore(path)
    store.write(plays, minutes)
    store.close()
    conn = connect_readonly(path)
    rows = load_history(conn, DAY0, DAY0 + 7 * 86400)
    conn.close()
    report = build_report(*rows, DAY0, DAY0 + 7 * 86400, tz)
    report.site = site
    return report


def decode(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def inked(region: np.ndarray) -> float:
    """Share of pixels that are not the white background."""
    return float((region.min(axis=2) < 235).mean())


def bars(img: np.ndarray, colour) -> int:
    """How many separate bars of ``colour`` (exact: bars are solid) a column through them
    crosses, below the title band (where the key shows the colours too)."""
    bgr = np.array(colour[::-1], np.uint8)
    mask = np.all(img[int(img.shape[0] * 0.15):] == bgr, axis=2)
    cols = np.flatnonzero(mask.any(axis=0))
    if cols.size == 0:
        return 0
    column = mask[:, cols[0] + 1].astype(np.int8)
    return int((np.diff(np.concatenate([[0], column, [0]])) == 1).sum())


def check_slide(img: np.ndarray, size) -> None:
    w, h = size
    assert (img.shape[1], img.shape[0]) == size
    band = img[: int(h * 0.13)]
    assert 0.02 < inked(band) < 0.4  # the title and the period are drawn there
    assert (band.min(axis=2) < 80).sum() > 0.004 * band.shape[0] * band.shape[1]  # in dark ink, not a tint
    edge = max(8, w // 100)
    assert inked(img[:, :edge]) == 0 and inked(img[:, -edge:]) == 0  # nothing runs off the sides
    assert inked(img[-edge // 2:]) == 0 and inked(img[: edge // 2]) == 0


@pytest.mark.parametrize("size", SIZES)
def test_a_week_with_five_creatives(tmp_path, size):
    names = ["welcome", "coffee-of-the-day", "pastry", "smile-offer", "lunch-menu"]
    report = week_report(tmp_path, names)
    out = render_png(report, tmp_path / "week.png", UTC, size)
    img = cv2.imread(str(out))
    check_slide(img, size)
    # One bar per creative in each panel; the rates with the same hours marked on them.
    assert bars(img, COLOURS["screen"]) == 5
    assert bars(img, COLOURS["attention"]) == 5 and bars(img, COLOURS["smile"]) == 5
    panels = img[int(size[1] * 0.2): int(size[1] * 0.8)]
    assert 0.05 < inked(panels) < 0.5


@pytest.mark.parametrize("size", SIZES)
def test_no_one_many_and_very_long_creatives(tmp_path, size):
    empty = week_report(tmp_path, [])
    assert empty.empty
    img = decode(render_png_bytes(empty, UTC, size))
    check_slide(img, size)
    assert bars(img, COLOURS["screen"]) == 0  # says "no plays in this period", draws no panel

    img = decode(render_png_bytes(week_report(tmp_path, ["welcome"]), UTC, size))
    check_slide(img, size)
    assert bars(img, COLOURS["screen"]) == 1 and bars(img, COLOURS["attention"]) == 1

    many = week_report(tmp_path, [f"creative-{i:02d}" for i in range(15)])
    assert len(many.creatives) == 15
    img = decode(render_png_bytes(many, UTC, size))
    check_slide(img, size)
    assert bars(img, COLOURS["screen"]) == MAX_CREATIVES == 12  # the rest are named in the caption

    long_names = [f"spring-campaign-2027-{n}-with-a-very-long-identifier-that-goes-on-and-on-{'x' * 80}"
                  for n in ("welcome", "coffee", "pastry", "lunch")]  # fmt: skip
    img = decode(render_png_bytes(week_report(tmp_path, long_names, site="Café Lumière, " + "window " * 40), UTC, size))
    check_slide(img, size)  # names and the site are cut short with an ellipsis, not run off the slide
    assert bars(img, COLOURS["screen"]) == 4


def test_the_site_name_is_shown_when_the_report_carries_it(tmp_path):
    plain = decode(render_png_bytes(week_report(tmp_path, ["welcome"]), UTC))
    named = decode(render_png_bytes(week_report(tmp_path, ["welcome"], site="Café Lumière, window"), UTC))
    title = slice(0, 100)
    assert (plain[title] != named[title]).any(axis=2).sum() > 2000  # the name beside the title
    assert np.array_equal(plain[300:], named[300:])  # and nothing else changes


def test_the_chart_is_png_whatever_the_file_is_called(tmp_path):
    out = render_png(week_report(tmp_path, ["welcome"]), tmp_path / "week-report", UTC)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_time_zone_label_in_the_period(tmp_path):
    local = week_report(tmp_path, ["welcome"], tz=None)
    text = period_text(local, None)
    zone = dt.datetime.now().astimezone().tzname()
    assert text.endswith(f" local time ({zone})") and text.count("(") == 1
    assert period_text(week_report(tmp_path, ["welcome"]), UTC).endswith(":00 (UTC)")


# --------------------------------------------------------------------------- ticks


def test_percent_ticks_are_round_steps():
    assert ticks(0.63, PERCENT_STEPS) == [0, 0.2, 0.4, 0.6, 0.8]
    assert ticks(0.9, PERCENT_STEPS) == [0, 0.25, 0.5, 0.75, 1.0]
    assert ticks(0.3, PERCENT_STEPS) == [0, 0.1, 0.2, 0.3]
    assert ticks(0.04, PERCENT_STEPS) == [0, 0.01, 0.02, 0.03, 0.04]
    # Labels that would touch: a larger step, and the largest when nothing fits.
    assert ticks(0.63, PERCENT_STEPS, fits=lambda step: step >= 0.25) == [0, 0.25, 0.5, 0.75]
    assert ticks(0.63, PERCENT_STEPS, fits=lambda step: False) == [0, 0.5, 1.0]


@pytest.mark.parametrize("top", [0.001, 0.7, 1, 2.1, 7, 9.99, 10, 25, 61, 99, 100, 101, 180, 2500, 86_400])
def test_value_ticks_are_one_two_five_steps(top):
    marks = ticks(top)
    step = marks[1]
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert marks[0] == 0 and marks[-1] >= top and 2 <= len(marks) <= 5
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9
    assert np.allclose(np.diff(marks), step)
    assert marks[-2] < top  # no tick past the one that reaches the longest bar
