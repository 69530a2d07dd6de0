"""The data contract shared by the extension, the store and the exports.

Everything a client may rely on is defined here once: the tags, the schema
version, the field limits and how an article URL is normalised. The JSON
Schemas in ``schemas/`` describe the same contract; a test keeps them equal.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

SCHEMA_VERSION = 1

#: The coding scheme of content analysis: who acts, what is asserted, which numbers are given.
TAGS: tuple[str, ...] = ("actor", "claim", "figure")

#: The viewer's orders for the annotation table (the first is the default) and its page sizes.
SORTS: tuple[str, ...] = ("newest", "oldest", "article", "tag", "coder")
PER_PAGE: tuple[int, ...] = (25, 50, 100, 200)

#: Export formats (see export.py).
EXPORT_FORMATS: tuple[str, ...] = ("json", "jsonl", "csv", "w3c")

#: Article hosts accepted by default; the ``article_hosts`` setting replaces this.
DEFAULT_ARTICLE_HOSTS: tuple[str, ...] = ("lite.cnn.com",)

MAX_EXACT = 5_000
MAX_CONTEXT = 32  # prefix and suffix, as the W3C TextQuoteSelector context
MAX_NOTE = 10_000
MAX_URL = 2_048
MAX_ANNOTATOR = 200
MAX_ARTICLE_TEXT = 500_000
MAX_ARTICLE_FIELD = 1_000  # title and byline
MAX_TIMESTAMP_TEXT = 200
#: The longest text search (``q``): a phrase, not a passage; each request scans every quote and note.
MAX_QUERY = 200
MAX_BODY_BYTES = 1024 * 1024

#: Deterministic article ids: the same URL gets the same id on every machine,
#: so exports from several coders merge without remapping.
_ARTICLE_NAMESPACE = uuid.UUID("6f1c1c52-5a43-4be5-9a53-6d7a8f6a2e10")


class UrlError(ValueError):
    """A URL that is not an acceptable article URL; the message says why."""


def normalize_url(raw: str) -> str:
    """Return the canonical form of an article URL.

    Lowercase scheme and host, no query, no fragment, no default port.

    :raise UrlError: if the URL is not an absolute http(s) URL with a path.
    """
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        raise UrlError("must not contain white space or control characters")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise UrlError(f"is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlError("must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise UrlError("must not contain a user name or password")
    host = (parts.hostname or "").lower()
    if not host:
        raise UrlError("must name a host")
    default_port = 443 if scheme == "https" else 80
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, "", ""))


def check_article_url(url: str, allowed_hosts: tuple[str, ...]) -> None:
    """Refuse a normalised URL that is not an article on an allowed host.

    :raise UrlError: with the reason.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise UrlError("must be an https URL")
    if parts.netloc not in allowed_hosts:
        raise UrlError(f"host {parts.netloc!r} is not allowed (allowed: {', '.join(allowed_hosts)})")
    if parts.path in ("", "/"):
        raise UrlError("must be an article URL, not the site's home page")


def article_id(url: str) -> str:
    """The stable id of the article at a normalised URL."""
    return str(uuid.uuid5(_ARTICLE_NAMESPACE, url))


def utc_now() -> str:
    """The current time as UTC ISO 8601 with milliseconds, e.g. 2024-02-03T13:43:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
