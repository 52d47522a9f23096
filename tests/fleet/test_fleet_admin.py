"""The admin service's fleet view on real engines: the real collector writes a real PostgreSQL
from a real Mosquitto, kiosks are paho clients publishing as the agent does, and the admin
service runs as a real uvicorn server (tests/admin/adminkit.py). Every wait is on a condition."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import threading
import time

import psycopg
import pytest

from signage.admin.auth import Credentials
from signage.analytics import adlog
from signage.config import Settings
from signage.config.fleet_central import CollectorConfig
from signage.content_store import ContentStore
from signage.fleet import messages as m
from signage.fleet import queries
from signage.fleet.collector import Collector
from tests.admin.adminkit import LIMITS, PASSWORD, _serve, csrf_of, playlist_yaml, png

from .conftest import SITE
from .engines import free_port, mqtt_client, wait_for

SITE2 = "shop-2"


def settings_for(tmp, **fleet) -> Settings:
    return Settings(admin={"data_dir": str(tmp / "content"), "credentials_file": str(tmp / "creds" / "credentials.json"),
                           "secret_key_file": str(tmp / "creds" / "session.key"), "status_file": str(tmp / "status.json"),
                           **LIMITS},
                    analytics={"db_path": str(tmp / "analytics.db")}, fleet_admin=fleet)


def serve(tmp, **fleet):
    settings = settings_for(tmp, **fleet)
    creds = Credentials(settings.admin.credentials_file)
    creds.add_user("alice", PASSWORD, role="operator")
    creds.add_user("carol", PASSWORD, role="advertiser")
    return _serve(settings, creds.create_token("ci"))


@pytest.fixture
def admin_servers():
    made = []

    def make(tmp, **fleet):
        s = serve(tmp, **fleet)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


@pytest.fixture
def collector(broker, pg_dsn):
    cfg = CollectorConfig(broker=broker.address, db=pg_dsn, batch_wait_s=0.05, reconnect_min_s=1, reconnect_max_s=2)
    c = Collector(cfg, broker.password("collector")).start()
    wait_for(lambda: c.subscribed.is_set() and c.db_ready.is_set(), what="the collector's subscription and schema")
    yield c
    c.stop()


def publish(client, topic: str, msg: m._Msg, retain: bool = False) -> None:
    client.publish(topic, m.encode(msg), qos=1, retain=retain).wait_for_publish(60)


def count(dsn: str, sql: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchone()[0]


def row_of(html: str, screen: str) -> str:
    found = re.search(rf'<tr id="screen-{screen}".*?</tr>', html, re.S)
    assert found, f"no row of {screen} in the page"
    return found.group(0)


@pytest.fixture
def fleet(broker, pg_dsn, collector):
    """Three kiosks joined through the collector: kiosk-1 and kiosk-2 online at shop-1 (kiosk-2
    with a health problem), kiosk-3 offline at shop-2 (its last will)."""
    now = time.time()
    kiosks = {s: mqtt_client(broker, s, s) for s in ("kiosk-1", "kiosk-2", "kiosk-3")}
    sites = {"kiosk-1": SITE, "kiosk-2": SITE, "kiosk-3": SITE2}
    shows = {"kiosk-1": ("promo-spring", "rule watchers>=2 fired"), "kiosk-2": ("house-loop", "default loop"),
             "kiosk-3": ("promo-spring", "default loop")}
    for s, c in kiosks.items():
        creative, reason = shows[s]
        publish(c, m.topic(sites[s], s, "state"), m.State(screen=s, site=sites[s], online=s != "kiosk-3", ts=now,
                                                          content_version="v1", creative=creative, reason=reason,
                                                          player="1.0"), retain=True)
        publish(c, m.topic(sites[s], s, "health"), m.Health(screen=s, ts=now, healthy=s != "kiosk-2",
                                                            problems=["camera: stale"] if s == "kiosk-2" else [],
                                                            camera="stale" if s == "kiosk-2" else "on"))
    minute_ts = int(now // 60 * 60) - 60
    big = m.Audience(samples=60, camera_on_s=60, face_s=90, watcher_s=40, measured_s=50, smile_s=10, max_faces=4,
                     passers_by=6, impressions=5, viewers=3, arrivals=5)
    small = m.Audience(samples=60, camera_on_s=60, face_s=20, watcher_s=8, measured_s=10, smile_s=4, max_faces=1,
                       passers_by=1, impressions=1, viewers=1, arrivals=1)  # one person: no expression figure
    for s, a in (("kiosk-1", big), ("kiosk-2", small)):
        publish(kiosks[s], m.topic(SITE, s, "minute"), m.Minute(key=f"{s}:{minute_ts}", screen=s, minute_ts=minute_ts,
                                                                span_s=60, audience=a))
        for i in range(3):
            publish(kiosks[s], m.topic(SITE, s, "play"),
                    m.Play(key=f"{s}-p{i}", screen=s, creative_id="promo-spring" if i < 2 else "house-loop",
                           start_ts=now - 300 + 20 * i, end_ts=now - 290 + 20 * i, outcome="completed", audience=big))
    wait_for(lambda: count(pg_dsn, "SELECT count(*) FROM screens WHERE health_ts IS NOT NULL") == 3
             and count(pg_dsn, "SELECT count(*) FROM audience_minutes") == 2
             and count(pg_dsn, "SELECT count(*) FROM plays") == 6
             and count(pg_dsn, "SELECT count(*) FROM screens WHERE screen = 'kiosk-3' AND NOT online") == 1,
             what="three screens, their health, minutes and plays in PostgreSQL")
    yield kiosks
    for c in kiosks.values():
        c.disconnect()
        c.loop_stop()


def watch_commands(broker):
    """A client reading every command on the broker (as the collector user), subscribed when
    returned; the (topic, payload) it received, in order."""
    got: list[tuple[str, bytes]] = []
    sub = mqtt_client(broker, "collector", f"watch-cmd-{time.monotonic_ns()}")
    sub.on_message = lambda client, ud, msg: got.append((msg.topic, msg.payload))
    subscribed = threading.Event()
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.subscribe("signage/v1/+/+/cmd", qos=1)
    assert subscribed.wait(60), "no SUBACK from the broker"
    return sub, got


def make_version(store: ContentStore, name: str = "Spring") -> str:
    work = store.new_workdir("bundle")
    (work / "playlist.yaml").write_text(playlist_yaml(name, ["spring-a"]))
    (work / "spring-a.png").write_bytes(png(text="spring"))
    return store.create_version_from_bundle(work, {"uploaded_by": "alice", "playlist_name": name}).id


def fleet_settings(broker, pg_dsn) -> dict:
    pw = broker.dir / "central.pw"
    pw.write_text(broker.password("central") + "\n")
    return {"db": pg_dsn, "broker": broker.address, "username": "central", "password_file": str(pw),
            "content_base_url": "http://127.0.0.1:9/fleet/content"}


def test_the_fleet_page_lists_screens_by_site_with_presence_health_creative_and_audience(
        tmp_path, broker, pg_dsn, fleet, admin_servers):
    # "offline?" after 3 x 600 s of silence: a slow machine never makes a screen look stale here
    server = admin_servers(tmp_path, **fleet_settings(broker, pg_dsn), health_interval_s=600)
    c = server.login("alice")
    r = c.get("/fleet")
    assert r.status_code == 200, r.text
    html = r.text
    assert html.count('<tr id="screen-') == 3  # no tags yet: each screen once, under its site
    one, two, three = (row_of(html, s) for s in ("kiosk-1", "kiosk-2", "kiosk-3"))
    assert 'data-presence="online"' in one and 'data-presence="online"' in two
    assert 'data-presence="offline"' in three
    assert "promo-spring — rule watchers&gt;=2 fired" in one and "house-loop — default loop" in two
    assert "healthy" in one and "camera: stale" in two
    assert re.search(r"\d+ (s|min) ago|just now", one)
    assert "4 faces" in one and "smiles 20 %" in one  # 10 of 50 measured face-seconds
    assert "1 faces" in two and "expressions withheld" in two  # one person: withheld
    site1 = html.split('id="site-shop-1"')[1].split("</section>")[0]
    assert "kiosk-1" in site1 and "kiosk-2" in site1 and "kiosk-3" not in site1
    # the fleet-wide report, per creative and per site, from the plays in PostgreSQL
    creative = re.search(r'<tr data-key="promo-spring">(.*?)</tr>', html.split('id="report-creative"')[1], re.S)
    assert creative and "<td>4</td>" in creative.group(1)  # 2 plays on each of two screens
    site = re.search(r'<tr data-key="shop-1">(.*?)</tr>', html.split('id="report-site"')[1], re.S)
    assert site and "<td>6</td>" in site.group(1)
    # silent for longer than three health intervals: "offline?" (an injected clock, 3 hours on)
    heard = count(pg_dsn, "SELECT extract(epoch FROM max(last_seen)) FROM screens")
    server._server.config.app.state.fleet_clock = lambda: float(heard) + 3 * 3600 + 30
    html = c.get("/fleet").text
    assert 'data-presence="offline?"' in row_of(html, "kiosk-1") and "3 h ago" in row_of(html, "kiosk-1")
    assert 'data-presence="offline"' in row_of(html, "kiosk-3")
    page = c.get("/fleet/screens/kiosk-2")
    assert page.status_code == 200 and "camera: stale" in page.text and "house-loop" in page.text
    assert c.get("/fleet/screens/nope").status_code == 404


def test_an_advertiser_can_neither_see_the_fleet_nor_start_a_rollout(tmp_path, broker, pg_dsn, fleet, admin_servers):
    server = admin_servers(tmp_path, **fleet_settings(broker, pg_dsn))
    vid = make_version(server.store)
    c = server.login("carol")
    for path in ("/fleet", "/fleet/screens/kiosk-1", "/fleet/rollouts/1"):
        r = c.get(path)
        assert r.status_code == 403 and "Only an operator" in r.text, path
        assert "kiosk-1" not in r.text
    sub, got = watch_commands(broker)
    csrf = csrf_of(c.get("/").text)
    r = c.post("/fleet/rollouts", data={"version": vid, "group": "all", "csrf": csrf})
    assert r.status_code == 403 and "Only an operator" in r.text
    r = c.post("/fleet/screens/kiosk-1/tags", data={"tags": "mine", "csrf": csrf})
    assert r.status_code == 403
    assert count(pg_dsn, "SELECT count(*) FROM rollouts") == 0
    assert count(pg_dsn, "SELECT count(*) FROM screen_tags") == 0
    # an operator's form without its CSRF token is refused too
    alice = server.login("alice")
    assert alice.post("/fleet/rollouts", data={"version": vid, "group": "all", "csrf": "0" * 32}).status_code == 403
    # the operator's rollout is seen by the same subscriber: none came before it
    alice.post("/fleet/rollouts", data={"version": vid, "group": "site:shop-2", "csrf": csrf_of(alice.get("/fleet").text)})
    wait_for(lambda: got, what="the operator's command")
    assert [t for t, _ in got] == ["signage/v1/shop-2/kiosk-3/cmd"]
    sub.disconnect()
    sub.loop_stop()


def test_a_rollout_to_a_tag_sends_one_command_per_screen_and_reports_who_has_it_and_who_failed(
        tmp_path, broker, pg_dsn, fleet, admin_servers):
    server = admin_servers(tmp_path, **fleet_settings(broker, pg_dsn))
    vid = make_version(server.store)
    c = server.login("alice")
    for screen, tags in (("kiosk-1", "front, Window"), ("kiosk-2", "front")):
        page = c.get(f"/fleet/screens/{screen}")
        r = c.post(f"/fleet/screens/{screen}/tags", data={"tags": tags, "csrf": csrf_of(page.text)})
        assert r.status_code == 303
    bad = c.post("/fleet/screens/kiosk-1/tags", data={"tags": "no/slash", "csrf": csrf_of(c.get("/fleet").text)})
    assert bad.status_code == 422 and "tag 'no/slash'" in html.unescape(bad.text)
    page = c.get("/fleet").text
    front = page.split('id="tag-front"')[1].split("</section>")[0]
    assert "kiosk-1" in front and "kiosk-2" in front and "kiosk-3" not in front
    assert 'id="tag-window"' in page

    sub, got = watch_commands(broker)

    r = c.post("/fleet/rollouts", data={"version": vid, "group": "tag:front", "csrf": csrf_of(page)})
    assert r.status_code == 303, r.text
    report_url = r.headers["location"]
    wait_for(lambda: len(got) >= 2, what="two commands on the broker")
    cmds = {t: m.parse("cmd", p) for t, p in list(got)}
    assert set(cmds) == {"signage/v1/shop-1/kiosk-1/cmd", "signage/v1/shop-1/kiosk-2/cmd"}
    stored = server.store.get(vid)
    for topic_name, cmd in cmds.items():
        assert cmd.action == "activate" and cmd.manifest.version == vid and cmd.manifest.playlist == "playlist.yaml"
        assert cmd.base_url == "http://127.0.0.1:9/fleet/content"
        files = {f.path: f for f in cmd.manifest.files}
        assert set(files) == {"playlist.yaml", "spring-a.png"}  # not the store's .signage/ folder
        data = (stored.path / "spring-a.png").read_bytes()
        assert files["spring-a.png"].sha256 == hashlib.sha256(data).hexdigest()
        assert files["spring-a.png"].size == len(data)
    ids = {t.split("/")[3]: cmd.id for t, cmd in cmds.items()}
    assert len(set(ids.values())) == 2

    page = c.get(report_url).text
    assert page.count('data-state="pending"') == 2 and "kiosk-3" not in page

    # the kiosks fetch the files by hash from the admin service (the manifest's, nothing else)
    sha = files["spring-a.png"].sha256
    got_file = server.client().get(f"/fleet/content/{sha}")
    assert got_file.status_code == 200 and hashlib.sha256(got_file.content).hexdigest() == sha
    assert server.client().get(f"/fleet/content/{'0' * 64}").status_code == 404

    now = time.time()
    publish(fleet["kiosk-1"], m.topic(SITE, "kiosk-1", "ack"),
            m.Ack(id=ids["kiosk-1"], screen="kiosk-1", ts=now, ok=True, result=f"activated {vid}: 2 files, 2 downloaded"))
    publish(fleet["kiosk-2"], m.topic(SITE, "kiosk-2", "ack"),
            m.Ack(id=ids["kiosk-2"], screen="kiosk-2", ts=now, ok=False,
                  result="not activated, the active version stays: spring-a.png: sha256 0123... is not the manifest's"))

    def report_done():
        text = c.get(report_url).text
        return text if 'data-state="pending"' not in text else None

    page = wait_for(report_done, what="both answers in the rollout report")
    ok = re.search(r'<tr data-screen="kiosk-1" data-state="(\w+)".*?</tr>', page, re.S)
    failed = re.search(r'<tr data-screen="kiosk-2" data-state="(\w+)".*?</tr>', page, re.S)
    assert ok.group(1) == "ok" and f"activated {vid}" in ok.group(0)
    assert failed.group(1) == "failed" and "the active version stays: spring-a.png: sha256" in failed.group(0)
    assert "1 have it, 1 failed, 0 not answered yet" in page
    fleet_page = c.get("/fleet").text
    assert re.search(rf'<a href="{report_url}">\d+</a></td><td>{vid}</td><td>tag:front</td>', fleet_page)
    sub.disconnect()
    sub.loop_stop()


def test_a_rollout_to_an_empty_group_or_with_the_broker_away_sends_nothing(tmp_path, broker, pg_dsn, fleet,
                                                                          admin_servers):
    settings = fleet_settings(broker, pg_dsn)
    server = admin_servers(tmp_path, **{**settings, "broker": f"127.0.0.1:{free_port()}"})
    vid = make_version(server.store)
    c = server.login("alice")
    csrf = csrf_of(c.get("/fleet").text)
    r = c.post("/fleet/rollouts", data={"version": vid, "group": "tag:none", "csrf": csrf})
    assert r.status_code == 422 and "no screens in group 'tag:none'" in html.unescape(r.text)
    r = c.post("/fleet/rollouts", data={"version": vid, "group": "all", "csrf": csrf})
    assert r.status_code == 422 and "cannot be reached" in r.text and "nothing was sent" in r.text
    r = c.post("/fleet/rollouts", data={"version": "nope", "group": "all", "csrf": csrf})
    assert r.status_code == 422 and "is not a version id" in r.text
    assert count(pg_dsn, "SELECT count(*) FROM rollouts") == 0


def test_unconfigured_and_database_down_are_pages_that_say_so(tmp_path, admin_servers):
    off = admin_servers(tmp_path / "off")
    r = off.login("alice").get("/fleet")
    assert r.status_code == 200 and "not configured" in r.text and "[fleet_admin]" in r.text
    down = admin_servers(tmp_path / "down", db=f"host=127.0.0.1 port={free_port()} dbname=signage password=s3cret")
    c = down.login("alice")
    for path in ("/fleet", "/fleet/screens/kiosk-1", "/fleet/rollouts/1"):
        r = c.get(path)
        assert r.status_code == 503, path
        assert "host=127.0.0.1 port=" in html.unescape(r.text) and "The fleet database (" in r.text and "cannot be reached" in html.unescape(r.text)
        assert "Traceback" not in r.text and "s3cret" not in r.text


def test_pure_rules():
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert queries.presence(True, now - dt.timedelta(seconds=29), now, 30) == "online"
    assert queries.presence(True, now - dt.timedelta(seconds=31), now, 30) == "offline?"
    assert queries.presence(False, now, now, 30) == "offline"
    assert queries.ago(now - dt.timedelta(seconds=12), now) == "12 s ago"
    assert queries.ago(now - dt.timedelta(minutes=5), now) == "5 min ago"
    assert queries.ago(now - dt.timedelta(hours=3), now) == "3 h ago"
    assert queries.ago(None, now) == "never"
    assert queries.parse_tags("Front, window  front") == ["front", "window"]
    assert queries.parse_group("site:shop-1") == ("site", "shop-1") and queries.parse_group("all") == ("all", "")
    with pytest.raises(queries.QueryError, match="'all', 'site:<site id>' or 'tag:<tag>'"):
        queries.parse_group("shop-1")
    assert queries.parse_period("24h", "", now) == (now - dt.timedelta(hours=24), now)
    with pytest.raises(queries.QueryError, match="since 'last week'"):
        queries.parse_period("last week", "", now)
    two = {"arrivals": 2, "impressions": 2, "measured_s": 10.0, "smile_s": 3.0}
    assert queries.shown_audience(two)["smile_s"] is None  # fewer than 3 people: withheld
    three = {**two, "arrivals": 3}
    assert queries.shown_audience(three)["smile_share"] == pytest.approx(0.3)


def test_the_database_stopping_under_the_fleet_view_is_a_page_saying_so(tmp_path, admin_servers):
    from .engines import Postgres

    pg = Postgres().start()  # a server of its own, to stop
    try:
        dsn = pg.create_database()
        server = admin_servers(tmp_path, db=dsn)
        c = server.login("alice")
        r = c.get("/fleet")
        assert r.status_code == 200 and 'id="no-screens"' in r.text  # migrated, empty
        pg.stop()
        r = c.get("/fleet")
        assert r.status_code == 503 and "cannot be reached" in r.text and "Traceback" not in r.text
        pg.start()
        assert c.get("/fleet").status_code == 200  # back: the page with it
    finally:
        pg.close()


def test_the_fleet_admin_settings_are_strict_with_key_paths(tmp_path):
    from signage.config import ConfigError, load_settings

    def toml(text: str):
        f = tmp_path / "signage.toml"
        f.write_text("[fleet_admin]\ndb = 'dbname=signage'\n" + text)
        return f

    bad = toml("brokr = 'x:1'\ncontent_base_url = 'ftp://x'\n")
    with pytest.raises(ConfigError, match=r"line 4: fleet_admin\.content_base_url: (.|\n)*line 3: fleet_admin\.brokr: unknown key"):
        load_settings(bad)
    cfg = load_settings(toml("broker = 'central:1884'\n")).fleet_admin
    assert cfg.enabled and cfg.broker == "central:1884" and cfg.stale_s == 30.0
    assert not load_settings().fleet_admin.enabled  # off by default


def test_the_fleets_proof_of_play_downloads_from_postgresql(tmp_path, broker, pg_dsn, fleet, admin_servers):
    import csv
    import io
    import json

    server = admin_servers(tmp_path, **fleet_settings(broker, pg_dsn))
    c = server.login("alice")
    r = c.get("/fleet/export", params={"since": "1d", "per": "play"})  # the ad log (tests/fleet/test_fleet_adlog.py)
    assert r.status_code == 200 and r.text.splitlines()[0] == ",".join(adlog.PLAY_COLUMNS)
    assert sorted(x["screen_id"] for x in csv.DictReader(io.StringIO(r.text))) == ["kiosk-1"] * 3 + ["kiosk-2"] * 3
    r = c.get("/fleet/export", params={"since": "1d", "per": "detail"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 6 and {x["screen"] for x in rows} == {"kiosk-1", "kiosk-2"}
    assert sorted(x["play_id"] for x in rows if x["screen"] == "kiosk-1") == ["kiosk-1-p0", "kiosk-1-p1", "kiosk-1-p2"]
    assert all(x["duration_s"] == "10.0" and x["outcome"] == "completed" and x["end_utc"].endswith("Z") for x in rows)
    r = c.get("/fleet/export", params={"since": "1d", "per": "creative", "format": "jsonl"})
    per = {d["creative"]: d for d in map(json.loads, r.text.splitlines())}
    assert per["promo-spring"]["plays"] == 4 and per["house-loop"]["plays"] == 2
    assert per["house-loop"]["screens"] == 2 and per["promo-spring"]["seconds"] == pytest.approx(40.0)
    assert c.get("/fleet/export", params={"per": "week"}).status_code == 422
    assert c.get("/fleet/export", params={"since": "1d", "until": "2d"}).status_code == 422
    carol = server.login("carol")
    assert carol.get("/fleet/export", params={"since": "1d"}).status_code == 403


def test_an_operator_rolls_out_through_the_page_in_chromium(tmp_path, broker, pg_dsn, fleet, admin_servers):
    """The form as a person uses it, in a real headless Chromium (Debian's chromium and
    chromium-driver: scripts/bootstrap --browser)."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    exe, driver_exe = shutil.which("chromium"), shutil.which("chromedriver")
    assert exe and driver_exe, "chromium and chromium-driver: run scripts/bootstrap --browser"
    server = admin_servers(tmp_path, **fleet_settings(broker, pg_dsn))
    vid = make_version(server.store)
    sub, got = watch_commands(broker)
    opts = webdriver.ChromeOptions()
    opts.binary_location = exe
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(arg)
    web = webdriver.Chrome(service=Service(driver_exe), options=opts)
    try:
        wait = WebDriverWait(web, 60)
        web.get(server.url + "/login")
        web.find_element(By.ID, "username").send_keys("alice")
        web.find_element(By.ID, "password").send_keys(PASSWORD)
        web.find_element(By.ID, "login").click()
        wait.until(lambda d: "/login" not in d.current_url)
        web.get(server.url + "/fleet")
        badges = {e.find_element(By.XPATH, "ancestor::tr").get_attribute("data-screen"): e.text
                  for e in web.find_elements(By.CSS_SELECTOR, "#site-shop-1 .presence, #site-shop-2 .presence")}
        assert badges == {"kiosk-1": "online", "kiosk-2": "online", "kiosk-3": "offline"}
        form = web.find_element(By.ID, "rollout-form")
        Select(form.find_element(By.NAME, "version")).select_by_value(vid)
        Select(form.find_element(By.NAME, "group")).select_by_value("site:shop-1")
        form.find_element(By.TAG_NAME, "button").click()
        wait.until(lambda d: "/fleet/rollouts/" in d.current_url)
        states = {e.get_attribute("data-screen"): e.get_attribute("data-state")
                  for e in web.find_elements(By.CSS_SELECTOR, "#targets tr[data-screen]")}
        assert states == {"kiosk-1": "pending", "kiosk-2": "pending"}
        wait_for(lambda: len(got) == 2, what="a command to each screen of shop-1")
    finally:
        web.quit()
        sub.disconnect()
        sub.loop_stop()


def test_a_manifest_lists_a_versions_files_and_a_command_too_large_is_refused(tmp_path):
    from signage.content_store import Version
    from signage.fleet import rollout

    root = tmp_path / "v"
    (root / ".signage").mkdir(parents=True)
    (root / ".signage" / "version.json").write_text("{}")
    (root / "playlist.yaml").write_text("name: x\n")
    (root / "img").mkdir()
    for i in range(150):
        (root / "img" / f"slide-{i:03}.png").write_bytes(bytes([i]))
    man = rollout.manifest_for(Version("20261203-000000-abcdef", root, {}))
    assert len(man.files) == 151 and man.playlist == "playlist.yaml"
    assert "img/slide-007.png" in {f.path for f in man.files} and not any(".signage" in f.path for f in man.files)
    assert {f.sha256 for f in man.files if f.path == "img/slide-001.png"} == {hashlib.sha256(b"\x01").hexdigest()}
    with pytest.raises(rollout.RolloutError, match="too large"):
        rollout.command("r1-kiosk-1", man, "http://x/fleet/content", 0.0)
    small = man.model_copy(update={"files": man.files[:20]})
    assert m.parse("cmd", rollout.command("r1-kiosk-1", small, "", 0.0)).base_url is None
    assert rollout.target_state("sent", None) == "pending" and rollout.target_state("not published", None) == "failed"
    assert rollout.target_state("sent", True) == "ok" and rollout.target_state("sent", False) == "failed"
