"""Exports: everything coded, in one document a research tool can load.

``json``: ``{schema_version, exported_at, generator, articles, annotations}``,
valid against ``schemas/export.schema.json``. Articles carry every version's
text, so offsets can be checked against the text they were made on.
"""

from __future__ import annotations

from typing import Any

import orjson

from . import __version__, articles, contract
from .store import AnnotationFilter, Store

FORMATS = ("json",)


def document(store: Store, flt: AnnotationFilter) -> dict[str, Any]:
    """The export document for the annotations that ``flt`` selects.

    With no filter every article is included (also those whose annotations were
    all deleted); with a filter, the articles of the selected annotations.
    """
    with store.reading():  # one consistent view: no write lands between the two reads
        annotations = store.annotations_matching(flt)
        everything = flt == AnnotationFilter()
        urls = {a["url"] for a in annotations}
        chosen = [a for a in store.all_articles() if everything or a["url"] in urls]
        return {
            "schema_version": contract.SCHEMA_VERSION,
            "exported_at": contract.utc_now(),
            "generator": {"name": "newsmark", "version": __version__},
            "articles": [articles.export_form(store, a) for a in chosen],
            "annotations": annotations,
        }


def render(store: Store, flt: AnnotationFilter, fmt: str = "json") -> bytes:
    """The export as bytes in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt != "json":
        raise ValueError(f"unknown export format {fmt!r}")
    return orjson.dumps(document(store, flt))
