"""Export progress: the CLI's bar, the export's counts, and streaming an export through the server."""

from __future__ import annotations

import random
import re
import sys
import uuid

import pytest

from helpers import body
from newsmark import annotations, contract, export
from newsmark.annotations import Rules
from newsmark.cli import main
from newsmark.schemas import AnnotationCreateSchema
from newsmark.store import AnnotationFilter, Store
from newsmark.text import article_text

TEXT = article_text(['Il a dit « oui, 12 % » puis "non", a-t-il ajouté 😀.', "Second, with commas, 3,5 Mio."])
URL = "https://lite.cnn.com/2024/02/03/world/progress"
EXACTS = ["« oui, 12 % »", '"non"', "😀.", "3,5 Mio."]
NOTES = ['a "quoted", note\r\nwith a CRLF', "two\nlines", None, '"', "plain"]
COUNT = 7


def made_bodies(count: int = COUNT) -> list[dict]:
    return [
        body(
            EXACTS[n % len(EXACTS)],
            text=TEXT,
            url=URL,
            tag=("actor", "claim", "figure")[n % 3],
            note=NOTES[n % len(NOTES)],
        )
        for n in range(count)
    ]


@pytest.fixture
def filled(data_dir):
    """A closed data folder with COUNT annotations whose notes hold quotes, commas, CRLF and LF."""
    with Store(data_dir) as store:
        for data in made_bodies():
            annotations.create(store, AnnotationCreateSchema().load(data), Rules())
    return data_dir


@pytest.fixture
def fixed_clock(monkeypatch):
    """The same ``exported_at`` and W3C collection id in every export, so runs compare byte for byte."""
    monkeypatch.setattr(contract, "utc_now", lambda: "2024-02-03T00:00:00.000Z")
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=1))


def run(capsysbinary, *argv: str) -> tuple[int, bytes, str]:
    code = main(list(argv))
    out, err = capsysbinary.readouterr()
    return code, out, err.decode("utf-8")


# -- the export's counts -------------------------------------------------------------


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_prepare_counts_and_reports_every_annotation_without_changing_the_bytes(
    data_dir, filled, fixed_clock, monkeypatch, fmt
):
    monkeypatch.setattr(export, "CHUNK", 3)
    done: list[int] = []
    with Store(data_dir) as store:
        total, chunks, _ = export.prepare(store, AnnotationFilter(), fmt, progress=done.append)
        reported = b"".join(chunks)
        assert reported == export.render(store, AnnotationFilter(), fmt)
        assert export.prepare(store, AnnotationFilter(tag="actor"), fmt)[0] == 3
    assert total == COUNT and done == [3, 3, 1]


@pytest.mark.parametrize(("fmt", "excel"), [(fmt, False) for fmt in export.FORMATS] + [("csv", True)])
def test_counter_counts_annotations_in_the_bytes_however_they_are_cut(data_dir, filled, fmt, excel):
    with Store(data_dir) as store:
        raw = export.render(store, AnnotationFilter(), fmt, excel=excel)
        empty = export.render(store, AnnotationFilter(tag="none"), fmt, excel=excel)
    rng = random.Random(fmt)
    for most in (1, 2, 5, 64, len(raw)):
        counter, counted, pos = export.Counter(fmt), [], 0
        while pos < len(raw):
            step = rng.randint(1, most)
            counted.append(counter.feed(raw[pos : pos + step]))
            pos += step
        assert sum(counted) == COUNT, (most, counted)
    assert export.Counter(fmt).feed(empty) == 0


# -- the bar ----------------------------------------------------------------------------


def test_forced_bar_goes_to_stderr_with_the_total_and_stdout_is_unchanged(
    capsysbinary, data_dir, filled, fixed_clock
):
    for fmt in export.FORMATS:
        argv = ["export", "--format", fmt, "--data-dir", str(data_dir)]
        code, plain, err = run(capsysbinary, *argv, "--no-progress")
        assert code == 0 and err == ""
        code, with_bar, err = run(capsysbinary, *argv, "--progress")
        assert code == 0 and with_bar == plain, fmt
        assert f"{COUNT}/{COUNT}" in err and "100%" in err and "annotations/s" in err
        assert b"annotations/s" not in with_bar and b"\r" not in with_bar.replace(b"\r\n", b"")


def test_bar_by_default_only_when_stderr_is_a_terminal(capsysbinary, data_dir, filled, tmp_path, monkeypatch):
    out = tmp_path / "codes.csv"
    argv = ["export", "--format", "csv", "-o", str(out), "--data-dir", str(data_dir)]
    code, _, err = run(capsysbinary, *argv)
    assert code == 0 and err.startswith("wrote ") and "%" not in err  # captured stderr is no terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(capsysbinary, *argv)
    assert code == 0 and f"{COUNT}/{COUNT}" in err and "wrote " in err
    code, _, err = run(capsysbinary, *argv, "--no-progress")
    assert code == 0 and "%" not in err


def test_a_failed_export_leaves_no_file(capsysbinary, data_dir, filled, tmp_path, monkeypatch):
    real = export.prepare

    def breaks(*args, **kwargs):
        prepared = real(*args, **kwargs)

        def broken():
            yield next(prepared.chunks)
            raise OSError(28, "No space left on device")

        return prepared._replace(chunks=broken())

    monkeypatch.setattr(export, "prepare", breaks)
    out = tmp_path / "codes.json"
    code, _, err = run(capsysbinary, "export", "--progress", "-o", str(out), "--data-dir", str(data_dir))
    assert code == 1 and "No space left on device" in err and "no file was left" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [data_dir]


# -- through the server ----------------------------------------------------------------------


def _same_but_the_moment(raw: bytes) -> bytes:
    """An export with its time stamps and its W3C collection id blanked out."""
    raw = re.sub(rb'"exported_at":"[^"]*"', b'"exported_at":""', raw)
    raw = re.sub(rb'"label":"newsmark export [^"]*"', b'"label":""', raw)
    return re.sub(rb"tag:newsmark,2024:export/[0-9a-f-]{36}", b"tag:export", raw)


def test_remote_export_streams_the_same_bytes_with_the_total(server, tmp_path, capsysbinary):
    s = server.session()
    for data in made_bodies():
        assert s.post(f"{server.url}/api/annotations", json=data).status_code == 201
    answer = s.get(f"{server.url}/api/export", params={"format": "jsonl", "tag": "actor"}, stream=True)
    assert answer.headers["X-Newsmark-Total"] == "3" and len(answer.content.splitlines()) == 3
    assert s.get(f"{server.url}/api/export").headers["X-Newsmark-Total"] == str(COUNT)

    runs = [(fmt, []) for fmt in export.FORMATS] + [("csv", ["--excel"])]
    remote = {}
    for fmt, extra in runs:
        out = tmp_path / f"remote.{fmt}{''.join(extra)}"
        argv = [
            "export",
            "--format",
            fmt,
            *extra,
            "--progress",
            "-o",
            str(out),
            "--data-dir",
            str(server.data_dir),
        ]
        code, stdout, err = run(capsysbinary, *argv)
        assert code == 0 and stdout == b"", err
        assert f"{COUNT}/{COUNT}" in err and "100%" in err and f"wrote {out}" in err
        remote[out.name] = out.read_bytes()
    assert not list(tmp_path.glob("*.part"))
    assert remote["remote.csv--excel"].startswith(b"\xef\xbb\xbf")
    server.stop()  # now the CLI reads the folder itself

    for fmt, extra in runs:
        argv = ["export", "--format", fmt, *extra, "--no-progress", "--data-dir", str(server.data_dir)]
        code, local, _ = run(capsysbinary, *argv)
        assert code == 0
        got = remote[f"remote.{fmt}{''.join(extra)}"]
        if fmt in ("jsonl", "csv"):
            assert got == local, fmt
        else:
            assert _same_but_the_moment(got) == _same_but_the_moment(local), fmt


def test_total_header_over_the_api(client):
    for data in made_bodies(4):
        assert client.post("/api/annotations", json=data).status_code == 201
    r = client.get("/api/export?format=csv")
    assert r.status_code == 200 and r.headers["X-Newsmark-Total"] == "4"
    assert client.get("/api/export?format=w3c&tag=claim").headers["X-Newsmark-Total"] == "1"
    assert client.get("/api/export?annotator=nobody").headers["X-Newsmark-Total"] == "0"
