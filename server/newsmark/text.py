"""The article text rule and the checks of a quote against it.

The article text is the body paragraphs' text, each paragraph with runs of
white space collapsed to one space and trimmed, empty paragraphs dropped, and
paragraphs joined by a blank line ("\\n\\n"). The extension builds the same text
(``extension/src/text.js``); both are tested against ``tests/vectors/``.

Offsets are counted in Unicode code points, as Python indexes a ``str``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

PARAGRAPH_SEPARATOR = "\n\n"

# Exactly the characters JavaScript's ``\s`` matches, spelt out, because
# Python's ``\s`` differs (it also takes U+001C-U+001F and U+0085, and not
# U+FEFF). Both languages must collapse the same characters or offsets drift.
WHITESPACE_CLASS = "[\t\n\u000b\u000c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_WHITESPACE_RUN = re.compile(WHITESPACE_CLASS + "+")


def normalize_paragraph(raw: str) -> str:
    """Collapse every run of white space to one space and trim the ends."""
    return _WHITESPACE_RUN.sub(" ", raw).strip(" ")


def article_text(paragraphs: Iterable[str]) -> str:
    """Build the article text from the body paragraphs' raw text."""
    kept = (normalize_paragraph(p) for p in paragraphs)
    return PARAGRAPH_SEPARATOR.join(p for p in kept if p)


def is_article_text(text: str) -> bool:
    """True if ``text`` is already in the form :func:`article_text` produces."""
    return bool(text) and article_text(text.split(PARAGRAPH_SEPARATOR)) == text


def text_sha256(text: str) -> str:
    """The hex SHA-256 of the text's UTF-8 bytes: the id of an article version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def quote_mismatches(text: str, exact: str, prefix: str, suffix: str, start: int, end: int) -> dict[str, str]:
    """Check a quote and its position against the article text.

    :returns: the problems found, by field path; empty when the quote fits.
    """
    if end > len(text):
        return {"position.end": f"is {end}, past the end of the article text ({len(text)} characters)"}
    problems: dict[str, str] = {}
    if text[start:end] != exact:
        problems["quote.exact"] = (
            f"does not match the article text at position {start}-{end} "
            f"(the text there is {text[start:end][:80]!r})"
        )
        return problems
    if prefix and text[max(0, start - len(prefix)) : start] != prefix:
        problems["quote.prefix"] = "does not match the text just before the quote"
    if suffix and text[end : end + len(suffix)] != suffix:
        problems["quote.suffix"] = "does not match the text just after the quote"
    return problems
