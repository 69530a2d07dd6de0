"""Import: merge a newsmark JSON export or W3C Web Annotations into the store.

This is how several coders' work comes together on one machine. Three steps:

1. :func:`parse_file` reads the file a piece at a time and checks it on its own
   (every annotation and article, each version's text against its SHA-256, and
   each quote against its version's text when the file holds it) without looking
   at the store.
2. :func:`plan` checks it against the store (the other quotes against version
   texts kept there) and decides, annotation by annotation, what merging does.
3. :func:`apply` writes the plan in one store transaction: all of it, durably,
   or nothing.

:func:`run_file` does the last two under one lock, so nothing changes in between.
Any problem found before writing raises :class:`~newsmark.errors.Invalid`
naming the fields at fault (``annotations[12].quote.exact``); nothing is written.
The first :data:`MAX_PROBLEMS` problems are listed; past them each annotation is
only checked for whether it passes, and the ones that do not are counted, so a
file of 200,000 broken annotations is refused in about the time it takes to read.

Memory: the file is never held whole. Each annotation is checked as it is read
and kept in its stored form as JSON bytes, which the store takes as they are
(as it keeps documents loaded from its data file), so an import's memory peaks
at 1.2 to 2.4 times the file's size (see ``scripts/bench_import.py``). The schema's
checks run compiled (:mod:`newsmark.fastload`); marshmallow itself only words
the problems.

Merging, by annotation id (see the README):

- not stored: **added**;
- stored and identical: **unchanged**;
- the same immutable fields (:data:`IMMUTABLE`), other tag or note: the one with
  the later ``updated`` wins; the import's is **updated** into the store, the
  stored one stays (**unchanged**, counted as **kept_newer** too);
- other immutable fields, or the same ``updated`` with other content:
  **conflicting**; nothing of it is written, and it is listed in the report.

There are no tombstones: an annotation deleted here comes back when a file that
holds it is imported.

Versions: a file of schema_version 1 (or an annotation of it) is brought to 2 as opening a
version 1 data folder does (:func:`newsmark.tagfields.upgraded`); a W3C annotation without the
bodies of its tag's fields gets them filled as a create does. A claim's actors must be actors
on its article once the import is applied (in the file or stored); a stored actor the import
turns into another tag leaves the stored claims attributed to it, as a change of tag does.
An article's metadata (published, updated, section, authors) is parsed again from its own
words (URL, byline, timestamp_text, date_published).
"""

from __future__ import annotations

import io
import json
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from marshmallow import Schema, ValidationError

from . import articles, contract, jsonstream, tagfields, w3c
from .articles import TEXT_FORM
from .errors import Invalid, NotJson
from .fastload import CompiledLoad
from .schemas import (
    ArticleUrl,
    ImportedAnnotationSchema,
    ImportedAnnotationV1Schema,
    ImportedArticleSchema,
    ImportedExportSchema,
    ImportedVersionSchema,
    flatten_errors,
    time_key,
)
from .store import AnnotationFilter, Doc, Store
from .text import is_article_text, quote_mismatches, text_sha256

#: Fields fixed when an annotation is made: the same id with others is another annotation.
IMMUTABLE = ("url", "quote", "position", "annotator", "created", "article_sha256", "schema_version")
#: Conflicts listed in a report; beyond, only counted.
MAX_LISTED = 100
#: Problems listed when a file is refused; beyond, only counted (a broken 100k file stays readable).
MAX_PROBLEMS = 1000


class _Loader:
    """A schema, and its compiled load for the many documents that pass (see :mod:`newsmark.fastload`)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.fast = CompiledLoad(schema, memo=(ArticleUrl,))


_annotations = _Loader(ImportedAnnotationSchema())
_annotations_v1 = _Loader(ImportedAnnotationV1Schema())
_articles = _Loader(ImportedArticleSchema())
_versions = _Loader(ImportedVersionSchema())
_export_schema = ImportedExportSchema()


class Annotations:
    """The annotations of a file that passed their own checks: their stored form as JSON bytes.

    Bytes take about half the memory of the same document as Python objects, and the
    store keeps them as they are. Each keeps its number in the file, for messages.
    """

    def __init__(self, name: str) -> None:
        self.name = name  # "annotations" (a JSON export) or "items" (W3C)
        self.numbers = array("q")
        self.ids: list[str] = []
        self.docs: list[bytes] = []
        self.checked = bytearray()  # 1: the quote was checked against its version's text (or has none)

    def append(self, number: int, doc: Doc, *, checked: bool) -> None:
        self.numbers.append(number)
        self.ids.append(doc["id"])
        # Copied out: orjson's bytes keep the capacity of its write buffer (16 KiB for 1 KiB of JSON).
        self.docs.append(memoryview(orjson.dumps(doc)).tobytes())
        self.checked.append(checked)

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        """(path in the file, stored form as JSON bytes), in file order."""
        for number, doc in zip(self.numbers, self.docs, strict=True):
            yield f"{self.name}[{number}]", doc

    def entries(self) -> Iterator[tuple[str, str, bytes, bool]]:
        """(path, id, stored form as JSON bytes, whether its quote was checked), in file order."""
        for number, ident, doc, checked in zip(self.numbers, self.ids, self.docs, self.checked, strict=True):
            yield f"{self.name}[{number}]", ident, doc, bool(checked)


@dataclass
class ImportFile:
    """A file's contents, checked on their own.

    ``annotations`` are in the stored form; ``articles`` as in the JSON export.
    """

    format: str
    annotations: Annotations
    articles: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ArticleChange:
    """What an import writes for one article: its document and/or versions."""

    article: Doc | None = None  # to put (insert or replace), or None when it stays as it is
    append: list[Doc] = field(default_factory=list)  # versions to add after the stored ones
    rewrite: list[Doc] | None = None  # all versions, renumbered by first seen (a new one is older)


@dataclass
class Plan:
    """What applying an import writes, decided before any write."""

    format: str
    add: list[bytes] = field(default_factory=list)  # stored forms, as JSON bytes
    replace: list[Doc] = field(default_factory=list)
    unchanged: int = 0
    kept_newer: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    articles: list[ArticleChange] = field(default_factory=list)
    articles_added: int = 0
    articles_updated: int = 0
    versions_added: int = 0
    #: Stored claims (by id) as they are once the actors the import retags have left them.
    unlink: dict[str, Doc] = field(default_factory=dict)

    def report(self, *, dry_run: bool) -> dict[str, Any]:
        """The counts the API answers and the CLI prints."""
        return {
            "format": self.format,
            "dry_run": dry_run,
            "added": len(self.add),
            "unchanged": self.unchanged,
            "kept_newer": self.kept_newer,
            "updated": len(self.replace),
            "conflicting": len(self.conflicts),
            "conflicts": self.conflicts[:MAX_LISTED],
            "articles_added": self.articles_added,
            "articles_updated": self.articles_updated,
            "versions_added": self.versions_added,
        }


class _Problems:
    """The problems found in a file, by field path: the first :data:`MAX_PROBLEMS` listed, the rest counted.

    Once the list is full, what is read later is only checked for whether it passes
    (:attr:`full`): each annotation or article that does not counts as one more
    (:meth:`add_unexamined`), without the cost of finding every reason.
    """

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.count = 0
        self.listed = 0
        self.unexamined = 0

    @property
    def full(self) -> bool:
        return self.listed >= MAX_PROBLEMS

    def add(self, path: str, reason: str) -> None:
        self.count += 1
        if self.listed < MAX_PROBLEMS:
            self.fields.setdefault(path, []).append(reason)
            self.listed += 1

    def add_validation(self, prefix: str, error: ValidationError) -> None:
        for path, reasons in flatten_errors(error.messages).items():
            for reason in reasons:
                self.add(_join(prefix, path), reason)

    def add_unexamined(self) -> None:
        self.unexamined += 1

    def raise_if_any(self) -> None:
        if not self.count and not self.unexamined:
            return
        path, reasons = next(iter(self.fields.items()))
        first = f"the first at {path}: {reasons[0].rstrip('.')}"
        if self.count == self.listed and not self.unexamined:
            summary = f"{self.count} problem(s), {first}"
        else:
            more = []
            if self.count > self.listed:
                more.append(f"{self.count - self.listed:,} more problem(s)")
            if self.unexamined:
                more.append(f"{self.unexamined:,} more annotation(s) or article(s) that fail their checks")
            summary = f"{self.listed:,} problem(s) listed, {first}; past those, {' and '.join(more)}"
        raise Invalid(f"The file cannot be imported: {summary}. Nothing was imported.", self.fields)


def _join(prefix: str, path: str) -> str:
    """``annotations[3]`` + ``quote.exact``; marshmallow's list indexes (``versions.1``) as ``[1]``."""
    path = re.sub(r"(^|\.)(\d+)(?=\.|$)", r"[\2]", path)
    if path == "_schema":
        return prefix or "_schema"
    if not prefix:
        return path
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"


def _load(schema: Schema, data: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    try:
        return schema.load(data)
    except ValidationError as exc:
        problems.add_validation(path, exc)
        return None


def _check(loader: _Loader, data: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    """The loaded document; None (the problems noted) if it does not pass."""
    loaded = loader.fast.load(data)
    if loaded is not None:
        return loaded
    if problems.full:
        problems.add_unexamined()
        return None
    return _load(loader.schema, data, path, problems)  # for the messages


class _Flag:
    """A report that only remembers that something was reported."""

    def __init__(self) -> None:
        self.raised = False

    def __call__(self, path: str, reason: str) -> None:
        self.raised = True


# -- step 1: the file on its own ---------------------------------------------------


#: Where the objects holding a file's lists are: the top, and a W3C collection's pages (embedded in
#: ``first`` and each in the one before by ``next``, as older exports have them).
def _skeleton(path: jsonstream.Path) -> bool:
    return not path or (path[0] in ("first", "next") and all(key == "next" for key in path[1:]))


def _spread(path: jsonstream.Path) -> bool:
    """The lists read an element at a time: a JSON export's, W3C items, a list of annotations."""
    return (
        not path
        or path in (("annotations",), ("articles",))
        or (path[-1] == "items" and _skeleton(path[:-1]))
    )


class _Reading:
    """Checks each annotation and article as the file is read, for either format (known at the end)."""

    def __init__(self) -> None:
        self.export = _Problems()  # of a JSON export's annotations and articles
        self.annotations = Annotations("annotations")
        self.articles: list[dict[str, Any]] = []
        self.annotation_count = 0
        self.article_count = 0
        self.seen_ids: dict[str, int] = {}
        self.seen_urls: dict[str, int] = {}
        self.texts: dict[tuple[str, str], str] = {}  # (url, sha256) -> text, of the articles read so far
        self.w3c = _Problems()  # of W3C items
        self.items = Annotations("items")
        self.item_count = 0
        self.seen_items: dict[str, int] = {}

    def element(self, path: jsonstream.Path, value: Any) -> None:
        if path == ("annotations",):
            self._annotation(value)
        elif path == ("articles",):
            self._article(value)
        else:
            self._item(value)

    def _annotation(self, raw: Any) -> None:
        number = self.annotation_count
        self.annotation_count += 1
        _annotation(raw, number, self.annotations, self.seen_ids, self.texts, self.export)

    def _article(self, raw: Any) -> None:
        number = self.article_count
        self.article_count += 1
        path = f"articles[{number}]"
        article = _parse_article(raw, path, self.export)
        if article is None:
            return
        if article["url"] in self.seen_urls:
            self.export.add(
                f"{path}.url", f"appears twice in the file (also articles[{self.seen_urls[article['url']]}])."
            )
            return
        self.seen_urls[article["url"]] = number
        self.articles.append(article)
        for version in article["versions"]:
            self.texts[(article["url"], version["sha256"])] = version["text"]

    def _item(self, raw: Any) -> None:
        number = self.item_count
        self.item_count += 1
        loaded = _w3c_item(raw, number, self.w3c)
        if loaded is not None:
            _keep(self.items, number, loaded, self.seen_items, {}, self.w3c)

    def finish(self, top: Any) -> ImportFile:
        if isinstance(top, dict) and ("schema_version" in top or "annotations" in top):
            return self._export(top)
        if isinstance(top, list) or (isinstance(top, dict) and w3c.types(top) & w3c.TYPES):
            return self._w3c(top)
        raise Invalid(
            "The file is neither a newsmark JSON export nor W3C Web Annotations. Nothing was imported.",
            {
                "_schema": [
                    "Expected a JSON export (an object with schema_version and annotations) or W3C Web "
                    "Annotations (an AnnotationCollection, an AnnotationPage, an Annotation or a list "
                    "of them)."
                ]
            },
        )

    def _export(self, top: dict[str, Any]) -> ImportFile:
        # The lists were read apart: ``top`` holds them empty, for the schema to see they were lists.
        problems = _Problems()
        _load(_export_schema, top, "", problems)
        problems.raise_if_any()
        self.export.raise_if_any()
        return ImportFile("json", self.annotations, self.articles)

    def _w3c(self, top: Any) -> ImportFile:
        if isinstance(top, dict) and "Annotation" in w3c.types(top):
            # The file is one annotation; lists read apart inside it are not the file's annotations.
            one, problems = Annotations("items"), _Problems()
            loaded = _w3c_item(top, 0, problems)
            if loaded is not None:
                one.append(0, _stored_form(loaded), checked=loaded["article_sha256"] is None)
            problems.raise_if_any()
            return ImportFile("w3c", one)
        frame = _Problems()
        w3c.check_pages(top, self.item_count, frame.add)
        frame.raise_if_any()
        self.w3c.raise_if_any()
        return ImportFile("w3c", self.items)


def _annotation(
    raw: Any,
    number: int,
    kept: Annotations,
    seen: dict[str, int],
    texts: dict[tuple[str, str], str],
    problems: _Problems,
) -> None:
    """Check an annotation of a file (of schema_version 1 or 2) and keep it (see :func:`_keep`)."""
    v1 = isinstance(raw, dict) and raw.get("schema_version") == 1 and type(raw["schema_version"]) is int
    loader = _annotations_v1 if v1 else _annotations
    loaded = loader.fast.load(raw)  # the usual case, without building the path
    if loaded is None:
        loaded = _check(loader, raw, f"{kept.name}[{number}]", problems)
    if loaded is not None:
        if v1:
            loaded = tagfields.upgraded(loaded)
        _keep(kept, number, loaded, seen, texts, problems)


def _keep(
    kept: Annotations,
    number: int,
    loaded: Doc,
    seen: dict[str, int],
    texts: dict[tuple[str, str], str],
    problems: _Problems,
) -> None:
    """Keep an annotation that passed its checks, unless its id came before; check its quote now
    if its version's text came before it in the file (else :func:`plan` does, with the store's)."""
    if loaded["id"] in seen:
        problems.add(
            f"{kept.name}[{number}].id",
            f"appears twice in the file (also {kept.name}[{seen[loaded['id']]}]).",
        )
        return
    seen[loaded["id"]] = number
    sha = loaded["article_sha256"]
    text = None if sha is None else texts.get((loaded["url"], sha))
    if text is not None and _quote_problems(text, loaded, f"{kept.name}[{number}]", problems):
        return
    # The schema loads in the stored form's order; rebuilt only if it ever does not.
    doc = loaded if tuple(loaded) == contract.ANNOTATION_KEYS else _stored_form(loaded)
    kept.append(number, doc, checked=sha is None or text is not None)


def _quote_problems(text: str, doc: Doc, path: str, problems: _Problems) -> bool:
    """Whether the quote and position do not fit ``text`` (the problems noted)."""
    quote, pos = doc["quote"], doc["position"]
    found = quote_mismatches(text, quote["exact"], quote["prefix"], quote["suffix"], pos["start"], pos["end"])
    for name, reason in found.items():
        problems.add(f"{path}.{name}", reason)
    return bool(found)


def _w3c_item(raw: Any, number: int, problems: _Problems) -> Doc | None:
    """A W3C annotation mapped to the stored form and checked; None (the problems noted) if it fails."""
    path = f"items[{number}]"
    if problems.full:
        flag = _Flag()
        mapped = _completed(w3c.stored_form(raw, path, flag))
        loaded = _annotations.fast.load(mapped) if mapped is not None else None
        if loaded is None:
            problems.add_unexamined()
        return loaded
    mapped = _completed(w3c.stored_form(raw, path, problems.add))
    return None if mapped is None else _check(_annotations, mapped, path, problems)


def _completed(mapped: dict[str, Any] | None) -> dict[str, Any] | None:
    """A W3C annotation's stored form with the fields of its tag it holds no body for filled, as a
    create fills them (a file of schema_version 1, or from another tool, holds none)."""
    if mapped is None or all(key in mapped for key in contract.NOT_APPLICABLE):
        return mapped
    tag, quote = mapped.get("tag"), mapped.get("quote")
    exact = quote.get("exact") if isinstance(quote, dict) else None
    if tag not in contract.TAGS or not isinstance(exact, str):
        return mapped  # the schema names what is wrong
    given = {key: mapped[key] for key in contract.NOT_APPLICABLE if key in mapped}
    filled = tagfields.filled(tag, exact, given)
    return {**mapped, **{key: value for key, value in filled.items() if key not in mapped}}


def parse_file(source: IO[bytes]) -> ImportFile:
    """Recognise the format and check every annotation and article of a file, read from ``source``.

    A JSON export, W3C Web Annotations, or JSON Lines as the ``jsonl`` export writes them (see
    :func:`_json_lines`).

    :raise NotJson: if the bytes are not JSON (or, JSON Lines, a line is not).
    :raise Invalid: naming the fields at fault; for a file that is neither format, ``_schema``.
    """
    head, source = _first_line(source)
    if head is not None:
        return _json_lines(head, source)
    reading = _Reading()
    try:
        top = jsonstream.read(source, skeleton=_skeleton, spread=_spread, element=reading.element)
    except jsonstream.NotJson as exc:
        raise NotJson(str(exc)) from None
    return reading.finish(top)


#: How a line of the ``jsonl`` export starts: an annotation in its stored form, compact.
_JSON_LINE_START = re.compile(rb'[ \t\r\n]*\{"id":"')
#: The longest first line looked at to recognise JSON Lines (an annotation is at most about 30 KB).
_MAX_FIRST_LINE = 1 << 20


class _Prefixed(io.RawIOBase):
    """``source`` with ``prefix`` (bytes read from it already) put back in front."""

    def __init__(self, prefix: bytes, source: IO[bytes]) -> None:
        self.prefix, self.source = prefix, source

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self.prefix:
            if size < 0 or size >= len(self.prefix):
                out, self.prefix = self.prefix, b""
                return out + (self.source.read(size - len(out)) if size > len(out) else b"")
            out, self.prefix = self.prefix[:size], self.prefix[size:]
            return out
        return self.source.read(size)


def _first_line(source: IO[bytes]) -> tuple[bytes | None, IO[bytes]]:
    """The first line if the file is JSON Lines of annotations (each an object with an ``id`` first,
    not a W3C Annotation); else None, and the file whole again to read as one JSON document."""
    buf = source.read(1 << 16)
    if not _JSON_LINE_START.match(buf):
        return None, _Prefixed(buf, source)  # type: ignore[return-value]
    while b"\n" not in buf.lstrip() and len(buf) < _MAX_FIRST_LINE:
        more = source.read(1 << 16)
        if not more:
            break
        buf += more
    stripped = buf.lstrip()
    end = stripped.find(b"\n")
    line = stripped if end < 0 else stripped[:end]
    try:
        first = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None, _Prefixed(buf, source)  # type: ignore[return-value]
    if not isinstance(first, dict) or {"type", "@context", "annotations"} & first.keys():
        return None, _Prefixed(buf, source)  # type: ignore[return-value]
    return stripped, source


def _lines(head: bytes, source: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, line) of ``head`` and then the rest of ``source``, read a piece at a time."""
    pending, number = head, 0
    while True:
        *whole, pending = pending.split(b"\n")
        for line in whole:
            number += 1
            yield number, line
        more = source.read(jsonstream.CHUNK)
        if not more:
            break
        pending += more
    if pending:
        yield number + 1, pending


def _json_lines(head: bytes, source: IO[bytes]) -> ImportFile:
    """An export in JSON Lines (``format=jsonl``): one annotation a line, of schema_version 1 or 2.

    The ``article_title`` each line carries is left out (no article comes with the file); blank
    lines are skipped. Annotations are numbered from 0 in the order of their lines, as ``lines[12]``.
    """
    problems = _Problems()
    kept = Annotations("lines")
    seen: dict[str, int] = {}
    count = 0
    for number, line in _lines(head, source):
        if not line.strip():
            continue
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise NotJson(f"line {number} is not JSON ({exc})") from None
        if isinstance(raw, dict):
            raw.pop("article_title", None)
        _annotation(raw, count, kept, seen, {}, problems)
        count += 1
    problems.raise_if_any()
    return ImportFile("jsonl", kept)


def parse(data: Any) -> ImportFile:
    """:func:`parse_file` for a file already parsed (as ``json.loads`` gives it)."""
    return parse_file(io.BytesIO(json.dumps(data).encode()))


def _parse_article(raw: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    article = _check(_articles, raw, path, problems)
    if article is None:
        return None
    before = problems.count + problems.unexamined
    url_id = contract.article_id(article["url"])
    # An earlier version's export may hold a URL as stored then (before percent-encoding) with its id.
    as_written = raw.get("url") if isinstance(raw, dict) else None
    if article["id"] != url_id and article["id"] != contract.article_id(str(as_written)):
        problems.add(f"{path}.id", "is not the id of the article's URL (ids are derived from URLs).")
    article["id"] = url_id
    versions, shas = [], set()
    for m, raw_version in enumerate(article["versions"]):
        vpath = f"{path}.versions[{m}]"
        version = _check(_versions, raw_version, vpath, problems)
        if version is None:
            continue
        if not is_article_text(version["text"]):
            problems.add(f"{vpath}.text", TEXT_FORM)
        elif text_sha256(version["text"]) != version["sha256"]:
            problems.add(f"{vpath}.sha256", "is not the SHA-256 of the version's text (UTF-8).")
        if version["sha256"] in shas:
            problems.add(f"{vpath}.sha256", "appears twice among the article's versions.")
        shas.add(version["sha256"])
        versions.append(version)
    if article["sha256"] not in shas:
        problems.add(f"{path}.sha256", "names none of the article's versions (it must name the latest).")
    if problems.count + problems.unexamined > before:
        return None
    article["versions"] = versions
    return article


def _stored_form(data: dict[str, Any]) -> Doc:
    """The document as :func:`newsmark.annotations.create` writes it, in its key order.

    id, url and tag come first: the store reads them off the data file (store.TABLES).
    """
    quote, position = data["quote"], data["position"]
    return {
        "id": data["id"],
        "url": data["url"],
        "tag": data["tag"],
        "quote": {"exact": quote["exact"], "prefix": quote["prefix"], "suffix": quote["suffix"]},
        "position": {"start": position["start"], "end": position["end"]},
        "note": data["note"],
        "annotator": data["annotator"],
        **{key: data[key] for key in contract.NOT_APPLICABLE},
        "article_sha256": data["article_sha256"],
        "created": data["created"],
        "updated": data["updated"],
        "schema_version": data["schema_version"],
    }


# -- step 2: against the store -------------------------------------------------------


def plan(store: Store, parsed: ImportFile) -> Plan:
    """Check the quotes left to check against the version texts (the file's, or the store's) and
    decide the merge.

    Call under ``store.transaction()`` (as :func:`run_file` does), so the store does not change
    before :func:`apply`.

    :raise Invalid: if a quote does not fit its version's text; nothing is decided then.
    """
    result = Plan(parsed.format)
    problems = _Problems()
    texts = {(a["url"], v["sha256"]): v["text"] for a in parsed.articles for v in a["versions"]}
    stored: dict[str, dict[str, str]] = {}
    known = store.stored_annotation_ids(parsed.annotations.ids)
    paths: dict[str, str] = {}
    for path, ident, raw, checked in parsed.annotations.entries():
        paths[ident] = path
        doc = None  # parsed only when needed: the file's annotations stay bytes
        if not checked:
            doc = orjson.loads(raw)
            url, sha = doc["url"], doc["article_sha256"]
            text = texts.get((url, sha))
            if text is None:
                if url not in stored:
                    stored[url] = _stored_texts(store, url)
                text = stored[url].get(sha)  # None: a W3C file carries no texts; one may come later
            if text is not None:
                _quote_problems(text, doc, path, problems)
        if problems.count:
            continue
        existing = store.get_annotation(ident) if ident in known else None
        if existing is None:
            result.add.append(raw)
        else:
            _merge_annotation(existing, orjson.loads(raw) if doc is None else doc, result)
    problems.raise_if_any()
    _plan_attributions(store, result, paths, problems)
    problems.raise_if_any()
    for article in parsed.articles:
        _plan_article(store, article, result)
    return result


def _plan_attributions(store: Store, result: Plan, paths: dict[str, str], problems: _Problems) -> None:
    """Check that every claim the import writes names actors on its article as they will be once it is
    applied, and plan the unlinking of stored claims from stored actors it turns into another tag."""
    added: dict[str, bytes | Doc] = {}
    linking: list[Doc] = []
    for raw in result.add:
        added[raw[7:43].decode()] = raw  # the stored form starts {"id":"<the 36 characters of a UUID>"
        # It has the key; most claims (and every other tag) link no one: those are not parsed.
        if b'"attributed_to":[]' not in raw:
            linking.append(orjson.loads(raw))
    replaced = {doc["id"]: doc for doc in result.replace}
    linking += [doc for doc in result.replace if doc["attributed_to"]]

    def final(ident: str) -> Doc | None:
        doc = replaced.get(ident) or added.get(ident)
        if isinstance(doc, bytes):
            doc = added[ident] = orjson.loads(doc)
        return doc if doc is not None else store.get_annotation(ident)

    for claim in linking:
        for ident in claim["attributed_to"]:
            actor = final(ident)
            if actor is None:
                why = "is neither in the file nor stored"
            elif actor["tag"] != "actor":
                why = f"is a {actor['tag']}, not an actor"
            elif actor["url"] != claim["url"]:
                why = f"is an actor on another article ({actor['url']})"
            else:
                continue
            problems.add(f"{paths[claim['id']]}.attributed_to", f"{ident} {why}.")
    now = contract.utc_now()
    for doc in result.replace:
        before = store.get_annotation(doc["id"])
        if doc["tag"] == "actor" or before is None or before["tag"] != "actor":
            continue
        claims = store.annotations_matching(AnnotationFilter(url=doc["url"], tag="claim"))
        for claim in claims:
            if (
                doc["id"] not in claim.get("attributed_to", ())
                or claim["id"] in replaced
                or claim["id"] in added
            ):
                continue
            current = result.unlink.get(claim["id"], claim)
            kept = [key for key in current["attributed_to"] if key != doc["id"]]
            result.unlink[claim["id"]] = {**current, "attributed_to": kept, "updated": now}


def _stored_texts(store: Store, url: str) -> dict[str, str]:
    article = store.get_article(url=url)
    if article is None:
        return {}
    return {v["sha256"]: v["text"] for v in store.versions_of(article["id"])}


def _merge_annotation(existing: Doc, doc: Doc, result: Plan) -> None:
    if existing["note"] and "\r" in existing["note"]:
        # Stored before notes got LF line breaks on the way in: compare it as it would be stored now.
        existing["note"] = contract.normalize_note(existing["note"])
    if existing == doc:
        result.unchanged += 1
        return
    fixed = [key for key in IMMUTABLE if existing[key] != doc[key]]
    if fixed:
        _conflict(result, doc, fixed, "made on other content: fields fixed at creation differ")
        return
    mine, theirs = time_key(existing["updated"]), time_key(doc["updated"])
    if theirs > mine:
        result.replace.append(doc)
    elif theirs < mine:
        result.unchanged += 1
        result.kept_newer += 1
    else:
        changed = [key for key in ("tag", "note") if existing[key] != doc[key]]
        _conflict(result, doc, changed, "changed differently at the same time (the same updated)")


def _conflict(result: Plan, doc: Doc, differing: list[str], reason: str) -> None:
    result.conflicts.append({"id": doc["id"], "url": doc["url"], "fields": differing, "reason": reason})


def _plan_article(store: Store, article: dict[str, Any], result: Plan) -> None:
    """Merge by URL; versions by SHA-256, numbered in the order they were first seen."""
    aid = article["id"]
    incoming = [_version_doc(aid, article["url"], v) for v in article["versions"]]
    stored = store.get_article(article_id=aid)
    if stored is None:
        result.articles.append(ArticleChange(_article_doc(article), rewrite=_by_first_seen(incoming)))
        result.articles_added += 1
        result.versions_added += len(incoming)
        return
    versions = store.versions_of(aid)
    known = {v["sha256"] for v in versions}
    new = [v for v in incoming if v["sha256"] not in known]
    change = ArticleChange()
    if new:
        merged = _by_first_seen(versions + new)
        if merged[: len(versions)] == versions:
            change.append = merged[len(versions) :]
        else:
            change.rewrite = merged  # a new version is older than a stored one: renumber
        result.versions_added += len(new)
    doc = _merged_article(stored, article)
    if doc != stored:
        change.article = doc
        result.articles_updated += 1
    if change.article or change.append or change.rewrite:
        result.articles.append(change)


def _version_doc(article_id: str, url: str, version: dict[str, Any]) -> Doc:
    """A version as :func:`newsmark.articles.apply_snapshot` stores it (article_id first: it is indexed)."""
    return {
        "article_id": article_id,
        "sha256": version["sha256"],
        "text": version["text"],
        "first_seen": version["first_seen"],
        **{k: version[k] for k in ("title", "byline", "timestamp_text")},
        **_metadata(url, version),
    }


def _metadata(url: str, node: dict[str, Any]) -> dict[str, Any]:
    """An article's or version's metadata parsed again from its own words (a file of schema_version 1
    has none; one of 2 has them as the parser of its time read them)."""
    return articles.metadata(url, node["byline"], node["timestamp_text"], node.get("date_published"))


def _article_doc(article: dict[str, Any]) -> Doc:
    keys = ("id", "url", "title", "byline", "timestamp_text", "sha256", "first_seen", "last_seen")
    return {**{k: article[k] for k in keys}, **_metadata(article["url"], article)}


def _by_first_seen(versions: list[Doc]) -> list[Doc]:
    return sorted(versions, key=lambda v: time_key(v["first_seen"]))  # stable: ties keep their order


def _merged_article(stored: Doc, article: dict[str, Any]) -> Doc:
    """The latest state is the one seen last; first seen is the earlier of the two."""
    newer = article if time_key(article["last_seen"]) > time_key(stored["last_seen"]) else stored
    first = min(stored["first_seen"], article["first_seen"], key=time_key)
    return {
        "id": stored["id"],
        "url": stored["url"],
        **{k: newer[k] for k in ("title", "byline", "timestamp_text", "sha256")},
        "first_seen": first,
        "last_seen": newer["last_seen"],
        **_metadata(stored["url"], newer),
    }


# -- step 3: writing --------------------------------------------------------------------


def apply(store: Store, planned: Plan) -> None:
    """Write the plan in one transaction: durable together with one fsync, or not at all."""
    with store.transaction():
        for change in planned.articles:
            if change.rewrite is not None:
                store.set_versions(change.rewrite[0]["article_id"], change.rewrite)
            for version in change.append:
                store.add_version(version)
            if change.article is not None:
                store.put_article(change.article)
        if planned.add:
            store.insert_encoded_annotations(planned.add)
        for doc in planned.replace:
            store.replace_annotation(doc)
        for doc in planned.unlink.values():
            store.replace_annotation(doc)


def run_file(store: Store, source: IO[bytes], *, dry_run: bool = False) -> dict[str, Any]:
    """Import a JSON file read from ``source``: check it all, then merge it all (unless ``dry_run``).

    :returns: the report (:meth:`Plan.report`).
    :raise NotJson: if the bytes are not JSON. :raise Invalid: if anything in the file is
        wrong. Either way nothing was written.
    """
    parsed = parse_file(source)  # outside the lock: reading and checking a big file takes a while
    with store.transaction():
        planned = plan(store, parsed)
        if not dry_run:
            apply(store, planned)
    return planned.report(dry_run=dry_run)


def run(store: Store, data: Any, *, dry_run: bool = False) -> dict[str, Any]:
    """:func:`run_file` for a file already parsed (as ``json.loads`` gives it)."""
    return run_file(store, io.BytesIO(json.dumps(data).encode()), dry_run=dry_run)
