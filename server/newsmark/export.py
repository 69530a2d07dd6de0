"""Exports: everything coded, in one document a research tool can load.

- ``json``: ``{schema_version, exported_at, generator, articles, annotations}``,
  valid against ``schemas/export.schema.json``. Articles carry every version's
  text, so offsets can be checked against the text they were made on.
- ``jsonl``: one annotation a line, with its article's title (``article_title``).
- ``w3c``: the W3C Web Annotation Data Model in JSON-LD: an ``AnnotationCollection``
  whose one ``AnnotationPage`` (``first``, embedded) holds every annotation, each
  annotation with a tagging body, a commenting body for a note, and a target with
  a TextQuoteSelector, a TextPositionSelector and the version's ``TimeState``
  (``cached``: the version's RFC 6920 name, ``ni:///sha-256;…``, which an import reads back).
- ``csv``: one row per annotation (:data:`CSV_COLUMNS`), RFC 4180 quoting, UTF-8;
  with ``excel=True`` a byte order mark first, so Excel reads non-ASCII right, and
  every text cell a spreadsheet would take for a formula neutralised (:func:`excel_cell`).
  The plain CSV is byte-true: what pandas or R read is what was stored.

Exports stream: the document is produced in chunks of :data:`CHUNK`
annotations, so memory does not grow with the store and the server starts
sending at once. The annotations are a snapshot taken under the store's lock
(stored documents are never changed in place), serialised after it is released.
:func:`prepare` takes the snapshot at once and says how many annotations the
export holds; a ``progress`` callback hears how many each chunk completed.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Collection, Iterator
from typing import Any, ClassVar, NamedTuple

import orjson

from . import __version__, articles, contract, w3c
from .storage import Damage, DamagedDocument, dumps_docs
from .store import TABLES, AnnotationFilter, Doc, Store

FORMATS = contract.EXPORT_FORMATS
MEDIA_TYPES = {
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "w3c": 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
}
#: The file name's ending of each format's download: W3C Web Annotations are JSON-LD, and
#: ``.jsonld`` is the ending tools (and the W3C's own ``anno.jsonld``) use for it.
FILE_EXTENSIONS = {"json": "json", "jsonl": "jsonl", "csv": "csv", "w3c": "jsonld"}
#: The header of ``GET /api/export`` that says how many annotations the export holds.
TOTAL_HEADER = "X-Newsmark-Total"
#: With ``skip_damaged``: how many damaged documents the export left out.
SKIPPED_HEADER = "X-Newsmark-Skipped-Damaged"
CSV_COLUMNS = (
    "id", "url", "article_title", "tag", "exact", "prefix", "suffix", "start", "end",
    "note", "annotator", "created", "updated", "article_version",
)  # fmt: skip
#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
#: (OWASP's "CSV Injection" list; NUL from OWASP ASVS 1.2.10).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
CHUNK = 1000  # annotations per chunk: small enough to stay in cache, large enough to amortise calls

#: Called with the number of annotations a chunk completed, once the consumer has taken it.
Progress = Callable[[int], None]
Snapshot = tuple[list[Doc], list[dict[str, Any]]]


def _no_progress(done: int) -> None:
    pass


def snapshot(store: Store, flt: AnnotationFilter, *, skip: Collection[Damage] = ()) -> Snapshot:
    """The annotations ``flt`` selects and the articles to go with them, at one moment.

    With no filter every article is included (also those whose annotations were
    all deleted); with a filter, the articles of the selected annotations.
    Documents in ``skip`` (damaged ones) are left out.

    :raise DamagedDocument: if a document the export needs is damaged (and not skipped),
        before any of it is produced: an export is whole or nothing.
    """
    left_out = {table: {d.doc_id for d in skip if d.table == table} for table in TABLES}
    with store.reading():
        # The trash is never exported, so damage there does not stop an export.
        damage = [
            d for d in store.damaged() if d.table != "trash" and d.doc_id not in left_out.get(d.table, ())
        ]
        if damage:
            raise DamagedDocument(damage)
        annotations = store.annotations_matching(flt, skip=left_out["annotations"])
        chosen = store.all_articles(skip=left_out["articles"])
        if flt != AnnotationFilter():
            urls = {a["url"] for a in annotations}
            chosen = [a for a in chosen if a["url"] in urls]
        versions = left_out["article_versions"]
        return annotations, [articles.export_form(store, a, skip=versions) for a in chosen]


def iter_json(store: Store, flt: AnnotationFilter) -> Iterator[bytes]:
    """The JSON export document, in chunks of bytes."""
    return _json(snapshot(store, flt))


def _json(snap: Snapshot, progress: Progress = _no_progress) -> Iterator[bytes]:
    annotations, article_docs = snap
    head = {
        "schema_version": contract.SCHEMA_VERSION,
        "exported_at": contract.utc_now(),
        "generator": {"name": "newsmark", "version": __version__},
        "articles": article_docs,
    }
    yield orjson.dumps(head)[:-1] + b',"annotations":['
    for start in range(0, len(annotations), CHUNK):
        part = annotations[start : start + CHUNK]
        chunk = dumps_docs(part)[1:-1]
        yield (b"," + chunk) if start else chunk
        progress(len(part))
    yield b"]}"


def _titles(article_docs: list[dict[str, Any]]) -> dict[str, str]:
    return {a["url"]: a["title"] for a in article_docs}


def _parsed(doc: Doc | bytes) -> Doc:
    return orjson.loads(doc) if isinstance(doc, bytes) else doc


def iter_jsonl(store: Store, flt: AnnotationFilter) -> Iterator[bytes]:
    """One annotation a line, each with ``article_title``."""
    return _jsonl(snapshot(store, flt))


def _jsonl(snap: Snapshot, progress: Progress = _no_progress) -> Iterator[bytes]:
    annotations, article_docs = snap
    titles = _titles(article_docs)
    for start in range(0, len(annotations), CHUNK):
        lines = []
        for doc in annotations[start : start + CHUNK]:
            doc = _parsed(doc)
            lines.append(orjson.dumps({**doc, "article_title": titles.get(doc["url"])}) + b"\n")
        yield b"".join(lines)
        progress(len(lines))


def excel_cell(value: object) -> object:
    """A cell for the Excel flavour: text a spreadsheet would run as a formula gets a ``'`` first.

    The quote is OWASP's advice: spreadsheets then show the text instead of
    evaluating it (``=HYPERLINK(…)`` could send other cells away, ``=cmd|…`` run a
    program). Quotes, notes, coder names and titles come from whoever coded or
    from the article, so any text cell may begin so; numbers are left alone.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def iter_csv(store: Store, flt: AnnotationFilter, *, excel: bool = False) -> Iterator[bytes]:
    """One row per annotation, a header row first; RFC 4180 (CRLF line ends, quotes doubled).

    ``excel``: a byte order mark first and formula-like cells neutralised (:func:`excel_cell`).
    """
    return _csv(snapshot(store, flt), excel=excel)


def _csv(snap: Snapshot, progress: Progress = _no_progress, *, excel: bool = False) -> Iterator[bytes]:
    annotations, article_docs = snap
    titles = _titles(article_docs)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" if excel else "").encode() + out.getvalue().encode("utf-8")
    for start in range(0, len(annotations), CHUNK):
        out.seek(0)
        out.truncate()
        part = annotations[start : start + CHUNK]
        for doc in part:
            doc = _parsed(doc)
            quote, position = doc["quote"], doc["position"]
            row = (doc["id"], doc["url"], titles.get(doc["url"], ""), doc["tag"], quote["exact"],
                   quote["prefix"], quote["suffix"], position["start"], position["end"], doc["note"] or "",
                   doc["annotator"], doc["created"], doc["updated"], doc["article_sha256"] or "")  # fmt: skip
            writer.writerow(map(excel_cell, row) if excel else row)
        yield out.getvalue().encode("utf-8")
        progress(len(part))


def iter_w3c(store: Store, flt: AnnotationFilter) -> Iterator[bytes]:
    """An AnnotationCollection whose one page holds every annotation."""
    return _w3c(snapshot(store, flt))


def _w3c(snap: Snapshot, progress: Progress = _no_progress) -> Iterator[bytes]:
    # One page, embedded as ``first``: the document nests 7 levels deep whatever its size. Pages
    # chained by ``next``, each embedded in the one before, nested a level per page, and JSON
    # readers with a depth limit (Ruby, DuckDB, jq) refused large exports.
    annotations, article_docs = snap
    dates = {v["sha256"]: v["first_seen"] for a in article_docs for v in a["versions"]}
    collection = f"tag:newsmark,2024:export/{uuid.uuid4()}"
    head = {
        "@context": w3c.CONTEXT,
        "id": collection,
        "type": "AnnotationCollection",
        "label": f"newsmark export {contract.utc_now()}",
        "total": len(annotations),
    }
    page = {"id": f"{collection}/page/1", "type": "AnnotationPage", "partOf": collection, "startIndex": 0}
    yield orjson.dumps(head)[:-1] + b',"first":' + orjson.dumps(page)[:-1] + b',"items":['
    for start in range(0, len(annotations), CHUNK):
        part = annotations[start : start + CHUNK]
        chunk = orjson.dumps([w3c.annotation(_parsed(d), dates) for d in part])[1:-1]
        yield (b"," + chunk) if start else chunk
        progress(len(part))
    yield b"]}}"


class Prepared(NamedTuple):
    """An export whose snapshot is taken: its size, its chunks, and what was left out."""

    total: int
    chunks: Iterator[bytes]
    #: Damaged documents left out (only when asked to skip them).
    skipped: list[Damage]


def prepare(
    store: Store,
    flt: AnnotationFilter,
    fmt: str = "json",
    *,
    excel: bool = False,
    progress: Progress | None = None,
    skip_damaged: bool = False,
) -> Prepared:
    """Take the snapshot now: how many annotations the export holds, and its chunks.

    ``progress`` is called with the number of annotations each chunk completed, once
    the consumer asks for the next chunk (so after it wrote the one before); the
    calls add up to the count. The bytes are the same with or without it.

    :raise DamagedDocument: if the data file holds a damaged document, unless
        ``skip_damaged``: then those documents are left out and listed in ``skipped``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    skipped = store.damaged() if skip_damaged else []
    snap = snapshot(store, flt, skip=skipped)
    report = progress or _no_progress
    if fmt == "json":
        chunks = _json(snap, report)
    elif fmt == "jsonl":
        chunks = _jsonl(snap, report)
    elif fmt == "csv":
        chunks = _csv(snap, report, excel=excel)
    else:
        chunks = _w3c(snap, report)
    return Prepared(len(snap[0]), chunks, skipped)


def stream(
    store: Store,
    flt: AnnotationFilter,
    fmt: str = "json",
    *,
    excel: bool = False,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The export in format ``fmt`` (one of :data:`FORMATS`), in chunks (see :func:`prepare`)."""
    return prepare(store, flt, fmt, excel=excel, progress=progress).chunks


def render(store: Store, flt: AnnotationFilter, fmt: str = "json", *, excel: bool = False) -> bytes:
    """The whole export as one bytes object (for small exports and tests)."""
    return b"".join(stream(store, flt, fmt, excel=excel))


class Counter:
    """Counts the annotations an export's bytes complete, chunk by chunk, as they arrive.

    For a client that reads an export over HTTP (the CLI while a server holds the
    folder), where the chunks' counts are not at hand. Exact for what this module
    writes: in JSON a quote inside a string is always escaped, so a key such as
    ``"position":`` cannot occur inside a string; a CSV row ends at a CRLF outside
    quotes (an even number of ``"`` so far: a quote in a field is doubled).
    """

    MARKERS: ClassVar[dict[str, bytes]] = {
        "json": b'"position":',
        "jsonl": b'"position":',
        "w3c": b'"type":"TextPositionSelector"',
    }

    def __init__(self, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.marker = self.MARKERS.get(fmt)
        self.carry = b""
        self.in_quotes = False
        self.header = fmt == "csv"  # the header row is not an annotation

    def feed(self, data: bytes) -> int:
        """The number of annotations completed by ``data``, the export's next bytes."""
        data = self.carry + data
        if self.marker is not None:
            # Keep what could be the start of a marker cut at the chunk's end (too
            # short to hold a whole one, so nothing is counted twice).
            self.carry = data[-(len(self.marker) - 1) :]
            return data.count(self.marker)
        self.carry = b"\r" if data.endswith(b"\r") else b""
        lines = (data[:-1] if self.carry else data).split(b"\r\n")
        rows = 0
        for n, line in enumerate(lines):
            if line.count(b'"') % 2:
                self.in_quotes = not self.in_quotes
            if n + 1 < len(lines) and not self.in_quotes:
                if self.header:
                    self.header = False
                else:
                    rows += 1
        return rows
