"""schema_version 2: who said it (attributed_to), which actor (entity), which number (value, unit, qualifier).

Every rule of the contract, through the API: what is filled when the client sends nothing, what a
change of tag does, and each refusal (a 422 naming the field and the reason, nothing stored).
"""

from __future__ import annotations

import json
import uuid

import pytest

from helpers import ARTICLE_URL, SNAPSHOT, TEXT, body, validate
from newsmark import contract
from test_bad_input import assert_refused, stored_state

OTHER_URL = "https://lite.cnn.com/2024/02/03/world/other-story"
OTHER_TEXT = "Officials said 12 people were hurt. Officials said more."


def post(client, data, status=201):
    r = client.post("/api/annotations", json=data)
    assert r.status_code == status, r.get_json()
    validate(r.get_json(), "annotation" if status < 300 else "error")
    return r.get_json()


def patch(client, annotation_id, changes, status=200):
    r = client.patch(f"/api/annotations/{annotation_id}", json=changes)
    assert r.status_code == status, r.get_json()
    validate(r.get_json(), "annotation" if status < 300 else "error")
    return r.get_json()


def get(client, annotation_id):
    r = client.get(f"/api/annotations/{annotation_id}")
    return r.get_json() if r.status_code == 200 else None


@pytest.fixture
def people(client):
    """Two actors and a claim on the article, and an actor on another article."""
    return {
        "biden": post(client, body("President Joe Biden", tag="actor")),
        "austin": post(client, body("Lloyd Austin", tag="actor")),
        "claim": post(client, body("the start of our response.", tag="claim")),
        "elsewhere": post(client, body("Officials", tag="actor", url=OTHER_URL, text=OTHER_TEXT)),
    }


# -- every key, every tag ------------------------------------------------------------------------


def test_every_annotation_has_every_key_in_the_contract_order(client):
    for tag in contract.TAGS:
        made = post(client, body("Joe Biden", tag=tag))
        assert tuple(made) == contract.ANNOTATION_KEYS
        assert made["schema_version"] == 2
        others = {k: v for k, v in made.items() if k in contract.NOT_APPLICABLE}
        for name in contract.NOT_APPLICABLE:
            if name not in contract.TAG_FIELDS[tag]:
                assert others[name] == ([] if name == "attributed_to" else None), (tag, name)


def test_an_actor_gets_its_quote_as_entity_collapsed(client):
    text = "The spokesman John  Kirby said so."
    assert TEXT  # the default text is well formed; this one has a double space, as a page may have
    sent = body("John  Kirby", tag="actor", text=text, article=False)
    made = post(client, sent)
    assert made["entity"] == "John Kirby"
    named = post(client, body("Joe Biden", tag="actor", entity="  Joseph R.\u00a0 Biden "))
    assert named["entity"] == "Joseph R. Biden"


def test_a_claim_gets_no_actor_unless_named(client, people):
    assert people["claim"]["attributed_to"] == []
    said = post(
        client,
        body("will continue at times and places of our choosing.", tag="claim",
             attributed_to=[people["biden"]["id"], people["austin"]["id"]]),
    )  # fmt: skip
    assert said["attributed_to"] == [people["biden"]["id"], people["austin"]["id"]]


def test_a_figure_sent_with_its_reading_keeps_it(client):
    made = post(client, body("85 targets", tag="figure", value=85, unit="targets"))
    assert (made["value"], made["value_high"], made["unit"], made["qualifier"]) == (
        85.0,
        None,
        "targets",
        "exact",
    )
    assert isinstance(made["value"], float)
    hedged = post(
        client,
        body("30 minutes", tag="figure", value=20, value_high=30, unit="minutes", qualifier="range"),
    )
    assert (hedged["value"], hedged["value_high"], hedged["qualifier"]) == (20.0, 30.0, "range")
    vague = post(client, body("85 targets", tag="figure", unit="targets", qualifier="approx"))
    assert (vague["value"], vague["unit"], vague["qualifier"]) == (None, "targets", "approx")


def test_nulls_on_create_are_the_same_as_leaving_the_fields_out(client):
    sent = body(
        "Joe Biden", tag="actor", entity=None, attributed_to=[], value=None, unit=None, qualifier=None
    )
    made = post(client, sent)
    assert made["entity"] == "Joe Biden" and made["qualifier"] is None


def test_a_retry_is_not_a_conflict_after_a_rename_but_another_entity_sent_is(client):
    sent = body("Joe Biden", tag="actor")
    made = post(client, sent)
    patch(client, made["id"], {"entity": "Joseph R. Biden"})
    assert post(client, sent, status=200)["entity"] == "Joseph R. Biden"
    r = client.post("/api/annotations", json={**sent, "entity": "Someone Else"})
    assert r.status_code == 409 and set(r.get_json()["error"]["fields"]) == {"entity"}


# -- refusals on create ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "field", "value", "reason"),
    [
        ("claim", "entity", "Joe Biden", "actor annotations only"),
        ("figure", "entity", "Joe Biden", "actor annotations only"),
        ("actor", "value", 85, "figure annotations only"),
        ("actor", "unit", "targets", "figure annotations only"),
        ("claim", "qualifier", "approx", "figure annotations only"),
        ("claim", "value_high", 3, "figure annotations only"),
        ("actor", "attributed_to", ["0f8fad5b-d9cb-469f-a165-70867728950e"], "claim annotations only"),
        ("figure", "attributed_to", ["0f8fad5b-d9cb-469f-a165-70867728950e"], "claim annotations only"),
    ],
)
def test_a_field_on_a_tag_it_does_not_apply_to_is_refused(client, store, tag, field, value, reason):
    before = stored_state(store)
    r = client.post("/api/annotations", json=body("85 targets", tag=tag, **{field: value}))
    assert_refused(client, store, r, 422, field, before)
    assert reason in " ".join(r.get_json()["error"]["fields"][field])


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"value": 5, "value_high": 3, "qualifier": "range"}, "value_high", "below value"),
        ({"value": 5, "value_high": 8}, "value_high", "only with qualifier range"),
        ({"value_high": 8, "qualifier": "range"}, "value_high", "Needs value"),
        ({"value": "85"}, "value", "Not a number"),
        ({"value": True}, "value", "Not a number"),
        ({"value": [85]}, "value", "Not a number"),
        ({"value_high": {"n": 1}}, "value_high", "Not a number"),
        ({"qualifier": "roughly"}, "qualifier", "Must be one of"),
        ({"qualifier": 1}, "qualifier", "Not a valid string"),
        ({"unit": ""}, "unit", "1 to 100"),
        ({"unit": "   "}, "unit", "1 to 100"),
        ({"unit": "x" * 101}, "unit", "1 to 100"),
        ({"unit": "per\ncent"}, "unit", "control characters"),
    ],
)
def test_a_figure_reading_that_breaks_a_rule_is_refused(client, store, changes, field, reason):
    before = stored_state(store)
    r = client.post("/api/annotations", json=body("85 targets", tag="figure", **changes))
    assert_refused(client, store, r, 422, field, before)
    assert reason in " ".join(r.get_json()["error"]["fields"][field])


@pytest.mark.parametrize("raw", [b"1e400", b"-1e999", b"1" + b"0" * 400])
def test_a_number_too_large_for_a_float_is_refused(client, store, raw):
    before = stored_state(store)
    sent = json.dumps(body("85 targets", tag="figure", value="VALUE")).encode().replace(b'"VALUE"', raw)
    r = client.post("/api/annotations", data=sent, content_type="application/json")
    assert r.status_code in (400, 422), r.get_json()
    if r.status_code == 422:
        assert "value" in r.get_json()["error"]["fields"]
    assert stored_state(store) == before


@pytest.mark.parametrize(
    ("entity", "reason"),
    [
        ("", "1 to 200"),
        (" \u00a0 ", "1 to 200"),
        ("x" * 201, "1 to 200"),
        ("Joe\nBiden", "control characters"),
        ("Joe\u2028Biden", "control characters"),
        (["Joe"], "Not a valid string"),
    ],
)
def test_a_bad_entity_is_refused(client, store, entity, reason):
    before = stored_state(store)
    r = client.post("/api/annotations", json=body("Joe Biden", tag="actor", entity=entity))
    assert_refused(client, store, r, 422, "entity", before)
    assert reason in " ".join(r.get_json()["error"]["fields"]["entity"])


def test_an_entity_of_200_characters_is_taken(client):
    assert post(client, body("Joe Biden", tag="actor", entity="x" * 200))["entity"] == "x" * 200


def ids(*made):
    return [m["id"] for m in made]


@pytest.mark.parametrize(
    ("pick", "field", "reason"),
    [
        (lambda p: [str(uuid.uuid4())], "attributed_to", "no stored annotation"),
        (lambda p: [p["claim"]["id"]], "attributed_to", "is a claim, not an actor"),
        (lambda p: [p["elsewhere"]["id"]], "attributed_to", "on another article"),
        (lambda p: [p["biden"]["id"], p["biden"]["id"]], "attributed_to", "twice"),
        (lambda p: ["not-a-uuid"], "attributed_to.0", "Not a valid UUID"),
        (
            lambda p: [p["biden"]["id"]] + [str(uuid.uuid4()) for _ in range(50)],
            "attributed_to",
            "at most 50",
        ),
        (lambda p: p["biden"]["id"], "attributed_to", "Not a valid list"),
        (lambda p: None, "attributed_to", "null"),
    ],
)
def test_a_claim_attributed_to_anything_but_actors_on_its_article_is_refused(
    client, store, people, pick, field, reason
):
    before = stored_state(store)
    sent = body("will continue at times and places of our choosing.", tag="claim", attributed_to=pick(people))
    r = client.post("/api/annotations", json=sent)
    assert_refused(client, store, r, 422, field, before)
    assert reason in " ".join(r.get_json()["error"]["fields"][field])


def test_a_claim_cannot_name_itself(client, store, people):
    before = stored_state(store)
    sent = body("will continue at times and places of our choosing.", tag="claim")
    sent["attributed_to"] = [sent["id"]]
    r = client.post("/api/annotations", json=sent)
    assert_refused(client, store, r, 422, "attributed_to", before)


# -- changes -------------------------------------------------------------------------------------


def test_a_patch_corrects_a_figure_in_place(client):
    made = post(client, body("85 targets", tag="figure", value=85, unit="targets"))
    fixed = patch(client, made["id"], {"qualifier": "more_than"})
    assert (fixed["value"], fixed["unit"], fixed["qualifier"]) == (85.0, "targets", "more_than")
    assert fixed["updated"] >= made["updated"]
    cleared = patch(client, made["id"], {"value": None})
    assert cleared["value"] is None and cleared["unit"] == "targets"
    ranged = patch(client, made["id"], {"value": 80, "value_high": 90, "qualifier": "range"})
    assert (ranged["value"], ranged["value_high"]) == (80.0, 90.0)


def test_a_patch_that_changes_nothing_keeps_updated(client):
    made = post(client, body("Joe Biden", tag="actor"))
    same = patch(client, made["id"], {"entity": "Joe Biden", "tag": "actor"})
    assert same == made


@pytest.mark.parametrize(
    ("tag", "changes", "field", "reason"),
    [
        ("actor", {"entity": None}, "entity", "An actor has an entity"),
        ("actor", {"value": 3}, "value", "figure annotations only"),
        ("claim", {"entity": "Kirby"}, "entity", "actor annotations only"),
        ("figure", {"qualifier": None}, "qualifier", "never null"),
        ("figure", {"attributed_to": ["0f8fad5b-d9cb-469f-a165-70867728950e"]}, "attributed_to", "claim"),
        ("figure", {"value_high": 99}, "value_high", "only with qualifier range"),
        ("figure", {"tag": "actor", "unit": "people"}, "unit", "figure annotations only"),
        ("actor", {"tag": "claim", "attributed_to": [str(uuid.uuid4())]}, "attributed_to", "no stored"),
        ("figure", {"value": float("nan")}, "value", ""),
    ],
)
def test_a_patch_breaking_a_rule_is_refused(client, store, tag, changes, field, reason):
    made = post(client, body("85 targets", tag=tag, **({"value": 85} if tag == "figure" else {})))
    before = stored_state(store)
    r = client.patch(
        f"/api/annotations/{made['id']}",
        data=json.dumps(changes).replace("NaN", "1e999"),
        content_type="application/json",
    )
    if field == "value" and not reason:
        assert r.status_code in (400, 422) and stored_state(store) == before
        return
    assert_refused(client, store, r, 422, field, before)
    assert reason in " ".join(r.get_json()["error"]["fields"][field])


def test_a_patch_of_nothing_names_what_can_change(client, store):
    made = post(client, body("Joe Biden", tag="actor"))
    before = stored_state(store)
    r = client.patch(f"/api/annotations/{made['id']}", json={})
    assert_refused(client, store, r, 422, "_schema", before)
    assert "attributed_to" in r.get_json()["error"]["fields"]["_schema"][0]
    r = client.patch(f"/api/annotations/{made['id']}", json={"quote": {"exact": "x"}})
    assert_refused(client, store, r, 422, "quote", before)


def test_a_new_tag_clears_the_old_fields_and_fills_its_own(client):
    made = post(client, body("85 targets", tag="figure", value=85, unit="targets"))
    actor = patch(client, made["id"], {"tag": "actor"})
    assert actor["entity"] == "85 targets"
    assert (actor["value"], actor["unit"], actor["qualifier"]) == (None, None, None)
    claim = patch(client, made["id"], {"tag": "claim"})
    assert claim["entity"] is None and claim["attributed_to"] == []
    named = patch(client, made["id"], {"tag": "actor", "entity": "Targets Inc."})
    assert named["entity"] == "Targets Inc."
    figure = patch(client, made["id"], {"tag": "figure", "value": 85, "qualifier": "approx"})
    assert (figure["entity"], figure["value"], figure["unit"], figure["qualifier"]) == (
        None,
        85.0,
        None,
        "approx",
    )


def test_a_patch_attributes_a_claim_and_takes_it_back(client, people):
    claim = people["claim"]
    said = patch(client, claim["id"], {"attributed_to": ids(people["austin"])})
    assert said["attributed_to"] == ids(people["austin"])
    assert patch(client, claim["id"], {"attributed_to": []})["attributed_to"] == []


def test_an_actor_that_stops_being_one_leaves_its_claims(client, people):
    claim = patch(client, people["claim"]["id"], {"attributed_to": ids(people["biden"], people["austin"])})
    patch(client, people["biden"]["id"], {"tag": "figure"})
    after = get(client, claim["id"])
    assert after["attributed_to"] == ids(people["austin"])
    assert after["updated"] > claim["updated"]


def test_a_claim_that_becomes_an_actor_drops_its_attributions(client, people):
    patch(client, people["claim"]["id"], {"attributed_to": ids(people["biden"])})
    actor = patch(client, people["claim"]["id"], {"tag": "actor"})
    assert actor["attributed_to"] == [] and actor["entity"] == "the start of our response."


def test_an_actor_cannot_become_a_claim_attributed_to_itself(client, store, people):
    before = stored_state(store)
    r = client.patch(
        f"/api/annotations/{people['biden']['id']}",
        json={"tag": "claim", "attributed_to": ids(people["biden"])},
    )
    assert_refused(client, store, r, 422, "attributed_to", before)


# -- delete and restore ----------------------------------------------------------------------------


def test_deleting_an_actor_unlinks_its_claims_and_a_restore_links_them_again(client, store, people):
    first = patch(client, people["claim"]["id"], {"attributed_to": ids(people["biden"], people["austin"])})
    second = post(
        client,
        body(
            "will continue at times and places of our choosing.",
            tag="claim",
            attributed_to=ids(people["biden"]),
        ),
    )
    gone = people["biden"]
    assert client.delete(f"/api/annotations/{gone['id']}").status_code == 204
    assert get(client, first["id"])["attributed_to"] == ids(people["austin"])
    assert get(client, second["id"])["attributed_to"] == []
    assert sorted(store.get_trashed(gone["id"])["unlinked"]) == sorted(ids(first, second))
    every = client.get("/api/annotations").get_json()["items"]
    assert all(gone["id"] not in a["attributed_to"] for a in every), "no dangling id"

    patch(client, second["id"], {"tag": "figure"})  # no longer a claim: it gets no link back
    restored = client.post(f"/api/annotations/{gone['id']}/restore")
    assert restored.status_code == 200 and restored.get_json() == gone
    assert get(client, first["id"])["attributed_to"] == ids(people["austin"], people["biden"])
    assert get(client, second["id"])["attributed_to"] == []


def test_a_claim_restored_after_its_actor_went_keeps_only_the_actors_still_there(client, people):
    claim = patch(client, people["claim"]["id"], {"attributed_to": ids(people["biden"], people["austin"])})
    assert client.delete(f"/api/annotations/{claim['id']}").status_code == 204
    assert client.delete(f"/api/annotations/{people['austin']['id']}").status_code == 204
    restored = client.post(f"/api/annotations/{claim['id']}/restore").get_json()
    validate(restored, "annotation")
    assert restored["attributed_to"] == ids(people["biden"])


def test_deleting_a_claim_or_a_figure_records_no_unlinked(client, store, people):
    assert client.delete(f"/api/annotations/{people['claim']['id']}").status_code == 204
    assert "unlinked" not in store.get_trashed(people["claim"]["id"])


def test_an_unlink_is_durable_with_the_delete(data_dir, client, store, people):
    patch(client, people["claim"]["id"], {"attributed_to": ids(people["biden"])})
    assert client.delete(f"/api/annotations/{people['biden']['id']}").status_code == 204
    journal = b"".join(p.read_bytes() for p in data_dir.glob("newsmark.json.journal.*"))
    last = journal.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    # One journal line (one transaction, one fsync) holds the unlink, the trash entry and the delete.
    ops = json.loads(last.split(b" ", 1)[1])
    written = [(table, doc and doc["id"]) for table, _, doc in ops]
    assert written == [
        ("annotations", people["claim"]["id"]),
        ("trash", people["biden"]["id"]),
        ("annotations", None),
    ]
    assert ops[0][2]["attributed_to"] == [] and ops[1][2]["unlinked"] == [people["claim"]["id"]]


# -- answered as the JSON Schema says --------------------------------------------------------------


def test_the_json_schema_refuses_what_the_service_refuses(people):
    good = people["biden"]
    from jsonschema import ValidationError

    for change in (
        {"entity": None},
        {"value": 3.0},
        {"attributed_to": [people["austin"]["id"]]},
        {"tag": "figure", "entity": None, "qualifier": None},
        {"tag": "figure", "entity": None, "qualifier": "exact", "value": 1.0, "value_high": 2.0},
        {"tag": "claim", "qualifier": "exact", "entity": None},
        {"schema_version": 1},
    ):
        with pytest.raises(ValidationError):
            validate({**good, **change}, "annotation")
    validate({**good, "tag": "figure", "entity": None, "qualifier": "range", "value": 1.0, "value_high": 2.0},
             "annotation")  # fmt: skip
    assert good["url"] == ARTICLE_URL


# -- article metadata -------------------------------------------------------------------------------

SNAPSHOT_URL = "https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria/index.html"


def test_a_snapshot_keeps_the_pages_date_published_and_its_parse(client):
    sent = {**SNAPSHOT, "url": SNAPSHOT_URL, "date_published": "2024-02-02T18:13:00.000-05:00"}
    r = client.post("/api/articles", json=sent)
    assert r.status_code == 201
    article = r.get_json()
    validate(article, "article")
    assert article["date_published"] == "2024-02-02T18:13:00.000-05:00"
    assert article["published"] == "2024-02-02T18:13:00-05:00"
    assert article["updated"] == "2024-02-03T08:43:00-05:00"
    assert (article["section"], article["authors"]) == ("politics", ["Natasha Bertrand"])
    # A later look at the page without JSON-LD: a new version with the URL's date; the first keeps its own.
    later = {**sent, "date_published": None, "text": TEXT + "\n\nAn update."}
    assert client.post("/api/articles", json=later).status_code == 201
    latest = client.get(f"/api/articles/{SNAPSHOT_URL}").get_json()
    assert (latest["version"], latest["published"], latest["date_published"]) == (2, "2024-02-02", None)
    first = client.get(f"/api/articles/{SNAPSHOT_URL}?version=1").get_json()
    assert first["published"] == "2024-02-02T18:13:00-05:00"
    [listed] = client.get("/api/articles").get_json()["items"]
    validate(listed, "article", "#/$defs/summary")
    assert listed["published"] == "2024-02-02" and listed["date_published"] is None


def test_an_annotation_with_a_snapshot_stores_its_metadata(client):
    made = post(client, body("Joe Biden", tag="actor", article={**SNAPSHOT, "date_published": "2024-02-02"}))
    article = client.get(f"/api/articles/{made['url']}").get_json()
    assert (article["date_published"], article["published"]) == ("2024-02-02", "2024-02-02")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("x" * 101, "Longer than maximum length 100"),
        ("2024-02-02\n", "control characters"),
        (20240202, "string"),
    ],
)
def test_a_bad_date_published_is_refused(client, store, value, reason):
    before = stored_state(store)
    r = client.post("/api/articles", json={**SNAPSHOT, "url": SNAPSHOT_URL, "date_published": value})
    assert_refused(client, store, r, 422, "date_published", before)
    assert reason in " ".join(r.get_json()["error"]["fields"]["date_published"])
    r = client.post("/api/annotations", json=body("Joe Biden", article={**SNAPSHOT, "date_published": value}))
    assert_refused(client, store, r, 422, "article.date_published", before)
