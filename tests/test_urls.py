"""Article URLs are IRIs: percent-encoded as browsers send them, on every way in and in what was stored.

rdflib and the W3C test suite refuse IRIs holding ``" < > \\ ^ ` { | }`` or a space; an export made of
them broke RDF tools. The URL is also an article's key: its id is derived from it.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import rdflib
from hypothesis import given
from hypothesis import strategies as st
from rfc3987_syntax import is_valid_syntax

from helpers import SNAPSHOT, TEXT, body, schema, validate
from newsmark import contract, tagfields
from newsmark.store import AnnotationFilter, Store
from newsmark.text import text_sha256

#: Every character RFC 3987 does not allow in a path, a non-ASCII letter, an emoji and a stray "%".
RAW = 'https://lite.cnn.com/2024/02/02/world/a"b<c>d\\e^f`g{h|i}j k/été/😀/100%/%7c'
NORMAL = (
    "https://lite.cnn.com/2024/02/02/world/a%22b%3Cc%3Ed%5Ce%5Ef%60g%7Bh%7Ci%7Dj%20k"
    "/%C3%A9t%C3%A9/%F0%9F%98%80/100%25/%7c"
)
#: What an earlier version accepted and stored as it was (no space: that was refused).
OLD = 'https://lite.cnn.com/2024/02/02/world/a"b<c>d\\e^f`g{h|i}j/été'
OLD_NORMAL = "https://lite.cnn.com/2024/02/02/world/a%22b%3Cc%3Ed%5Ce%5Ef%60g%7Bh%7Ci%7Dj/%C3%A9t%C3%A9"
URL_PATTERN = re.compile(schema("annotation")["properties"]["url"]["pattern"])


def is_iri(value: str) -> bool:
    return is_valid_syntax("iri", value)


# -- the rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (RAW, NORMAL),
        (OLD, OLD_NORMAL),
        ("HTTPS://Lite.CNN.com:443/A/b", "https://lite.cnn.com/A/b"),
        ("https://lite.cnn.com/a%20b?q=1#top", "https://lite.cnn.com/a%20b"),
        ("https://lite.cnn.com/a[1]", "https://lite.cnn.com/a%5B1%5D"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://lite.cnn.com/!$&'()*+,;=:@~-._/", "https://lite.cnn.com/!$&'()*+,;=:@~-._/"),
    ],
)
def test_urls_are_percent_encoded_as_browsers_send_them(raw, normal):
    assert contract.normalize_url(raw) == normal
    assert contract.normalize_url(normal) == normal
    assert is_iri(normal) and URL_PATTERN.search(normal)


def test_an_ipv6_host_is_written_as_browsers_write_it():
    # (rfc3987_syntax refuses every IPv6 literal, valid ones too: the JSON Schema pattern checks these.)
    for raw, normal in [
        ("http://[::FFFF:1.2.3.4]:8080/x", "http://[::ffff:102:304]:8080/x"),
        ("http://[::1]", "http://[::1]/"),
    ]:
        assert contract.normalize_url(raw) == normal and URL_PATTERN.search(normal)


@pytest.mark.parametrize(
    "raw",
    [
        "https://lite{cnn}.com/x",
        "https://lite cnn.com/x",
        "https://lite.cnn.com/a\tb",
        " https://lite.cnn.com/x",
        "https://lite.cnn.com/x\n",
        "https://lite.cnn.com/a\u00a0b",
        "https://[fe80::1%25eth0]/x",
        "https://lite.cnn.com/\ud800",
    ],
)
def test_urls_that_cannot_be_made_iris_are_refused(raw):
    with pytest.raises(contract.UrlError):
        contract.normalize_url(raw)


@given(st.text(max_size=40))
def test_every_normalised_url_is_an_iri_and_stays_as_it_is(path):
    try:
        url = contract.normalize_url("https://lite.cnn.com/" + path)
    except contract.UrlError:
        return
    assert contract.normalize_url(url) == url
    assert is_iri(url), url
    assert URL_PATTERN.search(url), url


# -- every way in -------------------------------------------------------------------------


def test_the_api_stores_the_normal_form_and_finds_it_by_either(client):
    made = client.post("/api/annotations", json=body("85 targets", url=RAW))
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["url"] == NORMAL
    listed = client.get("/api/annotations", query_string={"url": RAW}).get_json()
    assert [a["id"] for a in listed["items"]] == [made.get_json()["id"]]
    for key in (RAW, NORMAL, contract.article_id(NORMAL)):
        article = client.get("/api/articles/" + quote(key, safe=""))
        assert article.status_code == 200 and article.get_json()["url"] == NORMAL
    snapshot = client.post("/api/articles", json={"url": RAW, **SNAPSHOT})
    assert snapshot.get_json()["id"] == contract.article_id(NORMAL)


def old_export(url: str) -> dict[str, Any]:
    """A JSON export of an earlier version, holding ``url`` as stored then (the id of that URL)."""
    now = "2024-02-03T12:00:00.000Z"
    sha = text_sha256(TEXT)
    coded = body("85 targets", url=url)
    return {
        "schema_version": 1,
        "articles": [
            {
                "id": contract.article_id(url),
                "url": url,
                **{k: SNAPSHOT[k] for k in ("title", "byline", "timestamp_text")},
                "sha256": sha,
                "first_seen": now,
                "last_seen": now,
                "versions": [{"version": 1, "sha256": sha, **SNAPSHOT, "first_seen": now}],
            }
        ],
        "annotations": [
            {
                **{k: coded[k] for k in ("id", "url", "tag", "quote", "position", "note", "annotator")},
                "article_sha256": sha,
                "created": now,
                "updated": now,
                "schema_version": 1,
            }
        ],
    }


def test_an_import_of_an_earlier_export_gets_the_normal_form_and_its_id(client):
    report = client.post("/api/import", json=old_export(OLD)).get_json()
    assert (report["added"], report["articles_added"]) == (1, 1), report
    assert client.get("/api/annotations").get_json()["items"][0]["url"] == OLD_NORMAL
    article = client.get(f"/api/articles/{contract.article_id(OLD_NORMAL)}").get_json()
    assert article["url"] == OLD_NORMAL and article["counts"]["total"] == 1
    validate(client.get("/api/export?format=json").get_json(), "export")


def test_an_import_with_an_article_id_of_neither_form_is_refused(client):
    data = old_export(OLD)
    data["articles"][0]["id"] = str(uuid.uuid4())
    response = client.post("/api/import", json=data)
    assert response.status_code == 422 and "articles[0].id" in response.get_json()["error"]["fields"]


def test_a_w3c_import_gets_the_normal_form(client):
    client.post("/api/import", json=old_export(OLD))
    w3c = client.get("/api/export?format=w3c").get_json()
    client.delete(f"/api/annotations/{w3c['first']['items'][0]['id'].removeprefix('urn:uuid:')}")
    w3c["first"]["items"][0]["target"]["source"] = OLD
    assert client.post("/api/import", json=w3c).get_json()["added"] == 1
    assert client.get("/api/annotations").get_json()["items"][0]["url"] == OLD_NORMAL


# -- exports: IRIs every RDF reader takes ---------------------------------------------------------


def iris_of(annotation: dict[str, Any]) -> list[str]:
    target = annotation["target"]
    return [annotation["id"], target["source"], *([target["state"]["cached"]] if "state" in target else [])]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib 7 N-Quads parser, of itself
def test_the_w3c_export_holds_only_valid_iris_that_rdflib_reads(client, caplog):
    client.post("/api/import", json=old_export(OLD))
    assert client.post("/api/annotations", json=body("Joe Biden", url=RAW)).status_code == 201
    w3c = client.get("/api/export?format=w3c").get_json()
    items = w3c["first"]["items"]
    assert {a["target"]["source"] for a in items} == {OLD_NORMAL, NORMAL}
    lines = []
    for annotation in items:
        for iri in iris_of(annotation):
            assert is_iri(iri), iri
        subject, source = annotation["id"], annotation["target"]["source"]
        lines.append(f"<{subject}> <http://www.w3.org/ns/oa#hasSource> <{source}> <urn:x:graph> .")
    caplog.set_level(logging.WARNING, logger="rdflib")
    graph = rdflib.Dataset().parse(data="\n".join(lines) + "\n", format="nquads")
    assert {str(o) for _, _, o, _ in graph.quads()} == {OLD_NORMAL, NORMAL}
    assert not [r for r in caplog.records if r.name.startswith("rdflib")], caplog.text


# -- what an earlier version stored ---------------------------------------------------------------


def store_as_before(folder: Path, url: str, *, note: str | None = None, seen: str) -> dict[str, Any]:
    """What an earlier version stored for an annotation on ``url``: written as it was, unchecked."""
    sha = text_sha256(TEXT)
    aid = contract.article_id(url)
    coded = body("85 targets", url=url)
    doc = {
        **{k: coded[k] for k in ("id", "url", "tag", "quote", "position")},
        "note": note,
        "annotator": "coder-a",
        "article_sha256": sha,
        "created": seen,
        "updated": seen,
        "schema_version": 1,
    }
    with Store(folder) as store:
        store.insert_annotation(doc)
        if store.get_article(url=url) is None:
            store.add_version(
                {"article_id": aid, "sha256": sha, "text": TEXT, "first_seen": seen, **_fields()}
            )
            store.put_article(
                {"id": aid, "url": url, **_fields(), "sha256": sha, "first_seen": seen, "last_seen": seen}
            )
    return doc


def _fields() -> dict[str, str]:
    return {k: SNAPSHOT[k] for k in ("title", "byline", "timestamp_text")}


def test_opening_a_store_percent_encodes_stored_urls_and_keeps_everything_linked(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setattr("newsmark.migration.upgrade", lambda store: None)  # as an earlier version did
    doc = store_as_before(folder, OLD, note="line one\r\nline two\rthree", seen="2024-02-03T12:00:00.000Z")
    monkeypatch.undo()
    with Store(folder) as store:
        assert store.upgraded and store.upgraded.urls == {OLD: OLD_NORMAL}
        [stored] = store.all_annotations()
        # The rest as it was, brought to schema version 2 (see test_migration.py).
        assert stored == tagfields.upgraded({**doc, "url": OLD_NORMAL})
        assert store.get_article(url=OLD) is None
        article = store.get_article(url=OLD_NORMAL)
        assert article is not None and article["id"] == contract.article_id(OLD_NORMAL)
        assert [v["sha256"] for v in store.versions_of(article["id"])] == [doc["article_sha256"]]
        assert store.versions_of(contract.article_id(OLD)) == []
    with Store(folder) as store:
        assert not store.upgraded  # once is enough
        assert store.annotations_matching(AnnotationFilter(url=OLD_NORMAL))


def test_two_stored_spellings_of_one_page_become_one_article(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    encoded = "https://lite.cnn.com/2024/02/02/world/a%7Cb"
    monkeypatch.setattr("newsmark.migration.upgrade", lambda store: None)
    store_as_before(folder, encoded, seen="2024-02-03T12:00:00.000Z")
    store_as_before(folder, "https://lite.cnn.com/2024/02/02/world/a|b", seen="2024-02-01T12:00:00.000Z")
    with Store(folder) as store:  # a second text under the old spelling, seen last
        later = TEXT + "\n\nAn update."
        store.add_version(
            {
                "article_id": contract.article_id("https://lite.cnn.com/2024/02/02/world/a|b"),
                "sha256": text_sha256(later),
                "text": later,
                "first_seen": "2024-02-05T12:00:00.000Z",
                **_fields(),
            }
        )
        old = store.get_article(url="https://lite.cnn.com/2024/02/02/world/a|b")
        store.put_article({**old, "sha256": text_sha256(later), "last_seen": "2024-02-05T12:00:00.000Z"})
    monkeypatch.undo()
    with Store(folder) as store:
        assert store.upgraded and store.upgraded.merged == [encoded]
        assert store.article_urls() == [encoded]
        article = store.get_article(url=encoded)
        assert article["first_seen"] == "2024-02-01T12:00:00.000Z"  # the earlier of the two
        assert (article["sha256"], article["last_seen"]) == (
            text_sha256(TEXT + "\n\nAn update."),
            "2024-02-05T12:00:00.000Z",
        )
        versions = store.versions_of(article["id"])
        assert [v["first_seen"] for v in versions] == ["2024-02-01T12:00:00.000Z", "2024-02-05T12:00:00.000Z"]
        assert len(store.annotations_matching(AnnotationFilter(url=encoded))) == 2


def test_the_viewer_and_the_api_show_a_migrated_article_with_its_annotations(tmp_path, monkeypatch):
    from flask.testing import FlaskClient

    from helpers import TOKEN
    from newsmark.settings import Settings
    from newsmark.web import create_app

    folder = tmp_path / "data"
    monkeypatch.setattr("newsmark.migration.upgrade", lambda store: None)
    doc = store_as_before(folder, OLD, seen="2024-02-03T12:00:00.000Z")
    monkeypatch.undo()
    with Store(folder) as store:
        client: FlaskClient = create_app(Settings(data_dir=folder), store, TOKEN).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        article = client.get("/api/articles/" + quote(OLD, safe="")).get_json()  # the old URL still finds it
        assert article["id"] == contract.article_id(OLD_NORMAL) and article["counts"]["total"] == 1
        assert client.get(f"/?token={TOKEN}").status_code == 303
        page = client.get(f"/articles/{article['id']}").get_data(as_text=True)
        assert doc["id"] in page
        exported = json.loads(client.get("/api/export?format=json").get_data())
        validate(exported, "export")
        assert exported["articles"][0]["id"] == contract.article_id(OLD_NORMAL)


def test_opening_a_store_with_nothing_to_bring_up_to_date_writes_nothing(tmp_path):
    folder = tmp_path / "data"
    store_as_before(folder, NORMAL, note="one\ntwo", seen="2024-02-03T12:00:00.000Z")
    Store(folder).close()  # brings it to schema version 2, once
    before = {p.name: p.read_bytes() for p in folder.glob("newsmark.json*")}
    store = Store(folder)
    try:
        assert not store.upgraded
        after = {p.name: p.read_bytes() for p in folder.glob("newsmark.json*")}
        assert {name: data for name, data in after.items() if data} == before  # (an empty journal is opened)
    finally:
        store.close()


def test_a_stored_url_that_cannot_be_an_iri_is_left_as_it_is(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "data"
    monkeypatch.setattr("newsmark.migration.upgrade", lambda store: None)
    store_as_before(folder, "https://lite{cnn}.com/a|b", seen="2024-02-03T12:00:00.000Z")
    store_as_before(folder, OLD, seen="2024-02-03T12:00:00.000Z")
    monkeypatch.undo()
    with Store(folder) as store:
        assert store.upgraded and store.upgraded.urls == {OLD: OLD_NORMAL}
        assert "https://lite{cnn}.com/a|b" in store.upgraded.kept
        assert sorted(store.annotation_urls()) == sorted(["https://lite{cnn}.com/a|b", OLD_NORMAL])
    assert "left a stored URL as it is" in caplog.text


def test_a_note_stored_with_cr_lf_before_is_unchanged_by_importing_it_again(tmp_path):
    from newsmark import importing

    folder = tmp_path / "data"
    doc = store_as_before(folder, NORMAL, note="one\r\ntwo", seen="2024-02-03T12:00:00.000Z")
    with Store(folder) as store:
        report = importing.run(store, {"schema_version": 1, "annotations": [doc]})
        assert (report["unchanged"], report["conflicting"]) == (1, 0), report
        newer = {**doc, "note": "one\r\ntwo, and more", "updated": "2024-02-04T12:00:00.000Z"}
        assert importing.run(store, {"schema_version": 1, "annotations": [newer]})["updated"] == 1
        assert store.get_annotation(doc["id"])["note"] == "one\ntwo, and more"
