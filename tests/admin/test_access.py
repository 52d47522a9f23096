"""The rules of who may do what (signage/admin/access.py): pure functions, no server."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from signage.admin.access import (
    ACTIONS, ADVERTISER, OPERATOR, Account, can, may_see_version, redact_versions, refusal, status_for, visible,
)  # fmt: skip
from signage.admin.auth import Credentials

names = st.text(st.sampled_from("abcxyz.@-_0"), min_size=0, max_size=6)


def test_an_operator_may_do_everything():
    assert all(can(OPERATOR, a) for a in ACTIONS)
    assert all(refusal(OPERATOR, a) is None for a in ACTIONS)


def test_what_an_advertiser_may_do():
    allowed = {a for a in ACTIONS if can(ADVERTISER, a)}
    # upload, see and activate their own (the upload plays within seconds), read their reports
    assert allowed == {"upload", "drafts", "view_version", "activate", "view_status", "view_reports"}
    for action in ("rollback", "view_raw_status", "view_all_reports", "manage_accounts"):
        assert "operator" in refusal(ADVERTISER, action).lower()


def test_an_unknown_role_may_do_nothing_and_an_unknown_action_is_a_bug():
    assert not any(can("admin", a) for a in ACTIONS) and not any(can("", a) for a in ACTIONS)
    with pytest.raises(ValueError, match="unknown action"):
        can(OPERATOR, "delete_everything")


def test_whose_version():
    assert may_see_version("carol", ADVERTISER, "carol")
    assert not may_see_version("carol", ADVERTISER, "dave")
    assert not may_see_version("carol", ADVERTISER, None)  # without uploaded_by: the operators'
    assert not may_see_version("carol", ADVERTISER, "?")
    assert not may_see_version("", ADVERTISER, "")
    assert may_see_version("olga", OPERATOR, None) and may_see_version("olga", OPERATOR, "carol")
    assert not may_see_version("carol", "admin", "carol")


@given(account=names, uploaded_by=st.one_of(st.none(), names))
def test_an_advertiser_never_sees_a_version_uploaded_by_someone_else(account, uploaded_by):
    if may_see_version(account, ADVERTISER, uploaded_by):
        assert uploaded_by == account and account != ""


@given(account=names, owners=st.lists(st.one_of(st.none(), names), max_size=8))
def test_visible_keeps_exactly_the_accounts_own_in_order(account, owners):
    items = list(enumerate(owners))
    seen = visible(Account(account, ADVERTISER), items, lambda i: i[1])
    assert seen == [i for i in items if i[1] == account and account]
    assert visible(Account(account, OPERATOR), items, lambda i: i[1]) == items


STATUS = {"active": "20261201-100000-aaaaaa", "previous": "20261130-100000-bbbbbb", "player": {"pid": 12, "uptime_s": 5},
          "following": {"level": "ok", "message": "The player plays the active version 20261201-100000-aaaaaa.",
                        "plays": "version 20261201-100000-aaaaaa", "follows_link": True, "running": True},
          "in_words": [{"label": "Uptime", "text": "5 seconds"}]}


def test_the_status_an_advertiser_reads():
    assert status_for(Account("olga", OPERATOR), STATUS, None) == STATUS
    own = status_for(Account("carol", ADVERTISER), STATUS, "carol")
    assert own["active"] == STATUS["active"] and own["following"]["level"] == "ok" and own["in_words"] == STATUS["in_words"]
    others = status_for(Account("carol", ADVERTISER), STATUS, "dave")
    assert "aaaaaa" not in repr(others) and "bbbbbb" not in repr(others)  # neither the version nor the previous
    assert others["others_active"] and others["in_words"] == STATUS["in_words"]
    assert "pid" not in repr(own) and "uptime_s" not in repr(own)  # the raw facts: operators only


def test_what_the_player_plays_is_said_without_another_accounts_version():
    text = ("The player does NOT play the active version 20261201-100000-aaaaaa: it plays version "
            "20261130-100000-bbbbbb (“Dave's winter”).")
    said = redact_versions(text, "20261201-100000-aaaaaa")
    assert said == "The player does NOT play the active version 20261201-100000-aaaaaa: it plays another version."
    status = {**STATUS, "following": {**STATUS["following"], "level": "warning", "message": text}}
    assert "bbbbbb" not in repr(status_for(Account("carol", ADVERTISER), status, "carol"))


def test_roles_in_the_credentials_file(tmp_path):
    path = tmp_path / "credentials.json"
    creds = Credentials(path)
    creds.add_user("olga", "a long password")
    # a file written before roles: no "role" anywhere
    import json

    data = json.loads(path.read_text())
    data["users"]["olga"].pop("role")
    data["tokens"]["old"] = {"sha256": "0" * 64, "created": 0}
    path.write_text(json.dumps(data))
    creds = Credentials(path)
    assert creds.role("olga") == OPERATOR and creds.token_account("old") == ("token:old", OPERATOR)
    creds.add_user("carol", "a long password", role=ADVERTISER)
    creds.add_user("carol", "another password")  # re-adding keeps the role
    assert creds.role("carol") == ADVERTISER and creds.role("nobody") is None
    creds.create_token("carol-ci", user="carol")
    assert creds.token_account("carol-ci") == ("carol", ADVERTISER)
    creds.remove_user("carol")
    assert creds.token_account("carol-ci") is None  # a token of a removed user acts for no one
    data = json.loads(path.read_text())
    data["users"]["olga"]["role"] = "superuser"
    path.write_text(json.dumps(data))
    assert Credentials(path).role("olga") == ADVERTISER  # an unknown word never grants more
