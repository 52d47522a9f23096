"""The JSON API and the pages doing their job, over real HTTP: upload, validation and
simulation, activation and rollback, drafts of single creatives, status, reports, OpenAPI;
and the real player's watcher picking up an activation within seconds."""

from __future__ import annotations

import json
import time

from adminkit import ROOT, csrf_of, good_bundle, make_zip, playlist_yaml, png, snapshot, wait_simulated
from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore
from signage.playlist.active import ActivePlaylist
from signage.playlist.watch import PlaylistWatcher

SCENARIO = """\
name: door opens
start: 2026-12-09T09:00
duration: 30m
timeline:
  - {at: 0s, faces: 0}
  - {at: 10m, faces: 3, watchers: 2, smile_ratio: 0.8}
"""


def test_upload_validates_and_simulates_then_activate_and_rollback(server):
    extra = ("rules:\n  - {id: smiles, when: {smile_ratio: '>= 0.5'}, play: acme-offer, priority: 5, cooldown: 1m}\n"
             "  - {id: crowd, when: {faces: '>= 50'}, play: acme-hello}\n")
    files = {"playlist.yaml": playlist_yaml("Acme", ["acme-hello", "acme-offer"], extra=extra),
             "acme-hello.png": png(text="hello"), "acme-offer.png": png(text="offer"), "scenarios/door.yaml": SCENARIO}
    with server.api() as c:
        before = c.get("/api/versions").json()
        r = c.post("/api/versions", files={"file": ("acme.zip", make_zip(files), "application/zip")})
        assert r.status_code == 201, r.text
        v = r.json()
        assert v["uploaded_by"] == "token:ci" and v["playlist_name"] == "Acme" and not v["active"]
        assert "valid — 'Acme'" in v["validation"]["summary"] and len(v["digest"]) == 64
        assert any("will look soft" in w["message"] and w["line"] == 4 for w in v["validation"]["warnings"])
        assert v["simulation_state"]["state"] in ("queued", "running", "done")  # simulated after the upload
        wait_simulated(c, v["id"])
        sims = {s["scenario"]: s for s in c.get("/api/versions").json()["versions"][0]["simulation"]}
        assert {"example: lunch-rush.yaml", "example: smiling-group.yaml", "bundle: scenarios/door.yaml"} <= set(sims)
        door = sims["bundle: scenarios/door.yaml"]
        assert door["never_fired"] == ["crowd"] and door["share"]["acme-offer"] > 0
        full = c.get(f"/api/versions/{v['id']}").json()
        report = next(s for s in full["simulations"] if s["scenario"] == "bundle: scenarios/door.yaml")["report"]
        assert report["timeline"][0]["creative"] == "acme-hello" and report["start"] == "2026-12-09T09:00:00+00:00"  # JSON times carry their offset (UTC: no timezone)
        assert any(e["rule"] == "smiles" for e in report["timeline"])
        assert len(c.get("/api/versions").json()["versions"]) == len(before["versions"]) + 1
        # activate, then roll back to what was active before
        old = server.store.active_id()
        r = c.post(f"/api/versions/{v['id']}/activate")
        assert {k: r.json()[k] for k in ("active", "previous")} == {"active": v["id"], "previous": old}
        assert "but the player will not show it" in r.json()["player"]  # no player runs here: said, not hidden
        assert c.get("/api/status").json()["active"] == v["id"]
        if old:
            assert c.post("/api/rollback").json()["active"] == old
            assert c.post(f"/api/versions/{v['id']}/activate").status_code == 200
        assert c.post("/api/versions/20990101-000000-abcdef/activate").status_code == 404


def test_the_player_picks_up_an_activation_at_its_next_look(server):
    with server.api() as c:
        first = c.post("/api/versions", files={"file": ("a.zip", good_bundle("First", ("first-a",)), "application/zip")}).json()
        c.post(f"/api/versions/{first['id']}/activate")
        active = ActivePlaylist()
        path = server.data / "active" / "playlist.yaml"  # what the player's player.playlist is
        assert active.try_replace(path.resolve()).ok
        watcher = PlaylistWatcher(path, active, interval_s=0.2)
        assert watcher.check() is None  # its first look: what plays already
        second = c.post("/api/versions", files={"file": ("b.zip", good_bundle("Second", ("second-a",)), "application/zip")}).json()
        assert watcher.check() is None  # uploaded, not yet active
        assert c.post(f"/api/versions/{second['id']}/activate").status_code == 200
        assert watcher.check().playlist.name == "Second"  # the next look takes it
        assert active.current.path.parent.name == second["id"]
        third = c.post("/api/versions", files={"file": ("c.zip", good_bundle("Third", ("third-a",)), "application/zip")}).json()
        watcher.start()  # and its own thread, every interval_s, does the looking
        try:
            assert c.post(f"/api/versions/{third['id']}/activate").status_code == 200
            t_end = time.monotonic() + 60  # generous: only a watcher that never looks reaches it
            while active.current.playlist.name != "Third":
                assert time.monotonic() < t_end, "the watcher's thread did not pick up the activation"
                time.sleep(0.05)
            assert active.current.path.parent.name == third["id"]
            assert [c_.id for c_ in active.current.playlist.creatives] == ["third-a"]
        finally:
            watcher.stop()


def test_drafts_single_creatives(server):
    with server.api() as c:
        d = c.post("/api/drafts").json()
        did = d["id"]
        assert d["files"] == []
        before = snapshot(server.data)
        # a disguised file is refused, the draft unchanged
        r = c.post(f"/api/drafts/{did}/files/logo.png", files={"file": ("logo.png", b"<svg>not a png</svg>")})
        assert r.status_code == 422 and "named like an image" in r.json()["problems"][0]["message"]
        r = c.post(f"/api/drafts/{did}/files/..%2Fescape.png", files={"file": ("x", png())})
        assert r.status_code in (404, 422)
        assert c.get(f"/api/drafts/{did}").json()["files"] == []
        # the playlist first: it validates with the missing creative named
        text = playlist_yaml("Drafted", ["solo"])
        assert c.post(f"/api/drafts/{did}/files/playlist.yaml", files={"file": ("p", text.encode())}).status_code == 200
        check = c.post(f"/api/drafts/{did}/validate").json()
        assert not check["valid"]
        assert check["problems"] == [{"file": "playlist.yaml", "line": 4, "field": "creatives.0.source",
                                      "message": check["problems"][0]["message"]}]
        assert "file not found: solo.png" in check["problems"][0]["message"]
        r = c.post(f"/api/drafts/{did}/commit")
        assert r.status_code == 422
        assert snapshot(server.data)[:2] == before[:2]  # no version made
        # then the creative
        assert c.post(f"/api/drafts/{did}/files/solo.png", files={"file": ("solo.png", png(text="solo"))}).status_code == 200
        assert c.post(f"/api/drafts/{did}/validate").json()["valid"]
        r = c.post(f"/api/drafts/{did}/commit")
        assert r.status_code == 201 and r.json()["playlist_name"] == "Drafted" and r.json()["source"] == f"draft {did}"
        assert server.store.get(r.json()["id"]).path.joinpath("solo.png").read_bytes() == png(text="solo")
        # a draft from a version copies its files, not its records
        d2 = c.post("/api/drafts", params={"from": r.json()["id"]}).json()
        assert sorted(f["name"] for f in d2["files"]) == ["playlist.yaml", "solo.png"]
        assert c.delete(f"/api/drafts/{d2['id']}/files/solo.png").json()["files"] == [{"name": "playlist.yaml", "bytes": len(text)}]


def test_status_shows_numbers_never_pictures(server):
    status = {"creative": "acme-hello", "camera": "on", "playlist": "Acme",
              "audience": {"faces": 2, "watchers": 1, "smile_ratio": 0.5, "frame": "AAAA"},
              "snapshot_jpeg": "/9j/4AAQSkZJRg" + "A" * 5000, "frame_png": "iVBORw0KGgo", "note": "x" * 1000}
    server.settings.admin.status_file and open(server.settings.admin.status_file, "w").write(json.dumps(status))
    with server.api() as c:
        player = c.get("/api/status").json()["player"]
    assert player["creative"] == "acme-hello" and player["camera"] == "on" and player["stale"] is False
    assert player["audience"] == {"faces": 2, "watchers": 1, "smile_ratio": 0.5}
    assert not {"snapshot_jpeg", "frame_png", "note"} & set(player)
    browser = server.login()
    page = browser.get("/").text
    assert "acme-hello" in page and "<img" not in page and "/9j/" not in page
    # in words: 2 people are too few for a smile figure (privacy invariant 9); no raw key, None or []
    assert "2 people in view, 1 watching" in page and "smiles withheld (fewer than 3 people)" in page
    assert not any(raw in page for raw in ("smile_ratio", "uptime_s", "None", "[]"))
    assert browser.get("/ui/status").json()["player"]["creative"] == "acme-hello"


def test_reports_from_the_analytics_database(server):
    with server.api() as c:
        r = c.get("/api/reports")
        assert r.status_code == 404 and "no analytics database" in r.json()["detail"]
    t0 = time.time() - 3600
    aud = AudienceTotals(span_s=10, samples=100, camera_on_s=10, face_s=20, watcher_s=10, measured_s=20, smile_s=5,
                         max_faces=2, passers_by=2)
    store = AnalyticsStore(server.settings.analytics.db_path)
    store.write([PlayRow("p1", "acme-hello", None, "default loop", t0, t0 + 10, "completed", 10.0, "Acme", "v", aud),
                 PlayRow("p2", "acme-offer", "smiles", "rule smiles", t0 + 10, t0 + 20, "completed", 10.0, "Acme", "v", aud)],
                [MinuteTotals(int(t0 // 60 * 60), aud)])
    store.close()
    with server.api() as c:
        rep = c.get("/api/reports", params={"since": "7d"}).json()
        assert {x["creative"] for x in rep["creatives"]} == {"acme-hello", "acme-offer"}
        png_ = c.get("/api/reports/chart.png", params={"since": "7d"})
        assert png_.headers["content-type"] == "image/png" and png_.content.startswith(b"\x89PNG")
        assert c.get("/api/reports", params={"since": "yesterday-ish"}).status_code == 404
    browser = server.login()
    page = browser.get("/reports", params={"since": "7d"}).text
    assert "acme-offer" in page and "smiles" in page and 'src="/reports/chart.png?since=7d' in page
    assert browser.get("/reports/chart.png", params={"since": "7d"}).content.startswith(b"\x89PNG")


def test_openapi_documents_the_api_and_its_auth(server):
    with server.client() as c:
        spec = c.get("/api/openapi.json").json()
    assert spec["components"]["securitySchemes"]["APIToken"] == {
        "type": "http", "scheme": "bearer",
        "description": "An API token made with `signage admin token create NAME` (printed once)."}
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    assert {("POST", "/api/versions"), ("POST", "/api/versions/{version_id}/activate"), ("POST", "/api/rollback"),
            ("GET", "/api/status"), ("GET", "/api/reports"), ("POST", "/api/drafts/{draft_id}/files/{name}")} <= ops
    assert all(p.startswith("/api/") for p in spec["paths"])  # the pages are not in it
    upload = spec["paths"]["/api/versions"]["post"]
    assert upload["security"] == [{"APIToken": []}] and {"401", "413", "422", "429"} <= set(upload["responses"])


def test_pages_and_security_headers(server):
    browser = server.login()
    r = browser.get("/upload")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"] and r.headers["x-frame-options"] == "DENY"
    token = csrf_of(r.text)
    r = browser.post("/upload", data={"csrf": token}, files={"file": ("page.zip", good_bundle("Paged"), "application/zip")})
    assert r.status_code == 303 and r.headers["location"].startswith("/versions/")
    with server.api() as api:
        wait_simulated(api, r.headers["location"].rsplit("/", 1)[1])
    page = browser.get(r.headers["location"]).text
    assert "Validation: passed" in page and "example: lunch-rush.yaml" in page and "Activate this version" in page
    r = browser.post("/logout", data={"csrf": csrf_of(page)})
    assert r.status_code == 303 and browser.get("/").status_code == 303
