"""`signage validate` and `signage schema` as advertisers run them: the real command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from signage.playlist.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "playlists").glob("*.yaml"))


def cli(*args, cwd=ROOT):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    return subprocess.run([sys.executable, "-m", "signage.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_validate_accepts_every_example():
    p = cli("validate", *EXAMPLES)
    assert p.returncode == 0, p.stderr
    for path in EXAMPLES:
        assert f"{path}: valid" in p.stdout


def test_validate_lists_every_error_and_exits_1(tmp_path):
    shutil.copy(ROOT / "content" / "welcome.png", tmp_path / "welcome.png")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\n"
        "creatives:\n"
        "  - {id: w, type: image, source: welcome.png}\n"
        "  - {id: v, type: video, source: nope.mp4}\n"
        "loop: [w, x]\n"
        "rules:\n"
        "  - {id: r, when: {watcher: '>= 2'}, play: w}\n")
    p = cli("validate", bad, ROOT / "playlists" / "demo.yaml")
    assert p.returncode == 1
    err = p.stderr.splitlines()
    assert err[0] == f"{bad}: not loaded, 3 errors"
    assert f"  {bad}:4: creatives.1.source (creative 'v'): file not found: nope.mp4 (looked for {tmp_path / 'nope.mp4'})" in err
    assert f"  {bad}:5: loop.1: no creative has the id 'x'" in err
    assert f"  {bad}:7: rules.0.when.watcher (rule 'r'): unknown field; did you mean 'watchers'?" in err
    assert "playlists/demo.yaml: valid" in p.stdout  # the other file is still checked


def test_validate_missing_file():
    p = cli("validate", "no/such.yaml")
    assert p.returncode == 1 and "no/such.yaml: not loaded, 1 error" in p.stderr and "file not found" in p.stderr


@pytest.fixture(scope="module")
def schema():
    p = cli("schema")
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    jsonschema.Draft202012Validator.check_schema(s)
    return s


def as_json(path: Path):
    """The playlist as an editor sees it: plain JSON values (YAML dates become text)."""
    return json.loads(json.dumps(load_yaml(path.read_text(encoding="utf-8")), default=str))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_schema_accepts_every_example(schema, path):
    jsonschema.validate(as_json(path), schema)


def test_schema_flags_a_typo_as_an_editor_would(schema):
    data = as_json(ROOT / "playlists" / "demo.yaml")
    data["rules"][0]["when"]["smile_ration"] = ">= 0.5"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
    data = as_json(ROOT / "playlists" / "demo.yaml")
    data["rules"][0]["when"]["faces"] = ">= lots"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
