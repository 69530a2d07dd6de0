"""Entities: the study's list of actors (GET /api/entities), renamed and merged in one request."""

from __future__ import annotations

import json

import pytest

from helpers import TEXT, ServerProcess, body, validate
from newsmark.store import Store
from test_bad_input import assert_refused, stored_state

OTHER_URL = "https://lite.cnn.com/2024/02/03/world/other-story"
OTHER_TEXT = "Officials said 12 people were hurt. Kirby said more. John Kirby agreed."


def post(client, data):
    r = client.post("/api/annotations", json=data)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


@pytest.fixture
def coded(client):
    """Biden twice (two quotes), Austin once; Kirby under two names on another article; claims."""
    made = {
        "biden": post(client, body("Joe Biden", tag="actor")),
        "president": post(client, body("President Joe Biden", tag="actor", entity="Joe Biden")),
        "austin": post(client, body("Lloyd Austin", tag="actor")),
        "kirby": post(client, body("Kirby", tag="actor", url=OTHER_URL, text=OTHER_TEXT)),
        "john": post(client, body("John Kirby", tag="actor", url=OTHER_URL, text=OTHER_TEXT)),
        "figure": post(client, body("85 targets", tag="figure")),
    }
    made["claim"] = post(
        client,
        body(
            "the start of our response.",
            tag="claim",
            attributed_to=[made["biden"]["id"], made["austin"]["id"]],
        ),
    )
    made["again"] = post(
        client,
        body("will continue at times and places of our choosing.", tag="claim",
             attributed_to=[made["president"]["id"]]),
    )  # fmt: skip
    made["said"] = post(
        client,
        body("Officials said 12 people were hurt.", tag="claim", url=OTHER_URL, text=OTHER_TEXT,
             attributed_to=[made["kirby"]["id"]]),
    )  # fmt: skip
    return made


def listed(client, **query):
    r = client.get("/api/entities", query_string=query)
    assert r.status_code == 200, r.get_json()
    spec = client.get("/api/openapi.json").get_json()
    assert set(spec["components"]["schemas"]["Entities"]["properties"]) == set(r.get_json())
    return r.get_json()["entities"]


def test_entities_are_listed_with_counts_and_aliases_most_frequent_first(client, coded):
    entities = listed(client)
    assert entities[0] == {
        "entity": "Joe Biden",
        "actors": 2,
        "aliases": ["Joe Biden", "President Joe Biden"],
        "claims": 2,
        "articles": 1,
    }
    assert {e["entity"]: (e["actors"], e["claims"], e["articles"]) for e in entities[1:]} == {
        "John Kirby": (1, 0, 1),
        "Kirby": (1, 1, 1),
        "Lloyd Austin": (1, 1, 1),
    }
    assert [e["entity"] for e in entities[1:]] == ["John Kirby", "Kirby", "Lloyd Austin"]  # ties: by name


def test_a_claim_attributed_to_two_actors_of_one_entity_counts_once(client, coded):
    both = [coded["biden"]["id"], coded["president"]["id"]]
    assert (
        client.patch(f"/api/annotations/{coded['claim']['id']}", json={"attributed_to": both}).status_code
        == 200
    )
    [biden] = [e for e in listed(client) if e["entity"] == "Joe Biden"]
    assert biden["claims"] == 2


@pytest.mark.parametrize(("q", "expected"), [("kir", ["John Kirby", "Kirby"]), ("PRESIDENT", ["Joe Biden"]),
                                             ("nobody", [])])  # fmt: skip
def test_entities_are_filtered_by_name_or_alias_in_any_case(client, coded, q, expected):
    assert [e["entity"] for e in listed(client, q=q)] == expected


def test_a_too_long_query_is_refused(client):
    r = client.get("/api/entities", query_string={"q": "x" * 201})
    assert r.status_code == 422 and "q" in r.get_json()["error"]["fields"]


def test_a_merge_renames_every_actor_at_once(client, coded):
    r = client.post("/api/entities/rename", json={"from": ["Kirby"], "to": "John Kirby"})
    assert r.status_code == 200, r.get_json()
    report = r.get_json()
    assert report == {
        "changed": 1,
        "entity": "John Kirby",
        "dry_run": False,
        "merged": True,
        "from": {"Kirby": 1},
        "annotations": [coded["kirby"]["id"]],
    }
    changed = client.get(f"/api/annotations/{coded['kirby']['id']}").get_json()
    validate(changed, "annotation")
    assert changed["entity"] == "John Kirby" and changed["updated"] > coded["kirby"]["updated"]
    [kirby] = [e for e in listed(client) if "Kirby" in e["entity"]]
    assert kirby == {"entity": "John Kirby", "actors": 2, "aliases": ["John Kirby", "Kirby"], "claims": 1,
                     "articles": 1}  # fmt: skip


def test_a_rename_to_a_new_name_changes_all_named_and_keeps_the_rest(client, coded):
    r = client.post(
        "/api/entities/rename", json={"from": ["Joe Biden", "Lloyd Austin", "Nobody"], "to": "US"}
    )
    report = r.get_json()
    assert report["changed"] == 3 and not report["merged"]
    assert report["from"] == {"Joe Biden": 2, "Lloyd Austin": 1, "Nobody": 0}
    entities = {e["entity"]: e["actors"] for e in listed(client)}
    assert entities == {"US": 3, "John Kirby": 1, "Kirby": 1}
    unchanged = client.get(f"/api/annotations/{coded['kirby']['id']}").get_json()
    assert unchanged == coded["kirby"]


def test_a_dry_run_answers_the_same_and_writes_nothing(client, store, coded):
    before = stored_state(store)
    r = client.post(
        "/api/entities/rename?dry_run=true", json={"from": ["Kirby", "John Kirby"], "to": "John Kirby"}
    )
    assert r.status_code == 200
    assert r.get_json() | {"dry_run": False} == {
        "changed": 1,
        "entity": "John Kirby",
        "dry_run": False,
        "merged": True,
        "from": {"Kirby": 1, "John Kirby": 1},
        "annotations": [coded["kirby"]["id"]],
    }
    assert stored_state(store) == before


def test_a_rename_to_the_same_name_changes_nothing(client, store, coded):
    before = stored_state(store)
    r = client.post("/api/entities/rename", json={"from": ["Kirby"], "to": " Kirby "})
    assert r.get_json()["changed"] == 0 and r.get_json()["entity"] == "Kirby"
    assert stored_state(store) == before


@pytest.mark.parametrize(
    ("sent", "status", "field"),
    [
        ({"from": ["Nobody", "No one"], "to": "John Kirby"}, 404, "from"),
        ({"from": [], "to": "John Kirby"}, 422, "from"),
        ({"from": ["x"] * 101, "to": "John Kirby"}, 422, "from"),
        ({"from": "Kirby", "to": "John Kirby"}, 422, "from"),
        ({"from": ["Kirby", ""], "to": "John Kirby"}, 422, "from.1"),
        ({"from": ["Kirby"], "to": ""}, 422, "to"),
        ({"from": ["Kirby"], "to": "x" * 201}, 422, "to"),
        ({"from": ["Kirby"], "to": "John\nKirby"}, 422, "to"),
        ({"from": ["Kirby"], "to": None}, 422, "to"),
        ({"from": ["Kirby"]}, 422, "to"),
        ({"to": "John Kirby"}, 422, "from"),
        ({"from": ["Kirby"], "to": "John Kirby", "dry_run": True}, 422, "dry_run"),
    ],
)
def test_a_bad_rename_is_refused_naming_the_field(client, store, coded, sent, status, field):
    before = stored_state(store)
    r = client.post("/api/entities/rename", json=sent)
    assert_refused(client, store, r, status, field, before)


def test_a_rename_needs_the_token(anon, client, store, coded):
    before = stored_state(store)
    assert anon.get("/api/entities").status_code == 401
    r = anon.post("/api/entities/rename", json={"from": ["Kirby"], "to": "John Kirby"})
    assert r.status_code == 401 and stored_state(store) == before


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/entities"] and "post" in paths["/api/entities/rename"]
    names = {p["name"] for p in paths["/api/entities/rename"]["post"]["parameters"]}
    assert names == {"dry_run"}


@pytest.mark.slow
def test_an_acknowledged_rename_survives_kill_9_whole(tmp_path):
    """Many actors renamed in one request, the server killed at once: all of them renamed, or none."""
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir).start()
    try:
        s = server.session()
        quotes = ["Joe Biden", "Lloyd Austin", "President Joe Biden", "Defense Secretary Lloyd Austin"]
        for n in range(40):
            sent = body(quotes[n % 4], tag="actor", entity=f"Name {n % 2}", note=f"n{n}")
            r = s.post(f"{server.url}/api/annotations", json=sent)
            assert r.status_code == 201, r.text
        r = s.post(f"{server.url}/api/entities/rename", json={"from": ["Name 0", "Name 1"], "to": "The US"})
        assert r.status_code == 200 and r.json()["changed"] == 40
    finally:
        server.kill()  # right after the answer: only the journal holds the rename

    journal = b"".join(p.read_bytes() for p in sorted(data_dir.glob("newsmark.json.journal.*")))
    last = json.loads(journal.rstrip(b"\n").rsplit(b"\n", 1)[-1].split(b" ", 1)[1])
    assert len(last) == 40, "the rename is one journal line: one fsync, all or nothing"
    with Store(data_dir) as store:
        entities = {doc["entity"] for doc in store.all_annotations()}
        assert entities == {"The US"}
        assert store.count_annotations() == 40
    assert TEXT
