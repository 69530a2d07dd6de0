"""The TinyDB extension: journalled storage, incremental table, indexes, compaction."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tinydb import Query, TinyDB
from tinydb.operations import increment

from newsmark.storage import AtomicJSONStorage, JournaledTable, JournalError, JournalMiddleware, journal


def open_db(path: Path, **options) -> TinyDB:
    db = TinyDB(path, storage=JournalMiddleware(AtomicJSONStorage, **options))
    db.table_class = JournaledTable
    return db


def journal_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".journal.*"))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "db.json"


def test_tinydb_operations_behave_as_stock(path):
    """Every TinyDB write path gives the same result as stock TinyDB on memory."""
    db = open_db(path)
    stock = TinyDB(storage=__import__("tinydb").storages.MemoryStorage)
    for d in (db, stock):
        t = d.table("t")
        t.insert({"a": 1, "n": {"x": 1}})
        t.insert_multiple([{"a": 2}, {"a": 3}])
        t.update({"b": True}, Query().a >= 2)
        t.update(increment("a"), doc_ids=[1])
        t.upsert({"a": 9, "c": 1}, Query().a == 9)
        t.remove(Query().a == 3)
        t.update({"a": 5}, doc_ids=[2])
    assert [dict(d) for d in db.table("t").all()] == [dict(d) for d in stock.table("t").all()]
    assert [d.doc_id for d in db.table("t").all()] == [d.doc_id for d in stock.table("t").all()]
    db.close()


def test_every_change_is_replayed_after_a_crash(path):
    db = open_db(path)
    t = db.table("t")
    ids = [t.insert({"n": i}) for i in range(50)]
    t.update({"n": -1}, doc_ids=ids[:10])
    t.remove(doc_ids=ids[10:20])
    expected = {d.doc_id: dict(d) for d in t.all()}
    # No close(): as after kill -9, only the data file (absent) and the journal are on disk.
    assert journal_files(path)
    again = open_db(path)
    assert {d.doc_id: dict(d) for d in again.table("t").all()} == expected
    # New ids continue after the replayed ones.
    assert again.table("t").insert({"n": "new"}) == max(ids) + 1


def test_torn_last_line_is_dropped_and_earlier_commits_kept(path):
    db = open_db(path)
    t = db.table("t")
    t.insert({"n": 1})
    t.insert({"n": 2})
    [journal] = journal_files(path)
    raw = journal.read_bytes()
    journal.write_bytes(raw + raw.splitlines(keepends=True)[-1][:-7])  # a commit cut mid-write
    again = open_db(path)
    assert [d["n"] for d in again.table("t").all()] == [1, 2]
    assert journal.read_bytes() == raw  # cut back to its last whole line
    assert list(path.parent.glob("*.damaged-*")), "the original bytes are kept for recovery"
    again.table("t").insert({"n": 3})
    assert [d["n"] for d in open_db(path).table("t").all()] == [1, 2, 3]


def test_corrupt_line_in_the_middle_loses_only_itself(path):
    db = open_db(path)
    t = db.table("t")
    for n in range(3):
        t.insert({"n": n})
    [journal] = journal_files(path)
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"n":1', b'"n":7')  # checksum no longer matches
    journal.write_bytes(b"".join(lines))
    assert [d["n"] for d in open_db(path).table("t").all()] == [0, 2]


def test_close_leaves_plain_tinydb_json(path):
    db = open_db(path)
    t = db.table("annotations")
    t.insert({"url": "u", "text": "é 😀"})
    t.insert({"url": "v"})
    db.close()
    assert journal_files(path) == []
    stock = TinyDB(path)  # stock JSONStorage reads it as its own
    assert [d["url"] for d in stock.table("annotations").all()] == ["u", "v"]
    assert json.loads(path.read_text(encoding="utf-8"))["annotations"]["1"]["text"] == "é 😀"


def test_compaction_threshold_grows_with_data_and_keeps_everything(path):
    db = open_db(path, compact_min_bytes=2_000, compact_ratio=1.0, background=False)
    t = db.table("t")
    for n in range(300):
        t.insert({"n": n, "pad": "x" * 50})
    storage = db.storage
    assert storage.compactions >= 3
    # Amortised: compactions grow apart as the data file grows (far fewer than one per 2 KB).
    assert storage.compactions < 300 * 70 // 2_000
    assert path.exists() and json.loads(path.read_text())["t"]["1"]["n"] == 0
    assert [d["n"] for d in open_db(path).table("t").all()] == list(range(300))


def test_background_compaction_does_not_lose_writes_made_meanwhile(path):
    db = open_db(path, compact_min_bytes=1_000, background=True)
    t = db.table("t")
    for n in range(500):
        t.insert({"n": n, "pad": "y" * 40})
        if n % 50 == 0:
            t.update({"pad": "z"}, doc_ids=[1])
    db.storage.wait_for_compaction()
    assert db.storage.compactions >= 1
    # As after a crash: whatever the data file and the journal hold together.
    assert [d["n"] for d in open_db(path).table("t").all()] == list(range(500))


def test_crash_between_data_file_rename_and_journal_removal_replays_safely(path):
    db = open_db(path, background=False)
    t = db.table("t")
    t.insert({"n": 1})
    t.update({"n": 2}, doc_ids=[1])
    t.insert({"n": 3})
    t.remove(doc_ids=[2])
    saved = {p.name: p.read_bytes() for p in journal_files(path)}
    db.storage._compact(background=False)  # data file now holds everything
    for name, raw in saved.items():  # ... but the journal was not removed yet
        (path.parent / name).write_bytes(raw)
    assert [dict(d) for d in open_db(path).table("t").all()] == [{"n": 2}]


def test_failed_journal_write_undoes_the_change(path, monkeypatch):
    db = open_db(path)
    t = db.table("t")
    t.insert({"n": 1})

    def broken_write(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("newsmark.storage.journal._write_all", broken_write)
    with pytest.raises(JournalError):
        t.insert({"n": 2})
    with pytest.raises(JournalError):
        t.update({"n": 9}, doc_ids=[1])
    assert [dict(d) for d in t.all()] == [{"n": 1}]
    monkeypatch.undo()
    t.insert({"n": 3})
    assert [d["n"] for d in open_db(path).table("t").all()] == [1, 3]


def test_transaction_is_one_line_all_or_nothing(path):
    db = open_db(path)
    a, b = db.table("a"), db.table("b")
    with db.storage.transaction():
        a.insert({"x": 1})
        b.insert({"y": 1})
    [journal] = journal_files(path)
    assert len(journal.read_bytes().splitlines()) == 1
    with pytest.raises(RuntimeError), db.storage.transaction():
        a.insert({"x": 2})
        raise RuntimeError("refused half way")
    assert [dict(d) for d in a.all()] == [{"x": 1}]
    assert len(journal.read_bytes().splitlines()) == 1
    assert [dict(d) for d in open_db(path).table("a").all()] == [{"x": 1}]


def test_updater_failure_leaves_table_unchanged(path):
    db = open_db(path)
    t = db.table("t")
    t.insert({"n": 1})
    with pytest.raises(ValueError):
        t.insert_multiple([{"n": 2}, "not a mapping"])  # type: ignore[list-item]
    assert [dict(d) for d in t.all()] == [{"n": 1}]


def test_index_follows_inserts_updates_removals_and_truncate(path):
    db = open_db(path)
    t = db.table("t")
    t.add_index("url")
    a = t.insert({"url": "a"})
    b = t.insert({"url": "b"})
    c = t.insert({"url": "a"})
    assert [i for i, _ in t.lookup("url", "a")] == [a, c]
    t.update({"url": "b"}, doc_ids=[a])
    t.remove(doc_ids=[b])
    assert [i for i, _ in t.lookup("url", "a")] == [c]
    assert [i for i, _ in t.lookup("url", "b")] == [a]
    t.truncate()
    assert t.lookup("url", "a") == [] and t.values_of("url") == {}


def test_stored_documents_are_not_shared_with_callers(path):
    db = open_db(path)
    t = db.table("t")
    doc = {"n": {"deep": 1}}
    t.insert(doc)
    doc["n"]["deep"] = 2  # the caller changes its own dict afterwards
    assert t.get(doc_id=1)["n"]["deep"] == 1
    with pytest.raises(TypeError):
        t.insert({"bad": object()})  # not JSON: refused before anything is written
    assert len(t) == 1


def test_journal_and_data_files_are_private(path):
    db = open_db(path)
    db.table("t").insert({"n": 1})
    for f in journal_files(path):
        assert os.stat(f).st_mode & 0o077 == 0
    db.close()
    assert os.stat(path).st_mode & 0o077 == 0


def test_each_commit_is_fsynced_before_it_returns(path, monkeypatch):
    """kill -9 keeps the page cache; a power cut does not. Each commit reaches the disk itself."""
    db = open_db(path)
    t = db.table("t")
    synced: list[int] = []
    real = journal._fsync
    monkeypatch.setattr("newsmark.storage.journal._fsync", lambda fd: (synced.append(fd), real(fd)))
    t.insert({"n": 1})
    assert len(synced) == 1
    with db.storage.transaction():
        t.insert({"n": 2})
        t.insert({"n": 3})
    assert len(synced) == 2, "a transaction is one fsync"


def test_indexes_from_a_lazy_file_are_mended_by_the_journal(path):
    """Indexed values read off the data file, then changed by journal replay, index where they are now."""

    def reopen() -> TinyDB:
        db = TinyDB(path, storage=JournalMiddleware(AtomicJSONStorage), leading_fields={"t": ["url"]})
        db.table_class = JournaledTable
        table = db.table("t")
        table.add_index("url")
        return db

    db = reopen()
    for url in ("a", "b", "a", "c"):
        db.table("t").insert({"url": url, "n": 0})
    db.close()  # data file written one document a line

    db = reopen()  # loaded without parsing; then changes that only the journal will hold
    t = db.table("t")
    t.update({"url": "c"}, doc_ids=[1])  # an indexed value changes
    t.remove(doc_ids=[2])
    t.insert({"url": "a", "n": 1})
    # crash: no close
    t = reopen().table("t")
    assert [i for i, _ in t.lookup("url", "a")] == [3, 5]
    assert sorted(i for i, _ in t.lookup("url", "c")) == [1, 4]
    assert t.lookup("url", "b") == []


def test_compaction_renames_then_syncs_the_folder_then_removes_the_journal(path, monkeypatch):
    """A power cut may keep a later change to the folder and lose an earlier one unless the
    folder is fsync'd between them: the journal may only go once the data file's rename is durable."""
    db = open_db(path, background=False)
    db.table("t").insert({"n": 1})
    [segment] = journal_files(path)
    steps: list[tuple[str, str]] = []
    real_replace, real_fsync, real_unlink = os.replace, os.fsync, os.unlink

    def replace(src, dst, *args, **kwargs):
        steps.append(("rename", Path(dst).name))
        return real_replace(src, dst, *args, **kwargs)

    def fsync(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}") and os.path.samefile(f"/proc/self/fd/{fd}", path.parent):
            steps.append(("fsync", "folder"))
        return real_fsync(fd)

    def unlink(target, *args, **kwargs):
        steps.append(("unlink", Path(target).name))
        return real_unlink(target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "unlink", unlink)
    db.storage._compact(background=False)
    monkeypatch.undo()
    rename = steps.index(("rename", path.name))
    removal = steps.index(("unlink", segment.name))
    assert ("fsync", "folder") in steps[rename + 1 : removal], steps
    assert steps[removal + 1 :].count(("fsync", "folder")) >= 1, "the removal is made durable too"
