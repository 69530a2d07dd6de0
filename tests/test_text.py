"""The article text rule and code point offsets, against the shared vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsmark.text import article_text, is_article_text, quote_mismatches

VECTORS = json.loads((Path(__file__).parent / "vectors" / "article_text.json").read_text(encoding="utf-8"))
CASES = VECTORS["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_article_text_matches_vectors(case):
    assert article_text(case["paragraphs"]) == case["text"]
    assert is_article_text(case["text"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_quotes_sit_at_code_point_offsets(case):
    text = case["text"]
    for q in case["quotes"]:
        assert text[q["start"] : q["end"]] == q["exact"]
        assert quote_mismatches(text, q["exact"], "", "", q["start"], q["end"]) == {}
        # The vectors' UTF-16 offsets (for the extension) describe the same span.
        utf16 = text.encode("utf-16-le")
        assert utf16[2 * q["start_utf16"] : 2 * q["end_utf16"]].decode("utf-16-le") == q["exact"]


@pytest.mark.parametrize(
    "text",
    [" leading", "trailing ", "double  space", "one\nnewline", "three\n\n\nnewlines", "tab\there", ""],
)
def test_text_not_in_article_form_is_recognised(text):
    assert not is_article_text(text)


def test_mismatch_reports_each_field():
    text = "The US struck 85 targets on Friday."
    start = text.index("85 targets")
    assert quote_mismatches(text, "85 targets", "struck ", " on", start, start + 10) == {}
    assert set(quote_mismatches(text, "85 targets", "hit ", " on", start, start + 10)) == {"quote.prefix"}
    assert set(quote_mismatches(text, "85 targets", "", " in", start, start + 10)) == {"quote.suffix"}
    assert set(quote_mismatches(text, "86 targets", "", "", start, start + 10)) == {"quote.exact"}
    assert set(quote_mismatches(text, "x", "", "", 100, 101)) == {"position.end"}
