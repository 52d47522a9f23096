"""No emotion words (issue 17): we detect readily apparent expressions, we do not recognise
emotions. The schema, the stored columns, exports, notice texts, the privacy page, the DPIA,
the fleet's messages, the admin pages and the docs never use an emotion word, except in the
sentence that says we do not recognise emotions. Dataset label names written as code
(`happy`, Yale's label) and program output in fenced blocks are quotations, not our words."""

import json
import re
import sqlite3
from pathlib import Path

import pytest

from signage.analytics.migrations import migrate
from signage.config import Settings
from signage.config.screen import DEFAULT_NOTICE_TEXT
from signage.disclosure.dpia import draft
from signage.disclosure.facts import facts
from signage.disclosure.html import page_html
from signage.fleet.messages import schemas
from signage.playlist.schema import json_schema as playlist_json_schema

ROOT = Path(__file__).resolve().parent.parent
WORDS = re.compile(r"\b(happy|happiness|sad|sadness|moods?|emotions?|emotional|angry|anger|joy(ful)?|fear(ful)?|"
                   r"disgust(ed)?|sentiment|émotions?|humeur|joie|colère|tristesse|triste|peur)\b", re.I)
DISCLAIMER = re.compile(r"(not|never|ne) (claim to )?(recogni[sz]e|reconnaît|reconnaissons)( pas)? (les )?émotions|"
                        r"(not|never) (claim to )?recogni[sz]e emotions|not emotions|never emotions", re.I)


def offending(text: str) -> list[str]:
    """Sentences of ``text`` with an emotion word, code and the disclaimer left out."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    bad = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", text):
        sentence = " ".join(sentence.split())
        if WORDS.search(sentence) and not DISCLAIMER.search(sentence):
            bad.append(sentence[:160])
    return bad


def test_the_scanner_finds_and_allows():
    assert offending("The mood mix of the day.") == ["The mood mix of the day."]
    assert offending("We do not claim to recognise emotions, and never infer age.") == []
    assert offending("Yale labels `happy` and `sad`.\n```\nhappy 15/15\n```") == []
    assert offending("Il ne reconnaît pas les émotions.") == []
    assert offending("humeur du jour") == ["humeur du jour"]


DOCS = sorted([ROOT / "README.md", ROOT / "BENCHMARKS.md", *(ROOT / "docs").glob("*.md"),
               *(ROOT / "kiosk").glob("*.toml"), *(ROOT / "signage/admin/templates").glob("*.html"),
               *(ROOT / "tests/analytics/data").glob("adlog*")])


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_pages_and_exports(path):
    assert offending(path.read_text()) == []


def test_schemas_and_stored_columns():
    assert offending(json.dumps(playlist_json_schema())) == []
    assert offending(json.dumps(schemas())) == []
    conn = sqlite3.connect(":memory:")
    migrate(conn, Path(":memory:"))
    names = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")]
    assert names and offending(" ".join(names).replace("_", " ")) == []


def test_notice_privacy_page_and_dpia():
    for lang, t in DEFAULT_NOTICE_TEXT.items():
        assert offending(" ".join(v for v in t.model_dump().values() if v)) == [], lang
    s = Settings()
    assert offending(re.sub(r"<[^>]+>", " ", page_html(facts(s)))) == []
    assert offending(draft(s, "2026-12-03")) == []
