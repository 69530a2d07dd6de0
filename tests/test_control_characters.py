"""Control characters: refused in names and titles (and NUL in page text), line breaks in notes made LF.

NUL blanks a field in R and cuts a string in jsonlite; R's read.csv turns every CR into LF.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from helpers import SNAPSHOT, TEXT, body, validate
from newsmark import contract

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"

ONE_LINE_BAD = ["\x00", "\x01", "\x1b", "\x1f", "\x7f", "\t", "\n", "\r", "\u2028", "\u2029"]
NOTE_BAD = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"]


def fields_of(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.get_json()
    return response.get_json()["error"]["fields"]


def with_value(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return data


# -- through the API ------------------------------------------------------------------


@pytest.mark.parametrize("char", ONE_LINE_BAD, ids=[f"U+{ord(c):04X}" for c in ONE_LINE_BAD])
@pytest.mark.parametrize("path", ["annotator", "article.title", "article.byline", "article.timestamp_text"])
def test_a_name_or_title_with_a_control_character_is_refused(client, path, char):
    good = body("85 targets")
    data = with_value(good, path, "Ana" + char + "Lima")
    fields = fields_of(client.post("/api/annotations", json=data))
    assert path in fields and f"U+{ord(char):04X}" in fields[path][0]
    assert client.get("/api/annotations").get_json()["total"] == 0


@pytest.mark.parametrize("path", ["title", "byline", "timestamp_text"])
def test_an_article_snapshot_with_a_control_character_is_refused(client, path):
    data = {"url": body("x", text="x")["url"], **SNAPSHOT, path: "US\x00strikes"}
    assert path in fields_of(client.post("/api/articles", json=data))


@pytest.mark.parametrize("char", NOTE_BAD, ids=[f"U+{ord(c):04X}" for c in NOTE_BAD])
def test_a_note_with_a_control_character_is_refused_on_create_and_patch(client, char):
    assert "note" in fields_of(client.post("/api/annotations", json=body("85 targets", note=f"a{char}b")))
    made = client.post("/api/annotations", json=body("85 targets")).get_json()
    assert "note" in fields_of(client.patch(f"/api/annotations/{made['id']}", json={"note": f"a{char}b"}))


def test_a_note_keeps_tabs_and_line_feeds_and_gets_lf_for_cr_lf_and_cr(client):
    made = client.post("/api/annotations", json=body("85 targets", note="a\tb\r\nc\rd\n\re")).get_json()
    assert made["note"] == "a\tb\nc\nd\n\ne"
    patched = client.patch(f"/api/annotations/{made['id']}", json={"note": "x\r\ny\r"}).get_json()
    assert patched["note"] == "x\ny\n"
    assert client.get(f"/api/annotations/{made['id']}").get_json()["note"] == "x\ny\n"


def test_a_note_of_the_longest_length_with_crlf_is_taken(client):
    note = "ab\r\n" * (contract.MAX_NOTE // 3)  # over the limit as sent, within it as LF
    assert len(note) > contract.MAX_NOTE >= len(note.replace("\r\n", "\n"))
    assert client.post("/api/annotations", json=body("85 targets", note=note)).status_code == 201


@pytest.mark.parametrize("path", ["quote.exact", "quote.prefix", "quote.suffix", "article.text"])
def test_nul_in_a_quote_or_the_article_text_is_refused(client, path):
    data = body("85 targets")
    data = with_value(data, path, "\x00" + (data["article"]["text"] if path == "article.text" else ""))
    assert path in fields_of(client.post("/api/annotations", json=data))


def test_other_controls_in_page_text_are_kept_as_the_quote_must_match_the_page(client):
    """A page may hold U+0001 (from &#1;): the article can still be coded, byte-true."""
    text = TEXT.replace("85 targets", "85\x01targets")
    made = client.post("/api/annotations", json=body("85\x01targets", text=text))
    assert made.status_code == 201 and made.get_json()["quote"]["exact"] == "85\x01targets"


# -- through the import ---------------------------------------------------------------------


@pytest.fixture
def export_file(client) -> dict[str, Any]:
    assert client.post("/api/annotations", json=body("85 targets", note="n")).status_code == 201
    data = client.get("/api/export?format=json").get_json()
    client.delete(f"/api/annotations/{data['annotations'][0]['id']}")
    return data


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("annotations.0.annotator", "coder\x00a"),
        ("annotations.0.annotator", "coder\u2028a"),
        ("annotations.0.note", "bell\x07"),
        ("annotations.0.quote.exact", "85\x00targets"),
        ("articles.0.title", "US\x00strikes"),
        ("articles.0.versions.0.byline", "By\nsomeone"),
    ],
)
def test_an_import_with_a_control_character_is_refused_naming_the_field(client, export_file, path, value):
    data = with_value(export_file, path, value)
    name = path.replace(".0.", "[0].", 1).replace(".0.", "[0].")
    assert name in fields_of(client.post("/api/import", json=data))
    assert client.get("/api/annotations").get_json()["total"] == 0


def test_a_w3c_import_with_nul_in_the_coder_name_is_refused(client, export_file):
    client.post("/api/import", json=export_file)
    w3c = client.get("/api/export?format=w3c").get_json()
    item = w3c["first"]["items"][0]
    item["id"], item["creator"]["name"] = f"urn:uuid:{uuid.uuid4()}", "Ana\x00"
    assert "items[0].annotator" in fields_of(client.post("/api/import", json=w3c))


def test_an_imported_note_gets_lf_and_every_export_has_no_cr(client, export_file):
    data = with_value(export_file, "annotations.0.note", "one\r\ntwo\rthree")
    assert client.post("/api/import", json=data).get_json()["added"] == 1
    assert client.get("/api/annotations").get_json()["items"][0]["note"] == "one\ntwo\nthree"
    for fmt in ("json", "jsonl", "w3c"):
        assert "\\r" not in client.get(f"/api/export?format={fmt}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get("/api/export?format=csv").get_data(as_text=True))))
    assert rows[0]["note"] == "one\ntwo\nthree"
    # Importing the same file again finds it unchanged: its CR LF reads as the LF stored.
    assert client.post("/api/import", json=data).get_json()["unchanged"] == 1


# -- the JSON Schemas say the same -----------------------------------------------------------


def test_the_json_schemas_refuse_what_the_service_refuses(client):
    stored = client.post("/api/annotations", json=body("85 targets", note="a\tb\nc")).get_json()
    validate(stored, "annotation")
    for path, value in [("annotator", "A\x00"), ("note", "a\rb"), ("note", "a\x00"), ("quote.exact", "\x00")]:
        with pytest.raises(Exception, match="should not be valid"):
            validate(with_value(stored, path, value), "annotation")
    article = client.get(f"/api/articles/{contract.article_id(stored['url'])}").get_json()
    validate(article, "article")
    with pytest.raises(Exception, match="should not be valid"):
        validate({**article, "title": "US\u2028strikes"}, "article")


def not_patterns(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("not"), dict) and "pattern" in node["not"]:
            found.append(node["not"]["pattern"])
        for value in node.values():
            found += not_patterns(value)
    elif isinstance(node, list):
        for value in node:
            found += not_patterns(value)
    return found


def test_the_json_schemas_forbid_the_contracts_characters_and_no_others():
    allowed = {contract.NOT_IN_ONE_LINE, contract.NOT_IN_NOTE, contract.NOT_IN_PAGE_TEXT}
    found = []
    for path in SCHEMAS.glob("*.schema.json"):
        found += not_patterns(json.loads(path.read_text(encoding="utf-8")))
    assert set(found) == allowed
    # Every text field of the annotation (entity and unit since schema_version 2), the article (and its
    # summary; section, authors, date_published since 2), the export (its articles' section, authors and
    # date_published).
    assert len(found) == 26
