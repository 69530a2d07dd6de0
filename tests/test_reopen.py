"""A store reopened from its data file answers exactly as before.

After a clean close the data file holds one document a line, and the next open
reads them without parsing (each is parsed when first read); these tests make
sure every way of reading sees the same data as before the close.
"""

from __future__ import annotations

import json

import orjson
import pytest
from tinydb import TinyDB

from helpers import TOKEN, body, validate
from newsmark import tagfields
from newsmark.settings import Settings
from newsmark.storage import LazyDocs
from newsmark.store import AnnotationFilter, Store
from newsmark.web import create_app

OTHER = "https://lite.cnn.com/2024/02/03/world/other-story"


def client_for(store, data_dir):
    c = create_app(Settings(data_dir=data_dir), store, TOKEN).test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return c


def fill(client) -> list[dict]:
    other_text = "Officials said 12 people were hurt."
    made = [
        body("Joe Biden", tag="actor", note="President"),
        body("Lloyd Austin", tag="actor", annotator="coder-b"),
        body("85 targets", tag="figure", note="Count ✓ 😀"),
        body("12 people", tag="figure", url=OTHER, text=other_text),
    ]
    for data in made:
        assert client.post("/api/annotations", json=data).status_code == 201
    return made


READS = [
    "/api/annotations",
    "/api/annotations?limit=2",
    "/api/annotations?tag=actor",
    "/api/annotations?q=president",
    f"/api/annotations?url={OTHER}",
    "/api/articles",
    "/api/stats",
]


def snapshot(client, made) -> dict:
    answers = {path: client.get(path).get_json() for path in READS}
    for data in made:
        answers[data["id"]] = client.get(f"/api/annotations/{data['id']}").get_json()
    export = client.get("/api/export").get_json()
    export.pop("exported_at")
    answers["export"] = export
    answers["stats"] = {k: v for k, v in answers.pop("/api/stats").items() if k != "data_file_bytes"}
    return answers


@pytest.mark.parametrize("first_read", ["export", "list", "single", "patch", "delete"])
def test_reopened_store_answers_as_before(data_dir, first_read):
    store = Store(data_dir)
    made = fill(client_for(store, data_dir))
    before = snapshot(client_for(store, data_dir), made)
    store.close()

    store = Store(data_dir)
    try:
        table = store.annotations._read_table()
        assert isinstance(table, LazyDocs) and all(type(v) is bytes for v in table.raw_values())
        c = client_for(store, data_dir)
        # Whatever is read first must not disturb what is read after.
        if first_read == "export":
            validate(c.get("/api/export").get_json(), "export")
        elif first_read == "list":
            c.get("/api/annotations?tag=figure")
        elif first_read == "single":
            c.get(f"/api/annotations/{made[2]['id']}")
        elif first_read == "patch":
            assert (
                c.patch(f"/api/annotations/{made[2]['id']}", json={"note": "Count ✓ 😀"}).status_code == 200
            )
        elif first_read == "delete":
            extra = body("Iraq and Syria", tag="actor", article=None)  # no snapshot: last_seen stays
            assert c.post("/api/annotations", json=extra).status_code == 201
            assert c.delete(f"/api/annotations/{extra['id']}").status_code == 204
        assert snapshot(c, made) == before
        # Idempotency and conflicts still see the reloaded ids.
        assert c.post("/api/annotations", json=made[0]).status_code == 200
        assert c.post("/api/annotations", json={**made[0], "tag": "figure"}).status_code == 409
    finally:
        store.close()


def test_export_embeds_unparsed_documents_unchanged(data_dir):
    store = Store(data_dir)
    made = fill(client_for(store, data_dir))
    store.close()
    store = Store(data_dir)
    try:
        exported = json.loads(
            b"".join(__import__("newsmark.export", fromlist=["x"]).stream(store, AnnotationFilter()))
        )
        assert [a["id"] for a in exported["annotations"]] == [d["id"] for d in made]
        assert all(type(v) is bytes for v in store.annotations._read_table().raw_values())  # nothing parsed
    finally:
        store.close()


def test_index_falls_back_to_parsing_when_fields_are_not_leading(data_dir):
    """A data file written by other tools (keys in another order) still indexes right."""
    data_dir.mkdir()
    doc = {
        "quote": {"exact": "x", "prefix": "", "suffix": ""},
        "url": "https://lite.cnn.com/a/b",
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "tag": "claim",
        "position": {"start": 0, "end": 1},
        "note": None,
        "annotator": "z",
        "article_sha256": None,
        "created": "2024-01-01T00:00:00.000Z",
        "updated": "2024-01-01T00:00:00.000Z",
        "schema_version": 1,
    }
    lines = b'{\n"annotations":{\n"7":' + orjson.dumps(doc) + b"\n}\n}\n"
    (data_dir / "newsmark.json").write_bytes(lines)
    with Store(data_dir) as store:
        # Of schema version 1: brought to 2 when opened (see migration.py).
        assert store.get_annotation(doc["id"]) == tagfields.upgraded(doc)
        assert store.annotations_matching(AnnotationFilter(url="https://lite.cnn.com/a/b")) == [
            tagfields.upgraded(doc)
        ]


def test_stock_tinydb_file_is_read(data_dir):
    """The data file may come from stock TinyDB (all on one line): it is parsed whole."""
    data_dir.mkdir()
    stock = TinyDB(data_dir / "newsmark.json")
    made = body("Joe Biden", tag="actor", article=None)
    doc = {
        **{k: made[k] for k in ("id", "url", "tag", "quote", "position", "note", "annotator")},
        "article_sha256": None,
        "created": "2024-01-01T00:00:00.000Z",
        "updated": "2024-01-01T00:00:00.000Z",
        "schema_version": 1,
    }
    stock.table("annotations").insert(doc)
    stock.close()
    with Store(data_dir) as store:
        assert store.get_annotation(made["id"]) == tagfields.upgraded(doc)


def test_damaged_document_is_a_503_not_a_500(data_dir):
    store = Store(data_dir)
    made = fill(client_for(store, data_dir))
    store.close()
    path = data_dir / "newsmark.json"
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'"note":"President"', b'"note":"President'))  # one broken line
    store = Store(data_dir)
    try:
        c = client_for(store, data_dir)
        r = c.get(f"/api/annotations/{made[0]['id']}")
        assert r.status_code == 503 and r.get_json()["error"]["code"] == "damaged_data"
        assert c.get(f"/api/annotations/{made[1]['id']}").status_code == 200
    finally:
        store.close()


def test_indexes_after_crash_with_journal_over_a_lazy_data_file(data_dir, tmp_path):
    """Data file from a clean stop, changes only in the journal, then a crash: indexes still right."""
    store = Store(data_dir)
    made = fill(client_for(store, data_dir))
    store.close()

    store = Store(data_dir)
    c = client_for(store, data_dir)
    assert c.delete(f"/api/annotations/{made[0]['id']}").status_code == 204
    assert c.patch(f"/api/annotations/{made[1]['id']}", json={"tag": "claim"}).status_code == 200
    added = body("Iraq and Syria", tag="actor", article=None)
    assert c.post("/api/annotations", json=added).status_code == 201
    expected = {path: c.get(path).get_json() for path in READS if path != "/api/stats"}
    # A crash now: what is on disk is the data file of the clean stop plus the journal.
    crashed = tmp_path / "after-crash"
    crashed.mkdir()
    for f in data_dir.iterdir():
        if f.name.startswith("newsmark.json"):
            (crashed / f.name).write_bytes(f.read_bytes())
    store.close()

    with Store(crashed) as again:
        c = client_for(again, crashed)
        assert c.get(f"/api/annotations/{made[0]['id']}").status_code == 404
        assert c.get(f"/api/annotations/{made[1]['id']}").get_json()["tag"] == "claim"
        assert c.get(f"/api/annotations/{added['id']}").status_code == 200
        assert {path: c.get(path).get_json() for path in expected} == expected
