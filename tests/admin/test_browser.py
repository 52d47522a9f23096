"""A new advertiser's flow, as a person does it, in a real headless Chromium: log in with an
advertiser account (docs/admin.md, "Roles"), upload
a bundle through the page, read the validation and the simulated timeline, activate, and
the real player (``signage run`` as its own process, playing ``<data>/active/playlist.yaml``)
plays it at the watcher's next look. Then a bad bundle through the same page: refused with every
problem listed, and nothing changes.

Needs Debian's ``chromium`` and ``chromium-driver`` (``scripts/bootstrap --browser``
installs them; CI's .ci/run does)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from adminkit import PASSWORD, ROOT, good_bundle, make_zip, playlist_yaml, png, png_header_only, snapshot
from signage.admin.auth import Credentials

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture()
def browser(tmp_path):
    missing = [p for p in (CHROMIUM, DRIVER) if not os.path.exists(p)]
    assert not missing, f"{missing} not installed: run scripts/bootstrap --browser (apt-get install chromium chromium-driver)"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400",
                f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


class Player:
    """`signage run` as a real process; its log lines collected as they come."""

    def __init__(self, data_dir: Path, status_file: Path, db: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
        # default settings but where the admin's content folder is: player.playlist empty follows it
        env.update(SIGNAGE_ADMIN__DATA_DIR=str(data_dir), SIGNAGE_HEALTH__STATUS_FILE=str(status_file),
                   SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        self.proc = subprocess.Popen([sys.executable, "-m", "signage.cli", "run", "--headless", "--camera", "off",
                                      "--duration", "120", "--db", str(db)],
                                     cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append((time.monotonic(), line.rstrip()))

    def wait_for(self, text: str, after: float, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, line in list(self.lines):
                if t >= after and text in line:
                    return t
            assert self.proc.poll() is None, "the player stopped:\n" + "\n".join(l for _, l in self.lines[-30:])
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not in the player's log within {timeout} s:\n"
                             + "\n".join(l for _, l in self.lines[-30:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def test_a_new_advertiser_uploads_through_the_page_and_the_kiosk_plays_it(fresh_server, browser, tmp_path):
    server = fresh_server
    player = Player(server.data, Path(server.settings.admin.status_file), tmp_path / "analytics.db")
    try:
        bundle = tmp_path / "spring-campaign.zip"
        bundle.write_bytes(good_bundle("Spring campaign", ("spring-hello", "spring-offer")))
        wait = WebDriverWait(browser, 120)  # generous: validation and simulation on a loaded machine
        Credentials(server.settings.admin.credentials_file).add_user("carol", PASSWORD, role="advertiser")

        # log in, as an advertiser
        browser.get(server.url + "/")
        wait.until(EC.presence_of_element_located((By.ID, "username"))).send_keys("carol")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "login").click()
        wait.until(EC.presence_of_element_located((By.ID, "go-upload")))
        assert browser.find_element(By.ID, "who").get_attribute("data-role") == "advertiser"
        assert "none yet" in browser.find_element(By.ID, "active-version").text

        # upload the bundle through the page
        browser.find_element(By.ID, "go-upload").click()
        wait.until(EC.presence_of_element_located((By.ID, "file"))).send_keys(str(bundle))
        browser.find_element(By.ID, "send").click()
        wait.until(EC.presence_of_element_located((By.ID, "version-id")))

        # validation and the simulated timeline (simulated after the upload: the page shows it when done)
        wait.until(lambda b: "share" in b.find_element(By.ID, "simulation").text)
        validation = browser.find_element(By.ID, "validation").text
        assert "Validation: passed" in validation and "valid — 'Spring campaign'" in validation
        simulation = browser.find_element(By.ID, "simulation").text
        assert "example: camera-failure.yaml" in simulation and "spring-hello" in simulation and "share" in simulation
        # a preview of every creative as the screen draws it (the notice band below it), and the timeline SVG
        thumbs = browser.find_elements(By.CSS_SELECTOR, "#previews li.preview img")
        assert len(thumbs) == 2
        assert all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", t) == 320
                   for t in thumbs)
        cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
        with httpx.Client(base_url=server.url, cookies=cookies, timeout=60) as c:
            for link in browser.find_elements(By.CSS_SELECTOR, "#previews li.preview a"):
                full = cv2.imdecode(np.frombuffer(c.get(link.get_attribute("href")).content, np.uint8), cv2.IMREAD_COLOR)
                assert full.shape == (1080, 1920, 3)
                middle = full[540].astype(int).mean(axis=0)
                band = full[-20:].reshape(-1, 3).astype(int)
                assert np.abs(band - middle).max(axis=1).mean() > 40  # the notice band, not the creative
        bars = browser.find_elements(By.CSS_SELECTOR, "#simulation svg.timeline-svg rect.bar")
        assert {b.get_attribute("data-creative") for b in bars} >= {"spring-hello", "spring-offer"}
        assert browser.find_element(By.CSS_SELECTOR, "#simulation svg.timeline-svg").size["width"] > 600
        browser.save_screenshot(str(tmp_path / "version-page.png"))
        version_id = browser.find_element(By.ID, "version-id").text
        assert server.store.active_id() is None  # nothing plays before it is activated

        # the player is up (playing its demo meanwhile); activate
        player.wait_for("playing", after=0, timeout=60)
        clicked = time.monotonic()
        browser.find_element(By.ID, "activate").click()
        wait.until(EC.presence_of_element_located((By.ID, "done")))
        assert "takes it within seconds" in browser.find_element(By.ID, "done").text  # it follows: said, and true
        assert server.store.active_id() == version_id and server.store.get(version_id).uploaded_by == "carol"
        # taken at the watcher's next look (every 2 s); the timeouts are for a loaded machine
        played = player.wait_for("spring-hello", after=clicked, timeout=60)
        player.wait_for("spring-offer", after=played, timeout=60)

        # the dashboard says what is active, and that the player plays it
        browser.get(server.url + "/")
        assert version_id in browser.find_element(By.ID, "active-version").text
        wait.until(lambda b: "The player plays the active version" in b.find_element(By.ID, "following").text)

        # a bad bundle through the same page: every problem listed, nothing changes
        bad = tmp_path / "bad.zip"
        text = playlist_yaml("Bad", ["x", "y"]).replace("duration: 3s", "duration: 3 parsecs")
        bad.write_bytes(make_zip({"playlist.yaml": text, "x.png": png_header_only(20000, 20000), "y.png": b"not a png"}))
        before = snapshot(server.data)
        browser.get(server.url + "/upload")
        wait.until(EC.presence_of_element_located((By.ID, "file"))).send_keys(str(bad))
        browser.find_element(By.ID, "send").click()
        wait.until(EC.presence_of_element_located((By.ID, "problems")))
        shown = browser.find_element(By.ID, "problems").text
        assert "defaults.duration" in shown and "20000x20000" in shown and "named like an image" in shown
        assert "Nothing was changed" in browser.find_element(By.ID, "refused").text
        browser.save_screenshot(str(tmp_path / "refused-page.png"))
        assert snapshot(server.data) == before
        assert player.proc.poll() is None and "playlist update refused" not in "\n".join(l for _, l in player.lines)
    finally:
        player.stop()
