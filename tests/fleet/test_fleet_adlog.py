"""The ad log of docs/exports.md from the fleet's PostgreSQL: a kiosk's plays, sent by the real
agent through a real Mosquitto and written by the real collector, come out of ``signage fleet
export`` and the admin's /fleet/export byte for byte as the kiosk's own ``signage report
--format adlog`` writes them (the golden files of tests/analytics/data/), campaign ids and
the screen's place included. Every wait is on a condition."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from signage.analytics import adlog
from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.anonymity import EXPRESSIONS_OFF, NOT_MEASURED, WITHHELD
from signage.analytics.store import AnalyticsStore
from signage.campaigns import LiveIndex
from signage.config import load_settings
from signage.config.fleet import FleetConfig
from signage.config.fleet_central import CollectorConfig
from signage.fleet.agent import Agent
from signage.fleet.collector import Collector
from signage.fleet.facts import place_of
from signage.fleet.outbox import Outbox
from signage.health import write_atomically
from signage.playlist.loader import load_playlist
from tests.analytics.test_exports import CONFIG, DATA, DEC1, PLAYLIST, aud, history

from .engines import wait_for
from .test_fleet_admin import admin_servers, count, fleet_settings  # noqa: F401 - a fixture, and helpers

ROOT = Path(__file__).resolve().parents[2]
SCREEN, SITE = "cafe-lumiere-01", "cafe-lumiere"  # the screen's [screen] id is the fleet's screen id


@pytest.fixture
def cafe_in_the_fleet(tmp_path, broker_factory, pg_dsn):
    """The café of tests/analytics/test_exports.py as a kiosk of the fleet: its database, its
    playlist (the campaign ids), its [screen]; its agent has sent everything to PostgreSQL."""
    broker = broker_factory((SCREEN,))
    (tmp_path / "cafe.yaml").write_text(PLAYLIST, encoding="utf-8")
    (tmp_path / "signage.toml").write_text(
        CONFIG + f'\n[player]\nplaylist = "{tmp_path / "cafe.yaml"}"\n[admin]\ndata_dir = "{tmp_path / "content"}"\n',
        encoding="utf-8")
    settings = load_settings(tmp_path / "signage.toml")
    store = AnalyticsStore(tmp_path / "cafe.db")
    store.write(history(load_playlist(tmp_path / "cafe.yaml").digest),
                [MinuteTotals(DEC1 + 9 * 3600, aud(60, people=4, arrivals=4, measured=100, smiles=20))])
    store.close()
    write_atomically(tmp_path / "status.json", {"creative": "welcome", "reason": "default loop", "problems": []})
    (tmp_path / "pw").write_text(broker.password(SCREEN) + "\n")
    cfg = FleetConfig(enabled=True, broker_host=broker.host, broker_port=broker.port, tls={"mode": "plain"},
                      password_file=str(tmp_path / "pw"), site=SITE, screen=SCREEN, reconnect_max_s=2)
    collector = Collector(CollectorConfig(broker=broker.address, db=pg_dsn, batch_wait_s=0.05, reconnect_min_s=1,
                                          reconnect_max_s=2), broker.password("collector")).start()
    outbox = Outbox(tmp_path / "outbox.db", SCREEN, 10_000, campaign_of=LiveIndex(settings))
    agent = Agent(cfg, outbox=outbox, analytics_db=str(tmp_path / "cafe.db"), status_file=tmp_path / "status.json",
                  place=place_of(settings.screen))
    try:
        wait_for(lambda: collector.subscribed.is_set() and collector.db_ready.is_set(), what="the collector")
        agent.start()
        wait_for(lambda: count(pg_dsn, "SELECT count(*) FROM plays") == len(history("x"))
                 and count(pg_dsn, "SELECT count(*) FROM screens WHERE timezone <> ''") == 1,
                 what="the café's plays and its state in PostgreSQL")
        yield tmp_path, pg_dsn, broker
    finally:
        agent.stop()
        outbox.close()
        collector.stop()


def fleet_export(d: Path, dsn: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env.update(PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy")
    return subprocess.run([sys.executable, "-m", "signage.cli", "fleet", "export", "--db", dsn,
                           "--since", "2026-12-01", "--until", "2026-12-03", *args], cwd=d, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


CASES = [  # golden file (what the kiosk's own export writes), `signage fleet export` options
    ("adlog.csv", ("--tz", "Europe/Paris")),
    ("adlog.jsonl", ("--tz", "Europe/Paris", "--format", "jsonl")),
    ("adlog-hourly.csv", ("--per", "hour")),  # hours in the screen's own zone (its State said Europe/Paris)
    ("adlog-daily.jsonl", ("--per", "day", "--format", "jsonl")),
    ("adlog-daily-utc.csv", ("--per", "day", "--tz", "UTC")),
]


def test_the_fleets_ad_log_is_the_kiosks_own_byte_for_byte(cafe_in_the_fleet):
    d, dsn, _broker = cafe_in_the_fleet
    # the campaign ids travelled with the plays, resolved on the kiosk from the version played
    assert count(dsn, "SELECT count(*) FROM plays WHERE campaign_id = 'ACME-2026-12 / line 4'") == 1
    assert count(dsn, "SELECT count(*) FROM plays WHERE key = 'd1-06' AND campaign_id IS NULL") == 1  # an old version
    for name, args in CASES:
        r = fleet_export(d, dsn, *args, "--out", str(d / name))
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
        assert "rows written to" in r.stderr
        assert (d / name).read_bytes() == (DATA / name).read_bytes(), f"{name}: the fleet's differs from the kiosk's"
    r = fleet_export(d, dsn, "--tz", "Europe/Paris")  # to standard output
    assert r.returncode == 0 and r.stdout == (DATA / "adlog.csv").read_text(encoding="utf-8")
    # one campaign line, one site: the same rows, narrowed
    golden = (DATA / "adlog.csv").read_text(encoding="utf-8").splitlines()
    r = fleet_export(d, dsn, "--tz", "Europe/Paris", "--campaign", "ACME-2026-12 / line 4")
    assert r.stdout.splitlines() == [golden[0]] + [x for x in golden[1:] if ",ACME-2026-12 / line 4," in x]
    assert len(r.stdout.splitlines()) == 2
    r = fleet_export(d, dsn, "--site", SITE, "--per", "day", "--format", "jsonl")
    assert r.stdout == (DATA / "adlog-daily.jsonl").read_text(encoding="utf-8")  # its only site: all of it
    r = fleet_export(d, dsn, "--site", "another-shop")
    assert r.returncode == 0 and r.stdout.splitlines() == [golden[0]]


def test_the_admin_serves_the_same_ad_log(cafe_in_the_fleet, admin_servers):
    d, dsn, broker = cafe_in_the_fleet
    server = admin_servers(d / "admin", **fleet_settings(broker, dsn))
    c = server.login("alice")
    period = {"since": "2026-12-01T00:00+01:00", "until": "2026-12-03T00:00+01:00"}
    r = c.get("/fleet/export", params={**period, "per": "play"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="fleet-ad-log-play.csv"' in r.headers["content-disposition"]
    assert r.content == (DATA / "adlog.csv").read_bytes()
    r = c.get("/fleet/export", params={**period, "per": "day", "tz": "UTC"})
    assert r.content == (DATA / "adlog-daily-utc.csv").read_bytes()
    r = c.get("/fleet/export", params={**period, "per": "hour", "format": "jsonl"})
    assert [line.split('"start_local":')[1][:27] for line in r.text.splitlines()][0] == '"2026-12-01T09:00:00+01:00"'
    r = c.get("/fleet/export", params={**period, "per": "hour", "tz": "Mars/Olympus"})
    assert r.status_code == 422 and "Mars/Olympus" in r.text and "Traceback" not in r.text
    r = c.get("/fleet/export", params={**period, "per": "play", "campaign": "HOUSE"})
    assert [x["play_id"] for x in csv.DictReader(io.StringIO(r.text))] == ["d1-01", "d1-03", "d2-01"]  # welcome's
    page = c.get(f"/fleet/screens/{SCREEN}").text  # the screen's place, as its kiosk said it
    place = re.search(r'<dd id="place">(.*?)</dd>', page, re.S).group(1)
    assert place == "entertainment.casual_dining; 48.85660, 2.35220; hours in Europe/Paris", place
    assert "Café Lumière, window" in html.unescape(page)
    r = c.get("/fleet/export", params={**period, "per": "detail"})  # the fleet's own view of every play
    assert r.status_code == 200 and r.text.splitlines()[0].startswith("screen,site,play_id")


def test_plays_sent_without_a_campaign_take_it_from_the_versions_central_holds(cafe_in_the_fleet):
    d, dsn, _broker = cafe_in_the_fleet
    with psycopg.connect(dsn) as conn:  # as an older kiosk would have sent them: no campaign id
        conn.execute("UPDATE plays SET campaign_id = NULL")
    r = fleet_export(d, dsn, "--tz", "Europe/Paris", "--playlist", str(d / "cafe.yaml"), "--out", str(d / "x.csv"))
    assert r.returncode == 0, r.stderr
    assert (d / "x.csv").read_bytes() == (DATA / "adlog.csv").read_bytes()
    r = fleet_export(d, dsn, "--tz", "Europe/Paris", "--playlist", str(d / "missing.yaml"), "--out", str(d / "y.csv"))
    assert r.returncode == 0 and "missing.yaml" in r.stderr  # said; the ids are left empty, never guessed
    rows = (d / "y.csv").read_text().splitlines()[1:]
    assert rows and all(",,cafe," in row for row in rows)  # campaign_id empty before the playlist's name


def test_wrong_options_are_a_message_not_a_traceback(tmp_path, pg_dsn):
    for args, says in ((("--tz", "Nowhere/Else"), "--tz"), (("--until", "2026-11-01"), "until must be after"),
                       (("--since", "yesterday-ish"), "--since"), (("--out", str(tmp_path / "no" / "x.csv")), "--out")):
        r = fleet_export(tmp_path, pg_dsn, *args)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    r = fleet_export(tmp_path, "host=127.0.0.1 port=1 password=hunter2 connect_timeout=5")
    assert r.returncode == 2 and "hunter2" not in r.stderr and "Traceback" not in r.stderr
    r = fleet_export(tmp_path, pg_dsn, "--per", "hour")  # an empty fleet: the header line only
    assert r.returncode == 0 and r.stdout == ",".join(adlog.AGGREGATE_COLUMNS) + "\n"


# ---------------------------------------------------------------------------- pure: withheld plays

def _rec(key: str, start: float, *, people: int, shared: bool) -> adlog.PlayRecord:
    a = AudienceTotals(span_s=10, camera_on_s=10, face_s=10, measured_s=10, smile_s=5 if shared else 0,
                       impressions=people, arrivals=people)
    return adlog.PlayRecord(key, "promo", "p", "v", None, "completed", start, start + 10, a, expressions_shared=shared)


def test_an_hours_ratios_are_those_of_the_plays_that_carried_them():
    screen, t = adlog.Screen("s"), 1_796_112_000.0  # an hour's start (UTC)
    # two plays of two people each: the kiosk withheld both; four people in the hour, no figure
    rows = adlog.aggregate_rows(screen, [_rec("a", t, people=2, shared=False), _rec("b", t + 60, people=2,
                                                                                    shared=False)], "hour", dt.timezone.utc)
    assert rows[0]["smile_ratio"] is None and rows[0]["expressions_withheld"] == WITHHELD
    assert rows[0]["arrivals"] == 4 and rows[0]["plays"] == 2  # every other column counts them
    # one of them carried its figures (5 of 10 s): the ratio is that play's, not diluted by the other
    rows = adlog.aggregate_rows(screen, [_rec("a", t, people=2, shared=False), _rec("b", t + 60, people=3,
                                                                                    shared=True)], "hour", dt.timezone.utc)
    assert rows[0]["smile_ratio"] == 0.5 and rows[0]["expressions_withheld"] is None and rows[0]["impressions"] == 5
    # nothing measured at all: said so, not "fewer than 3"
    empty = adlog.PlayRecord("c", "promo", "p", "v", None, "completed", t, t + 10, AudienceTotals(span_s=10),
                             expressions_shared=False)
    assert adlog.aggregate_rows(screen, [empty], "hour", dt.timezone.utc)[0]["expressions_withheld"] == NOT_MEASURED


def test_the_kiosks_lookup_finds_a_version_activated_after_it_started(tmp_path):
    """LiveIndex: the first play of a version activated since is found (the playlist files
    changed: the index is built again), looked at at most once per check_s; a version not
    found is None, and an unchanged folder is not read again."""
    (tmp_path / "signage.toml").write_text(f'[admin]\ndata_dir = "{tmp_path / "content"}"\n', encoding="utf-8")
    now = [0.0]
    index = LiveIndex(load_settings(tmp_path / "signage.toml"), check_s=1.0, clock=lambda: now[0])
    folder = tmp_path / "content" / "versions" / "v7"
    folder.mkdir(parents=True)
    (folder / "playlist.yaml").write_text(PLAYLIST, encoding="utf-8")
    version = load_playlist(folder / "playlist.yaml").digest
    assert index("cafe", version, "lunch", "lunch-menu") == "ACME-2026-12 / line 4"  # first look builds it
    built = index._index
    now[0] = 5.0
    assert index("cafe", "no-such-version", None, "welcome") is None
    assert index._index is built  # nothing changed on disk: not built again
    newer = tmp_path / "content" / "versions" / "v8"
    newer.mkdir()
    (newer / "playlist.yaml").write_text(PLAYLIST.replace("line 4", "line 9"), encoding="utf-8")
    v8 = load_playlist(newer / "playlist.yaml").digest
    now[0] = 5.5
    assert index("cafe", v8, "lunch", "lunch-menu") is None  # looked at 0.5 s ago: not yet
    now[0] = 6.0
    assert index("cafe", v8, "lunch", "lunch-menu") == "ACME-2026-12 / line 9"  # its first play after 1 s
    assert index("cafe", version, None, "welcome") == "HOUSE"  # the older version is still known
    assert index("other-name", v8, "lunch", "lunch-menu") is None  # a playlist of another name: not this one


def test_a_screen_with_expressions_off_says_so_in_the_fleets_ad_log(cafe_in_the_fleet):
    """Its State said sensing.expressions; a figure missing for want of measured faces then
    reads "expressions off", as in the kiosk's own export (tests/analytics/test_exports.py)."""
    d, dsn, _broker = cafe_in_the_fleet
    assert count(dsn, "SELECT count(*) FROM screens WHERE expressions = 'on'") == 1  # the café measures them
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE screens SET expressions = 'off'")
        conn.execute("INSERT INTO plays (screen, site, key, creative_id, playlist, start_ts, end_ts, outcome, "
                     "received_at) VALUES (%s, %s, 'x-1', 'pastry', 'cafe', to_timestamp(%s), to_timestamp(%s), "
                     "'completed', now())", (SCREEN, SITE, DEC1 + 20 * 3600, DEC1 + 20 * 3600 + 10))
    r = fleet_export(d, dsn, "--per", "hour", "--format", "jsonl")
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    late = [x for x in rows if x["start_local"] == "2026-12-01T20:00:00+01:00"]
    assert len(late) == 1 and late[0]["expressions_withheld"] == EXPRESSIONS_OFF and late[0]["smile_ratio"] is None
    assert all(x["expressions_withheld"] != NOT_MEASURED for x in rows)
    shown = [x for x in rows if x["smile_ratio"] is not None]
    assert shown  # the hours that were measured keep their figures
