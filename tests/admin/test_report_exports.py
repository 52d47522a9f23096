"""Proof-of-play exports of one version and one campaign, over real HTTP (pages and API),
from a real analytics database whose plays name the version they were played from."""

from __future__ import annotations

import csv
import io
import json
import time

from adminkit import make_zip, png
from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore
from signage.playlist.loader import load_playlist

PLAYLIST = """\
name: Acme lines
defaults: {duration: 10s, transition: cut}
creatives:
  - {id: beans, type: image, source: beans.png, campaign_id: ACME-1}
  - {id: hello, type: image, source: hello.png}
loop: [hello, beans]
"""


def test_exports_per_version_and_campaign(fresh_server):
    server = fresh_server
    files = {"playlist.yaml": PLAYLIST, "beans.png": png(), "hello.png": png(colour=(9, 9, 9))}
    with server.api() as c:
        v = c.post("/api/versions", files={"file": ("a.zip", make_zip(files), "application/zip")}).json()
    digest = load_playlist(server.store.get(v["id"]).playlist).digest
    t0 = time.time() - 3600
    aud = AudienceTotals(span_s=10, samples=100, camera_on_s=10, face_s=20, watcher_s=10, measured_s=20, smile_s=5,
                         max_faces=2, passers_by=2)
    store = AnalyticsStore(server.settings.analytics.db_path)
    store.write([PlayRow("p1", "hello", None, "default loop", t0, t0 + 10, "completed", 10.0, "Acme lines", digest, aud),
                 PlayRow("p2", "beans", None, "default loop", t0 + 10, t0 + 20, "completed", 10.0, "Acme lines", digest, aud),
                 PlayRow("p3", "beans", None, "default loop", t0 + 20, t0 + 30, "completed", 10.0, "Other", "elsewhere", aud)],
                [MinuteTotals(int(t0 // 60 * 60), aud)])
    store.close()
    with server.api() as c:
        every = list(csv.DictReader(io.StringIO(c.get("/api/reports/export", params={"since": "7d"}).text)))
        assert [r["play_id"] for r in every] == ["p1", "p2", "p3"]
        mine = list(csv.DictReader(io.StringIO(c.get("/api/reports/export", params={"since": "7d", "version": v["id"]}).text)))
        assert [r["play_id"] for r in mine] == ["p1", "p2"] and mine[1]["campaign_id"] == "ACME-1"
        line = c.get("/api/reports/export", params={"since": "7d", "campaign": "ACME-1", "format": "jsonl", "per": "hour"})
        rows = [json.loads(x) for x in line.text.splitlines()]
        assert len(rows) == 1 and rows[0]["creative_id"] == "beans" and rows[0]["plays"] == 1
        assert rows[0]["smile_ratio"] is None and rows[0]["expressions_withheld"]  # fewer than 3 people
        bad = c.get("/api/reports/export", params={"version": "20990101-000000-abcdef"})
        assert bad.status_code == 404 and str(server.data) not in bad.text
        assert c.get("/api/reports/export", params={"format": "xml"}).status_code == 404
    browser = server.login()
    page = browser.get("/reports", params={"since": "7d"}).text
    assert 'action="/reports/export"' in page and 'name="campaign"' in page and 'name="version"' in page
    r = browser.get("/reports/export", params={"since": "7d", "version": v["id"], "format": "jsonl"})
    assert r.headers["content-disposition"].startswith("attachment") and len(r.text.splitlines()) == 2
