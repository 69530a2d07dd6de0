"""What an earlier version stored, brought up to this version's rules when a store opens.

**URLs** are normalised as :func:`newsmark.contract.normalize_url` does now: the path's
characters that RFC 3986/3987 do not allow (``" < > \\ ^ ` { | }``, non-ASCII, a stray
``%``) percent-encoded, so that every export holds valid IRIs. An article's id is derived
from its URL, so an article whose URL changes gets the new URL's id and its versions
follow it; where the new URL is already stored (the same page saved once as ``a|b`` and
once as ``a%7Cb``), the two merge: versions by SHA-256, numbered in the order they were
first seen, the latest state of the one seen last. Annotations name their article by URL
and keep their own ids, ``created`` and ``updated``.

It reads only the indexes (every stored URL), so opening a large store costs nothing
more. Everything is one transaction; when there is nothing to change, nothing is written
(a read-only copy of a data folder opens as it is).

Left as they are, because finding them would read every document at every open, or
because no rewriting would be right: notes stored with CR line breaks (the import
compares them as LF; see :func:`newsmark.importing.plan`), and names and titles holding
control characters refused now.

**Schema version 1 to 2**: every annotation (and every one in the trash) gets the fields of
the tags (an actor's entity: its quote in one line; a figure's reading: parsed from its quote;
the others null, ``attributed_to`` empty; see :func:`newsmark.tagfields.upgraded`) and
``schema_version`` 2; its ``updated`` stays. Every article and article version gets the
metadata parsed from its URL, byline and timestamp line (``date_published`` null: version 1
did not keep it). It is one transaction, so one journal line: a crash before that line is
whole leaves the version 1 data as it was (the data file is not touched until the line is
durable, and replay drops a torn line), and the next open migrates again; after it, the
journal holds the whole version 2 data, which a compaction then writes into the data file
(atomically: written aside, then renamed over). Never a mix. Documents already at version 2
are recognised from their bytes without being parsed, so the check costs little at each open
and the migration runs once. A damaged document (not JSON) is left as it is, and migrated
at an open after it is repaired.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import articles, contract, tagfields
from .schemas import time_key
from .store import AnnotationFilter, Store

#: For the crash tests: at this stage of a schema migration ("before-commit", "after-commit"), make
#: the file ``migration-paused`` in the data folder and wait to be killed.
PAUSE_ENV = "NEWSMARK_TEST_MIGRATION_PAUSE"

log = logging.getLogger(__name__)


@dataclass
class Upgrade:
    """What opening the store changed (or would have, for ``kept``)."""

    urls: dict[str, str] = field(default_factory=dict)  # old URL -> new URL
    merged: list[str] = field(default_factory=list)  # new URLs two stored articles merged into
    kept: dict[str, str] = field(default_factory=dict)  # URL left as it is -> why
    #: Documents brought to this schema version, by table.
    schema: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.urls) or any(self.schema.values())


def upgrade(store: Store) -> Upgrade:
    """Rewrite what earlier versions stored and this one would store otherwise; see the module."""
    done = Upgrade()
    _normalise_urls(store, done)
    done.schema = to_current_schema(store)
    return done


def _normalise_urls(store: Store, done: Upgrade) -> None:
    stored_urls = set(store.annotation_urls()) | set(store.article_urls())
    for url in sorted(stored_urls):
        try:
            new = contract.normalize_url(url)
        except contract.UrlError as exc:
            done.kept[url] = f"URL {exc}"
            continue
        if len(new) > contract.MAX_URL:
            done.kept[url] = f"URL is {len(new)} characters once percent-encoded, over {contract.MAX_URL}"
        elif new != url:
            done.urls[url] = new
    for url, why in done.kept.items():
        log.warning("left a stored URL as it is (%s): %s", why, url)
    if not done.urls:
        return
    with store.transaction():
        for old, new in done.urls.items():
            for doc in store.annotations_matching(AnnotationFilter(url=old)):
                store.replace_annotation({**doc, "url": new})
        for old, new in done.urls.items():
            if _move_article(store, old, new):
                done.merged.append(new)
    log.info(
        "brought the store up to date: %d URL(s) percent-encoded (%d article(s) merged)",
        len(done.urls),
        len(done.merged),
    )


def _move_article(store: Store, old: str, new: str) -> bool:
    """Give the article at ``old`` the URL ``new`` and its id; :returns: True if it merged into one there."""
    article = store.get_article(url=old)
    if article is None:
        return False  # only annotations name that URL (their article's text was never stored)
    versions = store.versions_of(article["id"])
    store.remove_article(article["id"])
    new_id = contract.article_id(new)
    moved = {"id": new_id, "url": new, **{k: v for k, v in article.items() if k not in ("id", "url")}}
    there = store.get_article(url=new)
    if there is None:
        store.put_article(moved)
        store.set_versions(new_id, [{**v, "article_id": new_id} for v in versions])
        return False
    merged = {v["sha256"]: v for v in store.versions_of(new_id)}
    for version in versions:  # one text seen under both spellings: first seen when first seen under either
        same = merged.get(version["sha256"])
        if same is None or time_key(version["first_seen"]) < time_key(same["first_seen"]):
            merged[version["sha256"]] = {**version, "article_id": new_id}
    # Stable: versions first seen at the same time keep the order they had.
    store.set_versions(new_id, sorted(merged.values(), key=lambda v: time_key(v["first_seen"])))
    latest = moved if time_key(moved["last_seen"]) > time_key(there["last_seen"]) else there
    store.put_article(
        {
            "id": new_id,
            "url": new,
            **{k: latest[k] for k in ("title", "byline", "timestamp_text", "sha256")},
            "first_seen": min(there["first_seen"], moved["first_seen"], key=time_key),
            "last_seen": latest["last_seen"],
        }
    )
    return True


# -- schema version 1 to 2 ----------------------------------------------------------------------

#: How a stored annotation of this version ends (the key order is fixed: contract.ANNOTATION_KEYS).
_CURRENT_END = b'"schema_version":%d}' % contract.SCHEMA_VERSION


def to_current_schema(store: Store) -> dict[str, int]:
    """Bring every document of an earlier schema version to this one, in one transaction.

    :returns: how many documents of each table were rewritten (nothing written when none).
    """
    with store.reading():
        plan = {
            "annotations": _stale(store.annotations._read_table(), _annotation_is_current),
            "trash": _stale(store.trash._read_table(), _trashed_is_current),
            "articles": _stale(store.articles._read_table(), _article_is_current),
            "article_versions": _stale(store.versions._read_table(), _version_is_current),
        }
    if not any(plan.values()):
        return {}
    started = time.monotonic()
    with store.reading():
        # The figures' quotes are parsed (in other processes) while the rest is rewritten here.
        figures = {table: _figures(plan[table]) for table in ("annotations", "trash")}
        finish = tagfields.start_parsing(quote for found in figures.values() for _, quote in found.values())
        urls = {doc["id"]: doc["url"] for doc in store.all_articles()}
        rewritten = {
            "annotations": _rewrite(
                _without(plan["annotations"], figures["annotations"]), tagfields.upgraded
            ),
            "trash": _rewrite(_without(plan["trash"], figures["trash"]), tagfields.upgraded),
            "articles": _rewrite(plan["articles"], _article_upgraded),
            "article_versions": _rewrite(
                plan["article_versions"], lambda doc: _version_upgraded(doc, urls.get(doc["article_id"], ""))
            ),
        }
        finish()
        for table, found in figures.items():
            rewritten[table].update(_rewrite({k: doc for k, (doc, _) in found.items()}, tagfields.upgraded))
    _pause(store, "before-commit")
    with store.transaction():
        store.annotations.replace_encoded(rewritten["annotations"])
        store.trash.replace_encoded(rewritten["trash"])
        store.articles.replace_encoded(rewritten["articles"])
        store.versions.replace_encoded(rewritten["article_versions"])
    _pause(store, "after-commit")
    counts = {table: len(docs) for table, docs in rewritten.items()}
    log.info(
        "brought the data to schema version %d in %.1f s: %s",
        contract.SCHEMA_VERSION,
        time.monotonic() - started,
        ", ".join(f"{n} {table}" for table, n in counts.items() if n),
    )
    return counts


def _stale(docs: dict[str, Any], is_current: Any) -> dict[str, Any]:
    """The documents (bytes as loaded, or dicts) of a table that are not of this version, by key."""
    return {key: doc for key, doc in dict.items(docs) if not is_current(doc)}


def _annotation_is_current(doc: Any) -> bool:
    if type(doc) is bytes:
        if doc.endswith(_CURRENT_END):
            return True
        return not doc.endswith(b'"schema_version":1}') and _parses_as(doc, tagfields.is_current)
    return tagfields.is_current(doc)


def _trashed_is_current(doc: Any) -> bool:
    return _parses_as(doc, tagfields.is_current)


def _has_metadata(doc: dict[str, Any]) -> bool:
    return all(key in doc for key in contract.ARTICLE_METADATA_KEYS)


def _article_is_current(doc: Any) -> bool:
    return _parses_as(doc, _has_metadata)


def _version_is_current(doc: Any) -> bool:
    if type(doc) is bytes:
        # The metadata come last, after the text (which may be long): look at the end only. A quote
        # character inside the text is escaped (\"), so the text cannot hold this key as it is here.
        return b'"date_published":' in doc[-1024:] or _parses_as(doc, _has_metadata)
    return _has_metadata(doc)


def _parses_as(doc: Any, check: Any) -> bool:
    """``check(doc)`` once parsed; a document that is not JSON counts as current (it is left alone)."""
    if type(doc) is bytes:
        try:
            doc = orjson.loads(doc)
        except orjson.JSONDecodeError:
            return True  # damaged: nothing to migrate it from; see Store.damaged
    return bool(check(doc))


def _figures(docs: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    """The figures among ``docs``, parsed, with their quotes, by key (to parse the quotes at once)."""
    found = {}
    for key, doc in docs.items():
        if type(doc) is bytes:
            if b'"tag":"figure"' not in doc:  # a quote character in a text is escaped: \"
                continue
            try:
                doc = orjson.loads(doc)
            except orjson.JSONDecodeError:
                continue
        if doc.get("tag") == "figure":
            found[key] = (doc, doc["quote"]["exact"])
    return found


def _without(docs: dict[str, Any], left_out: dict[str, Any]) -> dict[str, Any]:
    return {key: doc for key, doc in docs.items() if key not in left_out}


def _rewrite(docs: dict[str, Any], upgraded: Any) -> dict[str, bytes]:
    out = {}
    for key, doc in docs.items():
        try:
            parsed = orjson.loads(doc) if type(doc) is bytes else doc
        except orjson.JSONDecodeError:
            log.warning("document %s is not JSON: left as it is (see newsmark check)", key)
            continue
        out[key] = orjson.dumps(upgraded(parsed))
    return out


def _article_upgraded(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        **doc,
        **articles.metadata(doc["url"], doc["byline"], doc["timestamp_text"], doc.get("date_published")),
    }


def _version_upgraded(doc: dict[str, Any], url: str) -> dict[str, Any]:
    return {**doc, **articles.metadata(url, doc["byline"], doc["timestamp_text"], doc.get("date_published"))}


def _pause(store: Store, stage: str) -> None:
    """Wait here to be killed, if the crash tests ask for it (see :data:`PAUSE_ENV`)."""
    if os.environ.get(PAUSE_ENV) != stage:
        return
    (store.folder / "migration-paused").write_text(stage)
    while True:
        time.sleep(1)
