"""JSONL and CSV exports: every field survives, whatever the text holds; CSV round-trips through pandas."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from helpers import TRICKY_NOTES, TRICKY_TEXT, TRICKY_URL, body, code_tricky, validate
from newsmark import export
from newsmark.cli import main
from newsmark.store import AnnotationFilter, Store

TEXT, URL, NOTES = TRICKY_TEXT, TRICKY_URL, TRICKY_NOTES


@pytest.fixture
def tricky(data_dir):
    """A store whose quotes and notes hold non-ASCII, emoji, quotes, commas and newlines."""
    with Store(data_dir) as store:
        return code_tricky(store)


@pytest.mark.parametrize("reopened", [False, True], ids=["in-memory", "loaded-from-disk"])
def test_jsonl_one_annotation_a_line_with_its_title(data_dir, tricky, reopened):
    with Store(data_dir) as store:
        if not reopened:
            store.annotations_matching(AnnotationFilter(tag="claim"))  # parse some documents first
        lines = export.render(store, AnnotationFilter(), "jsonl").decode("utf-8").splitlines()
    assert len(lines) == len(tricky)
    for line, stored in zip(lines, tricky, strict=True):
        row = json.loads(line)
        assert row.pop("article_title") == 'Un titre, "cité"'
        validate(row, "annotation")
        assert row == stored


@pytest.mark.parametrize("excel", [False, True])
def test_csv_round_trips_through_pandas(data_dir, tricky, excel):
    with Store(data_dir) as store:
        raw = export.render(store, AnnotationFilter(), "csv", excel=excel)
    assert raw.startswith(b"\xef\xbb\xbf") == excel
    assert b"\r\n" in raw  # RFC 4180 line ends
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(export.CSV_COLUMNS)
    assert len(frame) == len(tricky)
    for (_, row), stored in zip(frame.iterrows(), tricky, strict=True):
        assert row["id"] == stored["id"] and row["url"] == URL and row["tag"] == stored["tag"]
        assert row["article_title"] == 'Un titre, "cité"'
        assert (row["exact"], row["prefix"], row["suffix"]) == tuple(
            stored["quote"][k] for k in ("exact", "prefix", "suffix")
        )
        assert (int(row["start"]), int(row["end"])) == (
            stored["position"]["start"],
            stored["position"]["end"],
        )
        assert row["note"] == (stored["note"] or "")
        assert (row["annotator"], row["created"], row["updated"]) == (
            stored["annotator"],
            stored["created"],
            stored["updated"],
        )
        assert row["article_version"] == stored["article_sha256"]
        # The offsets still point at the quote in the article text.
        assert TEXT[int(row["start"]) : int(row["end"])] == row["exact"]


def test_export_formats_over_the_api(client, tricky_api):
    for fmt, media in (("json", "application/json"), ("jsonl", "application/x-ndjson"), ("csv", "text/csv")):
        r = client.get(f"/api/export?format={fmt}")
        assert r.status_code == 200 and r.content_type.startswith(media)
        assert f'.{fmt}"' in r.headers["Content-Disposition"]
    csv_excel = client.get("/api/export?format=csv&excel=true").data
    assert csv_excel.startswith(b"\xef\xbb\xbf")
    filtered = client.get("/api/export?format=jsonl&tag=actor").data.decode().splitlines()
    assert [json.loads(line)["tag"] for line in filtered] == ["actor"] * len(filtered) and filtered


@pytest.fixture
def tricky_api(client):
    for n, exact in enumerate(["« oui, 12 % »", '"non, pas ça"']):
        data = body(exact, text=TEXT, url=URL, tag=("actor", "claim")[n], note=NOTES[n])
        assert client.post("/api/annotations", json=data).status_code == 201


def test_cli_writes_csv_for_excel(data_dir, tricky, tmp_path, capsys):
    out = tmp_path / "codes.csv"
    assert main(["export", "--format", "csv", "--excel", "-o", str(out), "--data-dir", str(data_dir)]) == 0
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame["id"]) == [a["id"] for a in tricky]
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
