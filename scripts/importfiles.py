"""Import files for the benchmarks: newsmark JSON exports and W3C collections of a given size.

The annotations are about 1.2 KB of JSON each (a 330–560 character quote, a note on
nine in ten), spread over 1,000 articles of one ~5 KB version each, and every quote
is cut from its article's text, so an import checks them all for real.
The files are written a chunk at a time, so making a 200 MiB one takes little memory.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from newsmark import contract, w3c

Doc = dict[str, Any]

ARTICLES = 1_000
_TEXT = (
    "the senator said budget talks would resume after recess while critics argued that figures "
    "released by agency showed spending rose percent over previous year officials declined to "
    "comment on reports about negotiations with governors mayors and union leaders who warned "
    "of shutdown in march according to people familiar with plan president administration "
    "department court ruled against policy lawmakers voted bill house committee hearing"
)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_articles(rng: random.Random, count: int = ARTICLES) -> list[Doc]:
    """Articles as the JSON export holds them, one version each."""
    out = []
    words = _TEXT.split()
    stamp = _iso(1_706_880_000)
    for n in range(count):
        url = f"https://lite.cnn.com/2024/02/02/politics/slug-{n}/index.html"
        text = " ".join(rng.choice(words) for _ in range(rng.randint(500, 900)))
        sha = hashlib.sha256(text.encode()).hexdigest()
        fields = {
            "title": f"Story {n}",
            "byline": "By A Reporter, CNN",
            "timestamp_text": "Updated: 8:43 AM EST",
        }
        version = {"version": 1, "sha256": sha, **fields, "text": text, "first_seen": stamp}
        out.append(
            {
                "id": contract.article_id(url),
                "url": url,
                **fields,
                "sha256": sha,
                "first_seen": stamp,
                "last_seen": stamp,
                "versions": [version],
            }
        )
    return out


def make_annotation(rng: random.Random, article: Doc, serial: int) -> Doc:
    """One annotation in the stored (and JSON export) form, its quote cut from the article's text."""
    text = article["versions"][0]["text"]
    length = rng.randint(330, 560)
    start = rng.randrange(40, len(text) - length - 40)
    note_start = rng.randrange(len(text) - 500)
    note = text[note_start : note_start + rng.randint(220, 420)] if rng.random() < 0.9 else None
    stamp = _iso(1_706_880_000 + serial * 7)
    tag = rng.choice(contract.TAGS)
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "url": article["url"],
        "tag": tag,
        "quote": {
            "exact": text[start : start + length],
            "prefix": text[start - 32 : start],
            "suffix": text[start + length : start + length + 32],
        },
        "position": {"start": start, "end": start + length},
        "note": note,
        "annotator": f"coder-{rng.randrange(12):02d}",
        **tag_fields(rng, tag),
        "article_sha256": article["sha256"],
        "created": stamp,
        "updated": stamp,
        "schema_version": contract.SCHEMA_VERSION,
    }


def tag_fields(rng: random.Random, tag: str) -> Doc:
    """The fields of the tag (schema_version 2), as a coder sets them: an actor's entity, a figure's
    reading; claims attributed to no one (an import refuses an actor it cannot find, and a stored claim
    needs an actor of the same article). scripts/bench_store.py makes its documents with it too."""
    fields: Doc = {"attributed_to": [], "entity": None, "value": None, "value_high": None, "unit": None,
                   "qualifier": None}  # fmt: skip
    if tag == "actor":
        fields["entity"] = f"Entity {rng.randrange(2_000)}"
    elif tag == "figure":
        fields.update(value=float(rng.randrange(1, 10_000)), unit="people", qualifier="exact")
    return fields


def _annotations(seed: int, articles: list[Doc], count: int) -> Iterator[Doc]:
    rng = random.Random(seed)
    for serial in range(count):
        yield make_annotation(rng, articles[rng.randrange(len(articles))], serial)


def annotation_bytes(fmt: str, seed: int = 1) -> float:
    """The mean size of one annotation in a file of format ``fmt`` (from a sample)."""
    articles = make_articles(random.Random(seed), 20)
    sample = list(_annotations(seed, articles, 500))
    if fmt == "w3c":
        dates = {a["sha256"]: a["first_seen"] for a in articles}
        return sum(len(orjson.dumps(w3c.annotation(d, dates))) + 1 for d in sample) / len(sample)
    return sum(len(orjson.dumps(d)) + 1 for d in sample) / len(sample)


def write_file(path: Path, fmt: str, count: int, *, seed: int = 1, articles: int = ARTICLES) -> int:
    """Write an import file of ``count`` annotations: ``json`` (with the articles) or ``w3c``; its size."""
    made = make_articles(random.Random(seed), articles)
    items = _annotations(seed + 1, made, count)
    with open(path, "wb") as fh:
        if fmt == "json":
            head = {"schema_version": contract.SCHEMA_VERSION, "exported_at": _iso(1_706_990_000),
                    "generator": {"name": "newsmark", "version": "bench"}, "articles": made}  # fmt: skip
            fh.write(orjson.dumps(head)[:-1] + b',"annotations":[')
            for n, doc in enumerate(items):
                fh.write((b"," if n else b"") + orjson.dumps(doc))
            fh.write(b"]}")
        elif fmt == "w3c":
            dates = {a["sha256"]: a["first_seen"] for a in made}
            head = {"@context": w3c.CONTEXT, "id": "tag:bench,2024:c", "type": "AnnotationCollection",
                    "total": count}  # fmt: skip
            page = {"id": "tag:bench,2024:c/page/1", "type": "AnnotationPage", "partOf": "tag:bench,2024:c",
                    "startIndex": 0}  # fmt: skip
            fh.write(orjson.dumps(head)[:-1] + b',"first":' + orjson.dumps(page)[:-1] + b',"items":[')
            for n, doc in enumerate(items):
                fh.write((b"," if n else b"") + orjson.dumps(w3c.annotation(doc, dates)))
            fh.write(b"]}}")
        else:
            raise ValueError(f"unknown import file format {fmt!r}")
    return path.stat().st_size


def count_for_bytes(fmt: str, size: int, articles: int = ARTICLES) -> int:
    """About how many annotations make a file of ``size`` bytes (a JSON export's articles take ~5 KB each)."""
    fixed = articles * 5_400 if fmt == "json" else 0
    return max(1, int((size - fixed) / annotation_bytes(fmt)))


def empty_objects_file(path: Path, size: int) -> int:
    """A JSON export whose annotations are ``size`` bytes of ``{}``: every one of them refused."""
    count = max(1, (size - 40) // 3)
    with open(path, "wb") as fh:
        fh.write(b'{"schema_version":1,"annotations":[')
        fh.write(b",".join([b"{}"] * count))
        fh.write(b"]}")
    return path.stat().st_size
