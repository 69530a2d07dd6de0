"""Durable, fast TinyDB: a Storage, a Middleware and a table class.

Stock TinyDB rewrites the whole JSON file in place on every write (slow, and a
crash mid-write corrupts it) and rebuilds the whole table in memory on every
change (``Table._update_table``), so each write costs O(N). This module keeps
TinyDB's seams and replaces the work behind them:

- :class:`AtomicJSONStorage` (a ``Storage``): the data file is TinyDB's plain
  JSON, replaced atomically (write temp, fsync, rename, fsync folder).
- :class:`JournalMiddleware` (a ``Middleware``): holds the data in memory and
  makes each change durable by appending one fsync'd line to a journal, which
  is replayed on open. When the journal outgrows the data file it is compacted
  into the data file in a background thread, so the cost is amortised and no
  request waits for it.
- :class:`JournaledTable` (a ``table_class``): applies a change to the live
  table in place, hands only the touched documents to the journal, and keeps
  field indexes (annotations by URL) up to date.

Documents in memory are never mutated in place once stored (a change stores a
new dict), so a compaction can serialise a shallow snapshot while requests go on.

Not thread-safe by itself: the caller holds one lock around every access
(see :class:`newsmark.store.Store`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from tinydb import Storage
from tinydb.middlewares import Middleware
from tinydb.table import Table

log = logging.getLogger(__name__)

Data = dict[str, dict[str, dict[str, Any]]]
#: One journalled change: (table, doc_id, document) sets a document, document None removes it,
#: and (table, None, None) empties the table.
Op = tuple[str, str | None, dict[str, Any] | None]

_fsync = getattr(os, "fdatasync", os.fsync)


def _fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class DamagedDocument(RuntimeError):
    """A document in the data file is not valid JSON (the file was changed by hand or by disk damage)."""


class LazyDocs(dict):  # type: ignore[type-arg]
    """A table's documents, some still the JSON bytes they were loaded as.

    Parsing 100k documents at open takes most of a second, and most are never
    read before the next compaction writes their bytes back unchanged. A
    document is parsed when it is first read through any dict method TinyDB or
    newsmark uses, and the parsed dict takes its place. ``dict(docs)`` and
    :meth:`raw_values` see the bytes, which :func:`dumps_docs` embeds as they are.
    """

    __slots__ = ("leading",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        #: As loaded: (field names, keys, one column of raw values per name) for the
        #: documents that start with those fields; see :func:`_read_lines`.
        self.leading: tuple[tuple[str, ...], list[str], list[list[bytes]]] | None = None

    def _parsed(self, key: str, value: Any) -> Any:
        if type(value) is bytes:
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise DamagedDocument(f"document {key} of the data file is not valid JSON: {exc}") from None
            dict.__setitem__(self, key, value)
        return value

    def __getitem__(self, key: str) -> Any:
        return self._parsed(key, dict.__getitem__(self, key))

    def get(self, key: str, default: Any = None) -> Any:
        value = dict.get(self, key, _MISSING)
        return default if value is _MISSING else self._parsed(key, value)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        for key, value in dict.items(self):
            yield key, self._parsed(key, value) if type(value) is bytes else value

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        for _, value in self.items():
            yield value

    def pop(self, key: str, *default: Any) -> Any:
        value = dict.pop(self, key, *default)
        return orjson.loads(value) if type(value) is bytes else value

    def raw_values(self) -> list[Any]:
        """The documents as stored: parsed dicts, or bytes not parsed yet."""
        return list(dict.values(self))


_MISSING = object()


def _embed(value: Any) -> Any:
    if type(value) is bytes:
        return orjson.Fragment(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps_docs(docs: Any) -> bytes:
    """``orjson.dumps`` that embeds documents still in their loaded bytes without parsing them."""
    return orjson.dumps(docs, default=_embed)


def _doc_line(names: Sequence[str] = ()) -> re.Pattern[bytes]:
    """One document line of the layout :class:`AtomicJSONStorage` writes.

    Matched from the newline before it (a literal start lets the regex engine
    skip ahead fast). Groups: the key, the document, and the values of
    ``names`` when the document starts with them, in this order, as plain strings.
    """
    if not names:
        return re.compile(rb'\n"([^"\\\n]*)":(\{[^\n]*\}),?')
    fields = b",".join(orjson.dumps(name) + rb':"([^"\\]*)"' for name in names)
    return re.compile(rb'\n"([^"\\\n]*)":(\{' + fields + rb"(?:,[^\n]*)?\}),?")


def _covers(found: list[tuple[bytes, ...]], length: int) -> bool:
    """Whether the matched lines make up the whole block: ``findall`` skips what does not match.

    Each line is '\\n"' key '":' document, and a comma between lines.
    """
    if not found:
        return length == 0
    keys = sum(len(row[0]) for row in found)
    bodies = sum(len(row[1]) for row in found)
    return keys + bodies + 5 * len(found) - 1 == length


def _lazy_docs(found: list[tuple[bytes, ...]]) -> LazyDocs:
    return LazyDocs(zip([row[0].decode() for row in found], [row[1] for row in found], strict=True))


def _read_lines(raw: bytes, leading_fields: Mapping[str, Sequence[str]]) -> Data | None:
    """Read the layout :class:`AtomicJSONStorage` writes without parsing any document.

    A pass of one regular expression per table takes each document's bytes (see
    :class:`LazyDocs`) and, where a table has ``leading_fields``, their values for
    its indexes, so that neither step loops over documents in Python.

    :returns: None if the file is laid out in any other way (then it is parsed whole).
    """
    if not raw.startswith(b"{\n") or not raw.endswith(b"}\n"):
        return None
    data: Data = {}
    pos, end = 2, len(raw) - 2
    try:
        while pos < end:
            split = raw.index(b":{\n", pos)
            name = raw[pos:split]
            if not name.startswith(b'"') or b"\\" in name or b"\n" in name:
                return None
            table = name[1:-1].decode()
            start = split + 2  # the newline before the first document
            # Documents hold no raw newline, so a table ends at the first "\n}".
            stop = start if raw.startswith(b"}", start + 1) else raw.index(b"\n}", start)
            names = tuple(leading_fields.get(table, ()))
            found = _doc_line(names).findall(raw, start, stop) if names else []
            if names and _covers(found, stop - start):
                docs = _lazy_docs(found)
                columns = [[row[i] for row in found] for i in range(2, 2 + len(names))]
                docs.leading = (names, list(docs), columns)
            else:  # no indexes, or a document does not start with the indexed fields
                found = _doc_line().findall(raw, start, stop)
                if not _covers(found, stop - start):
                    return None  # a line that is not a document: not our layout after all
                docs = _lazy_docs(found)
            data[table] = docs
            pos = stop + 2  # just past the table's "}"
            if raw.startswith(b",\n", pos):
                pos += 2
            elif raw.startswith(b"\n", pos) and pos + 1 == end:
                pos += 1
            else:
                return None
    except (ValueError, UnicodeDecodeError):
        return None
    return data


class AtomicJSONStorage(Storage):
    """TinyDB's JSON file format, written so a crash never leaves it half-written."""

    def __init__(
        self, path: str | os.PathLike[str], *, leading_fields: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """``leading_fields``: per table, the fields its documents start with (its indexed
        fields), to be read from the file without parsing the documents."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.leading_fields = dict(leading_fields or {})

    def read(self) -> Data | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw or raw.isspace():
            return None
        lazy = _read_lines(raw, self.leading_fields)
        return lazy if lazy is not None else orjson.loads(raw)

    def write(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace the file: write a temporary one, fsync it, rename it over, fsync the folder.

        One document a line (still plain JSON that stock TinyDB reads), so that the
        next open can take the documents without parsing them; see :func:`_read_lines`.
        """
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            # Serialised a document at a time: memory stays small, and another
            # thread gets the GIL between documents during a background compaction.
            buf = bytearray(b"{\n")
            for t_index, (name, table) in enumerate(data.items()):
                buf += b"},\n" if t_index else b""
                buf += orjson.dumps(str(name)) + b":{\n"
                # Stored documents, parsed or not: dict.items sees loaded bytes as they are.
                for d_index, (doc_id, doc) in enumerate(dict.items(table)):
                    buf += b",\n" if d_index else b""
                    buf += (
                        orjson.dumps(str(doc_id)) + b":" + (doc if type(doc) is bytes else orjson.dumps(doc))
                    )
                    if len(buf) > 1 << 20:
                        _write_all(fd, bytes(buf))
                        buf.clear()
                buf += b"\n" if table else b""
            buf += b"}\n}\n" if data else b"}\n"
            _write_all(fd, bytes(buf))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0


class JournalError(RuntimeError):
    """The journal could not be written; the change was not made."""


class JournalMiddleware(Middleware):
    """Keep the database in memory; make every change durable with an fsync'd journal.

    Journal files sit beside the data file as ``<data>.journal.<n>``; the highest
    ``n`` is the one being appended to. Each line is ``<crc32 hex> <json>\\n`` and
    holds one whole commit, so a line torn by a crash is recognised and dropped:
    the commit it held was never acknowledged. Replaying a journal that the data
    file already includes gives the same state (every op sets or removes a whole
    document), so a crash at any step of a compaction loses nothing.

    ``compact_min_bytes`` and ``compact_ratio``: compact once the journal is larger
    than both that many bytes and ``compact_ratio`` times the data file, so the
    threshold grows with the data and compaction costs O(1) per write, amortised.
    """

    def __init__(
        self,
        storage_cls: type[AtomicJSONStorage] = AtomicJSONStorage,
        *,
        compact_min_bytes: int = 4 * 1024 * 1024,
        compact_ratio: float = 1.0,
        background: bool = True,
    ) -> None:
        super().__init__(storage_cls)
        self.compact_min_bytes = compact_min_bytes
        self.compact_ratio = compact_ratio
        self.background = background
        self.memory: Data = {}
        #: Bumped whenever the whole data is replaced, so tables rebuild their indexes.
        self.generation = 0
        self._journal_fd: int | None = None
        self._segment = 0
        self._journal_bytes = 0
        self._data_bytes = 0
        self._pending: list[Op] | None = None
        self._undo: list[Callable[[], None]] = []
        self._compactor: threading.Thread | None = None
        self._compact_guard = threading.Lock()
        self.compactions = 0
        self.last_compaction_error: BaseException | None = None

    # -- opening -------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> JournalMiddleware:
        self.storage = self._storage_cls(*args, **kwargs)
        self._open()
        return self

    def _segments(self) -> list[tuple[int, Path]]:
        base = self.storage.path
        pattern = re.compile(re.escape(base.name) + r"\.journal\.(\d+)")
        found = []
        for path in base.parent.iterdir():
            match = pattern.fullmatch(path.name)
            if match:
                found.append((int(match.group(1)), path))
        return sorted(found)

    def _segment_path(self, n: int) -> Path:
        return self.storage.path.with_name(f"{self.storage.path.name}.journal.{n}")

    def _open(self) -> None:
        self.memory = self.storage.read() or {}
        self._data_bytes = self.storage.size()
        segments = self._segments()
        for _, path in segments:
            self._replay(path)
        self.generation += 1
        # Append to the newest segment; its size counts toward the next compaction.
        self._segment = segments[-1][0] if segments else 1
        self._journal_bytes = sum(p.stat().st_size for _, p in segments)
        self._open_segment(self._segment)

    def _open_segment(self, n: int) -> None:
        path = self._segment_path(n)
        existed = path.exists()
        self._journal_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if not existed:
            _fsync_dir(path.parent)

    def _replay(self, path: Path) -> None:
        raw = path.read_bytes()
        good: list[bytes] = []
        for line in raw.splitlines(keepends=True):
            ops = self._parse_line(line)
            if ops is not None:
                self._apply(ops)
                good.append(line)
        if (len(good) == raw.count(b"\n") and raw.endswith(b"\n")) or not raw:
            return
        # A crash can tear only the last line (that commit was never acknowledged);
        # anything else is damage from outside. Either way keep the original bytes
        # for recovery by hand and rewrite the segment with its good lines only.
        keep = path.with_name(f"{path.name}.damaged-{int(time.time())}")
        keep.write_bytes(raw)
        log.warning("journal %s had unreadable lines; original kept as %s", path, keep)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(b"".join(good))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    @staticmethod
    def _parse_line(line: bytes) -> list[Op] | None:
        if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
            return None
        payload = line[9:-1]
        try:
            if int(line[:8], 16) != zlib.crc32(payload):
                return None
            return [tuple(op) for op in orjson.loads(payload)]  # type: ignore[misc]
        except ValueError:
            return None

    def _apply(self, ops: list[Op]) -> None:
        for table, doc_id, doc in ops:
            docs = self.memory.setdefault(table, {})
            if doc_id is None:
                docs.clear()
            elif doc is None:
                docs.pop(doc_id, None)
            else:
                docs[doc_id] = doc

    # -- the Storage interface -------------------------------------------------

    def read(self) -> Data:
        # The live data, not a copy: tables change it in place and journal the change.
        return self.memory

    def write(self, data: Data) -> None:
        """Replace everything (TinyDB calls this for ``drop_table`` and the like)."""
        self.wait_for_compaction()
        self.memory = data
        self.generation += 1
        self._compact(background=False)

    def close(self) -> None:
        if self._journal_fd is None:
            return
        self.wait_for_compaction()
        segments = self._segments()
        if any(p.stat().st_size for _, p in segments) or not self.storage.path.exists():
            self._compact(background=False)
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        for _, path in self._segments():
            if path.stat().st_size == 0:
                path.unlink()
        _fsync_dir(self.storage.path.parent)
        self.storage.close()

    # -- commits ---------------------------------------------------------------

    def table_data(self, name: str) -> dict[str, dict[str, Any]]:
        return self.memory.setdefault(name, {})

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group the commits made inside into one journal line: one fsync, all or nothing.

        If the block raises, or the journal cannot be written, every change made
        inside is undone in memory and nothing reaches the disk.
        """
        if self._pending is not None:  # nested: the outer transaction decides
            yield
            return
        self._pending, self._undo = [], []
        try:
            yield
            ops, self._pending = self._pending, None
            if ops:
                self._append(ops)
        except BaseException:
            self._pending = None
            for undo in reversed(self._undo):
                undo()
            raise
        finally:
            self._undo = []
        self._maybe_compact()

    def commit(self, ops: list[Op], undo: Callable[[], None]) -> None:
        """Make changes already applied to memory durable (called by :class:`JournaledTable`).

        :raise JournalError: after undoing the change, if the journal could not be written.
        """
        if not ops:
            return
        if self._pending is not None:
            self._pending.extend(ops)
            self._undo.append(undo)
            return
        try:
            self._append(ops)
        except JournalError:
            undo()
            raise
        self._maybe_compact()

    def _append(self, ops: list[Op]) -> None:
        if self._journal_fd is None:
            raise JournalError("the database is closed")
        payload = orjson.dumps(ops)
        line = b"%08x %s\n" % (zlib.crc32(payload), payload)
        try:
            end = os.lseek(self._journal_fd, 0, os.SEEK_END)
            _write_all(self._journal_fd, line)
            _fsync(self._journal_fd)
        except OSError as exc:
            # Part of the line may be on disk (it would fail its checksum on
            # replay); cut it off so the next commit does not land behind it.
            with contextlib.suppress(OSError, UnboundLocalError):
                os.ftruncate(self._journal_fd, end)
            raise JournalError(f"could not write the journal: {exc}") from exc
        self._journal_bytes += len(line)

    def _maybe_compact(self) -> None:
        """Compact when the journal has outgrown the data; never fails the commit before it."""
        if self._journal_bytes <= max(self.compact_min_bytes, self.compact_ratio * self._data_bytes):
            return
        try:
            self._compact(background=self.background)
        except (OSError, JournalError):
            log.exception("compaction failed; the journal keeps every change")

    # -- compaction ------------------------------------------------------------

    def compacting(self) -> bool:
        return self._compactor is not None and self._compactor.is_alive()

    def wait_for_compaction(self) -> None:
        if self._compactor is not None:
            self._compactor.join()
            self._compactor = None

    def _compact(self, *, background: bool) -> None:
        """Write the data file from a snapshot, then drop the journal segments it covers.

        The snapshot and the switch to a fresh segment happen now (the caller holds
        the lock); the slow part, writing the file, may run in a thread.
        """
        if self.compacting():
            return  # one at a time; the journal keeps growing meanwhile, safely
        self.wait_for_compaction()
        snapshot = {name: dict(docs) for name, docs in self.memory.items()}
        covered = self._segment
        old_fd = self._journal_fd
        self._open_segment(covered + 1)  # first, so a failure leaves the old one in use
        self._segment = covered + 1
        self._journal_bytes = 0
        if old_fd is not None:
            os.close(old_fd)

        def run() -> None:
            with self._compact_guard:
                try:
                    self.storage.write(snapshot)
                except BaseException as exc:  # kept for the log; the journal still holds it all
                    self.last_compaction_error = exc
                    log.exception("compaction failed; the journal keeps every change")
                    return
                self._data_bytes = self.storage.size()
                for n, path in self._segments():
                    if n <= covered:
                        path.unlink(missing_ok=True)
                _fsync_dir(self.storage.path.parent)
                self.compactions += 1

        if background:
            self._compactor = threading.Thread(target=run, name="newsmark-compaction", daemon=True)
            self._compactor.start()
        else:
            run()
            if self.last_compaction_error is not None:
                raise JournalError(f"compaction failed: {self.last_compaction_error}")


class _TrackedTable(MutableMapping[Any, dict[str, Any]]):
    """The view of a live table that TinyDB's updater functions change.

    Records the first value of every key touched, so the change can be
    journalled (only what differs) and undone if the updater fails.
    """

    def __init__(self, docs: dict[str, dict[str, Any]], id_class: type) -> None:
        self.docs = docs
        self.id_class = id_class
        self.before: dict[str, dict[str, Any] | None] = {}
        self.cleared: dict[str, dict[str, Any]] | None = None

    def _remember(self, key: str) -> None:
        if key not in self.before:
            self.before[key] = self.docs.get(key)

    def __getitem__(self, doc_id: Any) -> dict[str, Any]:
        key = str(doc_id)
        doc = self.docs[key]
        if key not in self.before:
            # Copy on first access: the caller may change it in place, and the
            # stored dict must stay as it was (a compaction may be reading it).
            self.before[key] = doc
            doc = orjson.loads(orjson.dumps(doc))
            self.docs[key] = doc
        return doc

    def __setitem__(self, doc_id: Any, doc: dict[str, Any]) -> None:
        key = str(doc_id)
        self._remember(key)
        # A deep copy through JSON: the caller keeps no handle on stored data,
        # and a document JSON cannot hold fails here, before anything is written.
        self.docs[key] = orjson.loads(orjson.dumps(doc))

    def __delitem__(self, doc_id: Any) -> None:
        key = str(doc_id)
        self._remember(key)
        del self.docs[key]

    def __contains__(self, doc_id: object) -> bool:
        return str(doc_id) in self.docs

    def __iter__(self) -> Iterator[Any]:
        return (self.id_class(key) for key in list(self.docs))

    def __len__(self) -> int:
        return len(self.docs)

    def clear(self) -> None:
        if self.cleared is None:
            self.cleared = dict(self.docs)
        self.docs.clear()

    def ops(self, table: str) -> list[Op]:
        if self.cleared is not None:
            return [(table, None, None)] + [(table, k, d) for k, d in self.docs.items()]
        ops: list[Op] = []
        for key, old in self.before.items():
            new = self.docs.get(key)
            if new is None:
                if old is not None:
                    ops.append((table, key, None))
            elif new != old:
                ops.append((table, key, new))
            else:
                self.docs[key] = old  # read but unchanged: keep the stored object
        return ops

    def undo(self) -> None:
        if self.cleared is not None:
            self.docs.clear()
            self.docs.update(self.cleared)
        for key, old in reversed(self.before.items()):
            if old is None:
                self.docs.pop(key, None)
            else:
                self.docs[key] = old


class JournaledTable(Table):
    """A TinyDB table whose writes cost O(changed documents), with field indexes.

    Needs a :class:`JournalMiddleware` as the database's storage.
    """

    def __init__(self, storage: JournalMiddleware, name: str, **kwargs: Any) -> None:
        self._indexes: dict[str, dict[Any, dict[str, None]]] = {}
        self._unique: dict[str, dict[Any, str]] = {}
        self._index_generation = -1
        super().__init__(storage, name, **kwargs)

    def _update_table(self, updater: Callable[[dict[int, Mapping]], None]) -> None:
        storage: JournalMiddleware = self._storage  # type: ignore[assignment]
        self._sync_indexes()
        tracked = _TrackedTable(storage.table_data(self.name), self.document_id_class)
        try:
            updater(tracked)  # type: ignore[arg-type]
        except BaseException:
            tracked.undo()
            raise
        ops = tracked.ops(self.name)
        self._reindex(tracked)

        def undo() -> None:
            tracked.undo()
            self._index_generation = -1  # rebuild on next use

        storage.commit(ops, undo)
        self.clear_cache()

    # -- indexes ---------------------------------------------------------------

    def add_index(self, field: str, *, unique: bool = False) -> None:
        """Keep an index of documents by the value of a top-level field.

        A unique index maps each value to one document (the last stored with it);
        the table does not enforce uniqueness, the caller does.
        """
        (self._unique if unique else self._indexes).setdefault(field, {})
        self._index_generation = -1

    def lookup(self, field: str, value: Any) -> list[tuple[int, dict[str, Any]]]:
        """The (doc_id, stored document) pairs whose ``field`` equals ``value``, in id order.

        The documents are the stored objects: read them, never change them.
        """
        self._sync_indexes()
        docs = self._read_table()
        if field in self._unique:
            key = self._unique[field].get(value)
            return [] if key is None else [(int(key), docs[key])]
        return [(int(k), docs[k]) for k in self._indexes[field].get(value, {})]

    def values_of(self, field: str) -> dict[Any, int]:
        """Each indexed value of ``field`` with its number of documents."""
        self._sync_indexes()
        if field in self._unique:
            return dict.fromkeys(self._unique[field], 1)
        return {value: len(keys) for value, keys in self._indexes[field].items()}

    def build_indexes(self) -> None:
        """Build the indexes now (they are built on first use otherwise)."""
        self._sync_indexes()

    def _sync_indexes(self) -> None:
        generation = self._storage.generation  # type: ignore[attr-defined]
        if self._index_generation == generation:
            return
        docs = self._read_table()
        names = (*self._unique, *self._indexes)
        leading = getattr(docs, "leading", None)
        if leading is not None and leading[0] == names:
            # From the values read off the file at load (no document parsed), then
            # mended for the documents the journal changed, added or removed since.
            keys = leading[1]
            columns = {name: [v.decode() for v in col] for name, col in zip(names, leading[2], strict=True)}
            loaded = set(keys)
            redo = [k for k, v in dict.items(docs) if type(v) is not bytes or k not in loaded]
            gone = loaded - docs.keys()
        else:
            keys, columns, redo, gone = [], {name: [] for name in names}, list(docs), set()
        for name, unique_index in self._unique.items():
            unique_index.clear()
            unique_index.update(zip(columns[name], keys, strict=True))
        for name, index in self._indexes.items():
            grouped: defaultdict[Any, dict[str, None]] = defaultdict(dict)
            for key, value in zip(keys, columns[name], strict=True):
                grouped[value][key] = None
            index.clear()
            index.update(grouped)
        if redo or gone:
            row = dict(zip(keys, range(len(keys)), strict=True))
            for key in (*redo, *gone):
                if key in row:
                    self._index_remove(key, {name: columns[name][row[key]] for name in names})
            for key in redo:
                self._index_add(key, docs[key])
        self._index_generation = generation
        self._next_id = None

    def _reindex(self, tracked: _TrackedTable) -> None:
        if not self._indexes and not self._unique:
            return
        if tracked.cleared is not None:
            self._index_generation = -1
            return
        for key, old in tracked.before.items():
            new = tracked.docs.get(key)
            if old is not None:
                self._index_remove(key, old)
            if new is not None:
                self._index_add(key, new)

    def _index_remove(self, key: str, doc: Mapping[str, Any]) -> None:
        for name, unique_index in self._unique.items():
            if unique_index.get(doc.get(name)) == key:
                del unique_index[doc.get(name)]
        for name, index in self._indexes.items():
            bucket = index.get(doc.get(name))
            if bucket is not None:
                bucket.pop(key, None)
                if not bucket:
                    del index[doc.get(name)]

    def _index_add(self, key: str, doc: Mapping[str, Any]) -> None:
        for name, unique_index in self._unique.items():
            unique_index[doc.get(name)] = key
        for name, index in self._indexes.items():
            # Keys stay in insertion order, which is doc_id order for new documents.
            index.setdefault(doc.get(name), {})[key] = None
