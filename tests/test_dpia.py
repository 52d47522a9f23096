"""`signage dpia`: the DPIA draft from the configuration and the product's evidence (issue 17)."""

import re
import subprocess
from pathlib import Path

import pytest

from signage.cli import main
from signage.config import Settings
from signage.disclosure.dpia import INVARIANTS, detection_range_m, draft
from signage.sensing.model_files import expected_sha256

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)


def _marks(md: str) -> list[str]:
    return re.findall(r"\[OPERATOR: ([^\]]+)\]", md)


def test_detection_range():
    assert detection_range_m(640, 70.0, 28) == pytest.approx(2.29, abs=0.01)  # docs/sensing.md: about 2.3 m
    assert detection_range_m(1280, 70.0, 28) == pytest.approx(2 * detection_range_m(640, 70.0, 28))


def test_filled_from_the_configuration():
    s = Settings(notice={"controller": "Épicerie Nord", "contact": "c@e.example"}, analytics={"retention_days": 12},
                 camera={"width": 1280, "height": 720}, privacy={"camera_fov_deg": 70, "dpo": "J. Martin"})
    md = draft(s, "2026-12-03")
    for fact in ("Épicerie Nord", "c@e.example", "12 days", "1280x720", "about **4.6 m**", "DPO:** J. Martin",
                 "2026-12-03", "legitimate interest"):
        assert fact in md, fact
    for name, digest in expected_sha256().items():  # the models running, by hash
        assert f"`{name}` sha256 `{digest}`" in md
    assert "field of view" not in " ".join(_marks(md))  # known, so not asked


def test_what_only_the_operator_knows_is_marked_not_guessed():
    marks = " | ".join(_marks(draft(Settings(), "2026-12-03")))
    for question in ("postal address", "name the DPO", "field of view", "site, the screen and camera position",
                     "staff in view", "name, role, date", "low / medium / high"):
        assert question in marks, question


def test_every_invariant_has_a_test_that_exists():
    assert len(INVARIANTS) == 9  # ARCHITECTURE.md's nine privacy invariants
    md = draft(Settings(), "2026-12-03")
    for name, _guarantee, tests in INVARIANTS:
        assert name in md
        for t in tests.split(", "):
            assert (ROOT / t).is_file(), f"{name}: {t} does not exist"


def test_cli_writes_markdown_and_a_pdf(tmp_path, capsys):
    assert main(["dpia", "--md", str(tmp_path / "d.md"), "--pdf", str(tmp_path / "d.pdf")]) == 0
    md = (tmp_path / "d.md").read_text()
    assert md.startswith("# Data protection impact assessment (draft)")
    info = subprocess.run(["pdfinfo", str(tmp_path / "d.pdf")], capture_output=True, check=True, text=True).stdout
    assert "(A4)" in info and int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 2
    assert main(["dpia", "--pdf", str(tmp_path / "none" / "d.pdf")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_zones_and_expressions_off_are_in_the_draft():
    s = Settings(sensing={"expressions": "off",
                          "zones": [{"name": "till", "points": [[0.7, 0.5], [1, 0.5], [1, 1], [0.7, 1]]}]})
    md = draft(s, "2026-12-03")
    assert "exclusion zone(s) (till)" in md and "Exclusion zones: till" in md
    assert "expressions are off" in md and "**off**" in md
