"""What a lite.cnn.com article page states about itself, parsed for analysis.

:func:`article_metadata` turns four things the page shows into :class:`ArticleMetadata`:

``published``
    From the page's schema.org JSON-LD ``datePublished`` (:func:`date_published_from_jsonld` finds it),
    as ISO 8601 with the offset the page states, to the second: ``"2024-02-02T23:13:00Z"`` becomes
    ``"2024-02-02T23:13:00+00:00"``, ``"2024-02-02T18:13:00.000-05:00"`` becomes
    ``"2024-02-02T18:13:00-05:00"`` (the offset is kept, not converted to UTC). A ``datePublished``
    that is only a date gives that date (``"2024-02-02"``). When it is missing, not ISO 8601, or a
    time without an offset (we never invent a zone), the date in the URL is used instead, as a
    **date without a time** (``"2024-02-02"``): compare it with the date part of the others.
``updated``
    From the page's timestamp line, "Updated: 8:43 AM EST, Sat February 3, 2024" (or "Published: …"),
    as ISO 8601 with the UTC offset of the zone the line names: ``"2024-02-03T08:43:00-05:00"``.
    The zone is required, and so are the time, day, month and a four-digit year: a line missing any
    of them gives ``None`` (the parser would otherwise fill them in from today). The weekday is not
    checked against the date. Zones: the US abbreviations EST/EDT, CST/CDT, MST/MDT, PST/PDT,
    AKST/AKDT, HST, each with its fixed offset (EST is -05:00 whatever the date, as the line says),
    the generic ET/CT/MT/PT (the offset in force in New York, Chicago, Denver or Los Angeles on that
    date) and UTC/GMT/Z. CST is US Central, not China: this is a US site. Any other zone, and a
    numeric offset, gives ``None``: the site writes names only, and none of them is guessed.
``section``
    The URL's section segment, lowercased: ``https://lite.cnn.com/2024/02/02/politics/slug/index.html``
    gives ``"politics"``. World stories carry their region (``"middleeast"``, ``"europe"``, …).
    A URL of another shape (not http(s) on cnn.com or a subdomain, not ``/YYYY/MM/DD/section/slug``,
    or a date that is not a calendar date) gives ``None``, and no URL date either.
``authors``
    See :func:`byline_authors`.

Nothing here raises on bad input: what cannot be read is ``None`` (or ``[]`` for authors).

Dates and times are parsed with python-dateutil (``isoparse`` for ISO 8601, ``parser.parse`` with a
table of zone abbreviations for the timestamp line): it is small, long maintained, already installed
with pandas, reads month names, AM/PM and abbreviations given in ``tzinfos``, and refuses what it
cannot read instead of guessing. dateparser would also read other languages and relative dates
("2 hours ago"), which these pages never show, at the cost of a larger dependency and more guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urlsplit

from dateutil import parser as dateparser
from dateutil import tz as dateutil_tz


@dataclass(frozen=True)
class ArticleMetadata:
    """What the page states about the article (see the module's docstring for each field)."""

    published: str | None  # ISO 8601 with offset, or a date "YYYY-MM-DD" when only the URL's date is known
    updated: str | None  # ISO 8601 with the offset of the stated zone
    section: str | None  # the URL's section segment, lowercase
    authors: list[str]  # from the byline, in its order

    def as_dict(self) -> dict:
        return {
            "published": self.published,
            "updated": self.updated,
            "section": self.section,
            "authors": list(self.authors),
        }


def article_metadata(
    url: str, *, date_published: str | None, timestamp_text: str, byline: str
) -> ArticleMetadata:
    """Parse what the page at ``url`` states about itself; never raises (unreadable parts are None/[])."""
    url_date, section = _url_date_and_section(url)
    published = _iso_date_published(date_published)
    if published is None and url_date is not None:
        published = url_date.isoformat()
    return ArticleMetadata(
        published=published,
        updated=timestamp_updated(timestamp_text),
        section=section,
        authors=byline_authors(byline),
    )


# --- the URL ----------------------------------------------------------------------------------------

_ARTICLE_PATH = re.compile(
    r"/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<section>[A-Za-z0-9_-]+)/[^/]+(?:/(?:index\.html)?)?"
)


def _url_date_and_section(url: Any) -> tuple[date | None, str | None]:
    """The date and section of an article URL ``https://lite.cnn.com/YYYY/MM/DD/<section>/<slug>``."""
    if not isinstance(url, str):
        return None, None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None, None
    if parts.scheme.lower() not in ("http", "https") or not (host == "cnn.com" or host.endswith(".cnn.com")):
        return None, None
    match = _ARTICLE_PATH.fullmatch(parts.path)
    if match is None:
        return None, None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:  # 2024/02/30: not an article URL
        return None, None
    return day, match["section"].lower()


# --- datePublished ------------------------------------------------------------------------------------


def _iso_date_published(raw: Any) -> str | None:
    """``datePublished`` as ISO 8601 with its own offset (to the second), or a date; None if unusable."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > 64:
        return None
    try:
        when = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        return None
    if _is_date_only(text):
        return when.date().isoformat()
    if when.tzinfo is None or when.utcoffset() is None:
        return None  # a time in no stated zone: the URL's date is the better statement
    return when.isoformat(timespec="seconds")


def _is_date_only(text: str) -> bool:
    return re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", text) is not None


def date_published_from_jsonld(texts: list[str]) -> str | None:
    """The NewsArticle's ``datePublished`` from the texts of a page's ``application/ld+json`` scripts.

    Each text may hold an object, a list of them, or an object with ``@graph``, nested anywhere (a
    ``WebPage``'s ``mainEntity``, say); malformed JSON is skipped. The first object whose ``@type``
    (a string or a list; ``schema:`` or IRI prefixes allowed) is a kind of ``NewsArticle`` wins; failing
    that, the first other kind of ``Article``. Returns the raw string as the page states it, or None.
    """
    news: str | None = None
    article: str | None = None
    if not isinstance(texts, list):
        return None
    for text in texts:
        if not isinstance(text, str):
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        for obj in _objects(data):
            stated = _stated_date(obj.get("datePublished"))
            if stated is None:
                continue
            types = [_type_name(t) for t in _as_list(obj.get("@type"))]
            if news is None and any(t.endswith("NewsArticle") for t in types):
                news = stated
            elif article is None and any(t.endswith("Article") for t in types):
                article = stated
        if news is not None:
            return news
    return article


def _objects(data: Any) -> Iterator[dict]:
    """Every JSON object in ``data``, in document order (iterative: a hostile nesting cannot recurse)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _type_name(value: Any) -> str:
    """``"NewsArticle"`` from ``"NewsArticle"``, ``"schema:NewsArticle"`` or ``"https://schema.org/NewsArticle"``."""
    if not isinstance(value, str):
        return ""
    return re.split(r"[/:#]", value.strip())[-1]


def _stated_date(value: Any) -> str | None:
    """A ``datePublished`` value: a string, or the first string of a list."""
    for item in _as_list(value):
        if isinstance(item, str) and item.strip():
            return item
    return None


# --- the timestamp line ---------------------------------------------------------------------------------


def _fixed(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


def _zones() -> dict[str, tzinfo]:
    zones: dict[str, tzinfo] = {
        "EST": _fixed(-5),
        "EDT": _fixed(-4),
        "CST": _fixed(-6),
        "CDT": _fixed(-5),
        "MST": _fixed(-7),
        "MDT": _fixed(-6),
        "PST": _fixed(-8),
        "PDT": _fixed(-7),
        "AKST": _fixed(-9),
        "AKDT": _fixed(-8),
        "HST": _fixed(-10),
        "UTC": UTC,
        "GMT": UTC,
        "Z": UTC,
    }
    # The generic names take the offset in force on the date, from the tz database (dateutil ships
    # with tzdata); if a system has none, those lines read as an unknown zone (None), never a guess.
    for name, key in (
        ("ET", "America/New_York"),
        ("CT", "America/Chicago"),
        ("MT", "America/Denver"),
        ("PT", "America/Los_Angeles"),
    ):
        zone = dateutil_tz.gettz(key)
        if zone is not None:
            zones[name] = zone
    return zones


ZONES = _zones()


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's ``tzinfos`` hook: a zone named in the table, else None (the line is refused).

    A callable, not the dict itself, so that any other zone gives a naive time, which is refused,
    rather than dateutil's fallbacks: the machine's own zone when the name matches it (the result would
    depend on where the service runs), or a numeric offset read the POSIX way ("UTC+3" as -03:00).
    The site writes zone names only.
    """
    return ZONES.get(name) if name is not None else None


_LABEL = re.compile(r"^\s*(?:updated|published)\b\s*:?", re.IGNORECASE)
_DOTTED_MERIDIEM = re.compile(r"\b([AP])\.\s?M\.?(?=\s|,|$)", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
# Two defaults that differ in every field the line must state: a field the parser filled in from a
# default shows up as a difference between the two parses.
_DEFAULTS = (datetime(2001, 1, 1, 0, 0), datetime(2002, 2, 2, 1, 1))
_MAX_TIMESTAMP = 200  # the line is ~45 characters; a bound keeps parsing cheap on junk


def timestamp_updated(text: Any) -> str | None:
    """The "Updated: 8:43 AM EST, Sat February 3, 2024" line as ISO 8601 with the zone's offset, or None."""
    if not isinstance(text, str) or len(text) > _MAX_TIMESTAMP:
        return None
    line = _WHITESPACE.sub(" ", _LABEL.sub("", text, count=1)).strip()
    # dateutil knows "AM" but not "A.M.", and zone names only in capitals.
    line = _DOTTED_MERIDIEM.sub(r"\1M", line).upper()
    if not line:
        return None
    parsed = []
    for default in _DEFAULTS:
        try:
            parsed.append(dateparser.parse(line, default=default, tzinfos=_zone))
        except (ValueError, OverflowError, TypeError):
            return None
    first, second = parsed
    if first != second or first.tzinfo is None or first.utcoffset() is None:
        return None
    # A two-digit year would be read relative to today's date; the site writes four digits.
    if not re.search(rf"(?<!\d){first.year:04d}(?!\d)", line):
        return None
    return first.isoformat(timespec="seconds")


# --- the byline -------------------------------------------------------------------------------------------

_BY = re.compile(r"^(?:[\w-]+(?: [\w-]+){0,2} )?by\b:? ?", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*,\s*(?:and\s+|&\s*)?|\s+and\s+|\s*&\s*", re.IGNORECASE)
_DANGLING_AND = re.compile(r"^and\b\s*|\s*\band$", re.IGNORECASE)  # "By and", "By A, B and"
_TRAILING_DOT = re.compile(r"(?<!\b[A-Za-z])(?<!\b[JjSs]r)\.$")  # "By Jane Doe." but not "Jr." or "J."
_SUFFIX = re.compile(r"(?:jr|sr|ii|iii|iv)\.?", re.IGNORECASE)
_CNN_POSSESSIVE = re.compile(r"^CNN['’]s (?=[A-Z])")
_WIRES = {
    "ap",
    "the ap",
    "associated press",
    "the associated press",
    "reuters",
    "afp",
    "agence france-presse",
    "agence france presse",
    "bloomberg",
    "bloomberg news",
}


def byline_authors(byline: Any) -> list[str]:
    """The authors a byline names, in its order.

    Rules, in order:

    - White space is collapsed; no byline (None, empty) gives ``[]``.
    - A leading "By", or one to three words and "by" ("Analysis by", "Opinion by"), is dropped.
    - The rest is split on commas, " and " and "&" (an Oxford comma ", and" counts once).
    - "Jr.", "Sr.", "II", "III", "IV" after a comma stay with the name before them ("Jane Doe, Jr.").
    - "CNN's " before a capitalised name is dropped ("By CNN's Jake Tapper" → "Jake Tapper").
    - Organisations are affiliations: any part naming CNN ("CNN", "CNN Business", "for CNN",
      "CNN's chief legal analyst") and the wire services (Reuters, AP / The Associated Press, AFP,
      Bloomberg). They are dropped when the byline names at least one person ("By A, B and C, CNN" →
      ["A", "B", "C"]). When it names only organisations they are the authors, as stated: "By CNN
      Staff" → ["CNN Staff"], "By Reuters" → ["Reuters"], so wire and staff copy stay countable.
    - A full stop ending the byline is dropped (not the one of "Jr." or an initial), so are empty
      parts, and a name repeated is kept once.
    """
    if not isinstance(byline, str):
        return []
    text = _WHITESPACE.sub(" ", byline).strip()
    text = _TRAILING_DOT.sub("", _BY.sub("", text, count=1).strip()).strip()
    if not text:
        return []
    parts: list[str] = []
    for raw in _SEPARATORS.split(text):
        part = _DANGLING_AND.sub("", raw.strip(" ,;")).strip(" ,;")
        if not part:
            continue
        if parts and _SUFFIX.fullmatch(part):
            parts[-1] = f"{parts[-1]}, {part}"
            continue
        parts.append(_CNN_POSSESSIVE.sub("", part))
    people = [p for p in parts if not _is_organisation(p)]
    names = people or parts
    return list(dict.fromkeys(names))


def _is_organisation(part: str) -> bool:
    return re.search(r"\bCNN\b", part, re.IGNORECASE) is not None or part.lower() in _WIRES
