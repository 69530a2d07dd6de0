"""The fields the viewer filters, sorts and counts by, one column each, kept between requests.

Going through 100,000 annotation documents for every page of the table takes
most of a second in Python; the columns are built in one pass and then reused
until the store changes (any write makes new ones, on the next view). Each
order of the table is sorted once per set of columns, and a filtered page
keeps the matching rows of that order, so no request sorts.

A text search (``q``) reads every quote and note. Case-folding 100,000 of them
and looking into each from Python takes about 0.3 s, so on the first search the
folded text is kept too, as UTF-8 in large blocks that ``bytes.find`` scans at
memory speed (UTF-8 is self-synchronising: a match of the needle's bytes is a
match of its characters).
"""

from __future__ import annotations

import threading
import weakref
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from . import contract
from .store import AnnotationFilter, Doc, Store

#: Annotations per block of folded text: large enough that a search makes few calls,
#: small enough that no single allocation is large (about 1.5 MB at the benchmark's sizes).
SEARCH_BLOCK = 2048
#: Between a quote and its note, and between annotations: a needle without them can
#: only match inside one quote or one note, as :meth:`AnnotationFilter.matches` does.
_FIELD_SEP, _DOC_SEP = "\x1f", b"\x00"


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
    _folded: list[tuple[bytes, array[int]]] | None = None  # see _search_blocks
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
            found = self._search(flt)
            rows = [i for i in rows if found[i]]
        return list(rows)

    def _search(self, flt: AnnotationFilter) -> bytearray:
        """1 for each row whose quote or note holds ``flt.q`` in any case (as ``flt.matches``)."""
        found = bytearray(len(self.docs))
        needle = flt.needle
        if _FIELD_SEP in needle or _DOC_SEP.decode() in needle:  # could match across two fields
            for i, doc in enumerate(self.docs):
                found[i] = flt.matches(doc)
            return found
        key = needle.encode("utf-8", "surrogatepass")
        for block, (text, starts) in enumerate(self._search_blocks()):
            first = block * SEARCH_BLOCK
            at = text.find(key)
            while at >= 0:
                row = bisect_right(starts, at) - 1
                found[first + row] = 1
                if row + 1 == len(starts):
                    break
                at = text.find(key, starts[row + 1])  # the next annotation: one hit is enough
        return found

    def _search_blocks(self) -> list[tuple[bytes, array[int]]]:
        """The folded quotes and notes: per block of rows, their UTF-8 joined, and where each row starts."""
        with self._lock:
            if self._folded is None:
                blocks = []
                for first in range(0, len(self.docs), SEARCH_BLOCK):
                    parts = [
                        (
                            d["quote"]["exact"].casefold() + _FIELD_SEP + (d.get("note") or "").casefold()
                        ).encode("utf-8", "surrogatepass")
                        for d in self.docs[first : first + SEARCH_BLOCK]
                    ]
                    starts = array("q")
                    at = 0
                    for part in parts:
                        starts.append(at)
                        at += len(part) + len(_DOC_SEP)
                    blocks.append((_DOC_SEP.join(parts), starts))
                self._folded = blocks
            return self._folded

    def search_bytes(self) -> int:
        """How many bytes the folded text kept for searches takes (0 before the first search)."""
        return sum(len(text) + starts.itemsize * len(starts) for text, starts in self._folded or [])

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
        )
    with _cache_lock:
        _cache[store] = columns
    return columns


def coders(columns: Columns) -> list[str]:
    return sorted(set(columns.annotators), key=lambda who: (who.casefold(), who))
