"""The fields the viewer filters, sorts and counts by, one column each, kept between requests.

Going through 100,000 annotation documents for every page of the table takes
most of a second in Python; the columns are built in one pass and then reused
until the store changes (any write makes new ones, on the next view). Each
order of the table is sorted once per set of columns, and a filtered page
keeps the matching rows of that order, so no request sorts.

A text search (``q``) reads every quote and note: case-folding 100,000 of them
on every search takes most of the time, so the first search keeps them folded,
one string per annotation (quote and note). After a change, the new columns
take the folded text of every document that did not change from the columns
before (stored documents are never changed in place: a change makes a new one),
so the first search after an edit folds one quote and note, not all of them.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from . import contract
from .store import AnnotationFilter, Doc, Store

#: Between a quote and its note in the folded text: a search without it can only match
#: inside one of them, as :meth:`AnnotationFilter.matches` does.
_FIELD_SEP = "\x1f"


@dataclass
class Columns:
    generation: tuple[int, int]
    docs: list[Doc]  # the stored documents, in stored order: read, never change
    ids: list[str]
    urls: list[str]
    tags: list[str]
    annotators: list[str]
    created: list[str]
    titles: dict[str, str]  # article URL -> title
    _orders: dict[str, list[int]] = field(default_factory=dict)
    _folded: list[str] | None = None  # quote and note of each row, case-folded (see _folded_text)
    _inherited: tuple[list[Doc], list[str]] | None = None  # earlier columns' docs and folded text
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def select(self, flt: AnnotationFilter) -> list[int]:
        """The rows ``flt`` matches, in stored order."""
        rows: range | list[int] = range(len(self.docs))
        checks: list[Callable[[int], bool]] = []
        if flt.url is not None:
            checks.append(lambda i: self.urls[i] == flt.url)
        if flt.tag is not None:
            checks.append(lambda i: self.tags[i] == flt.tag)
        if flt.annotator is not None:
            checks.append(lambda i: self.annotators[i] == flt.annotator)
        if flt.since is not None:
            checks.append(lambda i: self.created[i][:10] >= flt.since)
        if flt.until is not None:
            checks.append(lambda i: self.created[i][:10] <= flt.until)
        for check in checks:
            rows = [i for i in rows if check(i)]
        if flt.q:  # last: it reads the documents
            needle = flt.needle
            if _FIELD_SEP in needle:  # could match across a quote and its note: check each
                return [i for i in rows if flt.matches(self.docs[i])]
            folded = self._folded_text()
            rows = [i for i in rows if needle in folded[i]]
        return list(rows)

    def _folded_text(self) -> list[str]:
        """Each row's quote and note, case-folded: made on the first search, reusing earlier columns'."""
        with self._lock:
            if self._folded is None:
                if self._inherited is None:
                    self._folded = [_fold(doc) for doc in self.docs]
                else:
                    self._folded = _refold(self.docs, *self._inherited)
                    self._inherited = None
            return self._folded

    def folded_source(self) -> tuple[list[Doc], list[str]] | None:
        """Folded text for the next columns to reuse: these columns', or what they inherited."""
        folded = self._folded
        return (self.docs, folded) if folded is not None else self._inherited

    def search_chars(self) -> int:
        """How many characters of folded text are kept for searches (0 before the first)."""
        return sum(map(len, self._folded or []))

    def ordered(self, rows: list[int], sort: str) -> list[int]:
        """``rows`` in the table's order ``sort`` (one of :data:`contract.SORTS`)."""
        order = self.order(sort)
        if len(rows) == len(self.docs):
            return order
        wanted = bytearray(len(self.docs))
        for i in rows:
            wanted[i] = 1
        return [i for i in order if wanted[i]]

    def order(self, sort: str) -> list[int]:
        with self._lock:
            if sort not in self._orders:
                self._orders[sort] = self._sorted(sort)
            return self._orders[sort]

    def _sorted(self, sort: str) -> list[int]:
        # Ties keep a fixed order (time, then id), so a page never shifts between two views.
        rows = range(len(self.docs))
        stamps = [c + i for c, i in zip(self.created, self.ids, strict=True)]  # one string sorts faster
        by_time = sorted(rows, key=stamps.__getitem__)
        if sort == "newest":
            return by_time[::-1]
        if sort == "oldest":
            return by_time
        rank = {i: n for n, i in enumerate(by_time)}
        if sort == "tag":
            return sorted(rows, key=lambda i: (contract.TAGS.index(self.tags[i]), rank[i]))
        if sort == "coder":
            return sorted(rows, key=lambda i: (self.annotators[i].casefold(), rank[i]))
        titles = self.titles
        return sorted(  # article: by title, then in reading order
            rows,
            key=lambda i: (
                (titles.get(self.urls[i]) or self.urls[i]).casefold(),
                self.urls[i],
                self.docs[i]["position"]["start"],
                rank[i],
            ),
        )

    def count(self, column: list[str], rows: list[int]) -> Counter[str]:
        if len(rows) == len(self.docs):
            return Counter(column)
        return Counter(column[i] for i in rows)


_cache: weakref.WeakKeyDictionary[Store, Columns] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def of(store: Store) -> Columns:
    """The store's columns as they are now (built on first use after a change)."""
    with store.reading():
        generation = store.generation
        cached = _cache.get(store)
        if cached is not None and cached.generation == generation:
            return cached
        docs = store.all_annotations()
        columns = Columns(
            generation=generation,
            docs=docs,
            ids=[d["id"] for d in docs],
            urls=[d["url"] for d in docs],
            tags=[d["tag"] for d in docs],
            annotators=[d["annotator"] for d in docs],
            created=[d["created"] for d in docs],
            titles={a["url"]: a["title"] for a in store.all_articles()},
            _inherited=cached.folded_source() if cached is not None else None,
        )
    with _cache_lock:
        _cache[store] = columns
    return columns


def _fold(doc: Doc) -> str:
    return doc["quote"]["exact"].casefold() + _FIELD_SEP + (doc.get("note") or "").casefold()


#: How far ahead :func:`_refold` looks for a document among the earlier ones (past those deleted).
_LOOKAHEAD = 64


def _refold(docs: list[Doc], old_docs: list[Doc], old_folded: list[str]) -> list[str]:
    """The folded text of ``docs``, taken from ``old_folded`` for every document that is the same object.

    Documents keep their stored order: a change replaces one in its place, a
    deletion removes one, an insertion appends. So the same document is found at
    the same place in the old list, or a little further on; walking both lists
    costs far less than a lookup table of 100,000 entries. Only identity is
    trusted (the old documents are alive here, and a stored document never
    changes), so the look-ahead decides speed, never results.
    """
    out = []
    append = out.append
    j, end = 0, len(old_docs)
    for doc in docs:
        if j < end and old_docs[j] is doc:  # the usual case, kept short
            append(old_folded[j])
            j += 1
            continue
        k, stop = j + 1, min(end, j + _LOOKAHEAD)
        while k < stop and old_docs[k] is not doc:
            k += 1
        if k < stop:
            append(old_folded[k])
            j = k + 1
        else:
            append(_fold(doc))
    return out


def coders(columns: Columns) -> list[str]:
    return sorted(set(columns.annotators), key=lambda who: (who.casefold(), who))
