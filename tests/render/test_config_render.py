"""The display and notice settings: defaults, sources, and refusals with their key path."""

import pytest

from signage.config import ConfigError, NoticeConfig, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)


def test_defaults():
    s = load_settings()
    assert s.display.driver == "auto" and s.display.fullscreen and s.display.rotation == 0
    assert s.display.fps == 60 and s.display.hide_cursor and not s.display.show_overlay
    assert s.notice.languages == ["en", "fr"] and s.notice.camera_off == "say" and s.notice.position == "bottom"
    fr = s.notice.resolved_text("fr")
    assert fr["camera_on"].startswith("Caméra active") and "ni personne identifiée" in fr["purpose"]
    en = s.notice.resolved_text("en")
    assert "anonymous audience measurement" in en["purpose"] and "No image kept or sent" in en["purpose"]


def test_toml_and_env(tmp_path, monkeypatch):
    f = tmp_path / "s.toml"
    f.write_text('[display]\nsize = "1080x1920"\nrotation = 90\n'
                 '[notice]\ncontroller = "Boulangerie Martin"\nlanguages = ["fr"]\n'
                 '[notice.text.fr]\nmore = "Tout savoir"\n')
    monkeypatch.setenv("SIGNAGE_DISPLAY__ROTATION", "270")
    monkeypatch.setenv("SIGNAGE_NOTICE__CAMERA_OFF", "hide")
    s = load_settings(f)
    assert s.display.size == (1080, 1920) and s.display.rotation == 270
    assert s.notice.controller == "Boulangerie Martin" and s.notice.camera_off == "hide"
    fr = s.notice.resolved_text("fr")
    assert fr["more"] == "Tout savoir" and fr["camera_on"].startswith("Caméra")  # the rest stays built in


def test_refusals_name_the_key(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[display]\nrotation = 45\nsize = "big"\nfps = 1000\ncolour = 1\n'
                 '[notice]\nopacity = 0.2\nlanguages = ["en", "de"]\n')
    with pytest.raises(ConfigError) as e:
        load_settings(f)
    msg = str(e.value)
    for key in ("display.rotation", "display.size", "display.fps", "display.colour: unknown key", "notice.opacity"):
        assert key in msg, msg


def test_a_language_without_built_in_words_must_give_them_all():
    with pytest.raises(ValueError, match=r"notice.text.de: camera_on, purpose, camera_off, more, object missing"):
        NoticeConfig(languages=["en", "de"])
    words = {"camera_on": "Kamera an:", "purpose": "anonyme Zuschauermessung.", "camera_off": "Kamera aus.",
             "more": "Mehr", "object": "Widerspruch: beim Personal oder schriftlich."}
    cfg = NoticeConfig(languages=["de", "en"], text={"de": words})
    assert cfg.resolved_text("de") == words


def test_the_notice_cannot_be_switched_off_by_config():
    # No setting hides the notice while the camera is on: only camera_off decides, with the camera off.
    assert "enabled" not in NoticeConfig.model_fields and "show" not in NoticeConfig.model_fields
    with pytest.raises(ValueError):
        NoticeConfig(opacity=0.3)  # too see-through to stay legible
