"""The version page as an advertiser sees it, over real HTTP on the real server: a preview of
every creative as the screen draws it (decoded, the notice band checked), the timeline SVG
of each scenario, and delivery against the campaign's goals; the pictures kept with the
version and never drawn twice; no server path on the page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import cv2
import numpy as np

from adminkit import make_zip, png, wait_simulated

SCENARIO = """\
name: morning
start: 2026-12-09T09:00
duration: 3h
timeline:
  - {at: 0s, faces: 2, watchers: 1}
  - {at: 1h, faces: 0}
"""
PLAYLIST = """\
name: Acme beans
defaults: {duration: 10s, transition: cut}
campaigns:
  - id: ACME-12 / line 1
    name: ACME beans, December
    flights: [{from: "2026-12-01 08:00", to: "2026-12-31 20:00"}]
    min_per_hour: 4
    max_per_day: 6
creatives:
  - {id: beans, type: image, source: beans.png, campaign_id: ACME-12 / line 1}
  - {id: hello, type: image, source: hello.png, full_bleed: true}
  - {id: slide, type: text, headline: "Fresh beans", body: "Every morning", background: "#204060"}
loop: [hello, beans, slide]
"""
BEANS = (30, 160, 60)  # BGR


def upload(server) -> dict:
    files = {"playlist.yaml": PLAYLIST, "beans.png": png(640, 360, BEANS), "hello.png": png(640, 360, (200, 90, 20)),
             "scenarios/morning.yaml": SCENARIO}
    with server.api() as c:
        r = c.post("/api/versions", files={"file": ("acme.zip", make_zip(files), "application/zip")})
        assert r.status_code == 201, r.text
        return wait_simulated(c, r.json()["id"])  # simulated after the upload, in a worker


def decode(data: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, "not a PNG"
    return img


def test_the_version_page_shows_previews_timelines_and_delivery(server):
    v = upload(server)
    browser = server.login()
    page = browser.get(f"/versions/{v['id']}").text
    assert str(server.data) not in page and "/tmp/" not in page  # no server path

    # a preview per creative, thumbnail linking to the full picture at the screen's size
    shown = re.findall(r'<li class="preview" data-creative="([^"]+)">\s*<a href="([^"]+)"><img src="([^"]+)"', page)
    assert [s[0] for s in shown] == ["beans", "hello", "slide"]
    beans_full, beans_thumb = shown[0][1], shown[0][2]
    full = decode(browser.get(beans_full).content)
    thumb = decode(browser.get(beans_thumb).content)
    assert full.shape == (1080, 1920, 3) and thumb.shape[1] == 320
    # the creative fills the middle; the bottom rows are the notice band, not the creative
    assert np.abs(full[500, 960].astype(int) - BEANS).max() <= 3
    band = full[-30:].reshape(-1, 3).astype(int)
    assert np.abs(band - BEANS).max(axis=1).mean() > 40
    url, _, _ = cv2.QRCodeDetector().detectAndDecode(full)
    assert url == server.settings.notice.url
    # a full-bleed picture's preview says how much of it the notice covers (16:9 on 16:9: the band)
    said = re.findall(r'data-creative="hello">.*?<span class="warning">([^<]*)</span>', page, re.S)
    assert said and re.search(r"the notice covers \d+% of hello\.png at 1920x1080", said[0]), said
    assert 'data-creative="beans">' in page and "covers" not in page.split('data-creative="beans">')[1].split("</li>")[0]
    slide = decode(browser.get(shown[2][1]).content)
    assert np.abs(slide[60, 60].astype(int) - (0x60, 0x40, 0x20)).max() <= 20  # the slide's colour (a soft gradient)
    assert browser.get(f"/versions/{v['id']}/previews/../../x.png").status_code == 404
    assert browser.get(f"/versions/{v['id']}/previews/version.json").status_code == 404
    assert server.client().get(beans_full).status_code in (303, 401)  # not without a session

    # kept with the version, drawn once
    folder = server.data / "versions" / v["id"] / ".signage" / "previews"
    assert (folder / "manifest.json").is_file()
    previews = server._server.config.app.state.previews
    drawn = previews.renders
    browser.get(f"/versions/{v['id']}")
    assert previews.renders == drawn

    # the timeline of each scenario, as an SVG, with the table behind a <details>
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == len(v["simulations"]) >= 2
    morning = next(s for s in svgs if "bundle: scenarios/morning.yaml" in s)
    root = ET.fromstring(morning)
    bars = root.findall(".//{http://www.w3.org/2000/svg}rect[@class='bar']")
    assert {b.get("data-creative") for b in bars} >= {"beans", "hello", "slide"}
    assert '<details class="timeline-table">' in page

    # delivery against the campaign's goals, in words: capped at 6 a day, so hours fall short
    assert "Campaign ACME-12 / line 1 (ACME beans, December)" in page
    assert "6 a day: reached on 2026-12-09" in page
    assert re.search(r"Not met: \d+ of \d+ hours had fewer than 4 plays", page)
    assert "the daily cap was reached" in page
