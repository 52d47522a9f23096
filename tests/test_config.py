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


# -- [screen]: who the screen is (docs/reports.md) --------------------------------------------------


def test_screen_identity_from_toml(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[screen]\nid = "cafe-1"\nsite = "Café Lumière"\nvenue_type = "retail.grocery.check_out"\n'
                 'latitude = 48.8566\nlongitude = 2.3522\nsize_in = 43\ntimezone = "Europe/Paris"\n')
    s = load_settings(f).screen
    assert (s.id, s.site, s.venue_type, s.latitude, s.longitude, s.size_in, s.timezone) == (
        "cafe-1", "Café Lumière", "retail.grocery.check_out", 48.8566, 2.3522, 43.0, "Europe/Paris")
    assert load_settings().screen.venue_type == ""  # not set: allowed


@pytest.mark.parametrize("key, value, says", [
    ("venue_type", "retail.grocry", "'retail.grocry' is not a venue type of the OpenOOH Venue Taxonomy 1.2"
                                    " (docs/reports.md lists where to find them); did you mean 'retail.grocery'"),
    ("venue_type", "Grocery", "not a venue type"),
    ("timezone", "Europe/Pariss", "unknown time zone 'Europe/Pariss' (use an IANA name like UTC or Europe/Paris)"),
    ("timezone", "../../etc/passwd", "unknown time zone"),
    ("latitude", "91", "less than or equal to 90"),
    ("id", "café 1", "should match pattern"),
])
def test_a_bad_screen_setting_names_its_key_and_reason(monkeypatch, key, value, says):
    monkeypatch.setenv(f"SIGNAGE_SCREEN__{key.upper()}", value)
    with pytest.raises(ConfigError) as e:
        load_settings()
    assert f"screen.{key}: " in str(e.value) and says in str(e.value), str(e.value)


def test_latitude_without_longitude_is_refused():
    with pytest.raises(ConfigError, match="latitude and longitude go together"):
        load_settings(screen={"latitude": 48.0})


def test_every_vendored_venue_type_is_accepted_and_ids_are_the_specs():
    from signage.identity import venue_types

    types = venue_types()
    assert len(types) == 209  # 210 rows, one string value the specification repeats (81101 and 81201)
    assert types["retail"] == 2 and types["retail.grocery"] == 203 and types["transit.airport.gates"] == 10105
    for name in types:
        assert load_settings(screen={"venue_type": name}).screen.venue_type == name


def test_screen_strings_fuzzed_never_raise_anything_but_config_error():
    from hypothesis import given, settings as hsettings, strategies as st

    @hsettings(max_examples=150, deadline=None)
    @given(st.text(max_size=90), st.text(max_size=70))
    def check(venue, zone):
        try:
            s = load_settings(screen={"venue_type": venue, "timezone": zone}).screen
        except ConfigError as e:
            assert "screen." in str(e)
        else:
            from signage.identity import time_zone, venue_types

            assert venue == "" or venue in venue_types()
            assert zone == "" or time_zone(zone)

    check()


def test_config_file_errors_give_the_line_of_the_key(tmp_path):
    f = tmp_path / "signage.toml"
    f.write_text('# kiosk\n"analytics".retention_days = 0\n[display]\nfps = 1000\n\n[sensing.tracker]\n'
                 'max_age_s = -1\nbogus = 2\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(f)
    msg = str(err.value)
    for expected in ("line 2: analytics.retention_days", "line 4: display.fps", "line 7: sensing.tracker.max_age_s",
                     "line 8: sensing.tracker.bogus: unknown key"):
        assert expected in msg, msg
