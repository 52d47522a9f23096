"""The operator in the admin service of tests/kiosk/central_scenario.sh, over HTTP as a browser
sends its forms (a session cookie, the CSRF field), with the standard library only: it runs
with the release's Python inside the container.

    central_operator.py OUT            log in, wait for the three kiosks online on /fleet, upload a
                                       version, roll it out to site shop-1, wait for the report and
                                       for each kiosk's plays of it in the fleet report
    central_operator.py OUT --offline  the three kiosks offline on /fleet

Writes OUT/operator.json (or OUT/offline.json): what the pages said, with times.
"""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path

A = "http://127.0.0.1:8470"
SCREENS = ("kiosk-1", "kiosk-2", "kiosk-3")
PASSWORD = os.environ.get("OPERATOR_PASSWORD", "a long operator password")  # central_scenario.sh's
PLAYLIST = """name: Spring
defaults: {duration: 4s, transition: cut}
creatives:
  - {id: spring-sale, type: text, headline: "Spring sale", campaign_id: "SPRING-2026 / line 1"}
  - {id: spring-news, type: text, headline: "New this week"}
loop: [spring-sale, spring-news]
"""

jar = http.cookiejar.CookieJar()
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def get(path: str) -> str:
    with web.open(A + path, timeout=60) as r:
        return r.read().decode()


def post(path: str, fields: dict, files: dict | None = None) -> tuple[int, str, str]:
    if files:
        boundary = uuid.uuid4().hex
        body = io.BytesIO()
        for k, v in fields.items():
            body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        for k, (name, data) in files.items():
            body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                       f"Content-Type: application/zip\r\n\r\n".encode() + data + b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        req = urllib.request.Request(A + path, body.getvalue(),
                                     {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    else:
        req = urllib.request.Request(A + path, urllib.parse.urlencode(fields).encode())
    with web.open(req, timeout=120) as r:
        return r.status, r.url, r.read().decode()


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def wait(cond, timeout: float, what: str):
    t0 = time.monotonic()
    while True:
        try:
            got = cond()
        except OSError:
            got = None
        if got:
            return got, round(time.monotonic() - t0, 1)
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"timed out after {timeout} s: {what}")
        time.sleep(0.5)


def rows(page: str) -> dict[str, str]:
    found = {}
    for s in SCREENS:
        m = re.search(rf'<tr[^>]*data-screen="{s}"[^>]*>.*?</tr>', page, re.S)
        if m:
            found[s] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(0))).strip()
    return found


def main() -> int:
    out = Path(sys.argv[1])
    offline = "--offline" in sys.argv
    wait(lambda: get("/login"), 120, "the admin service answering")
    status, _, _ = post("/login", {"username": "alice", "password": PASSWORD,
                                   "csrf": csrf(get("/login"))})
    said: dict = {"login": status}
    if offline:
        listed, s = wait(lambda: (r := rows(get("/fleet"))) and len(r) == 3
                         and all(" offline " in f" {v} " for v in r.values()) and r, 60, "three kiosks offline")
        said.update(offline=listed, offline_after_s=s)
        (out / "offline.json").write_text(json.dumps(said, indent=1))
        return 0
    listed, s = wait(lambda: (r := rows(get("/fleet"))) and len(r) == 3
                     and all(" online " in f" {v} " for v in r.values()) and r, 180, "three kiosks online")
    said.update(online=listed, online_after_s=s)
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("playlist.yaml", PLAYLIST)
    status, url, _ = post("/upload", {"csrf": csrf(get("/upload"))}, {"file": ("spring.zip", bundle.getvalue())})
    said.update(upload=status, version_page=url)
    page = get("/fleet")
    version = urllib.parse.urlparse(url).path.rsplit("/", 1)[-1]  # /versions/<id>: the one just uploaded
    assert f'<option value="{version}">' in page, f"version {version} is not offered for a rollout"
    t_rollout = time.monotonic()
    status, report_url, _ = post("/fleet/rollouts", {"csrf": csrf(page), "version": version, "group": "site:shop-1"})
    said.update(rollout=status, report_url=report_url)
    report, s = wait(lambda: (t := get(urllib.parse.urlparse(report_url).path)) and "3 have it, 0 failed" in t
                     and t, 120, "the rollout report: 3 have it")
    said.update(rollout_ok_after_s=s, report=re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", report))[-1200:])
    playing, s = wait(lambda: (r := rows(get("/fleet"))) and len(r) == 3
                      and all(version in v and " spring-" in v for v in r.values()) and r, 120,
                      "each kiosk on /fleet showing a creative of the version rolled out")
    said.update(playing=playing, playing_after_s=round(time.monotonic() - t_rollout, 1))

    def spring_in_report():
        table = re.search(r'<table id="report-creative">.*?</table>', get("/fleet?since=1d"), re.S)
        row = table and re.search(r'<tr data-key="spring-sale">.*?</tr>', table.group(0), re.S)
        return row and re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(0))).strip()

    row, _s = wait(spring_in_report, 180, "the kiosks' plays of the new version in the fleet report")
    said.update(report_after_s=round(time.monotonic() - t_rollout, 1), report_row=row)
    (out / "operator.json").write_text(json.dumps(said, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
