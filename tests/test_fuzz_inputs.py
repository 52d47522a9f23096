"""No input ever crashes it: mutated playlists, scenarios, environment variables and config
files, each either accepted or refused with the product's own message (tests/fuzzing.py).

The suite runs a fixed budget per kind (FUZZ_EXAMPLES, default 60, derandomised so every run
tries the same cases); ``tools/fuzz-inputs`` runs 10,000 of each with fresh randomness."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzing

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("FUZZ_RANDOM") != "1",
                suppress_health_check=list(HealthCheck), database=None)
OPS = st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 1 << 30), st.integers(0, 1 << 30)),
               min_size=1, max_size=6)


@FUZZ
@given(base=st.sampled_from(fuzzing.PLAYLISTS), ops=OPS, structural=st.booleans())
def test_mutated_playlists_are_accepted_and_play_or_are_refused_with_the_file_named(base, ops, structural):
    text = fuzzing.mutated(base.read_text(encoding="utf-8"), ops, structural)
    fuzzing.check_playlist(text, base)


@FUZZ
@given(ops=OPS)
def test_mutated_campaigns_are_accepted_and_play_or_are_refused_with_the_file_named(ops):
    """The campaigns: section alone (flights, goals), simulated inside the first flight."""
    base = fuzzing.ROOT / "playlists" / "campaigns.yaml"
    text = fuzzing.mutated_part(base.read_text(encoding="utf-8"), "campaigns", ops)
    fuzzing.check_playlist(text, base, start="2026-12-01T07:30")


@FUZZ
@given(base=st.sampled_from(fuzzing.SCENARIOS), ops=OPS, structural=st.booleans())
def test_mutated_scenarios_simulate_or_are_refused_with_the_file_named(base, ops, structural):
    text = fuzzing.mutated(base.read_text(encoding="utf-8"), ops, structural)
    with tempfile.TemporaryDirectory() as tmp:
        fuzzing.check_scenario(text, fuzzing.ROOT / "playlists" / "demo.yaml", Path(tmp))


@FUZZ
@given(env=st.dictionaries(st.sampled_from(fuzzing.setting_paths()),
                           st.sampled_from(fuzzing.ENV_VALUES) | st.text(max_size=30).filter(lambda s: "\x00" not in s),
                           min_size=1, max_size=4))
def test_mutated_environment_variables_are_accepted_or_refused_naming_the_variable(env):
    fuzzing.check_env(env)


@FUZZ
@given(base=st.sampled_from(fuzzing.CONFIGS), ops=OPS)
def test_mutated_config_files_are_accepted_or_refused_naming_the_file(base, ops):
    text = fuzzing.mutate_text(base.read_text(encoding="utf-8"), ops)
    with tempfile.TemporaryDirectory() as tmp:
        fuzzing.check_config_file(text, Path(tmp))
