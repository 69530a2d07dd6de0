"""Article metadata (published, updated, section, authors) parsed from what the page states."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browser import pages  # the browser tests' fixture page, written to lite.cnn.com's markup
from html_page import Page
from newsmark.metadata import (
    ZONES,
    ArticleMetadata,
    article_metadata,
    byline_authors,
    date_published_from_jsonld,
    timestamp_updated,
)
from strategies import json_values

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "article_metadata.json").read_text(encoding="utf-8")
)
CASES = VECTORS["cases"]
JSONLD = VECTORS["jsonld"]

REAL_URL = "https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria/index.html"
REAL_BYLINE = "By Natasha Bertrand, Haley Britzky, Oren Liebermann and Kevin Liptak, CNN"
REAL_TIMESTAMP = "Updated: 8:43 AM EST, Sat February 3, 2024"
REAL_AUTHORS = ["Natasha Bertrand", "Haley Britzky", "Oren Liebermann", "Kevin Liptak"]


def parse(
    url: str = REAL_URL,
    date_published: str | None = "2024-02-02T23:13:00Z",
    timestamp_text: str = REAL_TIMESTAMP,
    byline: str = REAL_BYLINE,
) -> ArticleMetadata:
    return article_metadata(url, date_published=date_published, timestamp_text=timestamp_text, byline=byline)


# --- the vectors ---------------------------------------------------------------------------------------


def test_vectors_are_many_and_named_once():
    assert len(CASES) >= 30
    names = [c["name"] for c in CASES + JSONLD]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_article_metadata_matches_vectors(case):
    got = article_metadata(
        case["url"],
        date_published=case["date_published"],
        timestamp_text=case["timestamp_text"],
        byline=case["byline"],
    )
    assert got.as_dict() == case["expected"]


@pytest.mark.parametrize("case", JSONLD, ids=[c["name"] for c in JSONLD])
def test_date_published_from_jsonld_matches_vectors(case):
    assert date_published_from_jsonld(case["texts"]) == case["expected"]


def test_the_fixture_article_page_read_as_the_importer_will():
    """From the markup of the article page the browser tests serve to the extension."""
    page = Page(pages.article_html())
    scripts = [s.content for s in page.find("script", type="application/ld+json")]
    (byline,) = page.find("p", class_="byline--lite")
    (timestamp,) = page.find("p", class_="timestamp--lite")
    got = article_metadata(
        pages.ARTICLE_URL,
        date_published=date_published_from_jsonld(scripts),
        timestamp_text=timestamp.content,
        byline=byline.content,
    )
    assert got == ArticleMetadata(
        published="2024-02-02T23:13:00+00:00",
        updated="2024-02-03T08:43:00-05:00",
        section="politics",
        authors=REAL_AUTHORS,
    )


def test_as_dict_has_the_four_fields_and_a_copy_of_the_authors():
    meta = parse()
    d = meta.as_dict()
    assert list(d) == ["published", "updated", "section", "authors"]
    d["authors"].append("Someone Else")
    assert meta.authors == REAL_AUTHORS
    assert json.loads(json.dumps(d)) == d  # plain JSON values


# --- published ---------------------------------------------------------------------------------------


def test_published_keeps_the_stated_offset_and_drops_fractions():
    assert parse(date_published="2024-02-02T18:13:00.000-05:00").published == "2024-02-02T18:13:00-05:00"
    assert parse(date_published="2024-02-02T23:13:00.999Z").published == "2024-02-02T23:13:00+00:00"


def test_published_is_a_datetime_that_sorts_as_the_instant():
    published = datetime.fromisoformat(parse().published)
    assert published.utcoffset() is not None
    assert published == datetime.fromisoformat("2024-02-02T18:13:00-05:00")


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "garbage", "2024-13-01T00:00:00Z", "2024-02-02T23:13:00", "2024"]
)
def test_published_falls_back_to_the_url_date_as_a_date(raw):
    url = "https://lite.cnn.com/2023/12/31/world/some-story/index.html"
    assert parse(url=url, date_published=raw).published == "2023-12-31"


def test_published_is_none_with_neither_a_date_published_nor_an_article_url():
    assert parse(url="https://lite.cnn.com/", date_published=None).published is None
    # A stated datePublished does not need the URL.
    assert parse(url="https://lite.cnn.com/", date_published="2024-02-02T23:13:00Z").published == (
        "2024-02-02T23:13:00+00:00"
    )


# --- updated ---------------------------------------------------------------------------------------------

US_ZONE_OFFSETS = {
    "EST": "-05:00",
    "EDT": "-04:00",
    "CST": "-06:00",
    "CDT": "-05:00",
    "MST": "-07:00",
    "MDT": "-06:00",
    "PST": "-08:00",
    "PDT": "-07:00",
    "AKST": "-09:00",
    "AKDT": "-08:00",
    "HST": "-10:00",
    "UTC": "+00:00",
    "GMT": "+00:00",
}


@pytest.mark.parametrize(("zone", "offset"), US_ZONE_OFFSETS.items())
def test_updated_carries_the_offset_of_the_named_zone(zone, offset):
    assert (
        timestamp_updated(f"Updated: 8:43 AM {zone}, Sat February 3, 2024") == f"2024-02-03T08:43:00{offset}"
    )


def test_every_zone_in_the_table_is_tested():
    assert set(ZONES) - {"ET", "CT", "MT", "PT", "Z"} == set(US_ZONE_OFFSETS)


@pytest.mark.parametrize(
    ("zone", "winter", "summer"),
    [
        ("ET", "-05:00", "-04:00"),
        ("CT", "-06:00", "-05:00"),
        ("MT", "-07:00", "-06:00"),
        ("PT", "-08:00", "-07:00"),
    ],
)
def test_generic_zones_take_the_offset_in_force_on_the_date(zone, winter, summer):
    assert (
        timestamp_updated(f"Updated: 9:00 AM {zone}, Sat February 3, 2024") == f"2024-02-03T09:00:00{winter}"
    )
    assert timestamp_updated(f"Updated: 9:00 AM {zone}, Mon June 3, 2024") == f"2024-06-03T09:00:00{summer}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Updated: 12:00 AM EST, Sat February 3, 2024", "2024-02-03T00:00:00-05:00"),
        ("Updated: 12:00 PM EST, Sat February 3, 2024", "2024-02-03T12:00:00-05:00"),
        ("Updated: 12:59 AM EST, Sat February 3, 2024", "2024-02-03T00:59:00-05:00"),
        ("Published: 11:59 PM EDT, Mon June 3, 2024", "2024-06-03T23:59:00-04:00"),
        ("Updated 8:43 AM EST, Sat February 3, 2024", "2024-02-03T08:43:00-05:00"),
        ("8:43 AM EST, Sat February 3, 2024", "2024-02-03T08:43:00-05:00"),
        ("UPDATED: 8:43 am est, sat february 3, 2024", "2024-02-03T08:43:00-05:00"),
        ("Updated:\u00a08:43\u00a0AM\u00a0EST, Sat Feb 3, 2024", "2024-02-03T08:43:00-05:00"),
        ("Updated: 8:43 P.M. EST, Sat February 3, 2024", "2024-02-03T20:43:00-05:00"),
    ],
)
def test_updated_line_variants(line, expected):
    assert timestamp_updated(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "",
        "Updated:",
        "Updated: just now",
        "Updated: 8:43 AM, Sat February 3, 2024",  # no zone
        "Updated: 8:43 AM EST",  # no date: the parser would take today's
        "Updated: Sat February 3, 2024",  # no time
        "Updated: 8 AM EST, Sat February 3, 2024",  # no minutes
        "Updated: 8:43 AM EST, February 2024",  # no day
        "Updated: 8:43 AM EST, Sat February 3",  # no year
        "Updated: 8:43 AM EST, Sat February 3, 24",  # a two-digit year would depend on today
        "Updated: 8:43 AM BST, Sat February 3, 2024",  # not in the table
        "Updated: 8:43 AM -0500, Sat February 3, 2024",  # a numeric offset: the site writes names
        "Updated: 8:43 AM UTC+3, Sat February 3, 2024",  # dateutil would read it as -03:00
        "Updated: 25:43 EST, Sat February 3, 2024",
        "Updated: 8:43 AM EST, Sat February 29, 2023",
        "Updated: 8:43 AM EST, Sat February 3, 2024 and again later",
        "Updated: " + "8:43 AM EST, " * 40 + "Sat February 3, 2024",  # longer than any real line
    ],
)
def test_updated_garbage_is_none(line):
    assert timestamp_updated(line) is None


def test_a_zone_named_like_the_machines_own_is_not_taken_from_the_machine(monkeypatch):
    """dateutil reads a zone name equal to the machine's own as local time; the table decides here."""
    import time

    monkeypatch.setattr(time, "tzname", ("CET", "CEST"))
    assert timestamp_updated("Updated: 8:43 AM CET, Sat February 3, 2024") is None


# --- section ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "section"),
    [
        (REAL_URL, "politics"),
        ("https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria", "politics"),
        ("https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria/", "politics"),
        ("http://lite.cnn.com/2024/02/03/world/some-story/index.html", "world"),
        ("https://lite.cnn.com/2024/02/03/US/some-story/index.html", "us"),
        ("https://LITE.CNN.COM/2024/02/03/business/some-story/index.html?x=1#y", "business"),
        ("https://www.cnn.com/2024/02/03/health/some-story/index.html", "health"),
        ("https://lite.cnn.com/", None),
        ("https://lite.cnn.com/politics", None),
        ("https://lite.cnn.com/2024/02/03/politics", None),
        ("https://lite.cnn.com/2024/02/03/politics/slug/extra/index.html", None),
        ("https://lite.cnn.com/24/02/03/politics/slug/index.html", None),
        ("https://lite.cnn.com/2024/13/03/politics/slug/index.html", None),
        ("https://notcnn.com/2024/02/03/politics/slug/index.html", None),
        ("https://lite.cnn.com.example.org/2024/02/03/politics/slug/index.html", None),
        ("ftp://lite.cnn.com/2024/02/03/politics/slug/index.html", None),
        ("https://[lite.cnn.com/2024/02/03/politics/slug/index.html", None),
        ("", None),
    ],
)
def test_section_from_the_url(url, section):
    assert parse(url=url).section == section


# --- authors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        (REAL_BYLINE, REAL_AUTHORS),
        ("By Stephen Collinson, CNN", ["Stephen Collinson"]),
        ("By Stephen Collinson", ["Stephen Collinson"]),
        ("by stephen collinson, cnn", ["stephen collinson"]),
        ("By: Stephen Collinson, CNN", ["Stephen Collinson"]),
        ("By A, B and C, CNN", ["A", "B", "C"]),
        ("By A, B, and C, CNN", ["A", "B", "C"]),
        ("By A, B, & C, CNN", ["A", "B", "C"]),
        ("By A&B, CNN", ["A", "B"]),
        ("By A and B and C", ["A", "B", "C"]),
        ("By Sandy Anderson and Andrea Mandell, CNN", ["Sandy Anderson", "Andrea Mandell"]),
        ("By Jane Doe, CNN Business", ["Jane Doe"]),
        ("By Jane Doe, for CNN", ["Jane Doe"]),
        ("By Jane Doe, CNN's chief legal analyst", ["Jane Doe"]),
        ("By Jane Doe, CNN and John Roe, Reuters", ["Jane Doe", "John Roe"]),
        ("By Jane Doe, AP", ["Jane Doe"]),
        ("Analysis by Stephen Collinson, CNN", ["Stephen Collinson"]),
        ("Review by Brian Lowry, CNN", ["Brian Lowry"]),
        ("By CNN Staff", ["CNN Staff"]),
        ("By CNN", ["CNN"]),
        ("By Reuters", ["Reuters"]),
        ("By AP", ["AP"]),
        ("By Reuters and CNN Staff", ["Reuters", "CNN Staff"]),
        ("By CNN's Jake Tapper", ["Jake Tapper"]),
        ("By Jane Doe, Jane Doe and John Roe, CNN", ["Jane Doe", "John Roe"]),
        ("By Jane Doe, CNN.", ["Jane Doe"]),
        ("By John Doe, Jr., CNN", ["John Doe, Jr."]),
        ("By John Doe, Jr.", ["John Doe, Jr."]),
        ("By John Doe Jr.", ["John Doe Jr."]),
        ("By Jane Doe and John Q.", ["Jane Doe", "John Q."]),
        ("By Jane Doe.", ["Jane Doe"]),
        ("  By\n   Kevin\tLiptak ,\u00a0CNN  ", ["Kevin Liptak"]),
        ("Byron Tau, CNN", ["Byron Tau"]),
        ("Abby Phillip, CNN", ["Abby Phillip"]),
    ],
)
def test_byline_authors(byline, authors):
    assert byline_authors(byline) == authors


@pytest.mark.parametrize("byline", ["", "   ", "By", "By ", "By ,", "By and", "&", " , ; ", None, 42])
def test_byline_without_a_name_gives_no_authors(byline):
    assert byline_authors(byline) == []


# --- garbage never raises ---------------------------------------------------------------------------------


@pytest.mark.parametrize("junk", [None, 0, 1.5, [], {}, b"bytes", "\x00", "\ud800", "9" * 10_000])
def test_non_strings_and_junk_never_raise(junk):
    got = article_metadata(junk, date_published=junk, timestamp_text=junk, byline=junk)  # type: ignore[arg-type]
    assert isinstance(got, ArticleMetadata)
    assert got.updated is None and got.section is None


@pytest.mark.parametrize("texts", [None, "not a list", [None, 1, {}], ["[" * 100_000], ['{"@type": 5}']])
def test_jsonld_garbage_is_none(texts):
    assert date_published_from_jsonld(texts) is None  # type: ignore[arg-type]


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of real lines, so the fuzzer reaches deep into the date parser, not only its first refusal.
_PIECES = st.sampled_from(
    ["Updated:", "Published:", "8:43", "12:00", "AM", "PM", "a.m.", "EST", "EDT", "ET", "HST", "Z", ",",
     "Sat", "February", "Feb.", "3", "29", "2024", "24", "T", "-05:00", "+", "By", "and", "&", "CNN", "CNN's",
     "Jr.", "Reuters", " ", "  ", "\n", "/"]
)  # fmt: skip
_SHAPED = st.lists(_PIECES | st.text(max_size=6), max_size=14).map(" ".join)
_TEXT = st.text(max_size=120) | _SHAPED
_URL = st.builds(
    lambda host, y, m, d, section, slug: f"https://{host}/{y}/{m}/{d}/{section}/{slug}",
    st.sampled_from(["lite.cnn.com", "www.cnn.com", "example.com", ""]) | st.text(max_size=12),
    st.text("0123456789", min_size=0, max_size=5),
    st.text("0123456789", min_size=0, max_size=3),
    st.text("0123456789", min_size=0, max_size=3),
    st.text(max_size=10),
    st.text(max_size=10),
)


@FUZZ
@given(url=_TEXT | _URL, date_published=st.none() | _TEXT, timestamp_text=_TEXT, byline=_TEXT)
def test_article_metadata_never_raises_on_arbitrary_text(url, date_published, timestamp_text, byline):
    got = article_metadata(url, date_published=date_published, timestamp_text=timestamp_text, byline=byline)
    d = got.as_dict()
    for key in ("published", "updated"):
        if d[key] is not None:
            parsed = datetime.fromisoformat(d[key])  # always valid ISO 8601
            assert len(d[key]) == 10 or parsed.utcoffset() is not None
    assert d["section"] is None or d["section"] == d["section"].lower()
    assert all(isinstance(a, str) and a and a == a.strip() for a in d["authors"])


@FUZZ
@given(texts=st.lists(st.text(max_size=80) | json_values.map(json.dumps), max_size=4))
def test_date_published_from_jsonld_never_raises(texts):
    got = date_published_from_jsonld(texts)
    assert got is None or isinstance(got, str)
