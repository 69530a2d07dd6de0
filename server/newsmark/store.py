"""The newsmark store: one data folder, one TinyDB database, one lock.

Tables (all in TinyDB's JSON file ``newsmark.json``):

- ``annotations``: one document per annotation, exactly as the API answers it.
- ``articles``: one document per article URL (title, byline, latest version, first/last seen).
- ``article_versions``: one document per distinct text of an article (with its SHA-256).
- ``trash``: each deleted annotation, the very document it was plus ``deleted`` (its time), so
  that a delete can be undone exactly (``POST /api/annotations/<id>/restore``). Lists, exports,
  stats' counts and the viewer never read it; entries older than :data:`TRASH_DAYS` are purged
  when the store opens. A data file of an earlier version, without this table, opens as it is.

The folder is locked (``newsmark.lock``) while a store is open: TinyDB is
single-process. The OS releases the lock when the process dies, so a crashed
server never leaves it stuck.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import stat
import threading
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from filelock import FileLock, Timeout

try:
    import fcntl
except ImportError:  # Windows: no shared locks to probe with; see folder_in_use
    fcntl = None  # type: ignore[assignment]
from tinydb import TinyDB

from .errors import StoreUnavailable
from .storage import (
    AtomicJSONStorage,
    Damage,
    DamagedDocument,
    JournaledTable,
    JournalError,
    JournalMiddleware,
    LazyDocs,
)
from .storage.datafile import FILE_MODE, FOLDER_MODE

log = logging.getLogger(__name__)

DATA_FILE = "newsmark.json"
LOCK_FILE = "newsmark.lock"

#: Each table's unique and plain indexes. Documents store these fields first (see
#: annotations.create and articles.apply_snapshot), so that the indexes can be
#: built from the data file without parsing the documents. (Not by tag: that index
#: costs a third more time at every open, and only the list of entities would use it.)
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "annotations": (("id",), ("url",)),
    "articles": (("id", "url"), ()),
    "article_versions": ((), ("article_id",)),
    "trash": (("id",), ()),
}

#: How long a deleted annotation is kept in the trash, to be restored (see :meth:`Store.purge_trash`).
TRASH_DAYS = 30

Doc = dict[str, Any]

if TYPE_CHECKING:
    from .migration import Upgrade


class StoreLocked(RuntimeError):
    """Another process has the data folder open."""


class StoreDamaged(RuntimeError):
    """The data file cannot be read; nothing was changed."""


class StoreReadOnly(RuntimeError):
    """The data folder cannot be written (read-only media, or no permission); nothing was changed."""


def _write_lock(folder: Path) -> FileLock:
    """Make the folder private (0700, its files 0600) and lock it for this process."""
    try:
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreReadOnly(f"cannot make the data folder {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK):
        raise StoreReadOnly(f"the data folder {folder} is read-only ({_why_read_only(folder)})")
    _make_private(folder)
    lock = FileLock(folder / LOCK_FILE, timeout=0, mode=FILE_MODE)
    try:
        lock.acquire()
    except Timeout:
        raise StoreLocked(f"the data folder {folder} is in use by another process") from None
    except OSError as exc:
        raise StoreReadOnly(f"cannot lock the data folder {folder}: {exc.strerror or exc}") from None
    return lock


def _why_read_only(folder: Path) -> str:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "a read-only file system"
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        pass
    return "no permission to write"


def _make_private(folder: Path) -> None:
    """Narrow what an older version or a copy left wider: the folder 0700, newsmark's files 0600."""
    if not hasattr(os, "geteuid"):
        return  # Windows: modes mean little there; the folder's ACL decides
    me = os.geteuid()
    info = folder.stat()
    if info.st_uid == me and info.st_mode & 0o077:
        folder.chmod(FOLDER_MODE)
    for path in folder.iterdir():
        if not path.name.startswith(DATA_FILE.split(".")[0] + "."):
            continue
        info = path.lstat()
        if stat.S_ISREG(info.st_mode) and info.st_uid == me and info.st_mode & 0o077:
            path.chmod(FILE_MODE)


def folder_in_use(folder: Path) -> bool:
    """Whether a process (a server, or another command) has the folder open for writing."""
    if fcntl is None:
        return (folder / LOCK_FILE).exists()  # the pid in server.json decides (datafolder.server_running)
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class _ReadLock:
    """A shared lock for a read-only open: refused while a writer (a server) holds the folder,
    and it keeps one from starting meanwhile; nothing is created."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise StoreReadOnly(f"there is no data folder {folder}")
        self.fd: int | None = None
        if fcntl is None:
            return
        try:
            self.fd = os.open(folder / LOCK_FILE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return  # never opened for writing, so no one holds it
        try:
            fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise StoreLocked(f"the data folder {folder} is in use by another process") from None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@dataclass(frozen=True)
class AnnotationFilter:
    """Which annotations a list or an export covers; None means any."""

    url: str | None = None
    tag: str | None = None
    annotator: str | None = None
    q: str | None = None  # case-insensitive, in the quote and the note
    since: str | None = None  # "YYYY-MM-DD": created on that UTC day or later
    until: str | None = None  # "YYYY-MM-DD": created on that UTC day or earlier

    @functools.cached_property
    def needle(self) -> str:
        """``q`` case-folded, once per filter (so once a request), never once per document."""
        return self.q.casefold() if self.q else ""

    def matches(self, doc: Doc) -> bool:
        if self.url is not None and doc["url"] != self.url:
            return False
        if self.tag is not None and doc["tag"] != self.tag:
            return False
        if self.annotator is not None and doc["annotator"] != self.annotator:
            return False
        # Timestamps are ISO 8601 UTC ("2024-02-03T08:43:00.000Z"): the day is their first 10 characters.
        if self.since is not None and doc["created"][:10] < self.since:
            return False
        if self.until is not None and doc["created"][:10] > self.until:
            return False
        if self.q:
            needle = self.needle
            note = doc.get("note") or ""
            if needle not in doc["quote"]["exact"].casefold() and needle not in note.casefold():
                return False
        return True


class Store:
    """All reads and writes of a data folder, each under one lock.

    A single document (``get_*``, ``versions_of``) is returned as a copy: change it
    freely. Lists meant for serialising (``page_annotations``,
    ``annotations_matching``, ``all_articles``) hold the stored documents: read only.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        compact_min_bytes: int = 4 * 1024 * 1024,
        background_compaction: bool = True,
        read_only: bool = False,
    ) -> None:
        """Open (and lock) the data folder, making it if needed.

        ``read_only``: write nothing, not even the lock file (for a backup on read-only
        media); the journal is replayed in memory only and every write fails.

        :raise StoreReadOnly: if the folder cannot be written and ``read_only`` is false.
        :raise StoreLocked: if another process holds the folder.
        """
        self.folder = Path(folder)
        self.read_only = read_only
        self._folder_lock = _ReadLock(self.folder) if read_only else _write_lock(self.folder)
        self.lock = threading.RLock()
        self.closed = False
        self._transactions = 0
        try:
            with _loading(self.folder):
                self._journal = JournalMiddleware(
                    AtomicJSONStorage,
                    compact_min_bytes=compact_min_bytes,
                    background=background_compaction,
                    read_only=read_only,
                )
                leading = {name: unique + indexed for name, (unique, indexed) in TABLES.items()}
                self.db = TinyDB(self.folder / DATA_FILE, storage=self._journal, leading_fields=leading)
                self.db.table_class = JournaledTable
                self.annotations = self._table("annotations")
                self.articles = self._table("articles")
                self.versions = self._table("article_versions")
                self.trash = self._table("trash")
        except ValueError as exc:  # the data file is not JSON (orjson's error is a ValueError)
            self._folder_lock.release()
            raise StoreDamaged(
                f"{self.folder / DATA_FILE} is not a readable TinyDB JSON file ({exc}); "
                "restore it from a backup (see the README on recovery)"
            ) from None
        except BaseException:
            self._folder_lock.release()
            raise
        self._check_stop = threading.Event()
        self._checker: threading.Thread | None = None
        try:
            self.upgraded = self._upgrade()
            self.purged = 0 if read_only else self._purge_old_trash()
        except BaseException:
            self.close()
            raise
        if not read_only:
            # Until every loaded document is checked once, a page of them is checked before it is
            # sent (see _page_keys), which costs a parse of each; this check ends that soon after open.
            self._checker = threading.Thread(target=self._check_loaded, name="newsmark-check", daemon=True)
            self._checker.start()

    def _upgrade(self) -> Upgrade | None:
        """Bring what an earlier version stored up to this one's rules (see :mod:`newsmark.migration`).

        A store that cannot be brought up to date (a read-only copy, a damaged document)
        still opens, as it is: reading it is worth more than refusing it.
        """
        from . import migration  # here: it reads the store through this module's classes

        try:
            return migration.upgrade(self)
        except (StoreUnavailable, DamagedDocument) as exc:
            log.warning(
                "the data in %s was not brought up to date (%s); it is read as it is", self.folder, exc
            )
            return None

    def _purge_old_trash(self) -> int:
        """Drop what was deleted more than :data:`TRASH_DAYS` ago (if that fails, at the next open)."""
        try:
            return self.purge_trash(_stamp(datetime.now(UTC) - timedelta(days=TRASH_DAYS)))
        except (StoreUnavailable, DamagedDocument) as exc:
            log.warning("the trash of %s was not purged (%s); the next open tries again", self.folder, exc)
            return 0

    def _check_loaded(self) -> None:
        while not self.lock.acquire(timeout=0.05):  # never blocks a close that waits for this thread
            if self._check_stop.is_set():
                return
        try:
            tables = [t._read_table() for t in self._tables()]
        finally:
            self.lock.release()
        for docs in tables:
            if isinstance(docs, LazyDocs):
                docs.check_slowly(self._check_stop.is_set)

    def _tables(self) -> tuple[JournaledTable, ...]:
        return (self.annotations, self.articles, self.versions, self.trash)

    def _table(self, name: str) -> JournaledTable:
        unique, indexed = TABLES[name]
        table = self.db.table(name)
        assert isinstance(table, JournaledTable)
        for field in unique:
            table.add_index(field, unique=True)
        for field in indexed:
            table.add_index(field)
        table.build_indexes()  # now, so that no request waits for it
        return table

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        """Compact into the plain TinyDB JSON file and release the folder."""
        self._check_stop.set()
        if self._checker is not None:
            self._checker.join()  # it stops at its next slice
        with self.lock:
            if self.closed:
                return
            self.closed = True
            try:
                self.db.close()
            except JournalError as exc:
                raise StoreUnavailable(
                    f"could not save {self.folder / DATA_FILE} when closing ({exc.__cause__ or exc}). "
                    "Nothing is lost: every change is still in the journal beside it, which the next "
                    "open replays. Free some disk space, then open and close the folder once more "
                    "(start and stop newsmark serve)."
                ) from exc
            finally:
                self._folder_lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock; make every write inside durable together, with one fsync.

        :raise StoreUnavailable: if the store is closed or the journal cannot be
            written; then nothing inside took effect.
        """
        with self.lock:
            if self.closed:
                raise StoreUnavailable("the store is closed (the service is shutting down)")
            if self.read_only:
                raise StoreUnavailable(f"the data folder {self.folder} is open read-only")
            try:
                with self._journal.transaction():
                    yield
            except JournalError as exc:
                raise StoreUnavailable(f"could not save: {exc}") from exc
            finally:
                self._transactions += 1  # also for one undone: a reader only rereads once more

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self.lock:
            if self.closed:
                raise StoreUnavailable("the store is closed (the service is shutting down)")
            yield

    # -- annotations -------------------------------------------------------------

    def get_annotation(self, annotation_id: str) -> Doc | None:
        with self.reading():
            found = self.annotations.lookup("id", annotation_id)
            return _copy(found[0][1]) if found else None

    def stored_annotation_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are stored (from the index: nothing parsed)."""
        with self.reading():
            return self.annotations.present("id", ids)

    def insert_annotation(self, doc: Doc) -> None:
        with self.transaction():
            self.annotations.insert(doc)

    def insert_annotations(self, docs: list[Doc]) -> None:
        """Insert many at once (an import): one table update instead of one per document."""
        with self.transaction():
            self.annotations.insert_multiple(docs)

    def insert_encoded_annotations(self, docs: list[bytes]) -> None:
        """Insert many given as their JSON bytes (an import's, checked), kept as bytes until read.

        Each must start with ``id`` and ``url`` (see :data:`TABLES`), as the stored form does.
        """
        with self.transaction():
            self.annotations.insert_encoded(docs)

    def replace_annotation(self, doc: Doc) -> None:
        with self.transaction():
            [(doc_id, _)] = self.annotations.lookup("id", doc["id"])
            self.annotations.update(doc, doc_ids=[doc_id])

    def delete_annotation(
        self, annotation_id: str, *, deleted: str | None = None, unlinked: list[str] | None = None
    ) -> bool:
        """Move the annotation into the trash, as it is plus ``deleted`` (a time, now by default); one write.

        ``unlinked``: the claims a deleted actor was taken out of, kept with it for a restore.

        :returns: False if there is no annotation with that id.
        """
        with self.transaction():
            found = self.annotations.lookup("id", annotation_id)
            if not found:
                return False
            doc_id, doc = found[0]
            # One entry per id: an id deleted again (created anew in between) keeps its latest form.
            self.trash.remove(doc_ids=[key for key, _ in self.trash.lookup("id", annotation_id)])
            entry = {**doc, "deleted": deleted or _stamp(datetime.now(UTC))}
            if unlinked is not None:
                entry["unlinked"] = unlinked
            self.trash.insert(entry)
            self.annotations.remove(doc_ids=[doc_id])
            return True

    def get_trashed(self, annotation_id: str) -> Doc | None:
        """The deleted annotation with that id as the trash keeps it (with ``deleted``), or None."""
        with self.reading():
            found = self.trash.lookup("id", annotation_id)
            return _copy(found[0][1]) if found else None

    def restore_annotation(self, doc: Doc) -> None:
        """Store ``doc`` (a trashed annotation without ``deleted``) again and empty its trash entry."""
        with self.transaction():
            self.trash.remove(doc_ids=[key for key, _ in self.trash.lookup("id", doc["id"])])
            self.annotations.insert(doc)

    def purge_trash(self, before: str) -> int:
        """Empty the trash of what was deleted before ``before`` (a time as stored); :returns: how many."""
        with self.transaction():
            # Timestamps are ISO 8601 UTC with milliseconds, so they compare as strings.
            old = [int(key) for key, doc in self.trash._read_table().items() if doc["deleted"] < before]
            if old:
                self.trash.remove(doc_ids=old)
            return len(old)

    def count_trash(self) -> int:
        with self.reading():
            return len(self.trash)

    @property
    def generation(self) -> tuple[int, int]:
        """Changes with every write: what was read at one value is still true while it stays."""
        return self._journal.generation, self._transactions

    def count_annotations(self) -> int:
        with self.reading():
            return len(self.annotations)

    def page_annotations(
        self, flt: AnnotationFilter, *, limit: int, after: int | None = None
    ) -> tuple[list[Doc | bytes], int | None, int]:
        """One page of matching annotations in the order they were stored: the stored documents.

        Read them, never change them. With no filter or a URL alone, documents not
        parsed since loading come as their JSON bytes (serialise the page with
        :func:`newsmark.storage.dumps_docs`): the index answers, no field is read.
        The cursor is the last document id of the page before: ids only grow, so a
        page read later still starts where the one before ended.

        :returns: (items, the cursor of the next page or None, how many match in all).
        """
        with self.reading():
            if flt == AnnotationFilter():
                return self._page_keys(list(self.annotations._read_table()), limit, after)
            if flt == AnnotationFilter(url=flt.url):
                return self._page_keys(self.annotations.keys_where("url", flt.url), limit, after)
            items: list[Doc | bytes] = []
            total = 0
            next_cursor = None
            for key, doc in self._candidates(flt):
                if not flt.matches(doc):
                    continue
                total += 1
                if next_cursor is not None or (after is not None and int(key) <= after):
                    continue
                if len(items) < limit:
                    items.append(doc)
                    last = int(key)
                else:
                    next_cursor = last
            return items, next_cursor, total

    def _page_keys(
        self, keys: list[str], limit: int, after: int | None
    ) -> tuple[list[Doc | bytes], int | None, int]:
        table = self.annotations._read_table()
        rest = keys if after is None else [k for k in keys if int(k) > after]
        page = rest[:limit]
        next_cursor = int(page[-1]) if len(rest) > limit else None
        _refuse_damage(table, page)  # the page's bytes are embedded in the answer as they are
        return [dict.__getitem__(table, k) for k in page], next_cursor, len(keys)

    def annotations_matching(self, flt: AnnotationFilter, *, skip: Collection[str] = ()) -> list[Doc]:
        """All matching annotations, in stored order: the stored documents themselves.

        Read them, never change them. They form a consistent snapshot that later
        writes do not touch (a change stores a new document and leaves the old one
        as it was), so a caller may serialise them after the lock is released.
        Copying 100k documents would cost more than serialising them. With no
        filter, documents not parsed since loading come as their JSON bytes:
        serialise with :func:`newsmark.storage.dumps_docs`.

        ``skip``: document ids (of :meth:`damaged` ones) to leave out.

        :raise DamagedDocument: if a document to return is damaged (and not skipped).
        """
        with self.reading():
            table = self.annotations._read_table()
            if flt == AnnotationFilter():
                if not isinstance(table, LazyDocs):
                    return [d for k, d in table.items() if k not in skip]
                _refuse_damage(table, skip=skip)
                if skip:
                    return [d for k, d in dict.items(table) if k not in skip]
                return table.raw_values()
            return [doc for _, doc in self._candidates(flt, skip) if flt.matches(doc)]

    def all_annotations(self) -> list[Doc]:
        """Every annotation document, parsed, in stored order (stored ones: read, never change)."""
        with self.reading():
            table = self.annotations._read_table()
            if not isinstance(table, LazyDocs):
                return list(table.values())
            raw = table.raw_values()
            if any(type(doc) is bytes for doc in raw):
                return list(table.values())  # parses those still in their loaded bytes
            return raw

    def _candidates(self, flt: AnnotationFilter, skip: Collection[str] = ()) -> Iterable[tuple[str, Doc]]:
        """(key, document) pairs that may match, in stored order; keys are doc ids as strings."""
        if skip:
            table = self.annotations._read_table()
            keys = self.annotations.keys_where("url", flt.url) if flt.url is not None else list(table)
            return ((k, table[k]) for k in keys if k not in skip)
        if flt.url is not None:
            found = sorted(self.annotations.lookup("url", flt.url), key=lambda item: item[0])
            return [(str(doc_id), doc) for doc_id, doc in found]
        return self.annotations._read_table().items()

    def annotation_urls(self) -> dict[str, int]:
        """Each URL annotations were made on, with their number (from the index: nothing parsed)."""
        with self.reading():
            return self.annotations.values_of("url")

    def tag_counts(self, url: str) -> dict[str, int]:
        with self.reading():
            counts: dict[str, int] = {}
            for _, doc in self.annotations.lookup("url", url):
                counts[doc["tag"]] = counts.get(doc["tag"], 0) + 1
            return counts

    # -- articles ----------------------------------------------------------------

    def get_article(self, *, article_id: str | None = None, url: str | None = None) -> Doc | None:
        with self.reading():
            found = (
                self.articles.lookup("id", article_id)
                if article_id is not None
                else self.articles.lookup("url", url)
            )
            return _copy(found[0][1]) if found else None

    def put_article(self, doc: Doc) -> None:
        """Insert or replace the article with ``doc["id"]`` (inside a transaction)."""
        with self.transaction():
            found = self.articles.lookup("id", doc["id"])
            if found:
                self.articles.update(doc, doc_ids=[found[0][0]])
            else:
                self.articles.insert(doc)

    def remove_article(self, article_id: str) -> None:
        """Remove the article and its versions (its annotations stay: they name it by URL)."""
        with self.transaction():
            self.articles.remove(doc_ids=[doc_id for doc_id, _ in self.articles.lookup("id", article_id)])
            found = self.versions.lookup("article_id", article_id)
            self.versions.remove(doc_ids=[doc_id for doc_id, _ in found])

    def add_version(self, doc: Doc) -> None:
        with self.transaction():
            self.versions.insert(doc)

    def set_versions(self, article_id: str, docs: list[Doc]) -> None:
        """Replace the article's versions by ``docs``, in this order (the first is version 1)."""
        with self.transaction():
            found = self.versions.lookup("article_id", article_id)
            self.versions.remove(doc_ids=[doc_id for doc_id, _ in found])
            # As JSON bytes, as loaded documents are: a version's text is most of the store's memory.
            self.versions.insert_encoded([memoryview(orjson.dumps(doc)).tobytes() for doc in docs])

    def stored_article_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of ``urls`` are stored articles (from the index: nothing parsed)."""
        with self.reading():
            return self.articles.present("url", urls)

    def article_urls(self) -> list[str]:
        """The URL of every stored article (from the index: nothing parsed)."""
        with self.reading():
            return list(self.articles.values_of("url"))

    def version_counts(self) -> dict[str, int]:
        """Each article id with its number of versions (from the index: no text is read)."""
        with self.reading():
            return self.versions.values_of("article_id")

    def versions_of(self, article_id: str, *, skip: Collection[str] = ()) -> list[Doc]:
        """The article's versions, oldest first (but those whose ids are in ``skip``)."""
        with self.reading():
            table = self.versions._read_table()
            keys = self.versions.keys_where("article_id", article_id)  # in id order: oldest first
            return [_copy(table[k]) for k in keys if k not in skip]

    def page_articles(self, *, limit: int, after: int | None) -> tuple[list[Doc], int | None, int]:
        with self.reading():
            table = self.articles._read_table()
            total = len(table)
            rows = [(int(k), d) for k, d in table.items() if after is None or int(k) > after]
            page = rows[:limit]
            next_cursor = page[-1][0] if len(rows) > limit else None
            return [_copy(d) for _, d in page], next_cursor, total

    def all_articles(self, *, skip: Collection[str] = ()) -> list[Doc]:
        """Every article document (stored ones: read, never change; see :meth:`annotations_matching`)."""
        with self.reading():
            table = self.articles._read_table()
            if skip:
                return [table[k] for k in list(table) if k not in skip]
            return list(table.values())

    # -- damage ------------------------------------------------------------------

    def damaged(self) -> list[Damage]:
        """Every document of the data file that is not valid JSON, table by table.

        The first call reads every document once; later calls cost next to nothing.
        """
        with self.reading():
            found: list[Damage] = []
            for table in self._tables():
                docs = table._read_table()
                if isinstance(docs, LazyDocs):
                    found += docs.check()
            return found

    def document_count(self) -> int:
        with self.reading():
            return sum(len(table) for table in self._tables())

    # -- figures -----------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self.reading():
            tags: dict[str, int] = {}
            annotators: dict[str, int] = {}
            for doc in self.annotations._read_table().values():
                tags[doc["tag"]] = tags.get(doc["tag"], 0) + 1
                annotators[doc["annotator"]] = annotators.get(doc["annotator"], 0) + 1
            return {
                "annotations": len(self.annotations),
                "articles": len(self.articles),
                "article_versions": len(self.versions),
                "by_tag": tags,
                "by_annotator": annotators,
                "data_file_bytes": self._journal.storage.size(),
            }


#: Data files above this size are frozen out of the garbage collector's reach once loaded.
FREEZE_BYTES = 8 * 1024 * 1024


@contextlib.contextmanager
def _loading(folder: Path) -> Iterator[None]:
    """Load with the cyclic garbage collector paused; for a large store, freeze what was loaded.

    Loading 100k annotations makes millions of objects, and every automatic
    collection on the way walks all of them again: that triples the load time.
    Then, as long as the data lives, each full collection would walk it again
    (about 0.2 s at 100k, landing inside some request). JSON documents hold no
    reference cycles, so the collector has nothing to find in them: ``gc.freeze``
    takes them out of its view. Small stores (tests, new users) skip the freeze,
    which also holds whatever else the process has at that moment.
    """
    size = sum(p.stat().st_size for p in folder.glob(DATA_FILE + "*") if p.is_file())
    freeze = size >= FREEZE_BYTES
    if freeze:
        gc.collect()  # so that no garbage of the moment is frozen along with the data
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()


def _refuse_damage(docs: Any, keys: Iterable[str] | None = None, *, skip: Collection[str] = ()) -> None:
    """Raise :class:`DamagedDocument` if any of ``keys`` (all without) is damaged and not in ``skip``."""
    if isinstance(docs, LazyDocs):
        found = [d for d in docs.check(keys) if d.doc_id not in skip]
        if found:
            raise DamagedDocument(found)


def _stamp(moment: datetime) -> str:
    """A UTC time as stored (as :func:`newsmark.contract.utc_now` writes it): such strings sort as times."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _copy(doc: Doc) -> Doc:
    """A copy deep enough that a caller's change never reaches the stored document."""
    out = dict(doc)
    for key, value in out.items():
        if isinstance(value, dict):
            out[key] = dict(value)
        elif isinstance(value, list):
            out[key] = [dict(v) if isinstance(v, dict) else v for v in value]
    return out
