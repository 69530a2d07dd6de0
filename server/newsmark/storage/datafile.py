"""The data file: TinyDB's plain JSON, replaced atomically, read without parsing documents.

:class:`AtomicJSONStorage` writes one document a line (still JSON that stock
TinyDB reads) and :func:`_read_lines` takes such a file apart with one regular
expression pass per table, leaving each document as its bytes in a
:class:`LazyDocs` until it is first read.
"""

from __future__ import annotations

import mmap
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from tinydb import Storage

Data = dict[str, dict[str, dict[str, Any]]]


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


#: Flags for a file newsmark creates: a new one (never an existing file), never through a symlink.
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
#: Data folder files are the owner's alone: the token is a password, the rest is research data.
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def named(exc: OSError, path: Path) -> OSError:
    """``exc`` with the file it is about (``os.write`` and ``os.fsync`` name none), for messages."""
    if exc.filename is not None or exc.errno is None:
        return exc
    return type(exc)(exc.errno, exc.strerror, str(path))


def create_private(path: Path) -> int:
    """Open a new file for writing, readable by the owner only; a leftover of the same name
    (from a crash, or planted as a symlink) is removed first, never written through."""
    path.unlink(missing_ok=True)
    return os.open(path, NEW_FILE, FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write a new file readable by the owner only and fsync it; nothing is left if that fails."""
    fd = create_private(path)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    except BaseException as exc:
        os.close(fd)
        path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise named(exc, path) from exc
        raise
    os.close(fd)


@dataclass(frozen=True)
class Damage:
    """A document of the data file that is not valid JSON, and where it lives."""

    table: str
    doc_id: str
    reason: str
    file: Path | None = None
    line: int | None = None
    #: The document's own "id" field (an annotation's id, say) if it can still be read.
    ident: str | None = None

    def describe(self) -> str:
        what = f"document {self.doc_id} of table {self.table!r}"
        if self.ident:
            what += f" (id {self.ident})"
        if self.file is not None:
            what += f" in {self.file}" + (f", line {self.line}" if self.line else "")
        return f"{what} is not valid JSON ({self.reason})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "doc_id": self.doc_id,
            "id": self.ident,
            "file": str(self.file) if self.file is not None else None,
            "line": self.line,
            "reason": self.reason,
        }


class DamagedDocument(RuntimeError):
    """Documents in the data file are not valid JSON (the file was changed by hand or by disk damage)."""

    def __init__(self, damages: Sequence[Damage], shown: int = 5) -> None:
        self.damages = list(damages)
        text = "; ".join(d.describe() for d in self.damages[:shown])
        if len(self.damages) > shown:
            text += f"; and {len(self.damages) - shown} more damaged document(s)"
        super().__init__(text)


_IDENT = re.compile(rb'\A\{"id":"([0-9A-Za-z._:-]{1,100})"')


class LazyDocs(dict):  # type: ignore[type-arg]
    """A table's documents, some still the JSON bytes they were loaded as.

    Parsing 100k documents at open takes most of a second, and most are never
    read before the next compaction writes their bytes back unchanged. A
    document is parsed when it is first read through any dict method TinyDB or
    newsmark uses, and the parsed dict takes its place. ``dict(docs)`` and
    :meth:`raw_values` see the bytes, which :func:`dumps_docs` embeds as they are.

    Bytes that are not valid JSON (a line damaged by hand or on disk) must never be
    embedded in an answer as they are: :meth:`check` finds them before anything is
    sent, and reading one raises :class:`DamagedDocument`.
    """

    __slots__ = ("_checked", "_damaged", "_guard", "_lines", "leading", "source")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        #: As loaded: (field names, keys, one column of raw values per name) for the
        #: documents that start with those fields; see :func:`_read_lines`.
        self.leading: tuple[tuple[str, ...], list[str], list[list[bytes]]] | None = None
        #: (data file, table name) the documents were loaded from, to say where damage lives.
        self.source: tuple[Path, str] | None = None
        self._checked = False  # every loaded document checked once (loaded bytes never change)
        # Replaced whole, never changed in place (under _guard), so a reader may iterate it freely.
        self._damaged: dict[str, tuple[bytes, Damage]] = {}
        self._guard = threading.Lock()
        self._lines: tuple[tuple[int, int], dict[str, int]] | None = None

    def _parsed(self, key: str, value: Any) -> Any:
        if type(value) is bytes:
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise DamagedDocument(self._record({key: (value, _why(key, exc))})) from None
            dict.__setitem__(self, key, value)
        return value

    def check(self, keys: Iterable[str] | None = None) -> list[Damage]:
        """The damaged documents among ``keys`` (all without), found without keeping what was parsed.

        The first check of all documents parses each once (about 0.4 s per 100k); later
        checks cost nothing more, as loaded bytes never change (a change stores a dict).
        """
        if keys is None:
            if not self._checked:
                self._record(self._unreadable(dict.items(self)), complete=True)
            return [damage for key, (raw, damage) in self._damaged.items() if dict.get(self, key) is raw]
        if self._checked and not self._damaged:
            return []  # the usual case, once the first check is done: nothing to look at
        found: list[Damage] = []
        unchecked: list[tuple[str, bytes]] = []
        for key in keys:
            value = dict.get(self, key)
            if type(value) is not bytes:
                continue
            known = self._damaged.get(key)
            if known is not None and known[0] is value:
                found.append(known[1])
            elif not self._checked:
                unchecked.append((key, value))
        return found + self._record(self._unreadable(unchecked))

    def check_slowly(self, stopped: Callable[[], bool], pause: float = 0.001) -> None:
        """The first check of all documents (see :meth:`check`), from another thread.

        A slice of documents at a time, pausing between slices: the check holds the
        GIL while it parses, so a request waits at most one slice (about 0.3 ms) each
        time it needs the GIL back (after an fsync, say), and the pause leaves requests
        most of the CPU. At 100,000 documents the check ends within a few seconds.
        Stops early, checking nothing more, once ``stopped()`` says so.
        """
        keys = list(dict.keys(self))  # a copy, made in one step: requests may change the table meanwhile
        bad: dict[str, tuple[bytes, str]] = {}
        for start in range(0, len(keys), _SLICE):
            if stopped() or self._checked:
                return
            bad.update(self._unreadable((k, dict.get(self, k)) for k in keys[start : start + _SLICE]))
            time.sleep(pause)
        self._record(bad, complete=True)

    def _unreadable(self, pairs: Iterable[tuple[str, Any]]) -> dict[str, tuple[bytes, str]]:
        bad: dict[str, tuple[bytes, str]] = {}
        for key, value in pairs:
            if type(value) is bytes and key not in self._damaged:
                try:
                    orjson.loads(value)
                except orjson.JSONDecodeError as exc:
                    bad[key] = (value, _why(key, exc))
        return bad

    def _record(self, bad: Mapping[str, tuple[bytes, str]], *, complete: bool = False) -> list[Damage]:
        """Remember damaged documents; ``complete``: they are all there are (every document was checked)."""
        path, table = self.source or (None, "?")
        lines = self._line_numbers() if bad and path is not None else {}
        found: dict[str, tuple[bytes, Damage]] = {}
        for key, (raw, reason) in bad.items():
            found_id = _IDENT.match(raw)
            ident = found_id.group(1).decode() if found_id else None
            found[key] = (raw, Damage(table, key, reason, path, lines.get(key), ident))
        with self._guard:  # two threads may record at once (see check_slowly): neither loses the other's
            if found:
                self._damaged = {**self._damaged, **found}
            if complete:
                self._checked = True
        return [damage for _, damage in found.values()]

    def _line_numbers(self) -> dict[str, int]:
        """Each document's line in the data file as it is now (read again only after it changed)."""
        assert self.source is not None
        path, table = self.source
        try:
            info = path.stat()
            version = (info.st_mtime_ns, info.st_size)
            if self._lines is None or self._lines[0] != version:
                self._lines = (version, _lines_of(path, table))
        except OSError:
            return {}
        return self._lines[1]

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
_SLICE = 64  # documents checked between two pauses by LazyDocs.check_slowly (about 0.3 ms)


def _why(key: str, exc: orjson.JSONDecodeError) -> str:
    """The parser's complaint, placed in the file's line (which starts with the key)."""
    return f"{exc.msg} at column {len(orjson.dumps(key)) + 1 + exc.colno} of the line"


_TABLE_LINE = re.compile(rb'(?:\},)?"((?:[^"\\]|\\.)*)":\{\n')
_DOC_KEY = re.compile(rb'"([^"\\\n]*)":\{')


def _lines_of(path: Path, table: str) -> dict[str, int]:
    """The line number of each document of ``table`` in a data file of the layout written here."""
    wanted = orjson.dumps(table)[1:-1]
    lines: dict[str, int] = {}
    inside = False
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            header = _TABLE_LINE.fullmatch(line)
            if header is not None:
                if inside:
                    break
                inside = header.group(1) == wanted
                continue
            if inside:
                doc = _DOC_KEY.match(line)
                if doc is not None:
                    lines[doc.group(1).decode(errors="replace")] = number
    return lines


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


def _index(raw: bytes | mmap.mmap, sub: bytes, start: int) -> int:
    found = raw.find(sub, start)
    if found < 0:
        raise ValueError(f"{sub!r} not found")
    return found


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


def _read_lines(raw: bytes | mmap.mmap, leading_fields: Mapping[str, Sequence[str]]) -> Data | None:
    """Read the layout :class:`AtomicJSONStorage` writes without parsing any document.

    A pass of one regular expression per table takes each document's bytes (see
    :class:`LazyDocs`) and, where a table has ``leading_fields``, their values for
    its indexes, so that neither step loops over documents in Python.

    :returns: None if the file is laid out in any other way (then it is parsed whole).
    """
    if raw[:2] != b"{\n" or raw[-2:] != b"}\n":
        return None
    data: Data = {}
    pos, end = 2, len(raw) - 2
    try:
        while pos < end:
            split = _index(raw, b":{\n", pos)
            name = raw[pos:split]
            if not name.startswith(b'"') or b"\\" in name or b"\n" in name:
                return None
            table = name[1:-1].decode()
            start = split + 2  # the newline before the first document
            # Documents hold no raw newline, so a table ends at the first "\n}".
            stop = start if raw[start + 1 : start + 2] == b"}" else _index(raw, b"\n}", start)
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
            if raw[pos : pos + 2] == b",\n":
                pos += 2
            elif raw[pos : pos + 1] == b"\n" and pos + 1 == end:
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
            fh = open(self.path, "rb")  # noqa: SIM115 (closed below, after the map)
        except FileNotFoundError:
            return None
        with fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return None
            # Mapped, not read: the documents are copied out once, by the regex pass.
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as raw:
                lazy = _read_lines(raw, self.leading_fields)
                if lazy is not None:
                    for name, docs in lazy.items():
                        docs.source = (self.path, name)  # type: ignore[attr-defined]
                    return lazy
                whole = raw[:]
        return orjson.loads(whole) if whole.strip() else None

    def write(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace the file: write a temporary one, fsync it, rename it over, fsync the folder.

        One document a line (still plain JSON that stock TinyDB reads), so that the
        next open can take the documents without parsing them; see :func:`_read_lines`.
        """
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = create_private(tmp)
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
            os.close(fd)
            fd = -1
            os.replace(tmp, self.path)
        except BaseException as exc:
            # A full disk, say: the data file stays as it was, and no half-written copy stays behind.
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise named(exc, tmp) from exc
            raise
        _fsync_dir(self.path.parent)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0
