"""The data folder's files: private modes whatever happened, and journal lines that are not ours."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import orjson

from helpers import body
from newsmark import annotations
from newsmark.annotations import Rules
from newsmark.schemas import AnnotationCreateSchema
from newsmark.store import Store

JOURNAL = "newsmark.json.journal.1"


def code(store: Store, exact: str, **kwargs) -> dict:
    stored, _ = annotations.create(store, AnnotationCreateSchema().load(body(exact, **kwargs)), Rules())
    return stored


def journal_lines(data_dir: Path, *exacts: str) -> list[bytes]:
    """The journal lines that coding ``exacts`` writes (one commit each), the data file then removed."""
    store = Store(data_dir)
    for exact in exacts:
        code(store, exact)
    lines = (data_dir / JOURNAL).read_bytes().splitlines(keepends=True)
    store.close()
    (data_dir / "newsmark.json").unlink()
    return lines


def write_journal(data_dir: Path, raw: bytes) -> None:
    """As newsmark writes its journal: owner-only (the test must not be what widens a mode)."""
    fd = os.open(data_dir / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)


def line(payload: bytes) -> bytes:
    """A journal line with a valid checksum around any payload."""
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def modes(folder: Path) -> dict[str, str]:
    found = {".": oct(folder.stat().st_mode & 0o777)}
    found.update({p.name: oct(p.stat().st_mode & 0o777) for p in folder.iterdir()})
    return found


def test_every_file_stays_private_after_a_torn_journal_line(tmp_path):
    data_dir = tmp_path / "data"
    good = journal_lines(data_dir, "Joe Biden", "85 targets")
    write_journal(data_dir, b"".join(good) + good[-1][:-7])  # the last commit cut mid-write
    with Store(data_dir) as store:
        assert store.count_annotations() == 2
        assert list(data_dir.glob(JOURNAL + ".damaged-*")), "the original bytes are kept"
        during = modes(data_dir)
    after = modes(data_dir)
    for found in (during, after):
        assert {name: mode for name, mode in found.items() if mode not in ("0o600", "0o700")} == {}
        assert found["."] == "0o700"


def test_a_folder_and_files_left_wide_are_narrowed_on_open(tmp_path):
    data_dir = tmp_path / "data"
    with Store(data_dir) as store:
        code(store, "Joe Biden")
    data_dir.chmod(0o755)
    (data_dir / "newsmark.json").chmod(0o644)
    with Store(data_dir):
        assert modes(data_dir)["."] == "0o700"
        assert modes(data_dir)["newsmark.json"] == "0o600"


def test_journal_lines_with_a_valid_checksum_but_the_wrong_shape_are_named_and_dropped(tmp_path):
    data_dir = tmp_path / "data"
    first, second = journal_lines(data_dir, "Joe Biden", "85 targets")
    bad = [
        line(b'{"annotations": 1}'),  # not a list of changes
        line(b'[["annotations", "7", [1, 2]]]'),  # a document that is not an object
        line(b'[["annotations", "8"]]'),  # not a triple
        line(b"[[1, null, null]]"),  # a table name that is not a string
    ]
    write_journal(data_dir, first + b"".join(bad) + second)
    done = subprocess.run(
        [sys.executable, "-m", "newsmark.cli", "stats", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    journal = data_dir / JOURNAL
    for number, why in [
        (2, "not a list of changes"),
        (3, "the document is list, not an object"),
        (4, "not a [table, id, document] triple"),
        (5, "the table name is not a string"),
    ]:
        assert f"journal {journal}, line {number}: the checksum matches, but" in done.stderr
        assert why in done.stderr
    assert "annotations:  2" in done.stdout
    assert (data_dir / JOURNAL).read_bytes() == first + b"".join(bad) + second, "stats writes nothing"
    with Store(data_dir) as store:  # a writable open keeps the original and drops the lines
        assert store.count_annotations() == 2
    [kept] = data_dir.glob(JOURNAL + ".damaged-*")
    assert kept.read_bytes() == first + b"".join(bad) + second
    assert {name: mode for name, mode in modes(data_dir).items() if mode not in ("0o600", "0o700")} == {}


def test_a_journal_document_that_is_not_an_object_never_reaches_a_table(tmp_path):
    data_dir = tmp_path / "data"
    [first] = journal_lines(data_dir, "Joe Biden")
    doc = orjson.loads(first[9:-1])
    write_journal(data_dir, first + line(orjson.dumps([["annotations", "9", "text"]])))
    wanted = [d["id"] for table, _, d in doc if table == "annotations"]
    with Store(data_dir) as store:
        assert [a["id"] for a in store.all_annotations()] == wanted
