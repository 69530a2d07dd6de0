"""The journal: every change made durable by one fsync'd, checksummed line, compacted in the background."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb.middlewares import Middleware

from .datafile import (
    FILE_MODE,
    NEW_FILE,
    AtomicJSONStorage,
    Data,
    LazyDocs,
    _fsync_dir,
    _write_all,
    dumps_docs,
    named,
    write_private,
)

log = logging.getLogger(__name__)

#: One journalled change: (table, doc_id, document) sets a document, document None removes it,
#: and (table, None, None) empties the table. A document may be its JSON bytes (see LazyDocs).
Op = tuple[str, str | None, dict[str, Any] | bytes | None]

_fsync = getattr(os, "fdatasync", os.fsync)

#: Operations serialised at a time in a large commit (an article version's text may be 500 KB).
OPS_PER_PIECE = 100


def _pieces(ops: list[Op]) -> Iterator[bytes]:
    """The JSON array of ``ops`` in pieces of :data:`OPS_PER_PIECE` operations."""
    yield b"["
    for start in range(0, len(ops), OPS_PER_PIECE):
        if start:
            yield b","
        yield dumps_docs(ops[start : start + OPS_PER_PIECE])[1:-1]
    yield b"]"


class JournalError(RuntimeError):
    """The journal could not be written; the change was not made."""


def _shape_problem(changes: Any) -> str:
    """What is wrong with a journal line's changes, or "" if each is [table, id, document]."""
    if not isinstance(changes, list) or not changes:
        return "it is not a list of changes"
    for n, op in enumerate(changes, 1):
        if not isinstance(op, list) or len(op) != 3:
            return f"change {n} is not a [table, id, document] triple"
        table, doc_id, doc = op
        if not isinstance(table, str):
            return f"change {n}: the table name is not a string"
        if doc_id is None:
            if doc is not None:
                return f"change {n}: a document without an id"
        elif not isinstance(doc_id, str):
            return f"change {n}: the document id is not a string"
        elif doc is not None and not isinstance(doc, dict):
            return f"change {n}: the document is {type(doc).__name__}, not an object"
    return ""


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
        read_only: bool = False,
    ) -> None:
        """``read_only``: replay the journal into memory but write nothing (a backup on
        read-only media); every commit then fails with :class:`JournalError`."""
        super().__init__(storage_cls)
        self.read_only = read_only
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
        if not self.read_only:
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
        problems: list[tuple[int, str]] = []
        for number, line in enumerate(raw.splitlines(keepends=True), 1):
            ops, problem = self._parse_line(line)
            if ops is None:
                problems.append((number, problem))
                continue
            self._apply(ops)
            good.append(line)
        if not problems:
            return
        # A crash can tear only the last line (that commit was never acknowledged);
        # anything else is damage from outside. Either way keep the original bytes
        # for recovery by hand and rewrite the segment with its good lines only.
        if self.read_only:
            kept = "the file was left as it is (the data folder is open read-only)"
        else:
            keep = self._keep_copy(path, raw)
            write_private(path.with_name(path.name + ".tmp"), b"".join(good))
            os.replace(path.with_name(path.name + ".tmp"), path)
            _fsync_dir(path.parent)
            kept = f"the line was dropped; the original file is kept as {keep}"
        for number, problem in problems[:20]:
            log.warning("journal %s, line %d: %s; %s", path, number, problem, kept)
        if len(problems) > 20:
            log.warning("journal %s: %d more unreadable lines", path, len(problems) - 20)

    @staticmethod
    def _keep_copy(path: Path, raw: bytes) -> Path:
        stamp = int(time.time())
        for n in range(1000):
            keep = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n else ""))
            try:
                fd = os.open(keep, NEW_FILE, FILE_MODE)  # never over an earlier copy
            except FileExistsError:
                continue
            try:
                _write_all(fd, raw)
                os.fsync(fd)
            except OSError as exc:
                os.close(fd)
                keep.unlink(missing_ok=True)  # no partial copy: a full disk leaves nothing behind
                raise named(exc, keep) from exc
            os.close(fd)
            return keep
        raise JournalError(f"too many damaged copies of {path}")

    @staticmethod
    def _parse_line(line: bytes) -> tuple[list[Op] | None, str]:
        """The line's changes, or None and why the line cannot be replayed."""
        if not line.endswith(b"\n"):
            return None, "cut short (a write interrupted by a crash)"
        if len(line) < 10 or line[8:9] != b" ":
            return None, "not a journal line (no checksum)"
        payload = line[9:-1]
        try:
            if int(line[:8], 16) != zlib.crc32(payload):
                return None, "its checksum does not match"
            changes = orjson.loads(payload)
        except ValueError:
            return None, "its checksum or JSON cannot be read"
        problem = _shape_problem(changes)
        if problem:
            return None, f"the checksum matches, but {problem}"
        return [tuple(op) for op in changes], ""  # type: ignore[misc]

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
        try:
            segments = self._segments()
            if any(p.stat().st_size for _, p in segments) or not self.storage.path.exists():
                self._compact(background=False)
        finally:
            # Also when that failed (a full disk): the journal keeps every change for the next open.
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None
            for _, path in self._segments():
                if path.stat().st_size == 0:
                    path.unlink()
            _fsync_dir(self.storage.path.parent)
            self.storage.close()

    # -- commits ---------------------------------------------------------------

    def table_data(self, name: str, *, lazy: bool = False) -> dict[str, dict[str, Any]]:
        """The live documents of table ``name``; ``lazy``: as :class:`LazyDocs`, which may hold bytes."""
        docs = self.memory.setdefault(name, LazyDocs() if lazy else {})
        if lazy and not isinstance(docs, LazyDocs):
            docs = self.memory[name] = LazyDocs(docs)
        return docs

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
            why = "the data folder is open read-only" if self.read_only else "the database is closed"
            raise JournalError(why)
        # A large commit (an import) is as large as its file: it is serialised a piece at a
        # time, twice (the checksum leads the line), rather than held whole.
        pieces: Iterable[bytes] = [dumps_docs(ops)] if len(ops) <= OPS_PER_PIECE else _pieces(ops)
        crc = size = 0
        for piece in pieces:
            crc = zlib.crc32(piece, crc)
            size += len(piece)
        head = b"%08x " % crc
        try:
            end = os.lseek(self._journal_fd, 0, os.SEEK_END)
            if isinstance(pieces, list):  # the usual commit: one write, as it always was
                _write_all(self._journal_fd, head + pieces[0] + b"\n")
            else:  # a crash between the writes leaves a torn last line, which replay drops
                _write_all(self._journal_fd, head)
                for piece in _pieces(ops):
                    _write_all(self._journal_fd, piece)
                _write_all(self._journal_fd, b"\n")
            _fsync(self._journal_fd)
        except OSError as exc:
            # Part of the line may be on disk (it would fail its checksum on
            # replay); cut it off so the next commit does not land behind it.
            with contextlib.suppress(OSError, UnboundLocalError):
                os.ftruncate(self._journal_fd, end)
            raise JournalError(f"could not write the journal: {exc}") from exc
        self._journal_bytes += len(head) + size + 1

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
                self.last_compaction_error = None
                try:
                    self.storage.write(snapshot)
                except BaseException as exc:  # the journal still holds it all
                    self.last_compaction_error = exc
                    if not background:
                        return  # raised below, to the caller
                    if isinstance(exc, OSError):  # a full disk, say: one line, not a traceback
                        log.error("compaction failed (%s); the journal keeps every change", exc)
                    else:
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
            error = self.last_compaction_error
            if error is not None:
                raise JournalError(f"compaction failed: {error}") from error
