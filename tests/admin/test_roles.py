"""Roles on the real server (real HTTP, real content folder, real analytics database): an
advertiser uploads, activates and sees their own version; another advertiser gets 404
(or 403) on every route of it — every route the app has, so a new route that forgets the
check fails here; an operator sees everything; reports and exports are the advertiser's own."""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass

import httpx
import pytest

from adminkit import PASSWORD, csrf_of, good_bundle, make_zip, png, wait_simulated
from signage.admin.auth import Credentials
from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore
from signage.playlist.loader import load_playlist
from test_report_exports import PLAYLIST  # "Acme lines": beans billed to ACME-1, hello to none

PUBLIC = {"/login", "/logout", "/api/openapi.json"}  # no account's content behind them


@dataclass
class Advertiser:
    name: str
    token: str
    pages: httpx.Client
    api: httpx.Client


@pytest.fixture(scope="module")
def advertisers(server):
    creds = Credentials(server.settings.admin.credentials_file)
    out = {}
    for name in ("carol", "dave"):
        creds.add_user(name, PASSWORD, role="advertiser")
        token = creds.create_token(f"{name}-api", user=name)
        out[name] = Advertiser(name, token, server.login(name),
                               server.client(headers={"Authorization": f"Bearer {token}"}))
    yield out
    for a in out.values():
        a.pages.close()
        a.api.close()


@pytest.fixture(scope="module")
def carols(server, advertisers):
    """Carol's version (uploaded through the page and activated) and a draft of hers."""
    carol = advertisers["carol"]
    up = carol.pages.get("/upload")
    assert up.status_code == 200
    r = carol.pages.post("/upload", data={"csrf": csrf_of(up.text)},
                         files={"file": ("carol.zip", good_bundle("Carol's spring"), "application/zip")})
    assert r.status_code == 303, r.text
    vid = r.headers["location"].rsplit("/", 1)[1]
    wait_simulated(carol.api, vid)
    page = carol.pages.get(f"/versions/{vid}")
    r = carol.pages.post(f"/versions/{vid}/activate", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"/versions/{vid}?done=activated"
    draft = carol.api.post("/api/drafts", params={"from": vid})
    assert draft.status_code == 201
    return vid, draft.json()["id"]


def test_an_advertiser_uploads_activates_and_sees_their_page(server, advertisers, carols):
    vid, _ = carols
    carol = advertisers["carol"]
    assert server.store.active_id() == vid
    assert server.store.get(vid).uploaded_by == "carol"
    assert server.store.activations()[-1]["by"] == "carol"
    page = carol.pages.get(f"/versions/{vid}").text
    thumbs = re.findall(rf'src="(/versions/{vid}/previews/c\d+-thumb\.png)"', page)
    assert len(thumbs) == 2 and "timeline-svg" in page and "carol (advertiser)" in page
    for t in thumbs:
        r = carol.pages.get(t)
        assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    dashboard = carol.pages.get("/").text
    assert vid in dashboard and 'id="rollback"' not in dashboard  # an advertiser does not roll back
    assert [v["id"] for v in carol.api.get("/api/versions").json()["versions"]] == [vid]
    status = carol.api.get("/api/status").json()
    assert status["active"] == vid and "player" not in status and status["in_words"]  # words, not raw facts
    r = carol.api.post("/api/rollback")
    assert r.status_code == 403 and "Only an operator can roll back" in r.json()["detail"]


def _routes(app):
    """Every (methods, path) the app serves, included routers walked (FastAPI versions differ)."""
    out = []
    for r in app.routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            out += _routes(inner)
        elif getattr(r, "methods", None):
            out.append((sorted(r.methods - {"HEAD"}), r.path))
    return out


def _fleet(path: str) -> bool:
    return path.startswith("/fleet") and not path.startswith("/fleet/content/")  # content: by hash, for kiosks


def test_another_advertiser_gets_nothing_of_hers_on_any_route(server, advertisers, carols):
    vid, draft = carols
    dave = advertisers["dave"]
    values = {"version_id": vid, "draft_id": draft, "name": "c0.png", "screen_id": "kiosk-1", "rollout_id": "1",
              "sha256": "0" * 64}  # the fleet view's (pages_fleet.py): operators only, 403
    before = (server.store.active_id(), sorted(p.name for p in (server.data / "drafts" / draft).iterdir()))
    csrf = csrf_of(dave.pages.get("/").text)
    routes = _routes(server._server.config.app)
    assert len(routes) > 25 and any("{version_id}" in p for _, p in routes)
    checked = 0
    for methods, path in routes:
        if path in PUBLIC or path.startswith("/static"):
            continue
        params = re.findall(r"{(\w+)}", path)
        assert set(params) <= set(values), f"{path}: a new path parameter; teach this test what to put in it"
        url = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)
        client = dave.api if path.startswith("/api/") else dave.pages
        query = {"version": vid, "from": vid, "since": "30d"}
        for method in methods:
            if method == "POST":
                r = client.post(url, params=query, data={"csrf": csrf, "from_version": vid, "name": "playlist.yaml"},
                                files={"file": ("playlist.yaml", b"name: x\n", "text/plain")})
            else:
                r = client.request(method, url, params=query)
            where = f"{method} {path}: {r.status_code}"
            operators = path.endswith(("/rollback", "/pause"))  # operators' actions: 403 (pause: docs/objection.md)
            if params or operators or method == "POST" and path in ("/drafts", "/api/drafts"):
                # one of carol's, or an operator's action: 404 as if it were not there (403 for rollback, pause, fleet)
                assert r.status_code == (403 if operators or _fleet(path) else 404), where
                if r.status_code == 404:
                    assert "belongs" not in r.text, where  # its existence is not revealed
            elif r.status_code < 400:
                assert vid not in r.text and draft not in r.text, f"{where}: shows carol's"
            else:
                assert r.status_code in ((403,) if _fleet(path) else (404, 422)), where  # ?version=hers: no such version
            checked += 1
    assert checked > 25
    assert (server.store.active_id(), sorted(p.name for p in (server.data / "drafts" / draft).iterdir())) == before
    # and the same words as for a version that does not exist
    other = "20990101-000000-abcdef"
    assert dave.api.get(f"/api/versions/{other}").json()["detail"] == f"no version {other}"
    assert dave.api.get(f"/api/versions/{vid}").json()["detail"] == f"no version {vid}"


def test_an_operator_sees_everything(server, advertisers, carols):
    vid, draft = carols
    alice = server.login("alice")
    page = alice.get(f"/versions/{vid}").text
    assert "uploaded by carol" in page and "alice (operator)" in page
    thumb = re.search(rf'src="(/versions/{vid}/previews/c\d+-thumb\.png)"', page).group(1)
    assert alice.get(thumb).status_code == 200
    assert draft in alice.get("/").text and alice.get(f"/drafts/{draft}").status_code == 200
    with server.api() as c:  # an old token, made before roles: an operator's
        assert vid in [v["id"] for v in c.get("/api/versions").json()["versions"]]
        assert "player" in c.get("/api/status").json()


def test_reports_and_exports_are_the_advertisers_own(server, advertisers, carols):
    carol_vid, _ = carols
    dave = advertisers["dave"]
    files = {"playlist.yaml": PLAYLIST, "beans.png": png(), "hello.png": png(colour=(9, 9, 9))}
    r = dave.api.post("/api/versions", files={"file": ("d.zip", make_zip(files), "application/zip")})
    assert r.status_code == 201, r.text
    dave_vid = r.json()["id"]
    digest = {v: load_playlist(server.store.get(v).playlist).digest for v in (carol_vid, dave_vid)}
    t0 = time.time() - 3600
    aud = AudienceTotals(span_s=10, samples=100, camera_on_s=10, face_s=20, watcher_s=10, measured_s=20, smile_s=5,
                         max_faces=2, passers_by=2)

    def play(pid, creative, who, t):
        name = "Acme lines" if who == dave_vid else "Carol's spring"
        return PlayRow(pid, creative, None, "default loop", t0 + t, t0 + t + 10, "completed", 10.0, name, digest[who], aud)

    store = AnalyticsStore(server.settings.analytics.db_path)
    store.write([play("p1", "acme-hello", carol_vid, 0), play("p2", "hello", dave_vid, 10),
                 play("p3", "beans", dave_vid, 20)], [MinuteTotals(int(t0 // 60 * 60), aud)])
    store.close()

    def ids(client, path, **params):
        r = client.get(path, params={"since": "7d", **params})
        assert r.status_code == 200, r.text
        return [row["play_id"] for row in csv.DictReader(io.StringIO(r.text))]

    carol = advertisers["carol"]
    assert ids(carol.api, "/api/reports/export") == ["p1"]
    assert ids(carol.pages, "/reports/export") == ["p1"]
    assert ids(dave.api, "/api/reports/export") == ["p2", "p3"]
    assert ids(dave.api, "/api/reports/export", campaign="ACME-1") == ["p3"]
    assert ids(carol.api, "/api/reports/export", campaign="ACME-1") == []  # not hers: nothing
    assert carol.api.get("/api/reports/export", params={"version": dave_vid}).status_code == 404
    with server.api() as c:
        assert ids(c, "/api/reports/export") == ["p1", "p2", "p3"]
        assert ids(c, "/api/reports/export", version=dave_vid) == ["p2", "p3"]
        every = {c["creative"] for c in c.get("/api/reports", params={"since": "7d"}).json()["creatives"]}
        assert every == {"acme-hello", "hello", "beans"}
    mine = {c["creative"] for c in carol.api.get("/api/reports", params={"since": "7d"}).json()["creatives"]}
    assert mine == {"acme-hello"}
    page = dave.pages.get("/reports", params={"since": "7d", "campaign": "ACME-1"}).text
    assert "<td>beans</td>" in page and "<td>hello</td>" not in page and "acme-hello" not in page
    assert dave.pages.get("/reports", params={"version": carol_vid}).status_code == 404
