"""Import of schema_version 1 and 2 files: v1 brought to v2 as the migration does; attributions checked."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from helpers import ARTICLE_URL, SNAPSHOT, TEXT, body, validate
from newsmark import annotations, contract, export, importing, migration, tagfields
from newsmark.annotations import Rules
from newsmark.errors import Invalid
from newsmark.schemas import AnnotationCreateSchema
from newsmark.store import AnnotationFilter, Store

OTHER_URL = "https://lite.cnn.com/2024/02/03/world/other-story"
OTHER_TEXT = "Officials said 12 people were hurt. Kirby said more."


def create(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    return annotations.create(store, AnnotationCreateSchema().load(data), Rules())[0]


def exported(store: Store) -> dict[str, Any]:
    return json.loads(export.render(store, AnnotationFilter(), "json"))


def as_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """An export as schema_version 1 wrote it: no fields of the tags, no article metadata."""
    old = copy.deepcopy(doc)
    old["schema_version"] = 1
    for annotation in old["annotations"]:
        for key in contract.NOT_APPLICABLE:
            del annotation[key]
        annotation["schema_version"] = 1
    for article in old["articles"]:
        for node in (article, *article["versions"]):
            for key in contract.ARTICLE_METADATA_KEYS:
                node.pop(key, None)
    return old


@pytest.fixture
def coded(tmp_path: Path) -> dict[str, Any]:
    """An export of a coded article: two actors (one renamed), a figure, a claim attributed to both."""
    with Store(tmp_path / "coder") as store:
        biden = create(store, body("Joe Biden", tag="actor"))
        austin = create(store, body("Lloyd Austin", tag="actor"))
        figure = create(store, body("85 targets", tag="figure"))
        claim = create(
            store, body("the start of our response.", tag="claim", attributed_to=[biden["id"], austin["id"]])
        )
        other = create(store, body("Kirby", tag="actor", url=OTHER_URL, text=OTHER_TEXT))
        return {
            "export": exported(store),
            "ids": [biden["id"], austin["id"], figure["id"], claim["id"], other["id"]],
        }


def test_a_v2_export_round_trips_whole(store, coded):
    report = importing.run(store, coded["export"])
    assert report["added"] == 5
    again = exported(store)
    assert again["annotations"] == coded["export"]["annotations"]
    assert again["articles"] == coded["export"]["articles"]
    for annotation in again["annotations"]:
        validate(annotation, "annotation")


def test_a_v1_export_is_brought_to_v2_as_the_migration_brings_a_data_folder(store, coded):
    old = as_v1(coded["export"])
    report = importing.run(store, old)
    assert report["added"] == 5
    by_id = {a["id"]: a for a in exported(store)["annotations"]}
    for annotation in old["annotations"]:
        stored = by_id[annotation["id"]]
        validate(stored, "annotation")
        assert stored == tagfields.upgraded(annotation)
        assert tuple(stored) == contract.ANNOTATION_KEYS
    biden, _, figure, claim, _ = (by_id[i] for i in coded["ids"])
    assert biden["entity"] == "Joe Biden" and claim["attributed_to"] == []
    assert (figure["value"], figure["unit"], figure["qualifier"]) == tuple(
        tagfields.figure_reading("85 targets")[k] for k in ("value", "unit", "qualifier")
    )
    [article] = [a for a in exported(store)["articles"] if a["url"] == ARTICLE_URL]
    assert article["section"] == "politics" and article["published"] == "2024-02-02"
    assert article["authors"] == ["Natasha Bertrand"] and article["date_published"] is None
    assert article["versions"][0]["section"] == "politics"


def test_a_v1_export_of_what_is_stored_changes_nothing(store, coded):
    importing.run(store, coded["export"])
    before = exported(store)
    report = importing.run(store, as_v1(coded["export"]))
    # The claim's attribution and the actors' entities were coded after v1: the v1 file's are older
    # or equal in time, so nothing is taken from it (equal in time and other content: a conflict).
    assert report["added"] == 0 and report["updated"] == 0
    assert exported(store)["annotations"] == before["annotations"]


def test_a_v1_annotation_in_a_v2_file_is_brought_up_too(store, coded):
    mixed = copy.deepcopy(coded["export"])
    mixed["annotations"][2] = as_v1({"schema_version": 1, "annotations": [mixed["annotations"][2]],
                                     "articles": []})["annotations"][0]  # fmt: skip
    assert importing.run(store, mixed)["added"] == 5


@pytest.mark.parametrize("key", ["entity", "attributed_to", "qualifier"])
def test_a_v1_annotation_with_a_v2_field_is_refused_naming_it(store, coded, key):
    old = as_v1(coded["export"])
    old["annotations"][0][key] = coded["export"]["annotations"][0][key]
    with pytest.raises(Invalid) as caught:
        importing.run(store, old)
    assert f"annotations[0].{key}" in caught.value.fields
    assert store.count_annotations() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("entity", None), ("qualifier", None), ("value", 3.0), ("attributed_to", ["x"]), ("schema_version", 3)],
)
def test_a_v2_annotation_breaking_a_rule_is_refused_naming_it(store, coded, field, value):
    doc = copy.deepcopy(coded["export"])
    target = 2 if field == "qualifier" else 0  # the figure; else the actor
    doc["annotations"][target][field] = value
    with pytest.raises(Invalid) as caught:
        importing.run(store, doc)
    assert any(key.startswith(f"annotations[{target}].{field}") for key in caught.value.fields), (
        caught.value.fields
    )
    assert store.count_annotations() == 0


def test_a_v2_annotation_missing_a_field_is_refused(store, coded):
    doc = copy.deepcopy(coded["export"])
    del doc["annotations"][1]["entity"]
    with pytest.raises(Invalid) as caught:
        importing.run(store, doc)
    assert "annotations[1].entity" in caught.value.fields


def test_an_attribution_to_an_actor_stored_already_is_taken(store, coded):
    doc = copy.deepcopy(coded["export"])
    importing.run(store, {**doc, "annotations": doc["annotations"][:2]})
    report = importing.run(store, {**doc, "annotations": doc["annotations"][2:]})
    assert report["added"] == 3


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        (lambda ids: "0f8fad5b-d9cb-469f-a165-70867728950e", "neither in the file nor stored"),
        (lambda ids: ids[2], "is a figure, not an actor"),
        (lambda ids: ids[4], "on another article"),
    ],
)
def test_an_attribution_to_anything_but_an_actor_on_the_article_is_refused(store, coded, link, reason):
    doc = copy.deepcopy(coded["export"])
    doc["annotations"][3]["attributed_to"] = [coded["ids"][0], link(coded["ids"])]
    with pytest.raises(Invalid) as caught:
        importing.run(store, doc)
    assert reason in " ".join(caught.value.fields["annotations[3].attributed_to"])
    assert store.count_annotations() == 0


def test_an_export_of_claims_alone_cannot_be_imported_into_an_empty_store(store, coded):
    doc = copy.deepcopy(coded["export"])
    doc["annotations"] = [a for a in doc["annotations"] if a["tag"] == "claim"]
    with pytest.raises(Invalid) as caught:
        importing.run(store, doc)
    assert "annotations[0].attributed_to" in caught.value.fields


def test_an_import_that_retags_a_stored_actor_takes_it_out_of_stored_claims(store, coded):
    importing.run(store, coded["export"])
    biden_id, austin_id, _, claim_id, _ = coded["ids"]
    doc = copy.deepcopy(coded["export"])
    biden = next(a for a in doc["annotations"] if a["id"] == biden_id)
    later = contract.utc_now()
    retagged = {**biden, **tagfields.filled("figure", "", {"value": 1.0}), "tag": "figure", "updated": later}
    # The file's claim is the stored one (unchanged), so the stored claim is the one to unlink.
    report = importing.run(store, {**doc, "annotations": [retagged]})
    assert report["updated"] == 1
    claim = store.get_annotation(claim_id)
    assert claim["attributed_to"] == [austin_id] and claim["updated"] >= later
    validate(claim, "annotation")


def test_a_w3c_file_without_the_bodies_of_v2_gets_the_fields_filled(store, coded):
    importing.run(store, coded["export"])
    w3c = json.loads(export.render(store, AnnotationFilter(), "w3c"))
    fresh_folder = store.folder.parent / "fresh"
    with Store(fresh_folder) as fresh:
        for item in w3c["first"]["items"]:  # the bodies v2 adds, taken out: as an export of v1 wrote it
            item["body"] = [b for b in item["body"] if b.get("purpose") in ("tagging", "commenting")]
        report = importing.run(fresh, w3c)
        assert report["added"] == 5
        by_id = {a["id"]: a for a in exported(fresh)["annotations"]}
        assert by_id[coded["ids"][0]]["entity"] == "Joe Biden"
        assert by_id[coded["ids"][3]]["attributed_to"] == []
        assert by_id[coded["ids"][2]]["qualifier"] is not None


def test_a_data_folder_migration_and_a_v1_import_agree(tmp_path, coded):
    """The same v1 annotation, imported or migrated, is the same v2 annotation."""
    old = as_v1(coded["export"])
    with Store(tmp_path / "imported") as store:
        importing.run(store, old)
        imported = sorted(store.all_annotations(), key=lambda a: a["id"])
    migrated = sorted((tagfields.upgraded(a) for a in old["annotations"]), key=lambda a: a["id"])
    assert imported == migrated
    assert migration.__doc__
    assert TEXT and SNAPSHOT


# -- JSON Lines --------------------------------------------------------------------------------------


def jsonl(store: Store) -> bytes:
    return export.render(store, AnnotationFilter(), "jsonl")


def run_bytes(store: Store, raw: bytes, **kwargs: Any) -> dict[str, Any]:
    import io

    return importing.run_file(store, io.BytesIO(raw), **kwargs)


def test_a_jsonl_export_imports_and_round_trips(tmp_path, coded):
    with Store(tmp_path / "source") as source:
        importing.run(source, coded["export"])
        lines = jsonl(source)
    with Store(tmp_path / "target") as target:
        report = run_bytes(target, lines)
        assert (report["format"], report["added"]) == ("jsonl", 5)

        # The same annotations; not the titles: no article comes with JSON Lines.
        def without_titles(raw: bytes) -> list[dict[str, Any]]:
            return [
                {k: v for k, v in json.loads(line).items() if k != "article_title"}
                for line in raw.splitlines()
            ]

        assert without_titles(jsonl(target)) == without_titles(lines)
        assert run_bytes(target, lines)["unchanged"] == 5


def test_a_v1_jsonl_export_is_brought_to_v2(store, coded):
    old = as_v1(coded["export"])
    lines = b"".join(orjson_line({**a, "article_title": "A title"}) for a in old["annotations"])
    report = run_bytes(store, b"\n" + lines + b"\n\n")
    assert report["added"] == 5
    stored = {a["id"]: a for a in store.all_annotations()}
    assert stored == {a["id"]: tagfields.upgraded(a) for a in old["annotations"]}


def orjson_line(doc: dict[str, Any]) -> bytes:
    import orjson

    return orjson.dumps(doc) + b"\n"


def test_a_bad_line_is_refused_naming_it_and_nothing_is_written(store, coded):
    from newsmark.errors import NotJson

    good = [orjson_line(a) for a in coded["export"]["annotations"]]
    broken = b"".join(good[:2]) + b'{"id": oops\n' + b"".join(good[2:])
    with pytest.raises(NotJson, match="line 3"):
        run_bytes(store, broken)
    bad = copy.deepcopy(coded["export"]["annotations"])
    bad[1]["entity"] = ""
    with pytest.raises(Invalid) as caught:
        run_bytes(store, b"".join(orjson_line(a) for a in bad))
    assert "lines[1].entity" in caught.value.fields
    assert store.count_annotations() == 0


def test_a_one_line_w3c_annotation_or_json_export_is_not_taken_for_json_lines(store, coded):
    importing.run(store, coded["export"])
    item = json.loads(export.render(store, AnnotationFilter(), "w3c"))["first"]["items"][0]
    w3c_first = {"id": item["id"], **{k: v for k, v in item.items() if k != "id"}}
    assert run_bytes(store, orjson_line(w3c_first))["format"] == "w3c"
    assert run_bytes(store, orjson_line(coded["export"]))["format"] == "json"


def test_jsonl_over_http(client, coded):
    importing_client = client
    lines = b"".join(orjson_line({**a, "article_title": None}) for a in coded["export"]["annotations"])
    r = importing_client.post("/api/import?dry_run=true", data=lines, content_type="application/json")
    assert r.status_code == 200 and r.get_json()["format"] == "jsonl" and r.get_json()["added"] == 5
