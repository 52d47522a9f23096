"""The limits contract: the documented table is the code's, and each bound is enforced."""

from pathlib import Path

import pytest

from signage.playlist import limits
from signage.playlist.loader import PlaylistError, parse_playlist

ROOT = Path(__file__).resolve().parents[2]
BASE = "name: t\ncreatives:\n  - {id: a, type: text, headline: Hi, duration: 5s}\nloop: [a]\n"


def test_the_documented_table_is_the_one_in_the_code():
    doc = (ROOT / "docs" / "playlists.md").read_text(encoding="utf-8")
    for what, lo, hi in limits.TABLE:
        assert f"| {what} | {lo} | {hi} |" in doc, what


def refused(text: str) -> str:
    with pytest.raises(PlaylistError) as err:
        parse_playlist(text, Path("/srv/p.yaml"), check_assets=False)
    return err.value.format()


@pytest.mark.parametrize("extra, field, words", [
    ("recheck: 0\n", "recheck", "0.2s"),
    ("recheck: .inf\n", "recheck", "31 days"),
    ("recheck: 2h\n", "recheck", "1h"),
    ("rules:\n  - {id: r, when: {faces: 1}, play: a, cooldown: 1e300}\n", "rules.0.cooldown", "31 days"),
    ("rules:\n  - {id: r, when: {faces: 1}, play: a, cooldown: 32d}\n", "rules.0.cooldown", "not a duration"),
    ("rules:\n  - {id: r, when: {faces: 1}, play: a, max_per_hour: 100000}\n", "rules.0.max_per_hour", "3600"),
    ("rules:\n  - {id: r, when: {faces: '> 1e9'}, play: a}\n", "rules.0.when.faces", "not a test"),
    ("rules:\n  - {id: r, when: {faces: {min: 2000000}}, play: a}\n", "rules.0.when.faces", "1,000,000"),
    ("rules:\n  - {id: r, when: {dates: {from: 2027-02-29}}, play: a}\n", "rules.0.when.dates.from", "day value"),
    ("rules:\n  - {id: r, when: {dates: {to: 9999-12-31}}, play: a}\n", "rules.0.when.dates", "2100"),
    ("dayparts: {'': {from: '10:00', to: '11:00'}}\n", "dayparts", "not a valid name"),
    ("campaigns:\n  - {id: C, flights: [{from: 2026-12-01, to: 2026-12-02}], min_per_hour: 3601}\n",
     "campaigns.0.min_per_hour", "3600"),
    ("campaigns:\n  - {id: C, flights: [{from: 2026-12-01, to: 2026-12-02}], max_per_day: 86401}\n",
     "campaigns.0.max_per_day", "86400"),
    ("campaigns:\n  - {id: C, flights: [" + ", ".join(f"{{from: '2026-12-01 {h // 60:02d}:{h % 60:02d}', to: '2026-12-01 "
                                                      f"{h // 60:02d}:{h % 60:02d}:30'}}" for h in range(101))
     + "]}\n", "campaigns.0.flights", "at most 100"),
    ("campaigns:\n  - {id: C, flights: [{from: 2099-12-31, to: 2101-01-01}]}\n", "campaigns.0.flights.0.to", "2100"),
])  # fmt: skip
def test_each_bound_is_refused_naming_the_field(extra, field, words):
    msg = refused(BASE + extra)
    assert field in msg and words in msg and "Traceback" not in msg, msg


@pytest.mark.parametrize("duration", [".nan", ".inf", "99999999h", "0.1s", "25h", "1e400"])
def test_a_creative_duration_out_of_bounds_is_refused(duration):
    msg = refused(BASE.replace("duration: 5s", f"duration: {duration}"))
    assert "creatives.0.duration" in msg, msg


def test_the_extremes_that_are_allowed_load():
    ok = BASE.replace("duration: 5s", "duration: 24h") + (
        "recheck: 0.2s\nrules:\n  - {id: r, when: {faces: '>= 1000000'}, play: a, cooldown: 31 days, max_per_hour: 3600}\n")
    ok = ok.replace("cooldown: 31 days", "cooldown: 744h")
    parse_playlist(ok, Path("/srv/p.yaml"), check_assets=False)


def test_deep_nesting_is_refused_with_its_line_not_a_recursion_error():
    cond = "{faces: 0}"
    for _ in range(250):
        cond = "{not: " + cond + "}"
    msg = refused(BASE + f"rules:\n  - {{id: r, when: {cond}, play: a}}\n")
    assert ":6:" in msg and f"{limits.MAX_NESTING} levels" in msg, msg


def test_a_control_character_is_refused_with_its_line_and_column():
    msg = refused(BASE.replace("headline: Hi", "headline: 'Hi\x0bthere'"))
    assert ":3:" in msg and "U+000B" in msg and "column" in msg, msg


def test_a_symbolic_link_loop_as_a_source_is_refused(tmp_path):
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    text = "name: t\ncreatives:\n  - {id: a, type: image, source: a.png}\nloop: [a]\n"
    with pytest.raises(PlaylistError) as err:
        parse_playlist(text, tmp_path / "p.yaml")
    assert "creatives.0.source" in err.value.format() and "loop of symbolic links" in err.value.format()
