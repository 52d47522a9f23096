"""[fleet] (signage/config/fleet.py): off by default, strict, every wrong value named with its key path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from signage.config import ConfigError, load_settings
from signage.fleet.messages import ID_PATTERN

GOOD = dict(enabled=True, broker_host="broker.example", broker_port=8883, site="shop-1", screen="s1",
            password_file="/etc/signage/fleet.password", tls={"ca_file": "/etc/signage/fleet-ca.pem"})


def test_off_by_default_and_the_defaults_are_valid():
    f = load_settings().fleet
    assert f.enabled is False and f.health_s == 10 and f.tls.mode == "tls" and f.outbox_path == ""


def test_a_complete_setting_from_toml(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[fleet]\nenabled = true\nbroker_host = "broker.example"\nsite = "shop-1"\nscreen = "s1"\n'
                 'password_file = "/etc/signage/fleet.password"\nhealth_s = 30\n'
                 '[fleet.tls]\nca_file = "/etc/ca.pem"\ncert_file = "/etc/c.pem"\nkey_file = "/etc/k.pem"\n')
    f = load_settings(p).fleet
    assert (f.enabled, f.site, f.screen, f.health_s, f.tls.cert_file) == (True, "shop-1", "s1", 30, "/etc/c.pem")


def test_plain_is_for_loopback_or_a_reverse_tunnel():
    f = load_settings(fleet={**GOOD, "broker_host": "127.0.0.1", "tls": {"mode": "plain"}}).fleet
    assert f.tls.mode == "plain"


@pytest.mark.parametrize("change, says", [
    (dict(broker_host=""), "fleet: Value error, broker_host is needed"),
    (dict(screen=""), "fleet: Value error, screen is needed"),
    (dict(site=""), "fleet: Value error, site is needed"),
    (dict(password_file=""), "fleet: Value error, password_file is needed"),
    (dict(tls={}), "tls.ca_file is needed"),
    (dict(tls={"mode": "plain"}), "plain\" is for a broker on this machine"),
    (dict(tls={"ca_file": "/ca", "cert_file": "/c"}), "fleet.tls: Value error, cert_file and key_file go together"),
    (dict(screen="Screen 1"), "fleet.screen: Value error, 'Screen 1' is not a fleet id"),
    (dict(site="../x"), "fleet.site: Value error, '../x' is not a fleet id"),
    (dict(health_s=0), "fleet.health_s: Input should be greater than or equal to 1"),
    (dict(broker_port=0), "fleet.broker_port: Input should be greater than or equal to 1"),
    (dict(max_backlog=1), "fleet.max_backlog"),
    (dict(content_base_url="ftp://x"), "fleet.content_base_url"),
    (dict(bogus=1), "fleet.bogus: unknown key"),
    (dict(tls={"ca_file": "/ca", "verify": False}), "fleet.tls.verify: unknown key"),
])
def test_a_wrong_value_names_its_key_and_reason(change, says):
    with pytest.raises(ConfigError) as e:
        load_settings(fleet={**GOOD, **change})
    assert says in str(e.value), str(e.value)


def test_from_the_environment_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("SIGNAGE_FLEET__SCREEN", "S!")
    with pytest.raises(ConfigError) as e:
        load_settings()
    assert "fleet.screen: " in str(e.value) and "(from SIGNAGE_FLEET__SCREEN)" in str(e.value)


def test_a_disabled_agent_needs_nothing_else():
    assert load_settings(fleet={"enabled": False, "tls": {"mode": "tls"}}).fleet.broker_host == ""


@hsettings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "enabled": st.booleans(), "broker_host": st.text(max_size=30), "broker_port": st.integers(-5, 70000),
    "site": st.text(max_size=70), "screen": st.from_regex(ID_PATTERN, fullmatch=True) | st.text(max_size=10),
    "health_s": st.floats(allow_nan=True), "max_backlog": st.integers(-1, 10**8),
    "password_file": st.text(max_size=20), "content_base_url": st.text(max_size=20),
    "tls": st.fixed_dictionaries({}, optional={"mode": st.sampled_from(["tls", "plain", "none"]),
                                              "ca_file": st.text(max_size=5), "cert_file": st.text(max_size=5)}),
}))
def test_fuzzed_fields_give_a_config_or_a_config_error_naming_fleet(fields):
    try:
        f = load_settings(fleet=fields).fleet
    except ConfigError as e:
        assert "fleet" in str(e)
    else:
        import re

        for key in ("site", "screen"):
            assert getattr(f, key) == "" or re.fullmatch(ID_PATTERN, getattr(f, key))
        assert 1 <= f.broker_port <= 65535 and f.health_s >= 1
        if f.enabled:
            assert f.broker_host and f.site and f.screen and f.password_file
            assert f.tls.mode == "plain" or f.tls.ca_file
