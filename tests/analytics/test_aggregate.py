"""Time-weighted audience aggregates: the arithmetic, checked against sums done by hand."""

import pytest

from signage.analytics.aggregate import AudienceAccumulator, AudienceTotals, MinuteAggregator
from signage.values import AudienceSnapshot


def snap(t, faces=0, measured=None, watchers=0, smile=0.0, surprise=0.0, passers_by=0):
    measured = faces if measured is None else measured
    return AudienceSnapshot(
        t=t, faces=faces, measured=measured, watchers=watchers, smile_ratio=smile, surprise_ratio=surprise,
        attention_ratio=watchers / faces if faces else 0.0, passers_by=passers_by,
    )  # fmt: skip


def test_sample_and_hold_with_a_cap_and_camera_off():
    acc = AudienceAccumulator(100.0, hold_s=2.0)
    acc.add(100.0, snap(0.0, faces=2, watchers=1, smile=0.5, passers_by=3))  # holds 100 -> 101
    acc.add(101.0, snap(1.0, faces=4, measured=2, watchers=3, smile=1.0))  # holds 101 -> 103 (cap), then nothing
    acc.add(104.0, None)  # camera off
    acc.add(105.0, snap(5.0, faces=1, measured=0))  # holds 105 -> 106
    tot = acc.close(106.0)
    assert tot.span_s == 6.0
    assert tot.samples == 3
    assert tot.camera_on_s == pytest.approx(1 + 2 + 1)
    assert tot.face_s == pytest.approx(2 * 1 + 4 * 2 + 1 * 1)
    assert tot.watcher_s == pytest.approx(1 * 1 + 3 * 2)  # attention seconds
    assert tot.measured_s == pytest.approx(2 * 1 + 2 * 2)
    assert tot.smile_s == pytest.approx(0.5 * 2 * 1 + 1.0 * 2 * 2)
    assert tot.max_faces == 4 and tot.passers_by == 3
    assert tot.mean_faces == pytest.approx(11 / 4)
    assert tot.mean_watchers == pytest.approx(7 / 4)
    assert tot.attention_ratio == pytest.approx(7 / 11)
    assert tot.smile_ratio == pytest.approx(5 / 6)
    assert tot.camera_on_fraction == pytest.approx(4 / 6)


def test_same_snapshot_handed_over_again_does_not_extend_its_hold():
    """The render loop hands over the mailbox's latest snapshot every frame; when the camera
    stops delivering, that stale snapshot must not count as an audience for ever."""
    acc = AudienceAccumulator(0.0, hold_s=1.5)
    s = snap(7.0, faces=1, watchers=1)
    for now in (0.0, 1.0, 2.0, 3.0):
        acc.add(now, s)
    acc.add(3.5, snap(8.0, faces=2))  # a fresh one: counts again
    tot = acc.close(4.0)
    assert tot.samples == 2
    assert tot.camera_on_s == pytest.approx(1.5 + 0.5)
    assert tot.face_s == pytest.approx(1.5 * 1 + 0.5 * 2) and tot.watcher_s == pytest.approx(1.5)


def test_snapshot_on_hand_at_start_covers_the_first_moments():
    acc = AudienceAccumulator(10.0, hold_s=2.0, held=snap(0.0, faces=3), held_at=9.0)
    tot = acc.close(12.0)
    assert tot.samples == 0  # received before this span began
    assert tot.camera_on_s == pytest.approx(1.0) and tot.face_s == pytest.approx(3.0)


def test_clock_going_backwards_adds_no_time():
    acc = AudienceAccumulator(10.0)
    acc.add(10.0, snap(0.0, faces=1))
    acc.add(9.0, snap(1.0, faces=1))
    tot = acc.close(9.5)
    assert tot.span_s == 0.0 and tot.face_s == 0.0 and tot.samples == 2


def test_no_audience_gives_zero_ratios_not_errors():
    tot = AudienceAccumulator(0.0).close(10.0)
    assert (tot.mean_faces, tot.attention_ratio, tot.smile_ratio, tot.camera_on_fraction) == (0, 0, 0, 0)
    assert not tot.has_data


def test_merge_adds_integrals_and_keeps_maxima():
    a = AudienceTotals(span_s=10, samples=3, camera_on_s=10, face_s=20, watcher_s=5, max_faces=3, passers_by=4)
    b = AudienceTotals(span_s=5, samples=1, camera_on_s=4, face_s=2, watcher_s=1, max_faces=1, passers_by=9)
    m = a.merge(b)
    assert (m.span_s, m.samples, m.camera_on_s, m.face_s, m.watcher_s) == (15, 4, 14, 22, 6)
    assert (m.max_faces, m.passers_by) == (3, 9)
    assert m.attention_ratio == pytest.approx(6 / 22)


def test_minutes_split_at_the_boundary():
    agg = MinuteAggregator(59.5, hold_s=2.0)
    assert agg.add(59.5, snap(0.0, faces=1)) == []
    closed = agg.add(60.5, snap(1.0, faces=3, watchers=3))
    assert [m.minute_ts for m in closed] == [0]
    first = closed[0].totals
    assert first.span_s == pytest.approx(0.5) and first.face_s == pytest.approx(0.5) and first.samples == 1
    rest = agg.flush(61.0)
    assert [m.minute_ts for m in rest] == [60]
    second = rest[0].totals
    # 60 -> 60.5 still the 1-face snapshot (held across the boundary), 60.5 -> 61 three watching faces
    assert second.face_s == pytest.approx(0.5 * 1 + 0.5 * 3)
    assert second.watcher_s == pytest.approx(1.5)
    assert second.samples == 1 and second.span_s == pytest.approx(1.0)


def test_minutes_without_any_snapshot_yield_no_row():
    agg = MinuteAggregator(0.0, hold_s=2.0)
    agg.add(0.0, snap(0.0, faces=1))
    closed = agg.add(3600.5, snap(1.0, faces=2))  # an hour later (e.g. the machine was asleep)
    assert [m.minute_ts for m in closed] == [0]
    assert closed[0].totals.camera_on_s == pytest.approx(2.0)
    [last] = agg.flush(3601.0)
    assert last.minute_ts == 3600 and last.totals.face_s == pytest.approx(1.0)


def test_minute_with_camera_off_throughout_yields_no_row():
    agg = MinuteAggregator(0.0)
    agg.add(0.0, None)
    assert agg.add(130.0, None) == [] and agg.flush(131.0) == []


# -- counts of people, from the sensing side's counters -------------------------------------------


def counted(t, arrivals=0, viewers=0, epoch=1, play=None, imp=0, view=0, minute=None, m_imp=0, m_view=0):
    return AudienceSnapshot(t=t, faces=1, measured=1, counts_epoch=epoch, arrivals_total=arrivals,
                            viewers_total=viewers, play_label=play, play_impressions=imp, play_viewers=view,
                            minute_label=minute, minute_impressions=m_imp, minute_viewers=m_view)  # fmt: skip


def test_arrivals_are_the_growth_of_the_counter_over_the_span_from_the_snapshot_before_it():
    before = counted(0.0, arrivals=5, viewers=2)
    acc = AudienceAccumulator(10.0, held=before, held_at=9.5, label=("play", 7))
    acc.add(10.5, counted(1.0, arrivals=6, viewers=2, play=7, imp=3, view=1))
    acc.add(11.0, counted(2.0, arrivals=8, viewers=3, play=7, imp=4, view=2))
    tot = acc.close(12.0)
    assert (tot.arrivals, tot.new_viewers) == (3, 1)
    # impressions: the latest count for the play's own label (those there before it began included)
    assert (tot.impressions, tot.viewers) == (4, 2)


def test_a_count_for_another_label_is_not_this_plays():
    acc = AudienceAccumulator(0.0, label=("play", 8))
    acc.add(0.1, counted(0.1, play=7, imp=9, view=9))  # the mark of play 8 has not reached sensing yet
    acc.add(0.2, counted(0.2, play=8, imp=1, view=0))
    assert (acc.totals.impressions, acc.totals.viewers) == (1, 0)


def test_a_new_counter_epoch_counts_all_it_has_counted():
    acc = AudienceAccumulator(0.0, held=counted(0.0, arrivals=40, viewers=20, epoch=1))
    acc.add(1.0, counted(1.0, arrivals=3, viewers=1, epoch=2))  # sensing restarted: a new counter
    acc.add(2.0, counted(2.0, arrivals=4, viewers=1, epoch=2))
    tot = acc.close(3.0)
    assert (tot.arrivals, tot.new_viewers) == (4, 1)


def test_without_a_snapshot_before_the_span_the_first_one_is_the_baseline():
    acc = AudienceAccumulator(0.0)
    acc.add(0.0, counted(0.0, arrivals=10))
    acc.add(1.0, counted(1.0, arrivals=12))
    assert acc.close(2.0).arrivals == 2


def test_minutes_arrivals_add_up_and_each_minute_takes_its_own_label():
    m = MinuteAggregator(0.0, hold_s=2.0)
    done = []
    arrivals = 0
    for i in range(180):  # one snapshot a second for 3 minutes, one arrival every 10 s
        arrivals += i % 10 == 0
        minute = i // 60 * 60
        done += m.add(float(i), counted(float(i), arrivals=arrivals, minute=minute, m_imp=1 + (i % 60) // 30))
    done += m.flush(180.0)
    assert [d.minute_ts for d in done] == [0, 60, 120]
    # the first snapshot is the baseline (its arrival was before the aggregator started)
    assert [d.totals.arrivals for d in done] == [5, 6, 6]
    assert [d.totals.impressions for d in done] == [2, 2, 2]


def test_a_minute_flushed_in_parts_adds_up_to_its_count():
    m = MinuteAggregator(0.0, hold_s=2.0)
    m.add(0.0, counted(0.0, minute=0, m_imp=2, m_view=1))
    m.add(10.0, counted(10.0, minute=0, m_imp=3, m_view=1))
    first = m.flush(20.0)
    m.add(30.0, counted(30.0, minute=0, m_imp=5, m_view=2))
    rest = m.flush(59.0)
    assert first[0].totals.merge(rest[0].totals).impressions == 5
    assert first[0].totals.merge(rest[0].totals).viewers == 2
