"""The CLI's failures end in one clear line, never a traceback, and leave nothing behind.

- ``export -o`` a folder, into a missing folder, or past a planted ``FILE.part`` symlink;
- a full disk when the store is written (stop, and start after a torn journal line): simulated
  in-process by a write that fails with ENOSPC, and in a real process by a file size limit
  (RLIMIT_FSIZE: the kernel refuses the write with EFBIG, as a full quota would);
- a read-only data folder (a backup): export, stats and check read it; serve and import say why not.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import body
from newsmark import annotations
from newsmark.annotations import Rules
from newsmark.cli import main
from newsmark.errors import StoreUnavailable
from newsmark.schemas import AnnotationCreateSchema
from newsmark.store import Store

EXACTS = ("Joe Biden", "85 targets", "Lloyd Austin", "Defense Secretary", "seven locations")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli(*argv: str, limit: int | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsmark.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=None if limit is None else _file_size_limit(limit),
    )


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def fill(folder: Path, count: int = len(EXACTS), *, note: str = "") -> list[str]:
    """Code ``count`` annotations and close the folder; their ids."""
    with Store(folder) as store:
        return [
            annotations.create(store, AnnotationCreateSchema().load(body(e, note=note or None)), Rules())[0][
                "id"
            ]
            for e in EXACTS[:count]
        ]


def crashed(folder: Path, note: str = "") -> tuple[list[str], bytes]:
    """A folder as a crash leaves it: every change in the journal only, no data file."""
    store = Store(folder)
    made = [
        annotations.create(store, AnnotationCreateSchema().load(body(e, note=note or None)), Rules())[0]["id"]
        for e in EXACTS
    ]
    journal = (folder / "newsmark.json.journal.1").read_bytes()
    store.close()
    (folder / "newsmark.json").unlink()
    fd = os.open(folder / "newsmark.json.journal.1", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(journal)
    return made, journal


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- export -o ----------------------------------------------------------------------------------


def test_export_to_a_folder_is_a_clear_error(capsys, data_dir, tmp_path):
    fill(data_dir, 1)
    target = tmp_path / "exports"
    target.mkdir()
    code, _, err = run(capsys, "export", "-o", str(target), "--data-dir", str(data_dir))
    assert code == 1 and "that is a folder; give a file name" in err and "Traceback" not in err
    assert list(target.iterdir()) == []


def test_export_into_a_missing_folder_is_a_clear_error(capsys, data_dir, tmp_path):
    fill(data_dir, 1)
    code, _, err = run(
        capsys, "export", "-o", str(tmp_path / "missing" / "dir" / "codes.json"), "--data-dir", str(data_dir)
    )
    assert code == 1 and f"the folder {tmp_path / 'missing' / 'dir'} does not exist" in err
    assert not (tmp_path / "missing").exists()


def test_a_planted_part_symlink_is_never_written_through(capsys, data_dir, tmp_path):
    fill(data_dir, 1)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "codes.json"
    (tmp_path / "codes.json.part").symlink_to(victim)
    code, _, err = run(capsys, "export", "-o", str(out), "--data-dir", str(data_dir))
    assert code == 1 and "codes.json.part already exists (a symbolic link" in err and "remove it" in err
    assert victim.read_text() == "keep me" and not out.exists()
    assert (tmp_path / "codes.json.part").is_symlink()
    (tmp_path / "codes.json.part").unlink()
    (tmp_path / "codes.json.part").symlink_to(tmp_path / "nowhere")  # dangling: O_CREAT would make it
    code, _, err = run(capsys, "export", "-o", str(out), "--data-dir", str(data_dir))
    assert code == 1 and not (tmp_path / "nowhere").exists()
    (tmp_path / "codes.json.part").unlink()
    code, _, err = run(capsys, "export", "-o", str(out), "--data-dir", str(data_dir))
    assert code == 0 and len(json.loads(out.read_text())["annotations"]) == 1


# -- a full disk --------------------------------------------------------------------------------


def test_full_disk_at_close_keeps_every_change_and_leaves_no_temporary_file(data_dir, monkeypatch):
    made, _ = crashed(data_dir)
    store = Store(data_dir)
    store.insert_annotation({**store.get_annotation(made[0]), "id": "00000000-0000-4000-8000-000000000001"})

    def full(fd: int, data: bytes) -> None:
        os.write(fd, bytes(data)[:100])  # some bytes land, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("newsmark.storage.datafile._write_all", full)
    with pytest.raises(StoreUnavailable) as failed:
        store.close()
    message = str(failed.value)
    assert "No space left on device" in message and str(data_dir / "newsmark.json.tmp") in message
    assert "Nothing is lost" in message
    assert sorted(p.name for p in data_dir.iterdir()) == ["newsmark.json.journal.1", "newsmark.lock"]
    monkeypatch.undo()
    with Store(data_dir) as again:  # the journal kept it all
        assert again.count_annotations() == len(made) + 1


def _serve(folder: Path, limit: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsmark.cli", "serve", "--port", "0", "--data-dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_file_size_limit(limit),
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line or line.startswith("API token:"):
            break
    return proc


def test_full_disk_at_stop_and_start_is_one_clear_message_and_nothing_is_lost(tmp_path):
    folder = tmp_path / "study"
    made, journal = crashed(folder, note="x" * 4000)  # about 25 KiB of journal
    limit = 8 * 1024  # the data file cannot be written past this: as on a full disk
    proc = _serve(folder, limit)
    proc.terminate()
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, out
    assert "could not save" in out and "File too large" in out and "Nothing is lost" in out
    assert "Traceback" not in out
    assert not list(folder.glob("*.tmp")) and not (folder / "newsmark.json").exists()
    assert (folder / "newsmark.json.journal.1").read_bytes() == journal

    # A torn last line makes the next start keep a copy and rewrite the journal: no room for that.
    torn = journal + journal.splitlines(keepends=True)[-1][:-9]
    (folder / "newsmark.json.journal.1").write_bytes(torn)
    done = cli("serve", "--port", "0", "--data-dir", str(folder), limit=limit)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "newsmark.json.journal.1.damaged-" in done.stderr and "File too large" in done.stderr
    assert "Free some disk space" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["newsmark.json.journal.1", "newsmark.lock", "token"]
    assert (folder / "newsmark.json.journal.1").read_bytes() == torn

    done = cli("stats", "--data-dir", str(folder))  # with room again (and read-only: nothing written)
    assert done.returncode == 0 and f"annotations:  {len(made)}" in done.stdout


# -- a read-only data folder --------------------------------------------------------------------


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make a folder read-only: a read-only bind mount for root (who ignores modes), else chmod."""
    undo: list[list[str] | Path] = []

    def make(folder: Path) -> None:
        if os.geteuid() != 0:
            folder.chmod(0o500)
            undo.append(folder)
            return
        for cmd in (
            ["mount", "--bind", str(folder), str(folder)],
            ["mount", "-o", "remount,bind,ro", str(folder)],
        ):
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                pytest.skip(f"cannot make a read-only mount here: {done.stderr.strip()}")
            if cmd[1] == "--bind":
                undo.append(["umount", str(folder)])
        assert not os.access(folder, os.W_OK)

    yield make
    for step in reversed(undo):
        if isinstance(step, Path):
            step.chmod(0o700)
        else:
            subprocess.run(step, check=True)


def test_a_read_only_folder_is_read_and_never_written(tmp_path, read_only):
    folder = tmp_path / "backup"
    made, _ = crashed(folder)  # changes still in the journal, as in a copy taken while serving
    before = files(folder)
    read_only(folder)
    out = tmp_path / "coded.json"
    done = cli("export", "-o", str(out), "--data-dir", str(folder))
    assert done.returncode == 0, done.stderr
    assert [a["id"] for a in json.loads(out.read_text())["annotations"]] == made
    done = cli("stats", "--data-dir", str(folder))
    assert done.returncode == 0 and f"annotations:  {len(made)}" in done.stdout, done.stderr
    done = cli("check", "--data-dir", str(folder))
    assert done.returncode == 0 and "no damaged documents" in done.stdout, done.stderr
    for argv in (["serve", "--port", "0"], ["import", str(out)]):
        done = cli(*argv, "--data-dir", str(folder))
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert f"the data folder {folder} is read-only" in done.stderr
        assert f"'newsmark {argv[0]}' must write to it" in done.stderr and "newsmark export" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert files(folder) == before
