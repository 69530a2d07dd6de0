"""The table: TinyDB's ``Table`` with writes that cost O(changed documents), and field indexes."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import orjson
from tinydb.table import Table

from .datafile import DamagedDocument
from .journal import JournalMiddleware, Op


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

    def insert_encoded(self, docs: list[bytes]) -> None:
        """Insert documents given as their JSON bytes, kept as bytes (as loaded ones are) until read.

        For an import's many documents: about half the memory of dicts, and no copy.
        Each must be one JSON object, as ``orjson.dumps`` writes it (it is not parsed
        here); an indexed field is read off its start when it leads, else parsed.
        """
        if not docs:
            return
        storage: JournalMiddleware = self._storage  # type: ignore[assignment]
        self._sync_indexes()
        table = storage.table_data(self.name, lazy=True)
        uniques, plains = list(self._unique.values()), list(self._indexes.values())
        names = (*self._unique, *self._indexes)
        match = _leading_fields(names).match
        first = self._get_next_id()
        self._next_id = first + len(docs)
        keys = [str(first + n) for n in range(len(docs))]
        for key, doc in zip(keys, docs, strict=True):
            found = match(doc) if names else None
            if found is not None:
                values = [value.decode() for value in found.groups()]
            else:
                parsed = orjson.loads(doc)
                values = [parsed.get(name) for name in names]
            dict.__setitem__(table, key, doc)
            for index, value in zip(uniques, values, strict=False):
                index[value] = key
            for index, value in zip(plains, values[len(uniques) :], strict=True):
                # Keys stay in insertion order, which is doc_id order for new documents.
                index.setdefault(value, {})[key] = None

        def undo() -> None:
            for key, doc in zip(keys, docs, strict=True):
                dict.pop(table, key, None)
                self._index_remove(key, orjson.loads(doc))
            self._next_id = None

        storage.commit([(self.name, key, doc) for key, doc in zip(keys, docs, strict=True)], undo)
        self.clear_cache()

    def replace_encoded(self, docs: dict[str, bytes]) -> None:
        """Replace documents, by key, with new ones given as their JSON bytes (kept as bytes until read).

        For a migration's many documents: no copy, no parse. The indexed fields of each new document
        must be those of the one it replaces (the indexes are left as they are).
        """
        if not docs:
            return
        storage: JournalMiddleware = self._storage  # type: ignore[assignment]
        self._sync_indexes()
        table = storage.table_data(self.name, lazy=True)
        missing = [key for key in docs if not dict.__contains__(table, key)]
        if missing:
            raise KeyError(f"no document {missing[0]} in table {self.name!r}")
        before = {key: dict.__getitem__(table, key) for key in docs}
        for key, doc in docs.items():
            dict.__setitem__(table, key, doc)

        def undo() -> None:
            for key, doc in before.items():
                dict.__setitem__(table, key, doc)

        storage.commit([(self.name, key, doc) for key, doc in docs.items()], undo)
        self.clear_cache()

    def present(self, field: str, values: Iterable[Any]) -> set[Any]:
        """Which of ``values`` some document has in the uniquely indexed ``field``; nothing parsed."""
        self._sync_indexes()
        index = self._unique[field]
        return {value for value in values if value in index}

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

    def keys_where(self, field: str, value: Any) -> list[str]:
        """The keys of the documents whose ``field`` equals ``value``, in id order; nothing parsed."""
        self._sync_indexes()
        if field in self._unique:
            key = self._unique[field].get(value)
            return [] if key is None else [key]
        return sorted(self._indexes[field].get(value, {}), key=int)

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
                try:
                    doc = docs[key]
                except DamagedDocument:
                    continue  # not JSON: no field to index it by (Store.damaged lists it)
                self._index_add(key, doc)
        if leading is not None:
            docs.leading = None  # used once: a later rebuild (rare) parses instead
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


def _leading_fields(names: tuple[str, ...]) -> re.Pattern[bytes]:
    """A document's values of ``names`` when it starts with them, as plain strings (no escapes)."""
    fields = b",".join(orjson.dumps(name) + rb':"([^"\\]*)"' for name in names)
    return re.compile(rb"\{" + fields + rb"[,}]")
