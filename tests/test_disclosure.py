"""The privacy notice's second layer (issue 17): the page and the A4 poster, from the
configuration (signage/disclosure); `signage privacy`."""

import io
import shutil
import subprocess

import cv2
import numpy as np
import pygame
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from signage.cli import main
from signage.config import ConfigError, Settings, load_settings
from signage.disclosure.content import pages
from signage.disclosure.facts import facts
from signage.disclosure.html import page_html
from signage.disclosure.poster import SIZE, poster_pdf, poster_surface

SITE = dict(
    notice={"controller": "Épicerie Nord", "contact": "dpo@epicerie-nord.example", "url": "https://epicerie-nord.example/p"},
    privacy={"controller_address": "3 rue du Port, 59000 Lille", "dpo": "Jeanne Martin, dpo@epicerie-nord.example",
             "authority": "CNIL", "authority_url": "https://www.cnil.fr"},
    analytics={"retention_days": 45},
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)


def _qr(rgb: np.ndarray) -> str:
    url, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return url


def test_page_holds_every_fact_in_each_language():
    s = Settings(**SITE)
    html = page_html(facts(s))
    for fact in ("Épicerie Nord", "dpo@epicerie-nord.example", "3 rue du Port, 59000 Lille", "Jeanne Martin",
                 "CNIL", "https://www.cnil.fr", "45 days", "45 jours", "legitimate interest", "intérêt légitime",
                 "Art. 6(1)(f)", "art. 6.1.f", "does not recognise emotions", "ne reconnaît pas les émotions"):
        assert fact in html, fact
    assert '<section class="lang" lang="en"' in html and '<section class="lang" lang="fr"' in html
    for p in pages(facts(s)):  # the parts EDPB Guidelines 3/2019 and GDPR Art. 13 ask for, in order
        assert [x.key for x in p.sections] == ["who", "what", "why", "basis", "kept", "recipients", "rights", "about"]
    assert "<script" not in html and "src=" not in html and "<link" not in html  # self-contained, nothing fetched


def test_page_follows_the_configuration():
    plain = page_html(facts(Settings()))
    assert "No data protection officer has been appointed" in plain
    assert "the data protection authority of your country" in plain
    assert "whether a smile" in plain
    off = Settings(camera={"enabled": False})
    assert "The camera is switched off at present" in page_html(facts(off))
    assert "30 days" in plain


def test_markup_in_the_configuration_is_text():
    s = Settings(notice={"controller": "<script>alert(1)</script>"})
    html = page_html(facts(s))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_language_without_page_text_gets_english_and_says_so():
    de = {"camera_on": "Kamera an:", "purpose": "anonyme Messung.", "camera_off": "Kamera aus.", "more": "Mehr",
          "object": "Widerspruch: Personal fragen."}
    s = Settings(notice={"languages": ["de", "fr"], "text": {"de": de}})
    ps = pages(facts(s))
    assert [p.lang for p in ps] == ["en", "fr"]
    assert "'de'" in ps[0].note


def test_poster_draws_the_first_layer_and_a_qr_code_of_the_page():
    s = Settings(**SITE)
    surface = poster_surface(s)
    assert surface.get_size() == SIZE
    rgb = pygame.surfarray.array3d(surface).transpose(1, 0, 2)
    assert _qr(rgb) == "https://epicerie-nord.example/p"
    s2 = Settings(**{**SITE, "privacy": {**SITE["privacy"], "page_url": "https://x.example/second-layer"}})
    assert _qr(pygame.surfarray.array3d(poster_surface(s2)).transpose(1, 0, 2)) == "https://x.example/second-layer"


def test_poster_pdf_is_an_a4_page_a_reader_renders():
    pdf = poster_pdf(Settings(**SITE))
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is installed by scripts/bootstrap --browser"
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "595.28 x 841.89 pts (A4)" in info and "Pages:           1" in info
    png = subprocess.run([pdftoppm, "-r", "150", "-png", "-"], input=pdf, capture_output=True, check=True).stdout
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert abs(img.shape[0] - SIZE[1]) <= 1 and abs(img.shape[1] - SIZE[0]) <= 1  # A4 at 150 dpi, rounded
    assert _qr(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)) == "https://epicerie-nord.example/p"


def test_cli_writes_the_page_and_the_poster(tmp_path, capsys):
    assert main(["privacy", "--html", str(tmp_path / "p.html"), "--poster", str(tmp_path / "p.pdf")]) == 0
    assert (tmp_path / "p.html").read_text() == page_html(facts(load_settings()))
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
    assert main(["privacy", "--poster", str(tmp_path / "p.png")]) == 0
    assert pygame.image.load(str(tmp_path / "p.png")).get_size() == SIZE
    assert main(["privacy"]) == 0
    assert capsys.readouterr().out.count("<!doctype html>") == 1


def test_cli_refuses_with_a_reason(tmp_path, capsys):
    assert main(["privacy", "--poster", str(tmp_path / "p.jpg")]) == 2
    assert "ends in .pdf or .png" in capsys.readouterr().err
    assert main(["privacy", "--html", str(tmp_path / "no" / "such" / "p.html")]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "No such file or directory" in err
    assert not list(tmp_path.iterdir())


def test_privacy_config_refused_with_its_key_path(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[privacy]\nauthority_url = "cnil.fr"\nphone = "1"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(f)
    assert "privacy.authority_url:" in str(e.value) and "https://" in str(e.value)
    assert "privacy.phone: unknown key" in str(e.value)


@hsettings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["controller_address", "dpo", "authority", "authority_url", "page_url"]),
                       st.text(max_size=240)))
def test_any_privacy_values_load_or_are_refused_and_the_page_holds_them(values):
    try:
        s = Settings(privacy=values)
    except Exception as exc:  # pydantic's ValidationError: a message, no crash elsewhere
        assert "privacy" in str(exc) or "validation error" in str(exc)
        return
    html = page_html(facts(s))
    from html import escape

    for key in ("dpo", "authority"):
        if values.get(key):
            assert escape(values[key]) in html


def test_page_says_zones_and_expressions_off():
    s = Settings(sensing={"expressions": "off",
                          "zones": [{"name": "till", "points": [[0.7, 0.5], [1, 0.5], [1, 1], [0.7, 1]]}]})
    html = page_html(facts(s))
    assert "(till)" in html and "not analysed at all" in html and "whether a smile" not in html
    assert "staff areas are excluded" in html and "les zones du personnel sont exclues" in html


def test_with_no_external_url_the_notice_points_to_this_kiosks_privacy_page():
    import socket

    assert Settings(notice={"url": ""}).notice.url == f"http://{socket.gethostname()}.local:8470/privacy"
    assert Settings(notice={"url": ""}, admin={"host": "192.168.1.20", "port": 8080}).notice.url == \
        "http://192.168.1.20:8080/privacy"
    s = Settings(notice={"url": ""}, privacy={"page_url": "https://shop.example/camera"})
    assert s.notice.url == "https://shop.example/camera"
    # and the poster's QR code (like the screen's, which draws notice.url) goes there
    assert _qr(pygame.surfarray.array3d(poster_surface(s)).transpose(1, 0, 2)) == "https://shop.example/camera"


def test_the_documents_name_whoever_runs_the_screen(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SIGNAGE_NOTICE__CONTROLLER", "<who runs this screen>")
    assert main(["privacy", "--html", str(tmp_path / "p.html")]) == 2
    assert main(["dpia", "--md", str(tmp_path / "d.md")]) == 2
    err = capsys.readouterr().err
    assert "notice.controller is still the placeholder" in err and not list(tmp_path.iterdir())
    monkeypatch.delenv("SIGNAGE_NOTICE__CONTROLLER")
    assert main(["privacy", "--html", str(tmp_path / "p.html")]) == 0  # the demo's sample: written, and said
    assert "warning: notice.controller is the demo café's sample" in capsys.readouterr().err
