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
  Attributions are ``SpecificResource`` bodies (purpose ``linking``) naming the actor
  annotation's IRI; an actor's entity and a figure's reading are ``TextualBody``s (see :mod:`.w3c`).
- ``csv``: one row per annotation (:data:`CSV_COLUMNS`), RFC 4180 quoting, UTF-8;
  with ``excel=True`` a byte order mark first, so Excel reads non-ASCII right, and
  every text cell a spreadsheet would take for a formula neutralised (:func:`excel_cell`).
  The plain CSV is byte-true: what pandas or R read is what was stored. The entities
  of the actors a claim names are looked up at export time (``attributed_entities``).
- ``csv-claims``: who said what, one row per claim and actor it is attributed to
  (:data:`CLAIM_COLUMNS`); a claim attributed to no one is one row with empty actor cells.

Exports stream: the document is produced in chunks of :data:`CHUNK`
annotations, so memory does not grow with the store and the server starts
sending at once. The annotations are a snapshot taken under the store's lock
(stored documents are never changed in place), serialised after it is released.
:func:`prepare` takes the snapshot at once and says how many annotations the
export holds (for ``csv-claims``: how many claims); a ``progress`` callback hears how
many each chunk completed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, ClassVar, NamedTuple

import orjson

from . import __version__, contract, w3c
from .storage import Damage, DamagedDocument, dumps_docs
from .store import TABLES, AnnotationFilter, Doc, Store

#: The formats with one record per annotation.
FORMATS = contract.EXPORT_FORMATS
#: Who said what: one row per claim and actor.
CLAIMS = "csv-claims"
#: Every format ``newsmark export --format`` and ``GET /api/export?format=`` take.
ALL_FORMATS: tuple[str, ...] = (*FORMATS, CLAIMS)
MEDIA_TYPES = {
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "w3c": 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
    CLAIMS: "text/csv; charset=utf-8",
}
#: The file name's ending of each format's download: W3C Web Annotations are JSON-LD, and
#: ``.jsonld`` is the ending tools (and the W3C's own ``anno.jsonld``) use for it.
FILE_EXTENSIONS = {"json": "json", "jsonl": "jsonl", "csv": "csv", "w3c": "jsonld", CLAIMS: "csv"}


def file_name(fmt: str, stamp: str) -> str:
    """The name of the download of an export in ``fmt`` made at ``stamp`` (a UTC time)."""
    stem = "newsmark-claims" if fmt == CLAIMS else "newsmark-export"
    return f"{stem}-{stamp}.{FILE_EXTENSIONS[fmt]}"


#: The header of ``GET /api/export`` that says how many annotations the export holds.
TOTAL_HEADER = "X-Newsmark-Total"
#: With ``skip_damaged``: how many damaged documents the export left out.
SKIPPED_HEADER = "X-Newsmark-Skipped-Damaged"
CSV_COLUMNS = (
    "id", "url", "article_title", "tag", "exact", "prefix", "suffix", "start", "end",
    "note", "annotator", "created", "updated", "article_version",
    "entity", "attributed_to", "attributed_entities", "value", "value_high", "unit", "qualifier",
    "published", "section", "authors",
)  # fmt: skip
CLAIM_COLUMNS = (
    "claim_id", "url", "published", "section", "claim_quote", "claim_note", "annotator",
    "actor_id", "actor_quote", "entity", "created",
)  # fmt: skip
#: What the page states about an article, parsed (schema v2), kept on each version and on the
#: article's latest state. In the JSON export right after ``timestamp_text``, before the text.
METADATA = ("date_published", "published", "updated", "section", "authors")
_ARTICLE_KEYS = ("id", "url", "title", "byline", "timestamp_text", *METADATA, "sha256", "first_seen",
                 "last_seen")  # fmt: skip
_VERSION_KEYS = ("sha256", "title", "byline", "timestamp_text", *METADATA, "text", "first_seen")
#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
#: (OWASP's "CSV Injection" list; NUL from OWASP ASVS 1.2.10).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_ID_LENGTH = 36  # an annotation id: a UUID in its canonical form
CHUNK = 1000  # annotations per chunk: small enough to stay in cache, large enough to amortise calls

#: Called with the number of annotations a chunk completed, once the consumer has taken it.
Progress = Callable[[int], None]


class Snapshot(NamedTuple):
    """What an export holds, taken at one moment: stored documents, never changed."""

    annotations: list[Doc]
    articles: list[dict[str, Any]]
    #: Where the actors the selected claims name are found (only when asked for): the
    #: selection itself when it is everything, else every actor of the claims' articles.
    actors: Sequence[Doc] = ()


def _no_progress(done: int) -> None:
    pass


def snapshot(
    store: Store, flt: AnnotationFilter, *, skip: Collection[Damage] = (), actors: bool = False
) -> Snapshot:
    """The annotations ``flt`` selects and the articles to go with them, at one moment.

    With no filter every article is included (also those whose annotations were
    all deleted); with a filter, the articles of the selected annotations.
    Documents in ``skip`` (damaged ones) are left out. With ``actors``, also the
    actors the selected claims may name (attributions point within an article),
    whether or not the filter selects them, so their entities can be looked up.

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
        named: Sequence[Doc] = ()
        if flt != AnnotationFilter():
            urls = {a["url"] for a in annotations}
            chosen = [a for a in chosen if a["url"] in urls]
            if actors:  # a filtered selection is parsed already (the filter read it)
                claim_urls = {a["url"] for a in annotations if a.get("attributed_to")}
                named = [
                    actor
                    for url in sorted(claim_urls)
                    for actor in store.annotations_matching(
                        AnnotationFilter(url=url, tag="actor"), skip=left_out["annotations"]
                    )
                ]
        elif actors:
            named = annotations
        versions = left_out["article_versions"]
        return Snapshot(annotations, [article_form(store, a, skip=versions) for a in chosen], named)


def article_form(store: Store, article: Doc, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """An article with every version's text, as the JSON export holds it (but versions in ``skip``).

    Keys in a fixed order (:data:`_ARTICLE_KEYS`, :data:`_VERSION_KEYS`), whatever order they
    were stored in, so an export imported and exported again is the same document; keys
    not named there follow in their stored order. The article's metadata is its latest
    version's where the article's own document lacks it.
    """
    versions = store.versions_of(article["id"], skip=skip)
    latest = next((v for v in versions if v["sha256"] == article["sha256"]), {})
    inherited = {k: latest[k] for k in METADATA if k in latest}
    form = _ordered({**inherited, **article}, _ARTICLE_KEYS)
    form["versions"] = [
        {"version": n, **_ordered(v, _VERSION_KEYS, leave=("article_id",))} for n, v in enumerate(versions, 1)
    ]
    return form


def _ordered(doc: Doc, keys: Sequence[str], *, leave: Collection[str] = ()) -> dict[str, Any]:
    """``doc`` with ``keys`` first in that order, then its other keys (but those in ``leave``)."""
    out = {k: doc[k] for k in keys if k in doc}
    out.update((k, v) for k, v in doc.items() if k not in out and k not in leave)
    return out


def _with_tag(docs: Iterable[Doc | bytes], tag: str, *, numbered: bool = False) -> Iterator[tuple[Any, Doc]]:
    """(document as given, or with ``numbered`` its place in ``docs``; parsed) for each that has ``tag``.

    One still in its loaded bytes is parsed only if the tag's name is in it (or an escape
    that could spell it): the CSV exports find claims and actors without parsing every document.
    """
    name = tag.encode()
    for n, doc in enumerate(docs):
        parsed = doc
        if isinstance(doc, bytes):
            if name not in doc and b"\\u" not in doc:
                continue
            parsed = orjson.loads(doc)
        if parsed["tag"] == tag:
            yield (n if numbered else doc), parsed


def _names_actors(doc: Doc | bytes) -> bool:
    """Whether the annotation is attributed to any actor.

    One still in its loaded bytes is parsed only if it may be: one without the key (schema
    v1) or with ``"attributed_to":[]`` is not (quotes inside a JSON string are escaped, so
    that text cannot stand inside a value).
    """
    if isinstance(doc, bytes):
        if b"attributed_to" not in doc or b'"attributed_to":[]' in doc:
            return False
        doc = orjson.loads(doc)
    return bool(doc.get("attributed_to"))


def _key(annotation_id: str) -> bytes:
    """16 bytes that stand for an annotation id: its UUID's (a hash of any other text)."""
    try:
        key = bytes.fromhex(annotation_id.replace("-", ""))
    except ValueError:
        key = b""
    return key if len(key) == _KEY else hashlib.blake2b(annotation_id.encode(), digest_size=_KEY).digest()


_KEY = 16


class _Actors:
    """The quote and entity of the actors the claims of an export are attributed to, by id.

    A claim names actors of its own article, anywhere in the stored order, so the export
    must know them before its first row; it keeps, per article, where each actor is in the
    snapshot and 16 bytes of its id (about 20 bytes an actor: memory stays flat), and reads
    an actor's quote and entity when a row needs them (the last few kept).
    """

    CACHED = 256

    def __init__(self, actors: Sequence[Doc | bytes], claims: Iterable[Doc | bytes]) -> None:
        self.docs = actors
        self.by_url: dict[str, tuple[bytearray, array[int]]] = {}
        self.cache: dict[int, tuple[str, str]] = {}
        if any(map(_names_actors, claims)):  # else there is nothing to look up
            for n, actor in _with_tag(actors, "actor", numbered=True):
                keys, places = self.by_url.setdefault(actor["url"], (bytearray(), array("I")))
                keys += _key(actor["id"])
                places.append(n)

    def get(self, url: str, actor_id: str) -> tuple[str, str]:
        """(quote, entity) of the actor of the article at ``url``; empty if the export does not hold it."""
        keys, places = self.by_url.get(url, (b"", ()))
        key = _key(actor_id)
        at = keys.find(key)
        while at >= 0:
            if at % _KEY == 0:  # a whole key, not the end of one and the start of the next
                found = self._read(places[at // _KEY], actor_id)
                if found is not None:
                    return found
            at = keys.find(key, at + 1)
        return "", ""

    def _read(self, n: int, actor_id: str) -> tuple[str, str] | None:
        found = self.cache.get(n)
        if found is None:
            actor = _parsed(self.docs[n])
            if actor["id"] != actor_id:  # another id with the same 16 bytes (a hashed one)
                return None
            found = (actor["quote"]["exact"], actor.get("entity") or "")
            if len(self.cache) >= self.CACHED:
                del self.cache[next(iter(self.cache))]
            self.cache[n] = found
        return found


def iter_json(store: Store, flt: AnnotationFilter) -> Iterator[bytes]:
    """The JSON export document, in chunks of bytes."""
    return _json(snapshot(store, flt))


def _json(snap: Snapshot, progress: Progress = _no_progress) -> Iterator[bytes]:
    annotations, article_docs, _ = snap
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


def _by_url(article_docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["url"]: a for a in article_docs}


def _parsed(doc: Doc | bytes) -> Doc:
    return orjson.loads(doc) if isinstance(doc, bytes) else doc


def iter_jsonl(store: Store, flt: AnnotationFilter) -> Iterator[bytes]:
    """One annotation a line, each with ``article_title``."""
    return _jsonl(snapshot(store, flt))


def _jsonl(snap: Snapshot, progress: Progress = _no_progress) -> Iterator[bytes]:
    annotations, article_docs, _ = snap
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
    return _csv(snapshot(store, flt, actors=True), excel=excel)


def _text(value: str | None) -> str:
    return "" if value is None else value


def _number(value: float | None) -> float | str:
    """A number stays a number (so the Excel flavour never quotes a negative one); none is empty."""
    return "" if value is None else value


def _article_cells(article: dict[str, Any]) -> tuple[str, str, str]:
    """published, section, authors of an article (empty when not known, as for a v1 article)."""
    return (
        _text(article.get("published")),
        _text(article.get("section")),
        "; ".join(article.get("authors") or ()),
    )


def _csv(snap: Snapshot, progress: Progress = _no_progress, *, excel: bool = False) -> Iterator[bytes]:
    articles = _by_url(snap.articles)
    actors = _Actors(snap.actors, snap.annotations)
    none: dict[str, Any] = {}

    def rows(doc: Doc) -> Iterator[tuple[Any, ...]]:
        quote, position = doc["quote"], doc["position"]
        article = articles.get(doc["url"], none)
        named = doc.get("attributed_to") or ()
        entities = ";".join(actors.get(doc["url"], aid)[1] for aid in named)
        yield (doc["id"], doc["url"], article.get("title", ""), doc["tag"], quote["exact"],
               quote["prefix"], quote["suffix"], position["start"], position["end"], doc["note"] or "",
               doc["annotator"], doc["created"], doc["updated"], doc["article_sha256"] or "",
               _text(doc.get("entity")), ";".join(named), entities,
               _number(doc.get("value")), _number(doc.get("value_high")), _text(doc.get("unit")),
               _text(doc.get("qualifier")), *_article_cells(article))  # fmt: skip

    return _csv_document(CSV_COLUMNS, snap, progress, excel, rows)


def _csv_document(
    columns: tuple[str, ...],
    snap: Snapshot,
    progress: Progress,
    excel: bool,
    rows: Callable[[Doc], Iterable[tuple[Any, ...]]],
) -> Iterator[bytes]:
    """A header, then the rows ``rows`` makes of each annotation, a chunk of annotations at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" if excel else "").encode() + out.getvalue().encode("utf-8")
    for start in range(0, len(snap.annotations), CHUNK):
        out.seek(0)
        out.truncate()
        part = snap.annotations[start : start + CHUNK]
        for doc in part:
            for row in rows(_parsed(doc)):
                writer.writerow(map(excel_cell, row) if excel else row)
        yield out.getvalue().encode("utf-8")
        progress(len(part))


def _csv_claims(snap: Snapshot, progress: Progress = _no_progress, *, excel: bool = False) -> Iterator[bytes]:
    """Who said what: a row per claim and actor it names; a claim naming no one, one row.

    ``snap.annotations`` are the claims (see :func:`prepare`); ``progress`` hears claims.
    """
    articles = _by_url(snap.articles)
    actors = _Actors(snap.actors, snap.annotations)
    none: dict[str, Any] = {}

    def rows(claim: Doc) -> Iterator[tuple[Any, ...]]:
        published, section, _ = _article_cells(articles.get(claim["url"], none))
        head = (claim["id"], claim["url"], published, section, claim["quote"]["exact"], claim["note"] or "",
                claim["annotator"])  # fmt: skip
        named = claim.get("attributed_to") or ()
        for aid in named:
            quote, entity = actors.get(claim["url"], aid)
            yield (*head, aid, quote, entity, claim["created"])
        if not named:
            yield (*head, "", "", "", claim["created"])

    return _csv_document(CLAIM_COLUMNS, snap, progress, excel, rows)


def iter_w3c(store: Store, flt: AnnotationFilter) -> Iterator[bytes]:
    """An AnnotationCollection whose one page holds every annotation."""
    return _w3c(snapshot(store, flt))


def _w3c(snap: Snapshot, progress: Progress = _no_progress) -> Iterator[bytes]:
    # One page, embedded as ``first``: the document nests 7 levels deep whatever its size. Pages
    # chained by ``next``, each embedded in the one before, nested a level per page, and JSON
    # readers with a depth limit (Ruby, DuckDB, jq) refused large exports.
    annotations, article_docs, _ = snap
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
    if fmt not in ALL_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    skipped = store.damaged() if skip_damaged else []
    report = progress or _no_progress
    if fmt == CLAIMS:
        snap = snapshot(store, flt, skip=skipped, actors=True)
        # The claims, picked out after the lock is released (it parses documents), as they
        # are stored (kept parsed, they would take memory in proportion to the store); the
        # total must be known before the first byte, for X-Newsmark-Total.
        snap = snap._replace(annotations=[doc for doc, _ in _with_tag(snap.annotations, "claim")])
    else:
        snap = snapshot(store, flt, skip=skipped, actors=fmt == "csv")
    if fmt == "json":
        chunks = _json(snap, report)
    elif fmt == "jsonl":
        chunks = _jsonl(snap, report)
    elif fmt == "csv":
        chunks = _csv(snap, report, excel=excel)
    elif fmt == CLAIMS:
        chunks = _csv_claims(snap, report, excel=excel)
    else:
        chunks = _w3c(snap, report)
    return Prepared(len(snap.annotations), chunks, skipped)


def stream(
    store: Store,
    flt: AnnotationFilter,
    fmt: str = "json",
    *,
    excel: bool = False,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The export in format ``fmt`` (one of :data:`ALL_FORMATS`), in chunks (see :func:`prepare`)."""
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
    quotes (an even number of ``"`` so far: a quote in a field is doubled). In
    ``csv-claims`` a claim's rows follow one another, each beginning with its id (a
    UUID, never quoted): a claim is counted at its first row.
    """

    MARKERS: ClassVar[dict[str, bytes]] = {
        "json": b'"position":',
        "jsonl": b'"position":',
        "w3c": b'"type":"TextPositionSelector"',
    }

    def __init__(self, fmt: str) -> None:
        if fmt not in ALL_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.marker = self.MARKERS.get(fmt)
        self.carry = b""
        self.in_quotes = False
        self.header = fmt in ("csv", CLAIMS)  # the header row is not an annotation
        self.claims = fmt == CLAIMS
        self.row_id = b""  # csv-claims: the current row's first bytes, its claim's id
        self.last_id = b""

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
            if self.claims and len(self.row_id) < _ID_LENGTH:  # a row's first line may come in pieces
                self.row_id += line[: _ID_LENGTH - len(self.row_id)]
            if line.count(b'"') % 2:
                self.in_quotes = not self.in_quotes
            if n + 1 < len(lines) and not self.in_quotes:  # a row ends
                if self.header:
                    self.header = False
                elif not self.claims:
                    rows += 1
                elif self.row_id != self.last_id:
                    rows += 1
                    self.last_id = self.row_id
                self.row_id = b""
        return rows
