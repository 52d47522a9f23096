"""The fleet as a new operator sets it up on one machine (issue 16's acceptance, docs/fleet.md):
a real Mosquitto and PostgreSQL, the collector, the admin service with its fleet view, and three
real `signage run` kiosks (one sensing the sample clip). They join and appear in the fleet view,
a version rolled out to their site reaches each of them by hash and plays within seconds, and
their proof of play is in the fleet's report from PostgreSQL."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import psycopg

from signage.config.fleet_central import CollectorConfig
from signage.fleet.collector import Collector
from tests.admin.adminkit import csrf_of, playlist_yaml, png

from .conftest import SCREENS, SITE
from .engines import wait_for
from .test_fleet_admin import admin_servers, fleet_settings  # noqa: F401 (a fixture)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the e2e helpers
from test_run_e2e import KIOSK_ENV, Running  # noqa: E402

CLIP = Path(__file__).resolve().parents[1] / "data" / "white_house_hamilton_clip.mp4"


def _kiosk(tmp: Path, broker, screen: str, camera: str) -> Running:
    home = tmp / screen
    home.mkdir()
    pw = home / "password"
    pw.write_text(broker.password(screen) + "\n")
    env = {**KIOSK_ENV, "SIGNAGE_FLEET__ENABLED": "true", "SIGNAGE_FLEET__BROKER_HOST": broker.host,
           "SIGNAGE_FLEET__BROKER_PORT": str(broker.port), "SIGNAGE_FLEET__TLS__MODE": "plain",
           "SIGNAGE_FLEET__PASSWORD_FILE": str(pw), "SIGNAGE_FLEET__SITE": SITE, "SIGNAGE_FLEET__SCREEN": screen,
           "SIGNAGE_FLEET__HEALTH_S": "1", "SIGNAGE_ADMIN__DATA_DIR": str(home / "content"),
           "SIGNAGE_HEALTH__STATUS_FILE": str(home / "status.json")}
    return Running("--camera", camera, "--db", home / "analytics.db", env_extra=env)


def test_three_kiosks_join_take_a_rollout_and_report_their_plays(tmp_path, broker, pg_dsn, admin_servers):  # noqa: F811
    collector = Collector(CollectorConfig(broker=broker.address, db=pg_dsn, batch_wait_s=0.05, reconnect_min_s=1,
                                          reconnect_max_s=2), broker.password("collector")).start()
    server = admin_servers(tmp_path / "central", **fleet_settings(broker, pg_dsn))
    # the kiosks fetch the version's files by hash from the admin service itself
    server.settings.fleet_admin = server.settings.fleet_admin.model_copy(
        update={"content_base_url": f"{server.url}/fleet/content"})
    kiosks = {s: _kiosk(tmp_path, broker, s, str(CLIP) if s == "kiosk-1" else "off") for s in SCREENS}
    try:
        wait_for(lambda: collector.subscribed.is_set() and collector.db_ready.is_set(), what="the collector")
        for k in kiosks.values():
            k.said("fleet: connected to")
        c = server.login("alice")

        def listed():
            page = c.get("/fleet").text
            rows = {s: re.search(rf'<tr[^>]*data-screen="{s}"[^>]*>.*?</tr>', page, re.S) for s in SCREENS}
            return page if all(r and "online" in r.group(0) for r in rows.values()) else None

        page = wait_for(listed, what="the three kiosks online in the fleet view", timeout=120)
        work = server.store.new_workdir("bundle")  # a version whose creative bills to a campaign line
        (work / "playlist.yaml").write_text(playlist_yaml("Spring", ["spring-a"]).replace(
            "source: spring-a.png}", "source: spring-a.png, campaign_id: 'SPRING / line 1'}"))
        (work / "spring-a.png").write_bytes(png(text="spring"))
        vid = server.store.create_version_from_bundle(work, {"uploaded_by": "alice", "playlist_name": "Spring"}).id
        r = c.post("/fleet/rollouts", data={"version": vid, "group": f"site:{SITE}", "csrf": csrf_of(page)})
        assert r.status_code == 303, r.text
        report_url = r.headers["location"]
        for k in kiosks.values():
            k.said("playlist 'Spring'", timeout=120)  # fetched by hash, validated, activated, playing
        report = wait_for(lambda: (t := c.get(report_url).text) and "3 have it, 0 failed" in t and t,
                          what="the rollout report", timeout=120)
        assert report.count('data-state="ok"') == 3

        def plays_in_postgres():
            with psycopg.connect(pg_dsn) as conn:
                rows = conn.execute("SELECT screen, count(*) FROM plays WHERE creative_id = 'spring-a' "
                                    "GROUP BY screen").fetchall()
            return dict(rows) if len(rows) == 3 else None

        wait_for(plays_in_postgres, what="each kiosk's plays of the new version in PostgreSQL", timeout=180)
        fleet_page = c.get("/fleet").text
        assert "spring-a" in fleet_page  # the fleet report per creative, from PostgreSQL
        # every play of it, the first included, carries its campaign id, resolved on the kiosk
        with psycopg.connect(pg_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM plays WHERE creative_id = 'spring-a' AND campaign_id IS "
                                "DISTINCT FROM 'SPRING / line 1'").fetchone()[0] == 0
        log = c.get("/fleet/export", params={"since": "1d", "per": "play"}).text
        assert log.count(",spring-a,SPRING / line 1,Spring,") >= 3  # the ad log, as buyers ingest it
    finally:
        results = {s: k.stop() for s, k in kiosks.items()}
        collector.stop()
    for s, (rc, log) in results.items():
        assert rc == 0, f"{s}:\n{log[-3000:]}"
        assert "Traceback" not in log, s
