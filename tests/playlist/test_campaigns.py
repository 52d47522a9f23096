"""Campaigns as media owners sell them: flights, daily caps across a restart, pacing toward
an hourly minimum, the delivery report, and validate's warnings (docs/playlists.md,
"Campaigns")."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from signage.analytics.history import recent_plays
from signage.analytics.store import AnalyticsStore, PlayRow
from signage.campaigns import build_index
from signage.director import Director, Show
from signage.playlist.engine import PlaylistEngine, PlayRecord
from signage.playlist.loader import PlaylistError, load_playlist, parse_playlist
from signage.playlist.schema import Playlist
from signage.playlist.simulate import ENDED_INTERRUPTED, format_report, parse_scenario, report_json, simulate

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc
PARIS = "Europe/Paris"
ACME = "ACME-2026-12 / line 1"


def playlist(campaigns, creatives=None, loop=("house", "acme"), rules=(), **kw) -> Playlist:
    creatives = creatives or {"house": 10, "acme": 12, "rival": 15}
    items = [{"id": c, "type": "text", "headline": c, "duration": d} for c, d in creatives.items()]
    for c in items:
        if c["id"] == "acme":
            c["campaign_id"] = ACME
    return Playlist.model_validate({"name": "t", "timezone": PARIS, "campaigns": campaigns, "creatives": items,
                                    "loop": list(loop), "rules": list(rules), **kw})


def acme(*flights, **goals):
    return [{"id": ACME, "flights": [{"from": a, "to": b} for a, b in flights], **goals}]


def nobody():
    return parse_scenario({"name": "empty", "timeline": [{"at": 0, "faces": 0}]})


def someone():
    return parse_scenario({"name": "busy", "timeline": [{"at": 0, "faces": 2, "watchers": 1}]})


def local_starts(result, creative):
    return [result.local(e.start).replace(tzinfo=None) for e in result.plays(creative=creative)]


# --------------------------------------------------------------------------- the format


def test_flights_read_local_dates_and_times_and_a_date_alone_as_to_includes_the_day():
    pl = playlist(acme(("2026-12-01 08:00", "2026-12-14"), ("2026-12-20T08:30", "2026-12-21 18:00:30")))
    f0, f1 = pl.campaigns[0].flights
    assert (f0.from_, f0.to) == (dt.datetime(2026, 12, 1, 8), dt.datetime(2026, 12, 15))
    assert (f1.from_, f1.to) == (dt.datetime(2026, 12, 20, 8, 30), dt.datetime(2026, 12, 21, 18, 0, 30))


@pytest.mark.parametrize("flights, field, words", [
    ('[{from: "2026-12-01 08:00", to: "2026-12-05"}, {from: "2026-12-05 10:00", to: "2026-12-06"}]',
     "campaigns.0.flights", "overlaps flight 0"),
    ('[{from: "2026-12-05", to: "2026-12-01"}]', "campaigns.0.flights.0", "not after from"),
    ('[{from: "2026-12-01 08:00+01:00", to: "2026-12-02"}]', "campaigns.0.flights.0.from", "time zone"),
    ('[{from: "2026-02-30", to: "2026-03-02"}]', "campaigns.0.flights.0.from", "day is out of range"),
    ('[{from: "2026-12-01 25:00", to: "2026-12-02"}]', "campaigns.0.flights.0.from", "hour must be"),
    ('[{from: "9999-12-01", to: "9999-12-02"}]', "campaigns.0.flights.0.from", "2100"),
    ('[]', "campaigns.0.flights", "at least 1"),
    ('[{from: "2026-12-01", to: "2026-12-02", min_per_hour: 0}]', "campaigns.0.flights.0.min_per_hour", "1"),
    ('[{from: "2026-12-01", to: "2026-12-02", max_per_day: 100000}]', "campaigns.0.flights.0.max_per_day", "86400"),
    ('[{from: "2026-12-01", to: "2026-12-02", min_per_houre: 3}]', "campaigns.0.flights.0.min_per_houre",
     "did you mean 'min_per_hour'"),
])  # fmt: skip
def test_a_wrong_flight_is_refused_naming_the_file_line_and_field(flights, field, words):
    text = ("name: t\ncampaigns:\n  - id: ACME / 1\n    flights: " + flights +
            "\ncreatives:\n  - {id: a, type: text, headline: A, campaign_id: ACME / 1}\nloop: [a]\n")
    with pytest.raises(PlaylistError) as err:
        parse_playlist(text, Path("/srv/p.yaml"), check_assets=False)
    msg = err.value.format()
    assert f"/srv/p.yaml:4: {field} (campaign 'ACME / 1')" in msg and words in msg, msg


def test_two_campaigns_with_one_id_are_refused():
    text = ("name: t\ncampaigns:\n  - {id: X, flights: [{from: 2026-12-01, to: 2026-12-02}]}\n"
            "  - {id: X, flights: [{from: 2026-12-03, to: 2026-12-04}]}\n"
            "creatives:\n  - {id: a, type: text, headline: A}\nloop: [a]\n")
    with pytest.raises(PlaylistError) as err:
        parse_playlist(text, Path("/srv/p.yaml"), check_assets=False)
    assert "/srv/p.yaml:4: campaigns.1.id" in err.value.format() and "used twice" in err.value.format()


# --------------------------------------------------------------------------- flights


def test_a_campaign_plays_only_inside_its_flights():
    pl = playlist(acme(("2026-12-01 09:00", "2026-12-01 10:00"), ("2026-12-01 12:00", "2026-12-01 12:30")))
    r = simulate(pl, nobody(), start="2026-12-01T08:00", duration="6h")
    starts = local_starts(r, "acme")
    assert starts and all(dt.datetime(2026, 12, 1, 9) <= t < dt.datetime(2026, 12, 1, 10) or
                          dt.datetime(2026, 12, 1, 12) <= t < dt.datetime(2026, 12, 1, 12, 30) for t in starts)
    assert {t.hour for t in starts} == {9, 12}
    # outside its flights the loop goes on without it
    assert [e.creative for e in r.plays() if r.local(e.start).hour == 8] == ["house"] * 360


def test_a_flight_boundary_mid_hour_is_to_the_second():
    pl = playlist(acme(("2026-12-01 10:30", "2026-12-01 11:00")), loop=("acme", "house"))
    e = PlaylistEngine(pl)
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # 10:30 in Paris
    assert e.decide(None, at - dt.timedelta(seconds=1)).creative == "house"
    assert e.decide(None, at).creative == "acme"
    assert e.decide(None, at + dt.timedelta(minutes=30)).creative == "house"  # to is excluded


def test_a_rule_of_a_campaign_fires_only_in_its_flight():
    rules = [{"id": "acme-rule", "when": {"faces": ">= 1"}, "play": "rival", "campaign_id": ACME}]
    pl = playlist(acme(("2026-12-01 09:00", "2026-12-01 10:00")), rules=rules)
    r = simulate(pl, someone(), start="2026-12-01T08:00", duration="3h")
    hours = Counter(r.local(e.start).hour for e in r.plays(rule="acme-rule"))
    assert set(hours) == {9} and hours[9] > 100


# --------------------------------------------------------------------------- daily caps


def test_a_daily_cap_counts_the_local_calendar_day():
    pl = playlist(acme(("2026-12-01", "2026-12-03"), max_per_day=5))
    r = simulate(pl, nobody(), start="2026-12-01T20:00", duration="8h")
    days = Counter(t.date() for t in local_starts(r, "acme"))
    # five before midnight in Paris (23:00 UTC), five more from local midnight on
    assert days == {dt.date(2026, 12, 1): 5, dt.date(2026, 12, 2): 5}
    assert min(t for t in local_starts(r, "acme") if t.day == 2) < dt.datetime(2026, 12, 2, 0, 1)


PLAYLIST = f"""
name: restart
timezone: {PARIS}
campaigns:
  - {{id: "{ACME}", flights: [{{from: 2026-12-01, to: 2026-12-31}}], max_per_day: 3}}
creatives:
  - {{id: a, type: text, headline: A, duration: 10s}}
  - {{id: spot, type: text, headline: Spot, duration: 10s}}
loop: [a]
rules:
  - {{id: acme-rule, when: {{camera: "off"}}, play: spot, priority: 2, campaign_id: "{ACME}"}}
"""


def test_a_daily_cap_holds_across_a_restart_from_proof_of_play(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(PLAYLIST)
    loaded = parse_playlist(PLAYLIST, f)
    db = tmp_path / "analytics.db"
    now = dt.datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 16:00 in Paris
    h = dt.timedelta(hours=1)
    store = AnalyticsStore(db)
    try:
        store.write([PlayRow(f"p{i}", "spot", "acme-rule", "", s.timestamp(), (s + dt.timedelta(seconds=10)).timestamp(),
                             outcome)
                     for i, (s, outcome) in enumerate([
                         (now - 20 * h, "completed"),  # yesterday in Paris: not today's
                         (now - 9 * h, "completed"), (now - 6 * h, "interrupted"),  # today, hours ago
                         (now - 3 * h, "skipped"),  # never on screen: does not count
                     ])])
    finally:
        store.close()
    director = Director(loaded)
    assert director.memory_s >= 24 * 3600  # a daily cap reads the day back
    director.seed(recent_plays(db, now.timestamp(), director.memory_s))
    first = director.step(now, None)
    assert isinstance(first, Show) and first.play.rule == "acme-rule"  # two today: one more to go
    director.stop(now + dt.timedelta(seconds=10))

    store = AnalyticsStore(db)
    try:
        store.write([PlayRow("p9", "spot", "acme-rule", "", now.timestamp(), (now + dt.timedelta(seconds=10)).timestamp(),
                             "completed")])
    finally:
        store.close()
    later = now + 2 * h
    restarted = Director(loaded)
    restarted.seed(recent_plays(db, later.timestamp(), restarted.memory_s))
    order = restarted.step(later, None)
    assert isinstance(order, Show) and order.play.rule is None  # at its cap of 3 for the day: the loop plays
    fresh = Director(loaded)  # what a restart did without the history
    assert fresh.step(later, None).play.rule == "acme-rule"


def test_a_new_version_of_the_playlist_keeps_the_days_count(tmp_path):
    """The player swaps in an edited playlist: the campaign's plays of the day still count."""
    f = tmp_path / "p.yaml"
    f.write_text(PLAYLIST)
    director = Director(parse_playlist(PLAYLIST, f))
    t = dt.datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    rules = []
    for k in range(3):  # three plays of the line, hours apart
        order = director.step(t + k * dt.timedelta(hours=3), None)
        rules.append(order.play.rule)
        director.stop(t + k * dt.timedelta(hours=3) + dt.timedelta(seconds=10))
    assert rules == ["acme-rule"] * 3
    edited = PLAYLIST.replace("headline: A,", "headline: A2,")
    f.write_text(edited)
    director.set_playlist(parse_playlist(edited, f))
    order = director.step(t + 9 * dt.timedelta(hours=1), None)
    assert order.play.rule is None  # still at its cap of 3 for the day


# --------------------------------------------------------------------------- pacing


def test_pacing_meets_the_hourly_minimum_that_a_competing_rule_would_take():
    rules = [{"id": "rival", "when": {"faces": ">= 1"}, "play": "rival"}]
    flights = ("2026-12-01 08:00", "2026-12-01 12:00")
    unpaced = simulate(playlist(acme(flights), rules=rules), someone(), start="2026-12-01T08:00", duration="4h")
    assert unpaced.plays(creative="acme") == []  # the rival takes every slot
    r = simulate(playlist(acme(flights, min_per_hour=5), rules=rules), someone(), start="2026-12-01T08:00",
                 duration="4h")
    hours = Counter(t.hour for t in local_starts(r, "acme"))
    assert hours == {8: 5, 9: 5, 10: 5, 11: 5}
    # spread through the hour, not bunched at its end
    nine = sorted(t for t in local_starts(r, "acme") if t.hour == 9)
    assert all(abs((t - dt.datetime(2026, 12, 1, 9, 12 * k)).total_seconds()) < 30 for k, t in enumerate(nine))
    assert not [e for e in r.plays() if e.ended == ENDED_INTERRUPTED]  # pacing never interrupts
    assert "behind its pace" in r.plays(creative="acme")[0].reason


def test_pacing_yields_to_a_higher_priority_rule_and_a_partial_hour_scales_the_minimum():
    high = [{"id": "rival", "when": {"faces": ">= 1"}, "play": "rival", "priority": 1}]
    r = simulate(playlist(acme(("2026-12-01 08:00", "2026-12-01 10:00"), min_per_hour=5), rules=high), someone(),
                 start="2026-12-01T08:00", duration="2h")
    assert r.plays(creative="acme") == []
    low = [{"id": "rival", "when": {"faces": ">= 1"}, "play": "rival"}]
    r = simulate(playlist(acme(("2026-12-01 08:30", "2026-12-01 09:30"), min_per_hour=4), rules=low), someone(),
                 start="2026-12-01T08:00", duration="2h")
    assert Counter(t.hour for t in local_starts(r, "acme")) == {8: 2, 9: 2}  # half an hour: half the minimum


def test_pacing_stops_at_the_daily_cap_and_the_report_lists_the_short_hours():
    rules = [{"id": "rival", "when": {"faces": ">= 1"}, "play": "rival"}]
    pl = playlist(acme(("2026-12-01 08:00", "2026-12-01 12:00"), min_per_hour=5, max_per_day=12), rules=rules)
    r = simulate(pl, someone(), start="2026-12-01T08:00", duration="4h")
    assert Counter(t.hour for t in local_starts(r, "acme")) == {8: 5, 9: 5, 10: 2}
    [c] = report_json(r)["campaigns"]
    [f] = c["flights"]
    assert (c["id"], c["plays"], c["screen_time_s"]) == (ACME, 12, 144.0)
    assert f["days"] == [{"date": "2026-12-01", "plays": 12, "cap_reached": True}]
    assert (f["hours_judged"], f["hours_met"]) == (4, 2)
    assert f["hours_short"] == [
        {"hour": "2026-12-01T10:00:00+01:00", "plays": 2, "goal": 5, "daily_cap_reached": True},
        {"hour": "2026-12-01T11:00:00+01:00", "plays": 0, "goal": 5, "daily_cap_reached": True}]
    text = format_report(r)
    assert "Campaign delivery" in text and f"{ACME}: 12 plays, 2m24s on screen" in text
    assert "min_per_hour 5: 2 of 4 hours met" in text and "short: 12-01 11:00 0 of 5 (the daily cap was reached)" in text


def test_a_repeated_autumn_hour_is_one_hour_for_the_campaign():
    """2026-10-25 in Paris: 02:00-03:00 happens twice; max_per_hour counts the wall-clock
    hour once, so the campaign plays 3 times in those two real hours, not 6."""
    pl = playlist(acme(("2026-10-24", "2026-10-26"), max_per_hour=3), loop=("acme", "house"))
    r = simulate(pl, nobody(), start="2026-10-25T01:00", duration="4h")
    hours = Counter(t.hour for t in local_starts(r, "acme"))
    assert hours[2] == 3 and hours[1] == 3 and hours[3] == 3


# --------------------------------------------------------------------------- proof of play


def test_a_campaigns_plays_carry_its_id_into_the_exports():
    path = ROOT / "playlists" / "campaigns.yaml"
    index, problems = build_index([path])
    assert problems == []
    [version] = index.by_version
    name = load_playlist(path).playlist.name
    assert index(name, version, None, "acme-beans") == ACME  # a paced loop play
    assert index(name, version, "cold-drinks", "glacier") == "GLACIER-W49 / line 2"
    assert index(name, version, "regulars", "house-blend") is None


# --------------------------------------------------------------------------- validate


def warnings(text: str) -> list[str]:
    loaded = parse_playlist(text, Path("/srv/p.yaml"), check_assets=False)
    return [w.format("/srv/p.yaml") for w in loaded.warnings]


BASE = """name: t
campaign: {from: 2026-12-01, to: 2026-12-31}
dayparts: {lunch: {from: "12:00", to: "14:00"}}
creatives:
  - {id: a, type: text, headline: A, duration: 10s}
  - {id: spot, type: text, headline: Spot, duration: 30s, campaign_id: C}
loop: [a]
rules:
  - {id: r, when: {faces: ">= 1", daypart: lunch}, play: spot, campaign_id: C}
campaigns:
  - id: C
"""


@pytest.mark.parametrize("campaign, words", [
    ('    flights: [{from: 2026-12-02, to: 2026-12-03}]\n    min_per_hour: 200\n',
     "campaigns.0.min_per_hour (campaign 'C'): flight 0: 200 plays of at least 30 s need 6000 s, more than"),
    ('    flights: [{from: 2026-12-02, to: 2026-12-03}]\n    min_per_hour: 5\n    max_per_hour: 2\n',
     "min_per_hour 5 is above max_per_hour 2: the two contradict"),
    ('    flights: [{from: 2026-12-02, to: 2026-12-03}]\n    min_per_hour: 10\n    max_per_day: 15\n',
     "min_per_hour 10 over its 2 h on 2026-12-02 needs 20 plays, above max_per_day 15"),
    ('    flights: [{from: 2027-01-02, to: 2027-01-03}]\n',
     "campaigns.0.flights.0 (campaign 'C'): outside the playlist's campaign dates"),
    ('    flights: [{from: 2026-11-25, to: 2026-12-03}]\n', "partly outside the playlist's campaign dates"),
    ('    flights: [{from: "2026-12-02 18:00", to: "2026-12-02 22:00"}]\n',
     "campaigns.0.flights.0 (campaign 'C'): no time in this flight when anything of the campaign may play"),
])  # fmt: skip
def test_validate_warns_about_goals_that_cannot_be_met(campaign, words):
    found = warnings(BASE + campaign)
    assert any(words in w for w in found), found
    assert all(w.startswith("/srv/p.yaml:") for w in found)


def test_validate_warns_about_a_campaign_nothing_plays_and_minimums_that_add_up_past_the_hour():
    text = BASE.replace("campaign_id: C}\n", "}\n", 1) + (
        "    flights: [{from: 2026-12-02, to: 2026-12-03}]\n    min_per_hour: 70\n"
        "  - id: D\n    flights: [{from: 2026-12-02, to: 2026-12-05}]\n    min_per_hour: 100\n"
        "  - id: E\n    flights: [{from: 2026-12-02, to: 2026-12-05}]\n")
    text = text.replace("loop: [a]", "loop: [a, d]").replace(
        "  - {id: spot,", "  - {id: d, type: text, headline: D, duration: 20s, campaign_id: D}\n  - {id: spot,")
    found = warnings(text)
    assert any("campaigns.2 (campaign 'E'): nothing can play campaign 'E'" in w for w in found), found
    assert any("campaigns.1.min_per_hour (campaign 'D'): with the minimums of 'C'" in w and "4100 s an hour" in w
               for w in found), found


def test_bounds_that_contradict_each_other_are_an_error_not_a_warning():
    with pytest.raises(PlaylistError) as err:
        parse_playlist(BASE.replace('faces: ">= 1"', "faces: {min: 3, max: 1}") +
                       "    flights: [{from: 2026-12-02, to: 2026-12-03}]\n", Path("/srv/p.yaml"), check_assets=False)
    assert "/srv/p.yaml:9: rules.0.when.faces (rule 'r'): no value can pass this test" in err.value.format()


def test_validate_warns_about_a_rule_whose_schedule_and_daypart_never_meet():
    text = BASE.replace('daypart: lunch}, play: spot, campaign_id: C}',
                        'daypart: lunch}, play: spot, schedule: {time: {from: "18:00", to: "20:00"}}}') + \
        "    flights: [{from: 2026-12-02, to: 2026-12-03}]\n"
    found = warnings(text)
    assert any("rules.0 (rule 'r'): its schedule, its condition's times and its creatives' schedules never agree"
               in w for w in found), found
    # a week outside the playlist's dates says nothing of a rule that can fire: no false alarm
    fine = BASE.replace("2026-12-01, to: 2026-12-31", "2027-03-01, to: 2027-03-31").replace(
        'daypart: lunch}, play: spot, campaign_id: C}', 'daypart: lunch}, play: spot, schedule: {days: weekdays}}') + \
        "    flights: [{from: 2027-03-02, to: 2027-03-03}]\n"
    assert not [w for w in warnings(fine) if "rules.0" in w]


def test_the_examples_and_validate_with_warnings_exit_0(tmp_path):
    f = tmp_path / "w.yaml"
    f.write_text(BASE + '    flights: [{from: 2026-12-02, to: 2026-12-03}]\n    min_per_hour: 200\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    p = subprocess.run([sys.executable, "-m", "signage.cli", "validate", str(ROOT / "playlists" / "campaigns.yaml"),
                        str(f)], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert f"{f}: valid" in p.stdout and "warning:" in p.stdout and "the minimum cannot be met" in p.stdout
    example = p.stdout.split(f"{f}: valid")[0]
    assert "warning" not in example and "2 campaign lines" in example  # the example is clean


def test_simulate_prints_the_delivery_of_the_example(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    args = [sys.executable, "-m", "signage.cli", "simulate", str(ROOT / "playlists" / "campaigns.yaml"),
            "--audience", str(ROOT / "playlists" / "scenarios" / "campaign-day.yaml")]
    text = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert text.returncode == 0, text.stderr
    assert "min_per_hour 4: 11 of 11 hours met" in text.stdout
    data = json.loads(subprocess.run(args + ["--json"], capture_output=True, text=True, env=env, timeout=120,
                                     cwd=ROOT).stdout)
    acme_line = data["campaigns"][0]
    assert acme_line["id"] == ACME and acme_line["flights"][0]["hours_met"] == 11 == acme_line["flights"][0]["hours_judged"]
    assert acme_line["flights"][1]["simulated"] is None
