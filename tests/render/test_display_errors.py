"""A display that cannot open: the message names what was asked and where it was set, the
player gets an off-screen display instead, and its status says it is not what was configured.
Real SDL: x11 with no $DISPLAY cannot open here (nor anywhere)."""

from __future__ import annotations

import logging

import screenkit  # noqa: F401  (SDL's dummy driver for the rest of the render tests)
from signage.config import load_settings
from signage.display_fallback import open_display
from signage.render.display import driver_origin, wanted
from signage.run_options import RunOptions


def test_where_the_driver_came_from():
    assert driver_origin("kmsdrm", {}) == 'display.driver = "kmsdrm"'
    assert driver_origin("kmsdrm", {"SIGNAGE_DISPLAY__DRIVER": "kmsdrm"}) == \
        'display.driver = "kmsdrm" (from SIGNAGE_DISPLAY__DRIVER)'
    assert driver_origin("auto", {"SDL_VIDEODRIVER": "kmsdrm"}).startswith("SDL_VIDEODRIVER=kmsdrm")
    assert driver_origin("auto", {"DISPLAY": ":0"}) == 'display.driver = "auto" (tried x11, kmsdrm)'


def _open(monkeypatch, caplog, env: dict[str, str], **opts):
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", "SIGNAGE_DISPLAY__DRIVER"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    settings = load_settings()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="signage"):
        display, status = open_display(settings, RunOptions(**opts))
    display.close()
    return status, [r for r in caplog.records if "cannot open" in r.getMessage()]


def test_an_explicit_driver_that_cannot_open_falls_back_and_says_so(monkeypatch, caplog):
    status, said = _open(monkeypatch, caplog, {"SIGNAGE_DISPLAY__DRIVER": "x11"})
    assert status["as_configured"] is False and status["driver"] == "dummy" and status["mode"] == "headless"
    assert status["configured"] == "x11 fullscreen" and status["error"].startswith("x11: ")
    assert len(said) == 1 and said[0].levelno == logging.ERROR
    assert 'cannot open x11 fullscreen, set by display.driver = "x11" (from SIGNAGE_DISPLAY__DRIVER)' in said[0].getMessage()


def test_the_environment_s_driver_is_named_as_it_was_before_opening(monkeypatch, caplog):
    status, said = _open(monkeypatch, caplog, {"SDL_VIDEODRIVER": "x11"})
    assert status["as_configured"] is False and status["configured"] == "x11 fullscreen"
    assert "set by SDL_VIDEODRIVER=x11 (display.driver = \"auto\"" in said[0].getMessage()


def test_asking_for_headless_is_as_configured(monkeypatch, caplog):
    status, said = _open(monkeypatch, caplog, {"SIGNAGE_DISPLAY__DRIVER": "x11"}, headless=True)
    assert status == {"driver": "dummy", "size": "1920x1080", "mode": "headless", "configured": "dummy (headless)",
                      "as_configured": True, "error": None} and said == []
    status, said = _open(monkeypatch, caplog, {"SDL_VIDEODRIVER": "dummy"})
    assert status["as_configured"] is True and status["configured"] == "dummy (headless)" and said == []
    assert wanted(load_settings().display.model_copy(update={"fullscreen": False}), {}) == "auto window"


def test_auto_finding_no_display_is_a_warning_that_names_what_it_tried(monkeypatch, caplog):
    """What a developer's ./run says on a machine with no display (opening sets SDL_VIDEODRIVER
    to each driver it tries: the message must not take that for the operator's setting)."""
    status, said = _open(monkeypatch, caplog, {"DISPLAY": ":4242"})  # no X server there
    if status["as_configured"] is False:  # kmsdrm, tried last, opens only on a free console
        assert said[0].levelno == logging.WARNING
        assert 'set by display.driver = "auto" (tried x11, kmsdrm)' in said[0].getMessage()
        assert "SDL_VIDEODRIVER" not in said[0].getMessage()
