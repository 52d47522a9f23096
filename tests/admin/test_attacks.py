"""Every attack on the admin service, over real HTTP against a running server: each is
refused with a clear reason, and the active version, the versions folder and tmp/ are
exactly as they were."""

from __future__ import annotations

import io
import os
import stat
import time
import zipfile

import numpy as np
import pytest

from test_budget import no_server_paths

from adminkit import (PASSWORD, csrf_of, good_bundle, make_zip, playlist_yaml, png, png_header_only, snapshot,
                      wait_all_simulated)


def upload(server, body: bytes, name: str = "bundle.zip"):
    with server.api() as c:
        return c.post("/api/versions", files={"file": (name, body, "application/zip")})


def refused(server, body: bytes, status: int = 422) -> list[dict]:
    """Upload through the API; assert it is refused and nothing changed; the problems."""
    with server.api() as c:
        wait_all_simulated(c)  # earlier uploads' results are written in the background
    before = snapshot(server.data)
    r = upload(server, body)
    assert r.status_code == status, r.text
    assert snapshot(server.data) == before
    no_server_paths(r.text, server)
    return r.json().get("problems", [])


def messages(problems: list[dict]) -> str:
    return "\n".join(f"{p['file']}:{p.get('line')}: {p.get('field')}: {p['message']}" for p in problems)


# ---------------------------------------------------------------------------- authentication


def test_no_auth_is_refused_everywhere(server, active_version):
    before = snapshot(server.data)
    with server.client() as c:
        for method, path in [("GET", "/api/status"), ("GET", "/api/versions"), ("POST", "/api/rollback"),
                             ("POST", f"/api/versions/{active_version}/activate"), ("GET", "/api/reports")]:
            r = c.request(method, path)
            assert r.status_code == 401, (path, r.text)
            assert r.headers["www-authenticate"].startswith("Bearer")
        r = c.post("/api/versions", files={"file": ("b.zip", good_bundle(), "application/zip")})
        assert r.status_code == 401
        # pages send you to the login form
        for path in ("/", "/upload", f"/versions/{active_version}", "/reports"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/login", path
        assert c.post("/rollback", data={"csrf": "x"}).status_code in (303, 403)
    assert snapshot(server.data) == before


def test_bad_token_and_cookie_on_the_api_are_refused(server, active_version):
    before = snapshot(server.data)
    with server.client(headers={"Authorization": "Bearer sgn_" + "A" * 43}) as c:
        r = c.post(f"/api/versions/{active_version}/activate")
        assert r.status_code == 401 and r.json()["detail"] == "invalid token"
    with server.client(headers={"Authorization": "Basic YWxpY2U6eA=="}) as c:
        assert c.get("/api/status").status_code == 401
    # a logged-in browser's cookie does not open the API (no CSRF surface there)
    browser = server.login()
    assert browser.get("/api/status").status_code == 401
    assert browser.post("/api/rollback").status_code == 401
    assert snapshot(server.data) == before


def test_wrong_password_and_unknown_user(server):
    with server.client() as c:
        r = c.post("/login", data={"username": "alice", "password": "nope", "csrf": csrf_of(c.get("/login").text)})
        assert r.status_code == 401 and "Wrong user name or password" in r.text
        r = c.post("/login", data={"username": "mallory", "password": PASSWORD, "csrf": csrf_of(c.get("/login").text)})
        assert r.status_code == 401
        assert "signage_session" not in c.cookies


def test_brute_force_locks_the_account_then_the_client(fresh_server):
    s = fresh_server
    lim = s.settings.admin
    with s.client() as c:
        token = csrf_of(c.get("/login").text)
        for i in range(lim.lockout_account_failures):
            r = c.post("/login", data={"username": "alice", "password": f"guess{i}", "csrf": token})
            assert r.status_code == 401
        # locked now: even the right password is refused, with the time to wait
        r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf": token})
        assert r.status_code == 429 and "try again in" in r.text and int(r.headers["retry-after"]) > 0
        # another account from the same client still works until the client's own limit
        r = c.post("/login", data={"username": "bob", "password": PASSWORD + "!", "csrf": token})
        assert r.status_code == 303
    # bad tokens count against the client address: then bad tokens and passwords are refused,
    # while a valid token still works (test_sessions.py)
    with s.client(headers={"Authorization": "Bearer sgn_wrong"}) as bad:
        codes = [bad.get("/api/status").status_code for _ in range(lim.lockout_client_failures)]
        assert 429 in codes and codes[0] == 401
        r = bad.get("/api/status")
        assert r.status_code == 429 and "client address" in r.json()["detail"]
    with s.client() as c:
        r = c.post("/login", data={"username": "bob", "password": PASSWORD + "!", "csrf": csrf_of(c.get("/login").text)})
        assert r.status_code == 429


# ---------------------------------------------------------------------------- CSRF


def test_csrf_missing_or_wrong_is_refused(server, active_version):
    other = upload(server, good_bundle("Other")).json()["id"]
    browser = server.login()
    page = browser.get(f"/versions/{other}")
    good = csrf_of(page.text)
    with server.api() as c:
        wait_all_simulated(c)  # written in the background after the upload
    previews = server.data / "versions" / other / ".signage" / "previews" / "manifest.json"
    deadline = time.monotonic() + 180  # drawn in the background after the page's first view
    while not previews.is_file():
        assert time.monotonic() < deadline, "the previews were never drawn"
        time.sleep(0.1)
    before = snapshot(server.data)
    intruder = server.login("bob", PASSWORD + "!")
    wrong_session = csrf_of(intruder.get("/").text)  # a valid token, of another session
    for data in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": wrong_session}):
        r = browser.post(f"/versions/{other}/activate", data=data)
        assert r.status_code == 403 and "Nothing was changed" in r.text, data
        r = browser.post("/rollback", data=data)
        assert r.status_code == 403
        r = browser.post("/upload", data=data, files={"file": ("b.zip", good_bundle("Sneaky"), "application/zip")})
        assert r.status_code == 403
    assert snapshot(server.data) == before
    # the login form too (a pre-session token)
    with server.client() as c:
        c.get("/login")
        r = c.post("/login", data={"username": "alice", "password": PASSWORD})
        assert r.status_code == 403
    # and with the right token it goes through
    r = browser.post(f"/versions/{other}/activate", data={"csrf": good})
    assert r.status_code == 303
    assert server.store.active_id() == other
    assert browser.post("/rollback", data={"csrf": good}).status_code == 303
    assert server.store.active_id() == active_version


def test_session_cookie_is_httponly_samesite_strict_and_signed(server):
    with server.client() as c:
        c.get("/login")
        r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf": csrf_of(c.get("/login").text)})
        cookie = r.headers["set-cookie"]
        assert "signage_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        value = c.cookies["signage_session"]
    payload, mac = value.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac
    with server.client(cookies={"signage_session": forged}) as c:
        assert c.get("/").status_code == 303


# ---------------------------------------------------------------------------- the zip


def test_path_traversal_entry(server, active_version):
    body = make_zip({"playlist.yaml": playlist_yaml("T", ["a"]), "a.png": png(), "../x.png": png()})
    problems = refused(server, body)
    assert any(p["file"] == "../x.png" and "'..'" in p["message"] for p in problems), messages(problems)
    assert not (server.data / "x.png").exists() and not (server.data / "tmp" / "x.png").exists()


def test_absolute_path_entry(server, active_version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("playlist.yaml", playlist_yaml("T", ["a"]))
        zf.writestr("a.png", png())
        info = zipfile.ZipInfo("/tmp/signage-evil.png")
        zf.writestr(info, png())
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[-1].startswith("/")
    problems = refused(server, buf.getvalue())
    assert any("absolute path" in p["message"] for p in problems), messages(problems)
    assert not os.path.exists("/tmp/signage-evil.png")


def test_symlink_entry(server, active_version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("playlist.yaml", playlist_yaml("T", ["a"]))
        link = zipfile.ZipInfo("a.png")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    problems = refused(server, buf.getvalue())
    assert problems == [{"file": "a.png", "line": None, "field": None,
                         "message": "a symbolic link: only plain files are accepted"}]


def test_zip_bomb_high_ratio(server, active_version):
    body = make_zip({"playlist.yaml": playlist_yaml("T", ["a"]), "a.png": png(), "bomb.png": b"\0" * (40 * 1024 * 1024)})
    assert len(body) < 200_000
    problems = refused(server, body)
    assert any(p["file"] == "bomb.png" and "zip bomb" in p["message"] for p in problems), messages(problems)


def test_too_many_entries(server, active_version):
    files = {"playlist.yaml": playlist_yaml("T", ["a"]), "a.png": png()}
    files.update({f"extra/{i}.png": png(8, 8) for i in range(server.settings.admin.max_zip_entries)})
    problems = refused(server, make_zip(files))
    assert "entries, more than the 40 allowed" in messages(problems)


def test_too_many_bytes_uncompressed(server, active_version):
    # each file compresses only 50:1, but together they are more than the total allowed
    rng = np.random.default_rng(1)
    n = 17 * 1024 * 1024
    chunk = (rng.integers(1, 256, n, dtype=np.uint8) * (rng.random(n) < 0.01)).astype(np.uint8).tobytes()
    body = make_zip({"playlist.yaml": playlist_yaml("T", ["a"]), "a.png": png(),
                     **{f"big{i}.png": chunk for i in range(4)}})
    assert len(body) < 3 * 1024 * 1024
    problems = refused(server, body)
    assert "once uncompressed, more than the" in messages(problems)


def test_oversized_upload(server, active_version):
    big = make_zip({"playlist.yaml": playlist_yaml("T", ["a"]), "a.png": png(), "noise.bin": os.urandom(3_300_000)},
                   method=zipfile.ZIP_STORED)
    before = snapshot(server.data)
    r = upload(server, big)
    assert r.status_code == 413 and "larger than the 3.1 MB allowed" in r.json()["detail"]
    # the same through the page
    browser = server.login()
    token = csrf_of(browser.get("/upload").text)
    r = browser.post("/upload", data={"csrf": token}, files={"file": ("big.zip", big, "application/zip")})
    assert r.status_code == 413 and "Nothing was changed" in r.text
    assert snapshot(server.data) == before
    # a small form elsewhere is bounded too
    with server.api() as c:
        r = c.post("/api/rollback", content=b"x" * 100_000)
        assert r.status_code == 413


def test_image_decompression_bomb(server, active_version):
    body = make_zip({"playlist.yaml": playlist_yaml("T", ["a"]), "a.png": png_header_only(20000, 20000)})
    problems = refused(server, body)
    assert any(p["file"] == "a.png" and "20000x20000" in p["message"] and "megapixels" in p["message"]
               for p in problems), messages(problems)


def test_file_named_like_an_image_with_other_content(server, active_version):
    body = make_zip({"playlist.yaml": playlist_yaml("T", ["a", "b"]), "a.png": png(),
                     "b.png": b"#!/bin/sh\necho this is not a picture\n"})
    problems = refused(server, body)
    assert any(p["file"] == "b.png" and "named like an image" in p["message"] and "by content" in p["message"]
               for p in problems), messages(problems)
    # and a real picture with a name that hides it
    body = make_zip({"playlist.yaml": playlist_yaml("T", ["a"]), "a.png": png(), "notes.txt": png()})
    problems = refused(server, body)
    assert any(p["file"] == "notes.txt" and "its name does not say so" in p["message"] for p in problems)


def test_not_a_zip(server, active_version):
    problems = refused(server, b"PK\x03\x04 but not really a zip at all" * 10)
    assert "not a zip file" in messages(problems)


def test_playlist_with_errors_names_line_and_field(server, active_version):
    text = playlist_yaml("Broken", ["a", "b"], extra="rules:\n  - {id: r, when: {smile_ration: '>= 0.5'}, play: a}\n")
    text = text.replace("source: b.png", "source: missing.png")
    problems = refused(server, make_zip({"playlist.yaml": text, "a.png": png()}))
    by_field = {p["field"]: p for p in problems}
    assert "rules.0.when.smile_ration" in by_field, messages(problems)
    assert "did you mean 'smile_ratio'" in by_field["rules.0.when.smile_ration"]["message"]
    assert by_field["rules.0.when.smile_ration"]["line"] == 8
    assert by_field["creatives.1.source"]["line"] == 5 and "file not found" in by_field["creatives.1.source"]["message"]
    assert all(p["file"] == "playlist.yaml" for p in problems)
    # a creative outside the bundle (an absolute path in the playlist)
    text = playlist_yaml("Escape", ["a"]).replace("source: a.png", "source: /work/main/content/welcome.png")
    problems = refused(server, make_zip({"playlist.yaml": text, "a.png": png()}))
    assert "outside the playlist's folder" in messages(problems)
    # no playlist at all
    problems = refused(server, make_zip({"campaign.yaml": playlist_yaml("X", ["a"]), "a.png": png()}))
    assert "missing: a bundle has playlist.yaml at its top" in messages(problems)


def test_refused_upload_through_the_page_shows_every_problem(server, active_version):
    browser = server.login()
    token = csrf_of(browser.get("/upload").text)
    text = playlist_yaml("Broken", ["a"]).replace("duration: 3s", "duration: soon")
    before = snapshot(server.data)
    r = browser.post("/upload", data={"csrf": token}, files={"file": ("broken.zip", make_zip({"playlist.yaml": text, "a.png": png()}),
                                                                       "application/zip")})
    assert r.status_code == 422
    assert "Nothing was changed" in r.text and "defaults.duration" in r.text and "<td>2</td>" in r.text
    assert snapshot(server.data) == before
