"""Typed, strict configuration: sources, precedence and error messages."""

import pytest

from signage.config import ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)


def test_defaults_are_valid():
    s = load_settings()
    assert isinstance(s, Settings)
    assert s.sensing.landmarks.min_face_px == 28 and s.camera.source == 0


def test_toml_file_and_env_precedence(tmp_path, monkeypatch):
    f = tmp_path / "s.toml"
    f.write_text('[camera]\nsource = "/dev/video2"\n[sensing.tracker]\nmax_age_s = 2.5\nmin_hits = 3\n')
    monkeypatch.setenv("SIGNAGE_SENSING__TRACKER__MIN_HITS", "4")
    s = load_settings(f)
    assert s.camera.source == "/dev/video2"
    assert s.sensing.tracker.max_age_s == 2.5
    assert s.sensing.tracker.min_hits == 4  # env beats the file
    monkeypatch.setenv("SIGNAGE_CONFIG", str(f))
    assert load_settings().sensing.tracker.max_age_s == 2.5


def test_overrides_beat_everything(monkeypatch):
    monkeypatch.setenv("SIGNAGE_LOG_LEVEL", "debug")
    assert load_settings().log_level == "DEBUG"
    assert load_settings(log_level="error").log_level == "ERROR"


def test_every_error_listed_with_its_key_path(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[camera]\nwidth = 10\ncolour = 'red'\n[sensing.expression]\nsmile_threshold = 2\n")
    with pytest.raises(ConfigError) as e:
        load_settings(f)
    msg = str(e.value)
    assert str(f) in msg
    assert "camera.width: Input should be greater than or equal to 64" in msg
    assert "camera.colour: unknown key" in msg
    assert "sensing.expression.smile_threshold:" in msg


@pytest.mark.parametrize(
    "var, path",
    [("SIGNAGE_NOPE", "nope"), ("SIGNAGE_SENSING__TRACKER__MAXAGE", "sensing.tracker.maxage"),
     ("SIGNAGE_CAMERA__SOURCE__X", "camera.source.x")],
)
def test_unknown_env_key_named(monkeypatch, var, path):
    monkeypatch.setenv(var, "1")
    with pytest.raises(ConfigError, match=rf"{path}: unknown key \(from {var}\)"):
        load_settings()


def test_missing_or_broken_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")
    bad = tmp_path / "broken.toml"
    bad.write_text("[camera\n")
    with pytest.raises(ConfigError, match="broken.toml: not valid TOML"):
        load_settings(bad)


def test_ramps_must_rise():
    with pytest.raises(ConfigError, match="sensing.expression.mouth_open_gap"):
        load_settings(sensing={"expression": {"mouth_open_gap": (0.1, 0.0)}})


@pytest.mark.parametrize("key", ["smile_width", "smile_lift", "surprise_mouth_open", "surprise_brow_raise"])
def test_the_old_hand_set_expression_settings_are_refused_saying_why(key):
    with pytest.raises(ConfigError, match=rf"sensing\.expression.*{key}: no longer a setting: .*trained model"):
        load_settings(sensing={"expression": {key: 0.3}})


def test_notice_text_from_the_environment(monkeypatch):
    """A language's words can be set from the environment too; a misspelt field is named."""
    monkeypatch.setenv("SIGNAGE_NOTICE__TEXT__FR__PURPOSE", "mesure d'audience anonyme.")
    s = load_settings()
    assert s.notice.resolved_text("fr")["purpose"] == "mesure d'audience anonyme."
    monkeypatch.setenv("SIGNAGE_NOTICE__TEXT__FR__PURPOS", "x")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert "notice.text.fr.purpos: unknown key (from SIGNAGE_NOTICE__TEXT__FR__PURPOS)" in str(exc.value)
