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
from signage.analytics.anonymity import withhold_small
from signage.analytics.chart import COLOURS, MAX_CREATIVES, percent_ticks, render_png, render_png_bytes, ticks, title_text
from signage.analytics.daily import MAX_DAYS, per_day, sample_sizes
from signage.analytics.formats import date_span, period_text, zone_phrase
from signage.analytics.facts import load_history
from signage.analytics.periods import timezone
from signage.analytics.report import build_report
from signage.analytics.readonly import connect_readonly
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore

UTC = timezone("UTC")
DAY0 = 1_794_960_000  # 2026-11-18 00:00 UTC
SIZES = [(2000, 1125), (1280, 720)]
DB_NUMBERS = itertools.count()


def week_report(tmp_path, names: list[str], *, tz=UTC, site: str | None = None, days: int = 7, people: int = 3,
                rows: bool = False):
    """A week of plays of ``names`` (screen time falling with the position in the list, each
    with its own attention and smiles) and of minute aggregates, through the real store."""
    plays, minutes = [], []
    for day in range(days):
        for hour in range(9, 19):
            t0 = DAY0 + day * 86400 + hour * 3600
            for m in range(0, 60, 5):
                minutes.append(MinuteTotals(t0 + m * 60, AudienceTotals(
                    span_s=60, samples=600, camera_on_s=60, face_s=90, watcher_s=40, measured_s=80, smile_s=15, arrivals=1)))  # fmt: skip
            for i, name in enumerate(names):
                if (day * 10 + hour + i) % (1 + i % 3):
                    continue
                faces = 20.0 + i
                plays.append(PlayRow(
                    f"{name}-{day}-{hour}", name, f"rule-{i % 4}" if i % 2 else None, "test", t0 + 60 * i,
                    t0 + 60 * i + 30 - i, "completed", 30.0, "week", "v1",
                    AudienceTotals(span_s=30 - i, samples=100, camera_on_s=30 - i, face_s=faces,
                                   watcher_s=faces * (0.2 + 0.05 * (i % 12)), measured_s=faces * 0.9,
                                   smile_s=faces * 0.9 * (0.05 + 0.04 * (i % 7)), max_faces=2, passers_by=2,
                                   impressions=people, viewers=1, arrivals=1 if people > 2 else 0)))  # fmt: skip
    path = tmp_path / f"week-{next(DB_NUMBERS)}.db"
    store = AnalyticsStore(path)
    store.write(plays, minutes)
    store.close()
    conn = connect_readonly(path)
    history = load_history(conn, DAY0, DAY0 + days * 86400)
    conn.close()
    report = withhold_small(build_report(*history, DAY0, DAY0 + days * 86400, tz), *history, tz)
    report.site = site
    return (report, history) if rows else report


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


def test_the_site_and_the_screen_are_shown(tmp_path):
    plain = decode(render_png_bytes(week_report(tmp_path, ["welcome"]), UTC))
    named = decode(render_png_bytes(week_report(tmp_path, ["welcome"], site="Café Lumière, window"), UTC,
                                    screen="cafe-01"))  # fmt: skip
    where = slice(100, 150)  # the line under the title
    assert (plain[where] != named[where]).any(axis=2).sum() > 2000
    assert np.array_equal(plain[:100], named[:100])  # the title is the same
    assert np.array_equal(plain[300:], named[300:])  # and nothing below changes


def test_the_title_says_what_when_and_in_which_zone(tmp_path):
    paris = timezone("Europe/Paris")
    week = week_report(tmp_path, ["welcome"], tz=paris)
    week.since, week.until = 1_796_079_600, 1_796_079_600 + 7 * 86400  # 1 to 8 Dec 2026, Paris midnights
    from signage.analytics.chart import Slide

    slide = Slide(week, paris, week.creatives, {}, frozenset())
    assert title_text(slide) == "Attention by creative \u2014 1\u20137 Dec 2026, local time (Europe/Paris)"
    assert title_text(Slide(week, paris, [], {}, frozenset(), by_day=True)).startswith("Attention by day \u2014 1\u20137 Dec")
    assert zone_phrase(UTC) == "UTC" and zone_phrase(timezone("Etc/UTC")) == "UTC"
    assert "(" not in title_text(Slide(week_report(tmp_path, ["welcome"]), UTC, [], {}, frozenset()))
    day = 86400
    assert date_span(DAY0, DAY0 + 7 * day, UTC) == "18\u201324 Nov 2026"
    assert date_span(DAY0, DAY0 + day, UTC) == "18 Nov 2026"
    assert date_span(DAY0, DAY0 + 14 * day, UTC) == "18 Nov \u2013 1 Dec 2026"
    assert date_span(DAY0 + 9 * 3600, DAY0 + 18 * 3600, UTC) == "18 Nov 2026, 09:00\u201318:00"
    assert date_span(DAY0 + 44 * day, DAY0 + 46 * day + 60, UTC) == "1 Jan 00:00 \u2013 3 Jan 2027 00:01"
    assert date_span(DAY0 + 40 * day, DAY0 + 46 * day, UTC) == "28 Dec 2026 \u2013 2 Jan 2027"


def test_sample_sizes_beside_each_creative(tmp_path):
    report, (plays, _) = week_report(tmp_path, ["welcome", "pastry"], people=4, rows=True)
    sizes = sample_sizes(plays)
    assert sizes["(all)"][0] == sum(p.audience.impressions for p in plays) == 4 * len(plays)
    assert sizes["welcome"][1] == sum(p.audience.arrivals for p in plays if p.creative_id == "welcome")
    plain = decode(render_png_bytes(report, UTC))
    counted = decode(render_png_bytes(report, UTC, samples=sizes))
    numbers = counted[300:900, 300:760]  # the Impressions and People columns
    assert (plain[300:900, 300:760] != numbers).any(axis=2).sum() > 500


def test_small_groups_have_no_smile_bar(tmp_path):
    few = week_report(tmp_path, ["welcome", "pastry"], people=2)  # 2 people per play, no arrivals
    assert set(few.withheld) == {"welcome", "pastry", "(all)"} and few.creatives[0].smile_response is None
    img = decode(render_png_bytes(few, UTC))
    assert bars(img, COLOURS["attention"]) == 2 and bars(img, COLOURS["smile"]) == 0
    many = week_report(tmp_path, ["welcome", "pastry"], people=3)
    assert many.withheld == []
    assert bars(decode(render_png_bytes(many, UTC)), COLOURS["smile"]) == 2


@pytest.mark.parametrize("size", SIZES)
def test_the_per_day_view(tmp_path, size):
    report, (plays, minutes) = week_report(tmp_path, ["welcome", "pastry", "lunch"], people=3, rows=True)
    view = per_day(plays, minutes, report.since, report.until, UTC)
    assert [line.creative for line in view.lines] == ["Wed 18 Nov", "Thu 19 Nov", "Fri 20 Nov", "Sat 21 Nov",
                                                      "Sun 22 Nov", "Mon 23 Nov", "Tue 24 Nov"]  # fmt: skip
    assert sum(line.plays for line in view.lines) == report.total.plays
    img = decode(render_png_bytes(report, UTC, size, days=view))
    check_slide(img, size)
    assert bars(img, COLOURS["screen"]) == 7 and bars(img, COLOURS["attention"]) == 7
    assert not np.array_equal(img, decode(render_png_bytes(report, UTC, size)))

    long, (plays, minutes) = week_report(tmp_path, ["welcome"], people=3, rows=True, days=20)
    view = per_day(plays, minutes, long.since, long.until, UTC)
    assert len(view.lines) == MAX_DAYS and view.days_in_period == 20 and view.lines[-1].creative == "Mon 7 Dec"
    img = decode(render_png_bytes(long, UTC, size, days=view))
    check_slide(img, size)
    assert bars(img, COLOURS["screen"]) == MAX_DAYS


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


def test_rate_axes_run_from_0_to_100_in_whole_even_steps():
    assert percent_ticks(0.63, lambda step: True) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert percent_ticks(0.04, lambda step: True) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]  # whatever the bars
    assert percent_ticks(0.63, lambda step: step >= 0.5) == [0, 0.5, 1.0]  # labels that would touch
    assert percent_ticks(0.63, lambda step: False) == [0, 0.5, 1.0]


@pytest.mark.parametrize("top", [0.001, 0.7, 1, 2.1, 7, 9.99, 10, 25, 61, 99, 100, 101, 180, 2500, 86_400])
def test_value_ticks_are_one_two_five_steps(top):
    marks = ticks(top)
    step = marks[1]
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert marks[0] == 0 and marks[-1] >= top and 2 <= len(marks) <= 5
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9
    assert np.allclose(np.diff(marks), step)
    assert marks[-2] < top  # no tick past the one that reaches the longest bar


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


@pytest.mark.parametrize("size", SIZES)
def test_both_rate_axes_run_0_to_100_with_the_same_ticks(tmp_path, size):
    from signage.analytics.chart import GRID

    img = decode(render_png_bytes(week_report(tmp_path, ["welcome", "pastry", "lunch"]), UTC, size))
    below = int(img.shape[0] * 0.15)

    def first_column(colour) -> int:
        mask = np.all(img[below:] == np.array(colour[::-1], np.uint8), axis=2)
        return int(np.flatnonzero(mask.any(axis=0))[0])

    att, smile = first_column(COLOURS["attention"]), first_column(COLOURS["smile"])
    column = np.all(img[below:, att + 1] == np.array(COLOURS["attention"][::-1], np.uint8), axis=1)
    (a, b), (c, d) = _runs(column)[:2]
    y = below + (b + c) // 2  # between the first two bars: only the grid is drawn there
    grid = np.all(img[y] == np.array(GRID[::-1], np.uint8), axis=1)
    lines_att = _runs(grid[att - 3: smile - 3])
    lines_smile = _runs(grid[smile - 3:])
    assert len(lines_att) == len(lines_smile) in (6, 3)  # every 20% (or 50% when small), 0 to 100
    assert abs((lines_att[-1][0] - lines_att[0][0]) - (lines_smile[-1][0] - lines_smile[0][0])) <= 1  # the same length
    gaps = np.diff([start for start, _ in lines_att])
    assert gaps.max() - gaps.min() <= 1  # even steps
