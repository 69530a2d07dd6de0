"""Exports: everything coded, in one document a research tool can load.

``json``: ``{schema_version, exported_at, generator, articles, annotations}``,
valid against ``schemas/export.schema.json``. Articles carry every version's
text, so offsets can be checked against the text they were made on.

Exports stream: the document is produced in chunks of :data:`CHUNK`
annotations, so memory does not grow with the store and the server starts
sending at once. The annotations are a snapshot taken under the store's lock
(stored documents are never changed in place), serialised after it is released.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from . import __version__, articles, contract
from .storage import dumps_docs
from .store import AnnotationFilter, Doc, Store

FORMATS = ("json",)
CHUNK = 1000  # annotations per chunk: small enough to stay in cache, large enough to amortise calls


def snapshot(store: Store, flt: AnnotationFilter) -> tuple[list[Doc], list[dict[str, Any]]]:
    """The annotations ``flt`` selects and the articles to go with them, at one moment.

    With no filter every article is included (also those whose annotations were
    all deleted); with a filter, the articles of the selected annotations.
    """
    with store.reading():
        annotations = store.annotations_matching(flt)
        chosen = store.all_articles()
        if flt != AnnotationFilter():
            urls = {a["url"] for a in annotations}
            chosen = [a for a in chosen if a["url"] in urls]
        return annotations, [articles.export_form(store, a) for a in chosen]


def iter_json(store: Store, flt: AnnotationFilter) -> Iterator[bytes]:
    """The JSON export document, in chunks of bytes."""
    annotations, article_docs = snapshot(store, flt)
    head = {
        "schema_version": contract.SCHEMA_VERSION,
        "exported_at": contract.utc_now(),
        "generator": {"name": "newsmark", "version": __version__},
        "articles": article_docs,
    }
    yield orjson.dumps(head)[:-1] + b',"annotations":['
    for start in range(0, len(annotations), CHUNK):
        chunk = dumps_docs(annotations[start : start + CHUNK])[1:-1]
        yield (b"," + chunk) if start else chunk
    yield b"]}"


def stream(store: Store, flt: AnnotationFilter, fmt: str = "json") -> Iterator[bytes]:
    """The export in format ``fmt`` (one of :data:`FORMATS`), in chunks."""
    if fmt != "json":
        raise ValueError(f"unknown export format {fmt!r}")
    return iter_json(store, flt)


def render(store: Store, flt: AnnotationFilter, fmt: str = "json") -> bytes:
    """The whole export as one bytes object (for small exports and tests)."""
    return b"".join(stream(store, flt, fmt))
