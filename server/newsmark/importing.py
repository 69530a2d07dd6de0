"""Import: merge a newsmark JSON export or W3C Web Annotations into the store.

This is how several coders' work comes together on one machine. Three steps:

1. :func:`parse` checks the file on its own (every annotation and article, and
   each version's text against its SHA-256) without looking at the store.
2. :func:`plan` checks it against the store (quotes against version texts kept
   there) and decides, annotation by annotation, what merging does.
3. :func:`apply` writes the plan in one store transaction: all of it, durably,
   or nothing.

:func:`run` does the last two under one lock, so nothing changes in between.
Any problem found before writing raises :class:`~newsmark.errors.Invalid`
naming every field at fault (``annotations[12].quote.exact``); nothing is written.

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
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError

from . import contract, w3c
from .articles import TEXT_FORM
from .errors import Invalid
from .schemas import (
    ImportedAnnotationSchema,
    ImportedArticleSchema,
    ImportedExportSchema,
    ImportedVersionSchema,
    flatten_errors,
    time_key,
)
from .store import Doc, Store
from .text import is_article_text, quote_mismatches, text_sha256

#: Fields fixed when an annotation is made: the same id with others is another annotation.
IMMUTABLE = ("url", "quote", "position", "annotator", "created", "article_sha256", "schema_version")
#: Problems and conflicts listed in full; beyond, only counted (a broken 100k file stays readable).
MAX_LISTED = 100

_annotation_schema = ImportedAnnotationSchema()
_article_schema = ImportedArticleSchema()
_version_schema = ImportedVersionSchema()
_export_schema = ImportedExportSchema()


@dataclass
class ImportFile:
    """A file's contents, checked on their own.

    ``annotations`` are in the stored form, each with the path that names it in
    errors (``annotations[3]`` or ``items[3]``); ``articles`` as in the JSON export.
    """

    format: str
    annotations: list[tuple[str, Doc]]
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
    add: list[Doc] = field(default_factory=list)
    replace: list[Doc] = field(default_factory=list)
    unchanged: int = 0
    kept_newer: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    articles: list[ArticleChange] = field(default_factory=list)
    articles_added: int = 0
    articles_updated: int = 0
    versions_added: int = 0

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
    """Every problem found in a file, by field path; the first :data:`MAX_LISTED` paths kept."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.count = 0

    def add(self, path: str, reason: str) -> None:
        self.count += 1
        if path in self.fields or len(self.fields) < MAX_LISTED:
            self.fields.setdefault(path, []).append(reason)

    def add_validation(self, prefix: str, error: ValidationError) -> None:
        for path, reasons in flatten_errors(error.messages).items():
            for reason in reasons:
                self.add(_join(prefix, path), reason)

    def raise_if_any(self) -> None:
        if not self.count:
            return
        listed = "" if self.count <= len(self.fields) else f" (the first {len(self.fields)} fields listed)"
        path, reasons = next(iter(self.fields.items()))
        raise Invalid(
            f"The file cannot be imported: {self.count} problem(s){listed}, the first at "
            f"{path}: {reasons[0].rstrip('.')}. Nothing was imported.",
            self.fields,
        )


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


# -- step 1: the file on its own ---------------------------------------------------


def parse(data: Any) -> ImportFile:
    """Recognise the format and check every annotation and article of a parsed JSON file.

    :raise Invalid: naming every field at fault; for a file that is neither format, ``_schema``.
    """
    if isinstance(data, dict) and ("schema_version" in data or "annotations" in data):
        return _parse_export(data)
    if isinstance(data, list) or (isinstance(data, dict) and w3c.types(data) & w3c.TYPES):
        return _parse_w3c(data)
    raise Invalid(
        "The file is neither a newsmark JSON export nor W3C Web Annotations. Nothing was imported.",
        {
            "_schema": [
                "Expected a JSON export (an object with schema_version and annotations) or W3C Web "
                "Annotations (an AnnotationCollection, an AnnotationPage, an Annotation or a list of them)."
            ]
        },
    )


def _parse_export(data: dict[str, Any]) -> ImportFile:
    problems = _Problems()
    top = _load(_export_schema, data, "", problems)
    problems.raise_if_any()
    assert top is not None
    parsed = ImportFile("json", [], [])
    seen_urls: dict[str, int] = {}
    for n, raw in enumerate(top["articles"]):
        article = _parse_article(raw, f"articles[{n}]", problems)
        if article is None:
            continue
        if article["url"] in seen_urls:
            problems.add(
                f"articles[{n}].url",
                f"appears twice in the file (also articles[{seen_urls[article['url']]}]).",
            )
            continue
        seen_urls[article["url"]] = n
        parsed.articles.append(article)
    parsed.annotations = _parse_annotations(
        ((f"annotations[{n}]", raw) for n, raw in enumerate(top["annotations"])), problems
    )
    problems.raise_if_any()
    return parsed


def _parse_article(raw: Any, path: str, problems: _Problems) -> dict[str, Any] | None:
    article = _load(_article_schema, raw, path, problems)
    if article is None:
        return None
    before = problems.count
    url_id = contract.article_id(article["url"])
    # An earlier version's export may hold a URL as stored then (before percent-encoding) with its id.
    as_written = raw.get("url") if isinstance(raw, dict) else None
    if article["id"] != url_id and article["id"] != contract.article_id(str(as_written)):
        problems.add(f"{path}.id", "is not the id of the article's URL (ids are derived from URLs).")
    article["id"] = url_id
    versions, shas = [], set()
    for m, raw_version in enumerate(article["versions"]):
        vpath = f"{path}.versions[{m}]"
        version = _load(_version_schema, raw_version, vpath, problems)
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
    if problems.count > before:
        return None
    article["versions"] = versions
    return article


def _parse_annotations(items: Iterator[tuple[str, Any]], problems: _Problems) -> list[tuple[str, Doc]]:
    found: list[tuple[str, Doc]] = []
    seen: dict[str, str] = {}
    for path, raw in items:
        loaded = _load(_annotation_schema, raw, path, problems)
        if loaded is None:
            continue
        if loaded["id"] in seen:
            problems.add(f"{path}.id", f"appears twice in the file (also {seen[loaded['id']]}).")
            continue
        seen[loaded["id"]] = path
        found.append((path, _stored_form(loaded)))
    return found


def _stored_form(data: dict[str, Any]) -> Doc:
    """The document as :func:`newsmark.annotations.create` writes it, in its key order.

    id and url come first: the store reads them off the data file (store.TABLES).
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
        "article_sha256": data["article_sha256"],
        "created": data["created"],
        "updated": data["updated"],
        "schema_version": data["schema_version"],
    }


# -- W3C Web Annotation ------------------------------------------------------------


def _parse_w3c(data: Any) -> ImportFile:
    problems = _Problems()
    items = w3c.items_of(data, problems.add)
    problems.raise_if_any()
    mapped = ((path, w3c.stored_form(item, path, problems.add)) for path, item in items)
    annotations = _parse_annotations(((p, a) for p, a in mapped if a is not None), problems)
    problems.raise_if_any()
    return ImportFile("w3c", annotations)


# -- step 2: against the store -------------------------------------------------------


def plan(store: Store, parsed: ImportFile) -> Plan:
    """Check the quotes against the version texts (the file's, or the store's) and decide the merge.

    Call under ``store.transaction()`` (as :func:`run` does), so the store does not change before
    :func:`apply`.

    :raise Invalid: if a quote does not fit its version's text; nothing is decided then.
    """
    _check_quotes(store, parsed)
    result = Plan(parsed.format)
    for article in parsed.articles:
        _plan_article(store, article, result)
    for _, doc in parsed.annotations:
        _plan_annotation(store, doc, result)
    return result


def _check_quotes(store: Store, parsed: ImportFile) -> None:
    problems = _Problems()
    texts = {(a["url"], v["sha256"]): v["text"] for a in parsed.articles for v in a["versions"]}
    stored: dict[str, dict[str, str]] = {}
    for path, doc in parsed.annotations:
        sha = doc["article_sha256"]
        if sha is None:
            continue  # made before its article's text was known: nothing to check against
        text = texts.get((doc["url"], sha))
        if text is None:
            if doc["url"] not in stored:
                stored[doc["url"]] = _stored_texts(store, doc["url"])
            text = stored[doc["url"]].get(sha)
        if text is None:
            continue  # a W3C file carries no texts; the version may come with a later import
        quote, pos = doc["quote"], doc["position"]
        for name, reason in quote_mismatches(
            text, quote["exact"], quote["prefix"], quote["suffix"], pos["start"], pos["end"]
        ).items():
            problems.add(f"{path}.{name}", reason)
    problems.raise_if_any()


def _stored_texts(store: Store, url: str) -> dict[str, str]:
    article = store.get_article(url=url)
    if article is None:
        return {}
    return {v["sha256"]: v["text"] for v in store.versions_of(article["id"])}


def _plan_annotation(store: Store, doc: Doc, result: Plan) -> None:
    existing = store.get_annotation(doc["id"])
    if existing is None:
        result.add.append(doc)
        return
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
    incoming = [_version_doc(aid, v) for v in article["versions"]]
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


def _version_doc(article_id: str, version: dict[str, Any]) -> Doc:
    """A version as :func:`newsmark.articles.apply_snapshot` stores it (article_id first: it is indexed)."""
    return {
        "article_id": article_id,
        "sha256": version["sha256"],
        "text": version["text"],
        "first_seen": version["first_seen"],
        **{k: version[k] for k in ("title", "byline", "timestamp_text")},
    }


def _article_doc(article: dict[str, Any]) -> Doc:
    keys = ("id", "url", "title", "byline", "timestamp_text", "sha256", "first_seen", "last_seen")
    return {k: article[k] for k in keys}


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
            store.insert_annotations(planned.add)
        for doc in planned.replace:
            store.replace_annotation(doc)


def run(store: Store, data: Any, *, dry_run: bool = False) -> dict[str, Any]:
    """Import a parsed JSON file: check it all, then merge it all (unless ``dry_run``).

    :returns: the report (:meth:`Plan.report`).
    :raise Invalid: if anything in the file is wrong; nothing was written.
    """
    parsed = parse(data)  # outside the lock: checking a big file takes a while
    with store.transaction():
        planned = plan(store, parsed)
        if not dry_run:
            apply(store, planned)
    return planned.report(dry_run=dry_run)
