"""The article text rule and the checks of a quote against it.

The article text is the body paragraphs' text, each paragraph with runs of
white space collapsed to one space and trimmed, empty paragraphs dropped, and
paragraphs joined by a blank line ("\\n\\n"). The extension builds the same text
(``extension/src/text.js``); both are tested against ``tests/vectors/``.

Offsets are counted in Unicode code points, as Python indexes a ``str``.
"""

from __future__ import annotations

import base64
import binascii
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


#: The RFC 6920 "ni" name of an article version: its text's SHA-256, base64url without padding.
_VERSION_IRI = re.compile(r"ni:///sha-256;([A-Za-z0-9_-]{43})")


def version_iri(sha256: str) -> str:
    """The version with text SHA-256 ``sha256`` (hex) as an RFC 6920 IRI, ``ni:///sha-256;<base64url>``."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256)).rstrip(b"=").decode("ascii")
    return f"ni:///sha-256;{digest}"


def sha256_of_version_iri(iri: str) -> str | None:
    """The hex SHA-256 that :func:`version_iri` made ``iri`` from; None if ``iri`` is not of that form."""
    match = _VERSION_IRI.fullmatch(iri)
    if match is None:
        return None
    try:
        digest = base64.urlsafe_b64decode(match.group(1) + "=")
    except (binascii.Error, ValueError):
        return None
    sha = digest.hex()
    # 43 characters hold 258 bits: refuse the spellings whose last two bits are not zero,
    # so that one version has one name.
    return sha if version_iri(sha) == iri else None


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
