"""A study coded to schema v2, written by hand to the contract: actors with entities, claims
attributed to them, figures with their readings, articles with their metadata.

Stored straight into a :class:`~newsmark.store.Store` (as the service stores them), so the
exports can be tested on every kind of value: claims attributed to one, two or no actors,
actors whose entity differs from their quote, figures with ranges, nulls and negative values,
articles with and without a byline or a date.
"""

from __future__ import annotations

import uuid
from typing import Any

from newsmark import contract
from newsmark.store import Store
from newsmark.text import article_text, text_sha256

STRIKES_URL = "https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria/index.html"
PROTEST_URL = "https://lite.cnn.com/2024/02/03/middleeast/baghdad-protest/index.html"

STRIKES_BEFORE = article_text(
    [
        "The US conducted airstrikes in Iraq and Syria on Friday.",
        "National Security Council spokesman John Kirby said the US had used more than 125 precision "
        "munitions.",
    ]
)
STRIKES = article_text(
    [
        "The US conducted airstrikes in Iraq and Syria on Friday.",
        "National Security Council spokesman John Kirby said the US had used more than 125 precision "
        "munitions.",
        "Kirby said the strikes were “not the end,” and Defense Secretary Lloyd Austin agreed.",
        "At least 16 people were killed, Iraqi officials said. The strikes lasted between 25 and 30 minutes.",
        "The Pentagon, posting as @SecDef, put the cost at up to $2bn. It was -5 degrees at the base.",
    ]
)
PROTEST = article_text(
    [
        "Hundreds of people marched in Baghdad on Saturday.",
        "Prime Minister Mohammed Shia al-Sudani said the strikes were “a violation of sovereignty.”",
    ]
)

STRIKES_VERSIONS = [  # (text, first seen, what the page stated, its metadata): updated after first seen
    (
        STRIKES_BEFORE,
        "2024-02-02T22:00:00.000Z",
        {
            "byline": "By Natasha Bertrand, CNN",
            "timestamp_text": "Updated: 4:14 PM EST, Fri February 2, 2024",
        },
        {
            "date_published": "2024-02-02T21:14:00Z",
            "published": "2024-02-02T21:14:00+00:00",
            "updated": "2024-02-02T16:14:00-05:00",
            "section": "politics",
            "authors": ["Natasha Bertrand"],
        },
    ),
    (
        STRIKES,
        "2024-02-03T13:50:00.000Z",
        {
            "byline": "By Natasha Bertrand and Oren Liebermann, CNN",
            "timestamp_text": "Updated: 8:43 AM EST, Sat February 3, 2024",
        },
        {
            "date_published": "2024-02-02T21:14:00Z",
            "published": "2024-02-02T21:14:00+00:00",
            "updated": "2024-02-03T08:43:00-05:00",
            "section": "politics",
            "authors": ["Natasha Bertrand", "Oren Liebermann"],
        },
    ),
]
PROTEST_VERSIONS = [  # no JSON-LD, no byline, no time stamp: the URL's day and section only
    (
        PROTEST,
        "2024-02-03T15:00:00.000Z",
        {"byline": "", "timestamp_text": ""},
        {
            "date_published": None,
            "published": "2024-02-03",
            "updated": None,
            "section": "middleeast",
            "authors": [],
        },
    )
]
TITLES = {STRIKES_URL: "US strikes Iraq and Syria", PROTEST_URL: "Protest in Baghdad"}
VERSIONS = {STRIKES_URL: STRIKES_VERSIONS, PROTEST_URL: PROTEST_VERSIONS}


def _id(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


# The annotations: (name, url, tag, exact, occurrence, fields). Ids are fixed, so rows can be named.
ACTOR_NSC, ACTOR_KIRBY, ACTOR_AUSTIN, ACTOR_SECDEF, ACTOR_SUDANI = (_id(n) for n in range(1, 6))
CLAIM_MUNITIONS, CLAIM_NOT_END, CLAIM_COST, CLAIM_KILLED, CLAIM_SOVEREIGNTY = (_id(n) for n in range(11, 16))
FIG_MUNITIONS, FIG_KILLED, FIG_MINUTES, FIG_COST, FIG_DEGREES, FIG_HUNDREDS = (_id(n) for n in range(21, 27))


def _reading(
    value: float | None, unit: str | None, qualifier: str, high: float | None = None
) -> dict[str, Any]:
    return {"value": value, "value_high": high, "unit": unit, "qualifier": qualifier}


CODES: list[tuple[str, str, str, str, dict[str, Any]]] = [
    (ACTOR_NSC, STRIKES_URL, "actor", "National Security Council spokesman John Kirby",
     {"entity": "John Kirby"}),
    (ACTOR_KIRBY, STRIKES_URL, "actor", "Kirby", {"entity": "John Kirby"}),
    (ACTOR_AUSTIN, STRIKES_URL, "actor", "Defense Secretary Lloyd Austin", {"entity": "Lloyd Austin"}),
    (ACTOR_SECDEF, STRIKES_URL, "actor", "@SecDef", {"entity": "@SecDef"}),
    (ACTOR_SUDANI, PROTEST_URL, "actor", "Prime Minister Mohammed Shia al-Sudani",
     {"entity": "Mohammed Shia al-Sudani"}),
    (CLAIM_MUNITIONS, STRIKES_URL, "claim", "the US had used more than 125 precision munitions",
     {"attributed_to": [ACTOR_NSC]}),
    (CLAIM_NOT_END, STRIKES_URL, "claim", "the strikes were “not the end,”",
     {"attributed_to": [ACTOR_KIRBY, ACTOR_AUSTIN], "note": "both say so; Austin \"agreed\""}),
    (CLAIM_COST, STRIKES_URL, "claim", "put the cost at up to $2bn", {"attributed_to": [ACTOR_SECDEF]}),
    (CLAIM_KILLED, STRIKES_URL, "claim", "At least 16 people were killed", {}),  # no actor coded
    (CLAIM_SOVEREIGNTY, PROTEST_URL, "claim", "the strikes were “a violation of sovereignty.”",
     {"attributed_to": [ACTOR_SUDANI]}),
    (FIG_MUNITIONS, STRIKES_URL, "figure", "more than 125 precision munitions",
     _reading(125.0, "precision munitions", "more_than")),
    (FIG_KILLED, STRIKES_URL, "figure", "At least 16 people", _reading(16.0, "people", "at_least")),
    (FIG_MINUTES, STRIKES_URL, "figure", "between 25 and 30 minutes",
     _reading(25.0, "minutes", "range", 30.0)),
    (FIG_COST, STRIKES_URL, "figure", "up to $2bn", _reading(2e9, "USD", "at_most")),
    (FIG_DEGREES, STRIKES_URL, "figure", "-5 degrees", _reading(-5.0, "degrees", "exact")),
    (FIG_HUNDREDS, PROTEST_URL, "figure", "Hundreds of people", _reading(None, "people", "approx")),
]  # fmt: skip
TEXTS = {STRIKES_URL: STRIKES, PROTEST_URL: PROTEST}
ANNOTATORS = ("coder-a", "coder-b")


def annotation(n: int, ident: str, url: str, tag: str, exact: str, extra: dict[str, Any]) -> dict[str, Any]:
    """A v2 annotation as the service stores it: every key, in the contract's order."""
    text = TEXTS[url]
    start = text.index(exact)
    end = start + len(exact)
    created = f"2024-02-03T14:{n:02d}:00.000Z"
    fields = {"attributed_to": [], "entity": None, "value": None, "value_high": None, "unit": None,
              "qualifier": None, **{k: v for k, v in extra.items() if k != "note"}}  # fmt: skip
    return {
        "id": ident,
        "url": url,
        "tag": tag,
        "quote": {"exact": exact, "prefix": text[max(0, start - 32) : start], "suffix": text[end : end + 32]},
        "position": {"start": start, "end": end},
        "note": extra.get("note"),
        "annotator": ANNOTATORS[n % 2],
        **fields,
        "article_sha256": text_sha256(text),
        "created": created,
        "updated": f"2024-02-04T09:{n:02d}:00.000Z" if tag == "claim" else created,
        "schema_version": 2,
    }


def annotations() -> list[dict[str, Any]]:
    return [annotation(n, *code) for n, code in enumerate(CODES)]


def store_study(store: Store) -> list[dict[str, Any]]:
    """Store the articles (with their versions' metadata) and the annotations; return the annotations."""
    for url, versions in VERSIONS.items():
        aid = contract.article_id(url)
        for text, seen, stated, metadata in versions:
            store.add_version(
                {
                    "article_id": aid,
                    "sha256": text_sha256(text),
                    "text": text,
                    "first_seen": seen,
                    "title": TITLES[url],
                    **stated,
                    **metadata,
                }
            )
        text, seen, stated, metadata = versions[-1]
        store.put_article(
            {
                "id": aid,
                "url": url,
                "title": TITLES[url],
                **stated,
                "sha256": text_sha256(text),
                "first_seen": versions[0][1],
                "last_seen": "2024-02-04T10:00:00.000Z",
                **metadata,
            }
        )
    docs = annotations()
    for doc in docs:
        store.insert_annotation(doc)
    return docs
