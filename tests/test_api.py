"""The JSON API as the extension and a researcher's scripts use it (Flask test client)."""

from __future__ import annotations

import uuid
from urllib.parse import quote as urlquote

import pytest

from helpers import ARTICLE_URL, SNAPSHOT, TEXT, body, validate
from newsmark import __version__
from newsmark.text import text_sha256

OTHER_URL = "https://lite.cnn.com/2024/02/03/world/other-story"


def post(client, data, status=201):
    r = client.post("/api/annotations", json=data)
    assert r.status_code == status, r.get_json()
    return r.get_json()


def test_create_stores_exactly_what_was_sent(client):
    sent = body("85 targets", tag="figure", note="count of targets")
    stored = post(client, sent)
    validate(stored, "annotation")
    assert stored["id"] == sent["id"]
    assert stored["quote"] == sent["quote"] and stored["position"] == sent["position"]
    assert TEXT[stored["position"]["start"] : stored["position"]["end"]] == "85 targets"
    assert stored["article_sha256"] == text_sha256(TEXT)
    assert stored["created"] == stored["updated"] and stored["created"].endswith("Z")
    assert stored["schema_version"] == 2
    assert client.get(f"/api/annotations/{sent['id']}").get_json() == stored


def test_server_makes_an_id_when_none_is_sent(client):
    sent = body("Lloyd Austin", tag="actor")
    del sent["id"]
    stored = post(client, sent)
    assert uuid.UUID(stored["id"]).version == 4


def test_retry_with_same_id_and_content_is_idempotent(client):
    sent = body("Joe Biden", tag="actor")
    first = post(client, sent)
    again = post(client, sent, status=200)
    assert again == first
    assert client.get("/api/annotations").get_json()["total"] == 1


def test_same_id_with_other_content_is_a_conflict(client):
    sent = body("Joe Biden", tag="actor")
    post(client, sent)
    r = client.post("/api/annotations", json={**sent, "tag": "claim", "note": "changed"})
    assert r.status_code == 409
    err = r.get_json()["error"]
    validate(r.get_json(), "error")
    assert err["code"] == "conflict" and set(err["fields"]) == {"tag", "note"}
    assert client.get(f"/api/annotations/{sent['id']}").get_json()["tag"] == "actor"


def test_url_is_normalised(client):
    sent = body("30 minutes", tag="figure", url="HTTPS://Lite.CNN.com:443/2024/02/02/politics/x?utm=1#frag")
    stored = post(client, sent)
    assert stored["url"] == "https://lite.cnn.com/2024/02/02/politics/x"


def test_without_snapshot_the_latest_known_text_is_the_reference(client):
    post(client, body("Joe Biden", tag="actor"))
    ok = body("Lloyd Austin", tag="actor", article=None)
    assert post(client, ok)["article_sha256"] == text_sha256(TEXT)
    wrong = body("Lloyd Austin", article=None)
    wrong["position"] = {"start": 0, "end": len("Lloyd Austin")}
    r = client.post("/api/annotations", json=wrong)
    assert r.status_code == 422 and "quote.exact" in r.get_json()["error"]["fields"]


def test_unknown_article_without_snapshot_is_accepted_unchecked(client):
    stored = post(client, body("Joe Biden", url=OTHER_URL, article=None))
    assert stored["article_sha256"] is None


def test_changed_article_text_adds_a_version(client):
    first = post(client, body("Joe Biden", tag="actor"))
    revised = "A paragraph inserted above.\n\n" + TEXT
    second = post(client, body("Joe Biden", tag="actor", text=revised))
    assert second["article_sha256"] == text_sha256(revised) != first["article_sha256"]
    assert second["position"]["start"] == first["position"]["start"] + len("A paragraph inserted above.\n\n")

    article = client.get(f"/api/articles/{urlquote(ARTICLE_URL, safe='')}").get_json()
    validate(article, "article")
    assert article["text"] == revised and article["version"] == 2
    assert [v["sha256"] for v in article["versions"]] == [text_sha256(TEXT), text_sha256(revised)]
    old = client.get(f"/api/articles/{article['id']}?version=1").get_json()
    assert old["text"] == TEXT and old["version"] == 1
    by_hash = client.get(f"/api/articles/{article['id']}?version={text_sha256(TEXT)}").get_json()
    assert by_hash["text"] == TEXT
    assert client.get(f"/api/articles/{article['id']}?version=3").status_code == 404

    # The same text again adds no version.
    post(client, body("Lloyd Austin", tag="actor", text=revised))
    assert len(client.get(f"/api/articles/{article['id']}").get_json()["versions"]) == 2


def test_article_found_by_id_and_by_url_in_the_path(client):
    post(client, body("Joe Biden", tag="actor"))
    by_encoded = client.get(f"/api/articles/{urlquote(ARTICLE_URL, safe='')}")
    assert by_encoded.status_code == 200
    article = by_encoded.get_json()
    assert article["title"] == SNAPSHOT["title"] and article["byline"] == SNAPSHOT["byline"]
    assert article["counts"] == {"actor": 1, "claim": 0, "figure": 0, "total": 1}
    assert client.get(f"/api/articles/{article['id']}").get_json() == article
    assert client.get(f"/api/articles/{ARTICLE_URL}").get_json()["id"] == article["id"]
    merged = ARTICLE_URL.replace("https://", "https:/")
    assert client.get(f"/api/articles/{merged}").get_json()["id"] == article["id"]
    assert client.get(f"/api/articles/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/articles/not-a-thing").status_code == 404


def test_articles_list_counts_per_tag(client):
    post(client, body("Joe Biden", tag="actor"))
    post(client, body("Lloyd Austin", tag="actor"))
    post(client, body("85 targets", tag="figure"))
    other_text = "Another story with 12 people."
    post(client, body("12 people", tag="figure", url=OTHER_URL, text=other_text))
    page = client.get("/api/articles").get_json()
    assert page["total"] == 2 and page["next"] is None
    for item in page["items"]:
        validate(item, "article", "#/$defs/summary")
    counts = {a["url"]: a["counts"] for a in page["items"]}
    assert counts[ARTICLE_URL] == {"actor": 2, "claim": 0, "figure": 1, "total": 3}
    assert counts[OTHER_URL] == {"actor": 0, "claim": 0, "figure": 1, "total": 1}
    first = client.get("/api/articles?limit=1").get_json()
    second = client.get(f"/api/articles?limit=1&cursor={first['next']}").get_json()
    assert {first["items"][0]["url"], second["items"][0]["url"]} == {ARTICLE_URL, OTHER_URL}
    assert second["next"] is None


@pytest.fixture
def coded(client):
    """Six annotations over two articles and two coders."""
    other_text = "Officials said 12 people were hurt. Officials said more."
    made = [
        post(client, body("Joe Biden", tag="actor", note="President")),
        post(client, body("Lloyd Austin", tag="actor", annotator="coder-b")),
        post(client, body("85 targets", tag="figure", note="Count of TARGETS")),
        post(client, body("30 minutes", tag="figure", annotator="coder-b")),
        post(client, body("the start of our response.", tag="claim")),
        post(client, body("12 people", tag="figure", url=OTHER_URL, text=other_text)),
    ]
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [0, 1, 2, 3, 4, 5]),
        (f"url={urlquote(ARTICLE_URL)}", [0, 1, 2, 3, 4]),
        (f"url={urlquote(OTHER_URL.upper().replace('HTTPS', 'https'))}", []),  # paths are case-sensitive
        ("tag=figure", [2, 3, 5]),
        ("annotator=coder-b", [1, 3]),
        ("q=targets", [2]),  # in the quote and, in another case, in the note
        ("q=PRESIDENT", [0]),  # the note, any case
        ("tag=figure&annotator=coder-b", [3]),
    ],
)
def test_list_filters(client, coded, query, expected):
    page = client.get(f"/api/annotations?{query}").get_json()
    assert [a["id"] for a in page["items"]] == [coded[i]["id"] for i in expected]
    assert page["total"] == len(expected)
    for item in page["items"]:
        validate(item, "annotation")


def test_cursor_paging_visits_each_annotation_once(client, coded):
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/annotations?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).get_json()
        assert page["total"] == 6
        seen += [a["id"] for a in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [a["id"] for a in coded] and pages == 2
    # An annotation added between pages does not disturb the pages already read.
    first = client.get("/api/annotations?limit=3").get_json()
    post(client, body("Syria", tag="actor"))
    rest = client.get(f"/api/annotations?limit=10&cursor={first['next']}").get_json()
    assert [a["id"] for a in first["items"] + rest["items"]][:6] == [a["id"] for a in coded]


def test_patch_changes_tag_and_note_only(client, coded):
    target = coded[0]
    r = client.patch(f"/api/annotations/{target['id']}", json={"tag": "claim", "note": "now a claim"})
    assert r.status_code == 200
    changed = r.get_json()
    validate(changed, "annotation")
    assert (changed["tag"], changed["note"]) == ("claim", "now a claim")
    assert changed["created"] == target["created"] and changed["updated"] >= target["updated"]
    assert changed["quote"] == target["quote"]
    assert client.get(f"/api/annotations/{target['id']}").get_json() == changed
    cleared = client.patch(f"/api/annotations/{target['id']}", json={"note": None}).get_json()
    assert cleared["note"] is None and cleared["tag"] == "claim"


def test_delete(client, coded):
    target = coded[1]
    assert client.delete(f"/api/annotations/{target['id']}").status_code == 204
    assert client.get(f"/api/annotations/{target['id']}").status_code == 404
    assert client.delete(f"/api/annotations/{target['id']}").status_code == 404
    assert client.get("/api/annotations").get_json()["total"] == 5


def test_export_json_document(client, coded):
    r = client.get("/api/export?format=json")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    doc = r.get_json()
    validate(doc, "export")
    assert doc["schema_version"] == 2 and doc["generator"] == {"name": "newsmark", "version": __version__}
    assert [a["id"] for a in doc["annotations"]] == [a["id"] for a in coded]
    assert {a["url"] for a in doc["articles"]} == {ARTICLE_URL, OTHER_URL}
    texts = {a["url"]: a["versions"][-1]["text"] for a in doc["articles"]}
    for ann in doc["annotations"]:
        start, end = ann["position"]["start"], ann["position"]["end"]
        assert texts[ann["url"]][start:end] == ann["quote"]["exact"]

    filtered = client.get("/api/export?tag=actor").get_json()
    validate(filtered, "export")
    assert [a["id"] for a in filtered["annotations"]] == [coded[0]["id"], coded[1]["id"]]
    assert [a["url"] for a in filtered["articles"]] == [ARTICLE_URL]


def test_health_needs_no_token_and_says_little(anon, client, coded):
    r = anon.get("/api/health")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "version": __version__, "annotations": 6}


def test_openapi_document_comes_from_the_marshmallow_schemas(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    schemas = spec["components"]["schemas"]
    assert schemas["Annotation"]["properties"]["tag"]["enum"] == ["actor", "claim", "figure"]
    assert schemas["AnnotationCreate"]["properties"]["quote"]
    assert {"/api/annotations", "/api/annotations/{id}", "/api/articles", "/api/export"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/api/annotations"]["get"]["parameters"]}
    assert params == {"url", "tag", "annotator", "q", "since", "until", "limit", "cursor"}


def test_post_article_snapshot_keeps_a_new_version(client):
    post(client, body("Joe Biden", tag="actor"))
    revised = "An update at the top.\n\n" + TEXT
    snapshot = {**SNAPSHOT, "url": ARTICLE_URL, "text": revised, "title": "Updated title"}
    r = client.post("/api/articles", json=snapshot)
    assert r.status_code == 201
    article = r.get_json()
    validate(article, "article")
    assert article["text"] == revised and article["version"] == 2 and article["title"] == "Updated title"
    again = client.post("/api/articles", json=snapshot)
    assert again.status_code == 200 and len(again.get_json()["versions"]) == 2
    # The annotation still refers to the version it was made on.
    [ann] = client.get("/api/annotations").get_json()["items"]
    assert ann["article_sha256"] == text_sha256(TEXT)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "https://evil.example/2024/x"}, "url"),
        ({"text": "not  normalised"}, "text"),
        ({"text": ""}, "text"),
        ({"extra": 1}, "extra"),
    ],
)
def test_post_article_refuses_bad_snapshots(client, store, change, field):
    snapshot = {**SNAPSHOT, "url": ARTICLE_URL, **change}
    r = client.post("/api/articles", json=snapshot)
    assert r.status_code == 422 and field in r.get_json()["error"]["fields"]
    assert store.all_articles() == []
