"""Every bad input gets the documented 4xx naming the field and the reason, and changes nothing stored."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from helpers import TEXT, body, validate
from newsmark import contract


@pytest.fixture
def existing(client):
    """One stored annotation, so "nothing changed" is checked against real data."""
    made = body("85 targets", tag="figure")
    assert client.post("/api/annotations", json=made).status_code == 201
    return made


def stored_state(store) -> tuple[Any, list[int]]:
    journal_sizes = sorted(p.stat().st_size for p in store.folder.glob("newsmark.json.journal.*"))
    return copy.deepcopy(store.db.storage.memory), journal_sizes


def assert_refused(client, store, response, status: int, field: str | None, before) -> None:
    payload = response.get_json()
    assert response.status_code == status, payload
    validate(payload, "error")
    assert payload["error"]["message"]
    if field is not None:
        assert field in payload["error"]["fields"], payload["error"]
        assert all(payload["error"]["fields"][field])
    assert stored_state(store) == before, "a refused request changed stored data"


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()
GOOD = body("Joe Biden", tag="actor")
start = GOOD["position"]["start"]


def _shift(by: int) -> Callable[[dict], None]:
    """Offsets ``by`` code points off, with no prefix or suffix left to give the shift away."""

    def change(data: dict) -> None:
        data["position"] = {"start": start + by, "end": GOOD["position"]["end"] + by}
        data["quote"]["prefix"] = data["quote"]["suffix"] = ""

    return change


FIELD_CASES: list[tuple[str, Callable[[dict], None], str]] = [
    # missing fields
    *[(f"missing {f}", _set(f, _DELETE), f) for f in ("url", "tag", "quote", "position", "annotator")],
    ("missing quote.exact", _set("quote.exact", _DELETE), "quote.exact"),
    ("missing position.end", _set("position.end", _DELETE), "position.end"),
    ("missing article.text", _set("article.text", _DELETE), "article.text"),
    # unknown fields
    ("unknown field", _set("colour", "red"), "colour"),
    ("unknown nested field", _set("quote.type", "TextQuoteSelector"), "quote.type"),
    ("server-set field", _set("created", "2024-01-01T00:00:00Z"), "created"),
    ("unknown article field", _set("article.html", "<p>"), "article.html"),
    # wrong types
    ("tag not a string", _set("tag", 1), "tag"),
    ("url not a string", _set("url", 5), "url"),
    ("start as string", _set("position.start", str(start)), "position.start"),
    ("start as float", _set("position.start", start + 0.5), "position.start"),
    ("start as boolean", _set("position.start", True), "position.start"),
    ("note as number", _set("note", 5), "note"),
    ("quote as string", _set("quote", "Joe Biden"), "quote"),
    ("article as list", _set("article", ["text"]), "article"),
    ("annotator null", _set("annotator", None), "annotator"),
    # enums and values
    ("tag outside the scheme", _set("tag", "person"), "tag"),
    ("tag in other case", _set("tag", "Actor"), "tag"),
    ("schema_version from the future", _set("schema_version", 3), "schema_version"),
    ("schema_version from the past", _set("schema_version", 1), "schema_version"),
    ("empty exact", _set("quote.exact", ""), "quote.exact"),
    ("empty annotator", _set("annotator", ""), "annotator"),
    # oversize fields
    ("exact over 5,000", _set("quote.exact", "x" * 5_001), "quote.exact"),
    ("prefix over 32", _set("quote.prefix", "x" * 33), "quote.prefix"),
    ("suffix over 32", _set("quote.suffix", "x" * 33), "quote.suffix"),
    ("note over 10,000", _set("note", "n" * 10_001), "note"),
    ("url over 2,048", _set("url", "https://lite.cnn.com/" + "a" * 2_030), "url"),
    ("annotator over 200", _set("annotator", "a" * 201), "annotator"),
    ("article text over 500,000", _set("article.text", "w" * 500_001), "article.text"),
    ("title over 1,000", _set("article.title", "t" * 1_001), "article.title"),
    # offsets
    ("negative start", _set("position", {"start": -1, "end": 8}), "position.start"),
    ("end before start", _set("position", {"start": start, "end": start}), "position.end"),
    ("span differs from exact", _set("position", {"start": start, "end": start + 3}), "position"),
    ("offsets past the text", _set("position", {"start": 10**6, "end": 10**6 + 9}), "position.end"),
    ("exact not at offsets", _set("position", {"start": 0, "end": 9}), "quote.exact"),
    ("offsets one code point early", _shift(-1), "quote.exact"),
    ("offsets one code point late", _shift(+1), "quote.exact"),
    ("prefix does not match", _set("quote.prefix", "someone else "), "quote.prefix"),
    ("suffix does not match", _set("quote.suffix", " did not say"), "quote.suffix"),
    ("article text not normalised", _set("article.text", TEXT.replace(" ", "  ", 1)), "article.text"),
    # URLs
    ("url not a URL", _set("url", "not a url"), "url"),
    ("ftp URL", _set("url", "ftp://lite.cnn.com/2024/x"), "url"),
    ("plain http", _set("url", "http://lite.cnn.com/2024/x"), "url"),
    ("host not allowed", _set("url", "https://evil.example/2024/x"), "url"),
    ("look-alike host", _set("url", "https://lite.cnn.com.evil.example/2024/x"), "url"),
    ("home page", _set("url", "https://lite.cnn.com/"), "url"),
    ("user info", _set("url", "https://user:pw@lite.cnn.com/2024/x"), "url"),
    ("other port", _set("url", "https://lite.cnn.com:8443/2024/x"), "url"),
    ("javascript URL", _set("url", "javascript:alert(1)"), "url"),
    ("bad port", _set("url", "https://lite.cnn.com:99999/x"), "url"),
    ("control character", _set("url", "https://lite.cnn.com/a\x00b"), "url"),
    # UUIDs
    *[
        (f"bad id {v!r}", _set("id", v), "id")
        for v in (
            "123",
            "not-a-uuid",
            "0f8fad5bd9cb469fa16570867728950e",
            "{0f8fad5b-d9cb-469f-a165-70867728950e}",
            5,
        )
    ],
]


@pytest.mark.parametrize(("name", "change", "field"), FIELD_CASES, ids=[c[0] for c in FIELD_CASES])
def test_bad_annotation_field_is_refused(client, store, existing, name, change, field):
    data = copy.deepcopy(GOOD)
    change(data)
    before = stored_state(store)
    r = client.post("/api/annotations", json=data)
    assert_refused(client, store, r, 422, field, before)


RAW_CASES = [
    ("malformed JSON", b'{"url": ', "application/json", 400),
    ("JSON array", b"[]", "application/json", 400),
    ("JSON string", b'"hello"', "application/json", 400),
    ("empty body", b"", "application/json", 400),
    ("invalid UTF-8", b'{"url": "\xff"}', "application/json", 400),
    ("lone surrogate", b'{"note": "\\ud800"}', "application/json", 400),
    ("text/plain", json.dumps(GOOD).encode(), "text/plain", 415),
    ("form post", b"url=x&tag=actor", "application/x-www-form-urlencoded", 415),
    ("multipart", b"--x--", "multipart/form-data; boundary=x", 415),
    ("no content type", json.dumps(GOOD).encode(), None, 415),
    (
        "body over 1 MiB",
        json.dumps({**GOOD, "note": "x" * contract.MAX_BODY_BYTES}).encode(),
        "application/json",
        413,
    ),
]


@pytest.mark.parametrize(("name", "raw", "ctype", "status"), RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_bad_body_is_refused(client, store, existing, name, raw, ctype, status):
    before = stored_state(store)
    headers = {"Content-Type": ctype} if ctype else {}
    r = client.post("/api/annotations", data=raw, headers=headers)
    assert_refused(client, store, r, status, None, before)


PATCH_CASES = [
    ("empty object", {}, "_schema"),
    ("unknown field", {"exact": "x"}, "exact"),
    ("id change", {"id": "0f8fad5b-d9cb-469f-a165-70867728950e"}, "id"),
    ("bad tag", {"tag": "person"}, "tag"),
    ("note too long", {"note": "n" * 10_001}, "note"),
    ("note as list", {"note": ["a"]}, "note"),
]


@pytest.mark.parametrize(("name", "change", "field"), PATCH_CASES, ids=[c[0] for c in PATCH_CASES])
def test_bad_patch_is_refused(client, store, existing, name, change, field):
    before = stored_state(store)
    r = client.patch(f"/api/annotations/{existing['id']}", json=change)
    assert_refused(client, store, r, 422, field, before)


def test_patch_body_rules(client, store, existing):
    before = stored_state(store)
    url = f"/api/annotations/{existing['id']}"
    assert_refused(client, store, client.patch(url, data="tag=claim"), 415, None, before)
    assert_refused(
        client,
        store,
        client.patch(url, data="{", headers={"Content-Type": "application/json"}),
        400,
        None,
        before,
    )
    missing = "/api/annotations/0f8fad5b-d9cb-469f-a165-70867728950e"
    assert_refused(client, store, client.patch(missing, json={"tag": "claim"}), 404, None, before)


QUERY_CASES = [
    ("limit=0", "limit"),
    ("limit=abc", "limit"),
    ("limit=1001", "limit"),
    ("cursor=abc", "cursor"),
    ("cursor=-1", "cursor"),
    ("tag=person", "tag"),
    ("tags=actor", "tags"),
    ("tag=actor&tag=claim", "tag"),
    ("url=not%20a%20url", "url"),
]


@pytest.mark.parametrize(("query", "field"), QUERY_CASES)
def test_bad_list_query_is_refused(client, store, existing, query, field):
    before = stored_state(store)
    assert_refused(client, store, client.get(f"/api/annotations?{query}"), 422, field, before)


@pytest.mark.parametrize(("query", "field"), [("format=xml", "format"), ("limitt=1", "limitt")])
def test_bad_export_query_is_refused(client, store, existing, query, field):
    before = stored_state(store)
    assert_refused(client, store, client.get(f"/api/export?{query}"), 422, field, before)


def test_unknown_route_and_method(client, store, existing):
    before = stored_state(store)
    assert_refused(client, store, client.get("/api/nothing-here"), 404, None, before)
    assert_refused(
        client, store, client.put(f"/api/annotations/{existing['id']}", json={}), 405, None, before
    )
    assert_refused(client, store, client.get("/api/articles/x?version=zz"), 422, "version", before)
