"""The data contract shared by the extension, the store and the exports.

Everything a client may rely on is defined here once: the tags, the schema
version, the field limits and how an article URL is normalised. The JSON
Schemas in ``schemas/`` describe the same contract; a test keeps them equal.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit, urlunsplit

SCHEMA_VERSION = 2
#: The versions an import reads (an earlier one is brought up to this one, as at open: see migration.py).
READABLE_SCHEMA_VERSIONS: tuple[int, ...] = (1, 2)

#: The coding scheme of content analysis: who acts, what is asserted, which numbers are given.
TAGS: tuple[str, ...] = ("actor", "claim", "figure")

#: How hedged a figure is: "at least 16 people" is at_least, "about 30 minutes" approx, "10 to 12" range.
QUALIFIERS: tuple[str, ...] = ("exact", "at_least", "more_than", "at_most", "less_than", "approx", "range")

#: The fields of schema_version 2 that apply to one tag each; on the others they hold the value given here
#: (null, or an empty list), so that every annotation has every key (a CSV row, a pandas frame, the same).
TAG_FIELDS: dict[str, tuple[str, ...]] = {
    "actor": ("entity",),
    "claim": ("attributed_to",),
    "figure": ("value", "value_high", "unit", "qualifier"),
}
NOT_APPLICABLE: dict[str, list[str] | None] = {
    "attributed_to": [],
    "entity": None,
    "value": None,
    "value_high": None,
    "unit": None,
    "qualifier": None,
}
#: The keys of a stored (and exported) annotation, in their order. id and url lead (and tag after
#: them): the store reads them off the data file without parsing documents (store.TABLES).
ANNOTATION_KEYS: tuple[str, ...] = (
    "id", "url", "tag", "quote", "position", "note", "annotator",
    "attributed_to", "entity", "value", "value_high", "unit", "qualifier",
    "article_sha256", "created", "updated", "schema_version",
)  # fmt: skip
#: What an article version (and an article's latest state) keeps of what the page states about it.
ARTICLE_METADATA_KEYS: tuple[str, ...] = ("published", "updated", "section", "authors", "date_published")

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
MAX_ENTITY = 200
MAX_UNIT = 100
#: Actors one claim is attributed to: a claim made jointly by a few, never a list of everyone.
MAX_ATTRIBUTED = 50
#: Entity names one rename (a merge) takes at a time.
MAX_RENAME_FROM = 100
#: The page's JSON-LD ``datePublished``, as it states it (an ISO 8601 time is about 30 characters).
MAX_DATE_PUBLISHED = 100
MAX_SECTION = 100
MAX_AUTHORS = 100
MAX_AUTHOR = 200
#: The longest text search (``q``): a phrase, not a passage; each request scans every quote and note.
MAX_QUERY = 200
MAX_BODY_BYTES = 1024 * 1024
#: The most URLs one ``POST /api/articles/lookup`` takes: a listing page's links (lite.cnn.com's
#: home page links about 100 articles). 200 URLs of MAX_URL characters fit in MAX_BODY_BYTES.
MAX_LOOKUP_URLS = 200

#: Times (created, updated, first and last seen) accepted from outside: none before this,
#: none later than this much after now.
EARLIEST_TIME = "1990-01-01T00:00:00Z"
FUTURE_LEEWAY = timedelta(days=1)

#: Characters refused in text values, as regular expression classes (the same in Python and
#: in the JSON Schemas). NUL blanks a field in R and cuts a string in jsonlite; no control
#: character belongs in a name or a title, one line of text each.
NOT_IN_ONE_LINE = r"[\u0000-\u001f\u007f\u2028\u2029]"  # annotator; title, byline, timestamp_text
#: A note keeps tab and line feed (CR LF and a lone CR become LF on the way in: see normalize_note).
NOT_IN_NOTE = r"[\u0000-\u0008\u000b-\u001f\u007f]"
#: Quotes and article text are copies of the page's text, which may hold other controls (from a
#: character reference such as &#1;) that a quote must then match; an HTML page's text never holds NUL.
NOT_IN_PAGE_TEXT = r"[\u0000]"

#: An article version's number in ``?version=`` (1 is the first), ASCII digits only.
VERSION_NUMBER = "[1-9][0-9]{0,5}"

#: Deterministic article ids: the same URL gets the same id on every machine,
#: so exports from several coders merge without remapping.
_ARTICLE_NAMESPACE = uuid.UUID("6f1c1c52-5a43-4be5-9a53-6d7a8f6a2e10")


class UrlError(ValueError):
    """A URL that is not an acceptable article URL; the message says why."""


#: What RFC 3986 allows as is in a path (unreserved, sub-delims, ":", "@", "/"); "%" only where it
#: begins a percent-encoded byte. RFC 3987 allows more (non-ASCII letters), but browsers send those
#: percent-encoded, and one spelling per page keeps one article per page.
_NOT_IN_PATH = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]")
#: A host name as browsers send it: ASCII letters, digits, hyphens, dots (and underscores, seen in the wild).
_HOST_NAME = re.compile(r"[a-z0-9_.-]+")


def normalize_url(raw: str) -> str:
    """Return the canonical form of an article URL, a valid IRI (and URI).

    Lowercase scheme and host, no query, no fragment, no default port; a
    non-ASCII host in its IDNA (``xn--``) form; every character of the path that
    RFC 3986/3987 do not allow there (a space, ``" < > \\ ^ ` { | }``, non-ASCII, a
    ``%`` that begins no percent-encoded byte) percent-encoded as UTF-8, as a
    browser sends it. Percent-encoded bytes already there are kept as they are.

    :raise UrlError: if the URL is not an absolute http(s) URL with a host.
    """
    if raw != raw.strip():
        raise UrlError("must not begin or end with white space")
    if any((ch.isspace() and ch != " ") or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        raise UrlError("must not contain control characters or white space other than spaces")
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
    host = _host(parts.hostname or "", bracketed=parts.netloc.startswith("["))
    default_port = 443 if scheme == "https" else 80
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    try:
        path = _NOT_IN_PATH.sub(lambda m: quote(m.group(), safe=""), parts.path) or "/"
    except UnicodeEncodeError:
        raise UrlError("holds a character that is not Unicode text (a lone surrogate)") from None
    return urlunsplit((scheme, netloc, path, "", ""))


def _host(host: str, *, bracketed: bool) -> str:
    """The host as a browser writes it; :raise UrlError: if it is not a host name or IP address."""
    if not host:
        raise UrlError("must name a host")
    if bracketed:
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise UrlError(f"has {host!r} in brackets, which is not an IPv6 address") from None
        if address.scope_id:
            raise UrlError("must not name an IPv6 zone")
        return f"[{address.compressed}]"
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UrlError(f"has a host {host!r} that is not a valid internationalised domain name") from None
    if not _HOST_NAME.fullmatch(host):
        raise UrlError(f"has a host {host!r} with characters not allowed in a host name")
    return host


def normalize_note(note: str) -> str:
    """Line breaks as LF: CR LF and a lone CR (old Mac) become LF, as R's read.csv reads them anyway."""
    return note.replace("\r\n", "\n").replace("\r", "\n")


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


_ONE_LINE = re.compile(NOT_IN_ONE_LINE)


def collapse_space(text: str) -> str:
    """One line: control characters and line separators as spaces, runs of white space as one, trimmed."""
    return " ".join(_ONE_LINE.sub(" ", text).split())


def default_entity(exact: str) -> str:
    """The entity of an actor coded without one: its quote in one line, cut to :data:`MAX_ENTITY`.

    A quote of white space alone (the space between two words, coded by a slip) names no one:
    it gets "?" rather than an empty name, which the contract refuses.
    """
    return collapse_space(exact)[:MAX_ENTITY].rstrip() or "?"
