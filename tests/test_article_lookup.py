"""``POST /api/articles/lookup``: which of a listing page's article URLs were seen, and how far coded."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import ARTICLE_URL, SNAPSHOT, body, validate
from newsmark import contract

SEEN_URL = "https://lite.cnn.com/2024/02/03/world/opened-not-coded"
NEW_URL = "https://lite.cnn.com/2024/02/04/us/never-opened"


def lookup(client, urls: list[Any]) -> dict[str, Any]:
    r = client.post("/api/articles/lookup", json={"urls": urls})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["articles"]


@pytest.fixture
def study(client) -> None:
    """ARTICLE_URL coded (2 actor, 1 figure); SEEN_URL opened, not coded (its snapshot only)."""
    for exact, tag in (("Joe Biden", "actor"), ("Lloyd Austin", "actor"), ("85 targets", "figure")):
        assert client.post("/api/annotations", json=body(exact, tag=tag)).status_code == 201
    assert client.post("/api/articles", json={**SNAPSHOT, "url": SEEN_URL}).status_code == 201


def test_each_url_says_seen_and_counts_per_tag(client, study):
    found = lookup(client, [ARTICLE_URL, SEEN_URL, NEW_URL])
    assert list(found) == [ARTICLE_URL, SEEN_URL, NEW_URL]
    coded = found[ARTICLE_URL]
    assert coded == {
        "url": ARTICLE_URL,
        "id": contract.article_id(ARTICLE_URL),
        "seen": True,
        "counts": {"actor": 2, "claim": 0, "figure": 1, "total": 3},
    }
    assert found[SEEN_URL]["seen"] is True
    assert found[SEEN_URL]["counts"] == {"actor": 0, "claim": 0, "figure": 0, "total": 0}
    assert found[NEW_URL]["seen"] is False and found[NEW_URL]["counts"]["total"] == 0
    # The counts are those the article's own page gives.
    article = client.get(f"/api/articles/{contract.article_id(ARTICLE_URL)}").get_json()
    assert article["counts"] == coded["counts"]


def test_urls_are_normalised_as_at_create_and_answered_as_sent(client, study):
    variants = [
        ARTICLE_URL + "?x=1#y",
        ARTICLE_URL + "#top",
        ARTICLE_URL.replace("https://lite.cnn.com", "HTTPS://Lite.CNN.com:443"),
    ]
    found = lookup(client, variants)
    assert list(found) == variants  # keyed by the URL exactly as sent
    for sent in variants:
        assert found[sent]["url"] == ARTICLE_URL and found[sent]["counts"]["total"] == 3
    # /index.html is part of the path: without it, it is another page (as at create).
    bare = ARTICLE_URL.removesuffix("/index.html")
    assert lookup(client, [bare])[bare]["seen"] is False


def test_a_url_sent_twice_is_answered_once(client, study):
    found = lookup(client, [ARTICLE_URL, ARTICLE_URL])
    assert list(found) == [ARTICLE_URL]


def test_deleting_every_annotation_leaves_the_article_seen_with_zero_counts(client, study):
    for item in client.get("/api/annotations", query_string={"url": ARTICLE_URL}).get_json()["items"]:
        assert client.delete(f"/api/annotations/{item['id']}").status_code == 204
    found = lookup(client, [ARTICLE_URL])[ARTICLE_URL]
    assert found["seen"] is True and found["counts"]["total"] == 0


def test_annotations_without_the_article_text_count_as_seen(client):
    made = body("Joe Biden", tag="claim", article=None, url=NEW_URL)  # as a W3C import may bring them
    assert client.post("/api/annotations", json=made).status_code == 201
    found = lookup(client, [NEW_URL])[NEW_URL]
    assert found["seen"] is True and found["counts"]["claim"] == 1


def test_two_hundred_urls_are_one_request(client, study):
    urls = [f"https://lite.cnn.com/2024/02/02/politics/story-{n}" for n in range(199)] + [ARTICLE_URL]
    found = lookup(client, urls)
    assert len(found) == 200 and found[ARTICLE_URL]["counts"]["total"] == 3
    assert sum(entry["seen"] for entry in found.values()) == 1


def test_a_host_not_taken_for_coding_is_simply_not_seen(client):
    url = "http://example.org/2024/02/02/politics/x"
    assert lookup(client, [url])[url]["seen"] is False


def test_openapi_documents_the_lookup(client):
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/articles/lookup"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ArticleLookup")
    request_schema = spec["components"]["schemas"]["ArticleLookup"]
    assert request_schema["properties"]["urls"]["maxItems"] == contract.MAX_LOOKUP_URLS
    assert {"200", "401", "422"} <= set(post["responses"])


LONG = "https://lite.cnn.com/2024/02/02/politics/" + "x" * contract.MAX_URL


@pytest.mark.parametrize(
    ("sent", "field", "reason"),
    [
        ({"urls": [f"https://lite.cnn.com/{n}" for n in range(201)]}, "urls", "1 to 200"),
        ({"urls": []}, "urls", "1 to 200"),
        ({"urls": ["not a url"] * 50_000}, "urls", "1 to 200"),  # refused for its length alone
        ({}, "urls", "Missing"),
        ({"urls": None}, "urls", "null"),
        ({"urls": ARTICLE_URL}, "urls", "list"),
        ({"urls": {"a": ARTICLE_URL}}, "urls", "list"),
        ({"urls": [ARTICLE_URL, 7]}, "urls.1", "string"),
        ({"urls": [None]}, "urls.0", "null"),
        ({"urls": [["https://lite.cnn.com/x"]]}, "urls.0", "string"),
        ({"urls": [ARTICLE_URL, LONG]}, "urls.1", "2048"),
        ({"urls": [""]}, "urls.0", "absolute"),
        ({"urls": ["/2024/02/02/politics/x"]}, "urls.0", "absolute"),
        ({"urls": ["lite.cnn.com/2024/02/02/politics/x"]}, "urls.0", "absolute"),
        ({"urls": ["ftp://lite.cnn.com/x"]}, "urls.0", "absolute"),
        ({"urls": [" " + ARTICLE_URL]}, "urls.0", "white space"),
        ({"urls": [ARTICLE_URL + "\n"]}, "urls.0", "white space"),
        ({"urls": ["https://user:pw@lite.cnn.com/x"]}, "urls.0", "password"),
        ({"urls": ["https://[zz]/x"]}, "urls.0", "IPv6"),
        ({"urls": ["https://lite.cnn.com:99999/x"]}, "urls.0", "valid URL"),
        ({"urls": [ARTICLE_URL], "limit": 5}, "limit", "Unknown"),
    ],
)
def test_bad_lookups_are_refused_naming_the_field(client, store, study, sent, field, reason):
    before = store.stats()
    r = client.post("/api/articles/lookup", json=sent)
    payload = r.get_json()
    assert r.status_code == 422, payload
    validate(payload, "error")
    assert field in payload["error"]["fields"], payload["error"]
    assert reason.lower() in " ".join(payload["error"]["fields"][field]).lower()
    assert store.stats() == before


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"[1, 2]", "application/json", 400),  # not an object
        (b'{"urls": [', "application/json", 400),  # not JSON
        (b'{"urls": ["https://lite.cnn.com/x"]}', "text/plain", 415),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused(client, data, content_type, status):
    r = client.post("/api/articles/lookup", data=data, content_type=content_type)
    assert r.status_code == status
    validate(r.get_json(), "error")


def test_the_token_is_needed(anon):
    r = anon.post("/api/articles/lookup", json={"urls": [ARTICLE_URL]})
    assert r.status_code == 401


def test_two_hundred_of_the_longest_urls_fit_the_body_limit(server):
    """Through the real server and its gate: the largest lookup the contract allows is read."""
    stem = "https://lite.cnn.com/2024/02/02/politics/"
    urls = [f"{stem}{n:03d}" + "x" * (contract.MAX_URL - len(stem) - 3) for n in range(200)]
    assert all(len(u) == contract.MAX_URL for u in urls)
    r = server.session().post(f"{server.url}/api/articles/lookup", json={"urls": urls}, timeout=30)
    assert r.status_code == 200, r.text
    assert len(r.json()["articles"]) == 200
