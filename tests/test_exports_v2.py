"""The exports of schema v2: attributions, entities, figures' readings and article metadata in every
format; csv-claims (who said what); W3C bodies read back by the import; the README's pandas example.

The study is stored by hand to the contract (tests/v2data.py), so every kind of value is covered.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shlex
import uuid

import pandas as pd
import pytest
from jsonschema import ValidationError

from helpers import ROOT, validate
from newsmark import contract, export, importing, w3c
from newsmark.cli import main
from newsmark.metadata import article_metadata
from newsmark.store import AnnotationFilter, Store
from test_w3c import check_annotation, check_collection
from v2data import (
    ACTOR_AUSTIN,
    ACTOR_KIRBY,
    ACTOR_NSC,
    ACTOR_SECDEF,
    ACTOR_SUDANI,
    CLAIM_COST,
    CLAIM_KILLED,
    CLAIM_MUNITIONS,
    CLAIM_NOT_END,
    CLAIM_SOVEREIGNTY,
    FIG_COST,
    FIG_DEGREES,
    FIG_HUNDREDS,
    FIG_KILLED,
    FIG_MINUTES,
    FIG_MUNITIONS,
    PROTEST_URL,
    STRIKES,
    STRIKES_URL,
    VERSIONS,
    store_study,
)

V2_ORDER = ["id", "url", "tag", "quote", "position", "note", "annotator", "attributed_to", "entity",
            "value", "value_high", "unit", "qualifier", "article_sha256", "created", "updated",
            "schema_version"]  # fmt: skip
METADATA = ["date_published", "published", "updated", "section", "authors"]
CSV_V1 = ["id", "url", "article_title", "tag", "exact", "prefix", "suffix", "start", "end", "note",
          "annotator", "created", "updated", "article_version"]  # fmt: skip
CSV_V2 = ["entity", "attributed_to", "attributed_entities", "value", "value_high", "unit", "qualifier",
          "published", "section", "authors"]  # fmt: skip
CLAIM_COLUMNS = ["claim_id", "url", "published", "section", "claim_quote", "claim_note", "annotator",
                 "actor_id", "actor_quote", "entity", "created"]  # fmt: skip
CLAIMS = [CLAIM_MUNITIONS, CLAIM_NOT_END, CLAIM_COST, CLAIM_KILLED, CLAIM_SOVEREIGNTY]


@pytest.fixture
def study(data_dir):
    """A closed data folder holding the v2 study; the annotations as stored."""
    with Store(data_dir) as store:
        return {doc["id"]: doc for doc in store_study(store)}


def render(data_dir, fmt: str, flt: AnnotationFilter | None = None, *, excel: bool = False) -> bytes:
    with Store(data_dir) as store:
        return export.render(store, flt or AnnotationFilter(), fmt, excel=excel)


def csv_rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def by_first_cell(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row for row in rows[1:]}


# -- JSON and JSONL ---------------------------------------------------------------------------


def test_json_export_holds_the_annotations_as_stored_and_the_articles_metadata(data_dir, study):
    doc = json.loads(render(data_dir, "json"))
    assert doc["annotations"] == list(study.values())
    assert all(list(a) == V2_ORDER for a in doc["annotations"])  # the contract's key order
    articles = {a["url"]: a for a in doc["articles"]}
    strikes, protest = articles[STRIKES_URL], articles[PROTEST_URL]
    # The article and each version carry what the page stated, in a fixed place: after the time stamp.
    assert list(strikes)[:10] == ["id", "url", "title", "byline", "timestamp_text", *METADATA]
    assert strikes["authors"] == ["Natasha Bertrand", "Oren Liebermann"] and strikes["section"] == "politics"
    before, after = strikes["versions"]
    assert list(before) == [
        "version",
        "sha256",
        "title",
        "byline",
        "timestamp_text",
        *METADATA,
        "text",
        "first_seen",
    ]
    assert (before["updated"], after["updated"]) == ("2024-02-02T16:14:00-05:00", "2024-02-03T08:43:00-05:00")
    assert before["authors"] == ["Natasha Bertrand"] and after["published"] == "2024-02-02T21:14:00+00:00"
    assert {k: protest[k] for k in METADATA} == {
        "date_published": None,
        "published": "2024-02-03",
        "updated": None,
        "section": "middleeast",
        "authors": [],
    }


def test_json_export_is_valid_against_the_v2_schema(data_dir, study):
    doc = json.loads(render(data_dir, "json"))
    assert doc["schema_version"] == 2
    validate(doc, "export")
    broken = json.loads(render(data_dir, "json"))
    del broken["articles"][0]["versions"][0]["authors"]
    with pytest.raises(ValidationError, match="authors"):
        validate(broken, "export")


def test_the_studys_metadata_is_what_newsmark_parses_from_the_page():
    """The hand-written metadata agrees with the parser, as an import parses it again."""
    for url, versions in VERSIONS.items():
        for *_, stated, metadata in versions:
            parsed = article_metadata(url, date_published=metadata["date_published"], **stated).as_dict()
            assert parsed == {k: metadata[k] for k in parsed}


def test_jsonl_lines_are_the_stored_annotations_with_their_title(data_dir, study):
    lines = [json.loads(line) for line in render(data_dir, "jsonl").splitlines()]
    assert [line.pop("article_title") for line in lines][:2] == ["US strikes Iraq and Syria"] * 2
    assert lines == list(study.values()) and all(list(line) == V2_ORDER for line in lines)


# -- CSV ---------------------------------------------------------------------------------------


def test_csv_has_the_v2_columns_after_the_v1_ones(data_dir, study):
    raw = render(data_dir, "csv")
    frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    assert list(frame.columns) == CSV_V1 + CSV_V2 == list(export.CSV_COLUMNS)
    rows = frame.set_index("id")
    kirby_said = rows.loc[CLAIM_NOT_END]
    assert kirby_said["attributed_to"] == f"{ACTOR_KIRBY};{ACTOR_AUSTIN}"
    assert kirby_said["attributed_entities"] == "John Kirby;Lloyd Austin"
    assert kirby_said["note"] == 'both say so; Austin "agreed"'
    assert (kirby_said["entity"], kirby_said["value"], kirby_said["qualifier"]) == ("", "", "")
    assert (kirby_said["published"], kirby_said["section"]) == ("2024-02-02T21:14:00+00:00", "politics")
    assert kirby_said["authors"] == "Natasha Bertrand; Oren Liebermann"
    assert rows.loc[CLAIM_KILLED, "attributed_to"] == rows.loc[CLAIM_KILLED, "attributed_entities"] == ""
    actor = rows.loc[ACTOR_NSC]
    assert (actor["exact"], actor["entity"]) == (
        "National Security Council spokesman John Kirby",
        "John Kirby",
    )
    assert actor["attributed_to"] == actor["unit"] == ""
    protest = rows.loc[ACTOR_SUDANI]
    assert (protest["published"], protest["section"], protest["authors"]) == ("2024-02-03", "middleeast", "")
    # Figures: numbers as numbers, a range with its high end, an unknown value empty.
    numbers = pd.read_csv(io.BytesIO(raw)).set_index("id")
    assert numbers["value"].dtype == "float64" and numbers["value_high"].dtype == "float64"
    assert numbers.loc[FIG_MUNITIONS, ["value", "unit", "qualifier"]].tolist() == [
        125.0,
        "precision munitions",
        "more_than",
    ]
    assert numbers.loc[FIG_MINUTES, ["value", "value_high", "qualifier"]].tolist() == [25.0, 30.0, "range"]
    assert numbers.loc[FIG_COST, "value"] == 2e9 and numbers.loc[FIG_DEGREES, "value"] == -5.0
    assert pd.isna(numbers.loc[FIG_HUNDREDS, "value"]) and numbers.loc[FIG_HUNDREDS, "unit"] == "people"
    assert pd.isna(numbers.loc[FIG_KILLED, "value_high"])


def test_csv_for_excel_quotes_formula_like_entities_but_not_negative_numbers(data_dir, study):
    plain = by_first_cell(csv_rows(render(data_dir, "csv")))
    rows = csv_rows(render(data_dir, "csv", excel=True))
    assert rows[0] == CSV_V1 + CSV_V2
    excel = by_first_cell(rows)
    col = (CSV_V1 + CSV_V2).index
    # -5 is a number: Excel reads it as one; quoting it would make it text.
    assert plain[FIG_DEGREES][col("value")] == excel[FIG_DEGREES][col("value")] == "-5.0"
    assert excel[FIG_DEGREES][col("exact")] == "'-5 degrees"  # the quote is text: neutralised
    assert (
        excel[ACTOR_SECDEF][col("entity")] == "'@SecDef" and plain[ACTOR_SECDEF][col("entity")] == "@SecDef"
    )
    assert excel[CLAIM_COST][col("attributed_entities")] == "'@SecDef"
    # Nothing else differs but the formula-like text cells.
    numbers = {col(name) for name in ("start", "end", "value", "value_high")}
    for ident, row in plain.items():
        assert excel[ident] == [
            "'" + c if c.startswith(export.FORMULA_START) and i not in numbers else c
            for i, c in enumerate(row)
        ]


def test_a_filtered_csv_still_names_the_actors_entities(data_dir, study):
    """The actors are looked up in the store, whether the filter selects them or not."""
    rows = by_first_cell(csv_rows(render(data_dir, "csv", AnnotationFilter(tag="claim"))))
    assert set(rows) == set(CLAIMS)
    col = export.CSV_COLUMNS.index("attributed_entities")
    assert {ident: row[col] for ident, row in rows.items()} == {
        CLAIM_MUNITIONS: "John Kirby",
        CLAIM_NOT_END: "John Kirby;Lloyd Austin",
        CLAIM_COST: "@SecDef",
        CLAIM_KILLED: "",
        CLAIM_SOVEREIGNTY: "Mohammed Shia al-Sudani",
    }
    one = csv_rows(render(data_dir, "csv", AnnotationFilter(url=PROTEST_URL, q="violation")))
    assert [row[col] for row in one[1:]] == ["Mohammed Shia al-Sudani"]


# -- csv-claims ----------------------------------------------------------------------------------


def expected_claim_rows(study) -> list[list[str]]:
    rows = []
    for claim_id in CLAIMS:
        claim = study[claim_id]
        published, section = {
            STRIKES_URL: ("2024-02-02T21:14:00+00:00", "politics"),
            PROTEST_URL: ("2024-02-03", "middleeast"),
        }[claim["url"]]
        head = [
            claim_id,
            claim["url"],
            published,
            section,
            claim["quote"]["exact"],
            claim["note"] or "",
            claim["annotator"],
        ]
        actors = [study[a] for a in claim["attributed_to"]]
        for actor in actors:
            rows.append([*head, actor["id"], actor["quote"]["exact"], actor["entity"], claim["created"]])
        if not actors:
            rows.append([*head, "", "", "", claim["created"]])
    return rows


def test_csv_claims_gives_a_row_per_claim_and_actor(data_dir, study):
    raw = render(data_dir, "csv-claims")
    rows = csv_rows(raw)
    assert rows[0] == CLAIM_COLUMNS == list(export.CLAIM_COLUMNS)
    assert rows[1:] == expected_claim_rows(study)
    assert [row[0] for row in rows[1:]].count(CLAIM_NOT_END) == 2  # said by two actors: two rows
    assert [row[7:10] for row in rows[1:] if row[0] == CLAIM_KILLED] == [["", "", ""]]  # by no one: one row
    # Who said what, in one pandas line.
    said = pd.read_csv(io.BytesIO(raw)).groupby("entity")["claim_id"].nunique()
    assert said.to_dict() == {"@SecDef": 1, "John Kirby": 2, "Lloyd Austin": 1, "Mohammed Shia al-Sudani": 1}


def test_csv_claims_follows_the_filters_and_counts_claims(data_dir, study):
    with Store(data_dir) as store:
        done: list[int] = []
        total, chunks, _ = export.prepare(store, AnnotationFilter(), "csv-claims", progress=done.append)
        assert total == 5 and len(csv_rows(b"".join(chunks))) == 1 + 6 and sum(done) == 5
        mine = export.prepare(store, AnnotationFilter(annotator="coder-b"), "csv-claims")
        assert mine.total == 3
        assert {row[6] for row in csv_rows(b"".join(mine.chunks))[1:]} == {"coder-b"}
        for flt in (
            AnnotationFilter(tag="actor"),
            AnnotationFilter(tag="figure"),
            AnnotationFilter(q="nobody"),
        ):
            none = export.prepare(store, flt, "csv-claims")
            assert none.total == 0 and csv_rows(b"".join(none.chunks)) == [CLAIM_COLUMNS]
        only = export.prepare(store, AnnotationFilter(tag="claim", url=PROTEST_URL), "csv-claims")
        assert [row[7:10] for row in csv_rows(b"".join(only.chunks))[1:]] == [
            [ACTOR_SUDANI, "Prime Minister Mohammed Shia al-Sudani", "Mohammed Shia al-Sudani"]
        ]


def test_the_counter_counts_claims_in_the_bytes_however_they_are_cut(data_dir, study):
    """What the CLI's progress bar counts while it reads a csv-claims export from a server."""
    raw = render(data_dir, "csv-claims", excel=True)
    rng = random.Random(5)
    for most in (1, 2, 7, 40, len(raw)):
        counter, counted, pos = export.Counter("csv-claims"), 0, 0
        while pos < len(raw):
            step = rng.randint(1, most)
            counted += counter.feed(raw[pos : pos + step])
            pos += step
        assert counted == 5, most


def test_csv_claims_over_the_api(client, store):
    stored = {doc["id"]: doc for doc in store_study(store)}
    r = client.get("/api/export?format=csv-claims")
    assert r.status_code == 200 and r.content_type == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="newsmark-claims-\d{8}T\d{6}Z\.csv"', r.headers["Content-Disposition"]
    )
    assert r.headers["X-Newsmark-Total"] == "5"
    assert csv_rows(r.data)[1:] == expected_claim_rows(stored)
    r = client.get("/api/export?format=csv-claims&annotator=coder-a&excel=true")
    assert r.data.startswith(b"\xef\xbb\xbf") and r.headers["X-Newsmark-Total"] == "2"
    assert {row[0] for row in csv_rows(r.data)[1:]} == {CLAIM_NOT_END, CLAIM_KILLED}
    r = client.get("/api/export?format=csv-claim")
    assert r.status_code == 422 and "format" in r.get_json()["error"]["fields"]
    spec = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/export"]["get"]["parameters"]}
    assert params["format"]["schema"]["enum"] == ["json", "jsonl", "csv", "w3c", "csv-claims"]


def test_csv_claims_from_the_cli(data_dir, study, tmp_path, capsys):
    out = tmp_path / "claims.csv"
    assert main(["export", "--format", "csv-claims", "-o", str(out), "--data-dir", str(data_dir)]) == 0
    assert out.read_bytes() == render(data_dir, "csv-claims")
    assert (
        main(
            [
                "export",
                "--format",
                "csv-claims",
                "--tag",
                "claim",
                "--url",
                PROTEST_URL,
                "--data-dir",
                str(data_dir),
            ]
        )
        == 0
    )
    assert csv_rows(capsys.readouterr().out.encode())[1][0] == CLAIM_SOVEREIGNTY


# -- W3C ------------------------------------------------------------------------------------------


def w3c_items(data_dir) -> list[dict]:
    doc = json.loads(render(data_dir, "w3c"))
    items = check_collection(doc, 16)
    for item in items:
        check_annotation(item)
    return items


def bodies(item: dict, purpose: str) -> list[dict]:
    return [b for b in item["body"] if b["purpose"] == purpose]


def test_w3c_writes_entities_readings_and_attributions_as_bodies(data_dir, study):
    items = {item["id"].removeprefix("urn:uuid:"): item for item in w3c_items(data_dir)}
    nsc = items[ACTOR_NSC]
    assert bodies(nsc, "identifying") == [
        {"type": "TextualBody", "purpose": "identifying", "value": "John Kirby"}
    ]
    assert nsc["motivation"] == ["classifying", "identifying"] and not bodies(nsc, "describing")
    minutes = items[FIG_MINUTES]
    [reading] = bodies(minutes, "describing")
    assert reading["type"] == "TextualBody" and reading["format"] == "application/json"
    assert json.loads(reading["value"]) == {
        "value": 25.0,
        "value_high": 30.0,
        "unit": "minutes",
        "qualifier": "range",
    }
    assert list(json.loads(reading["value"])) == ["value", "value_high", "unit", "qualifier"]
    [hundreds] = bodies(items[FIG_HUNDREDS], "describing")
    assert json.loads(hundreds["value"]) == {
        "value": None,
        "value_high": None,
        "unit": "people",
        "qualifier": "approx",
    }
    said = items[CLAIM_NOT_END]
    assert bodies(said, "linking") == [
        {"type": "SpecificResource", "purpose": "linking", "source": f"urn:uuid:{ACTOR_KIRBY}"},
        {"type": "SpecificResource", "purpose": "linking", "source": f"urn:uuid:{ACTOR_AUSTIN}"},
    ]
    assert said["motivation"] == ["classifying", "commenting", "linking"]
    # The attribution names the actor by the very IRI the actor annotation has.
    assert {b["source"] for i in items.values() for b in bodies(i, "linking")} <= set(map(w3c.iri, items))
    assert items[CLAIM_KILLED]["motivation"] == "classifying" and len(items[CLAIM_KILLED]["body"]) == 1


V1_KEYS = {"id", "url", "tag", "quote", "position", "note", "annotator", "article_sha256", "created",
           "updated", "schema_version"}  # fmt: skip
TAG_KEYS = {
    "actor": {"entity"},
    "claim": {"attributed_to"},
    "figure": {"value", "value_high", "unit", "qualifier"},
}


def test_w3c_items_read_back_to_the_stored_annotations(data_dir, study):
    """Each body gives back its field; a field with no body is left to the import (a claim said by no one)."""
    problems: list[tuple[str, str]] = []
    for n, item in enumerate(w3c_items(data_dir)):
        read = w3c.stored_form(item, f"items[{n}]", lambda where, why: problems.append((where, why)))
        stored = {**study[item["id"].removeprefix("urn:uuid:")], "schema_version": contract.SCHEMA_VERSION}
        given = V1_KEYS | (
            TAG_KEYS[stored["tag"]] if stored["tag"] != "claim" or stored["attributed_to"] else set()
        )
        assert read == {k: v for k, v in stored.items() if k in given}
        assert list(read) == [k for k in V2_ORDER if k in given]
    assert problems == []


ACROSS = "Friday.\n\nNational"  # a quote across two paragraphs
ACROSS_AT = STRIKES.index(ACROSS)


def annotation_item(**changes) -> dict:
    """A W3C annotation as another tool (or an earlier newsmark) writes it: a tag, no v2 bodies."""
    item = {
        "@context": w3c.CONTEXT,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": "Annotation",
        "creator": {"type": "Person", "name": "coder-c"},
        "created": "2024-02-03T13:43:00.000Z",
        "modified": "2024-02-03T13:43:00.000Z",
        "body": [{"type": "TextualBody", "purpose": "tagging", "value": "actor"}],
        "target": {
            "type": "SpecificResource",
            "source": STRIKES_URL,
            "selector": [
                {"type": "TextQuoteSelector", "exact": ACROSS, "prefix": "", "suffix": ""},
                {"type": "TextPositionSelector", "start": ACROSS_AT, "end": ACROSS_AT + len(ACROSS)},
            ],
        },
    }
    item.update(changes)
    return item


def read_item(item: dict) -> tuple[dict | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    return w3c.stored_form(item, "items[0]", lambda where, why: problems.append((where, why))), problems


def test_w3c_items_without_v2_bodies_map_none_of_their_fields():
    for tag in ("actor", "claim", "figure"):
        read, problems = read_item(
            annotation_item(body=[{"type": "TextualBody", "purpose": "tagging", "value": tag}])
        )
        assert problems == [] and read is not None and set(read) == V1_KEYS  # the import fills the rest
    # A reading given in part: what it lacks is null, and the qualifier exact (as through the API).
    part = [
        {"type": "TextualBody", "purpose": "tagging", "value": "figure"},
        {"type": "TextualBody", "purpose": "describing", "value": '{"value": 3, "qualifier": null}'},
    ]
    figure, _ = read_item(annotation_item(body=part))
    assert figure is not None
    assert [figure[k] for k in ("value", "value_high", "unit", "qualifier")] == [3, None, None, "exact"]


def test_a_w3c_import_without_v2_bodies_fills_the_fields_as_a_create_does(client):
    def item(tag: str, exact: str) -> dict:
        at = STRIKES.index(exact)
        selectors = [
            {"type": "TextQuoteSelector", "exact": exact},
            {"type": "TextPositionSelector", "start": at, "end": at + len(exact)},
        ]
        return annotation_item(
            body=[{"type": "TextualBody", "purpose": "tagging", "value": tag}],
            target={"type": "SpecificResource", "source": STRIKES_URL, "selector": selectors},
        )

    items = [item("actor", ACROSS), item("figure", "between 25 and 30 minutes"), item("claim", "At least 16")]
    r = client.post("/api/import", json={"type": "AnnotationPage", "items": items})
    assert r.status_code == 200 and r.get_json()["added"] == 3, r.get_json()
    actor, figure, claim = (client.get(f"/api/annotations/{i['id'][9:]}").get_json() for i in items)
    assert actor["entity"] == "Friday. National"  # the quote in one line
    reading = {k: figure[k] for k in ("value", "value_high", "unit", "qualifier")}
    assert reading == {"value": 25.0, "value_high": 30.0, "unit": "minutes", "qualifier": "range"}
    assert claim["attributed_to"] == [] and claim["entity"] is None and claim["value"] is None


BAD_BODIES = [  # (case, body, what the reason names)
    ("a reading that is no JSON",
     {"type": "TextualBody", "purpose": "describing", "value": "125 targets"}, "describing body"),
    ("a reading with a key of its own",
     {"type": "TextualBody", "purpose": "describing", "value": '{"value": 1, "scale": "k"}'},
     "describing body"),
    ("a reading as another format",
     {"type": "TextualBody", "purpose": "describing", "value": '{"value": 1}', "format": "text/plain"},
     "describing body"),
    ("an attribution to a web page",
     {"type": "SpecificResource", "purpose": "linking", "source": "https://x.example/"}, "linking body"),
    ("an attribution as text",
     {"type": "TextualBody", "purpose": "linking", "value": f"urn:uuid:{uuid.uuid4()}"}, "linking body"),
    ("two entities",
     {"type": "TextualBody", "purpose": "identifying", "value": "Kirby"}, "identifying (the entity)"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "bad", "reason"), BAD_BODIES, ids=[case for case, *_ in BAD_BODIES])
def test_bad_v2_bodies_are_refused_naming_the_body(client, store, case, bad, reason):
    body = [
        {"type": "TextualBody", "purpose": "tagging", "value": "actor"},
        {"type": "TextualBody", "purpose": "identifying", "value": "John Kirby"},
        bad,
    ]
    r = client.post("/api/import", json=annotation_item(body=body))
    assert r.status_code == 422, r.get_json()
    fields = r.get_json()["error"]["fields"]
    assert list(fields) == ["items[0].body"] and reason in fields["items[0].body"][0]
    assert store.count_annotations() == 0


# -- round trips (through the import) -------------------------------------------------------------


def the_moment_blanked(raw: bytes) -> bytes:
    """An export with its time of export and its W3C collection id blanked out."""
    raw = re.sub(rb'"exported_at":"[^"]*"', b'"exported_at":""', raw)
    raw = re.sub(rb'"label":"newsmark export [^"]*"', b'"label":""', raw)
    return re.sub(rb"tag:newsmark,2024:export/[0-9a-f-]{36}", b"tag:export", raw)


def test_json_export_import_export_is_identical(data_dir, study, tmp_path):
    first = render(data_dir, "json")
    with Store(tmp_path / "other") as other:
        assert importing.run(other, json.loads(first))["added"] == 16
        again = export.render(other, AnnotationFilter(), "json")
    assert the_moment_blanked(again) == the_moment_blanked(first)


def test_w3c_export_import_export_is_identical(data_dir, study, tmp_path):
    first = render(data_dir, "w3c")
    texts = json.loads(render(data_dir, "json"))
    with Store(tmp_path / "other") as other:
        # The articles first (W3C carries no texts): then the versions are dated as in the first store.
        importing.run(other, {**texts, "annotations": []})
        assert importing.run(other, json.loads(first))["added"] == 16
        again = export.render(other, AnnotationFilter(), "w3c")
        assert json.loads(export.render(other, AnnotationFilter(), "json"))["annotations"] == list(
            study.values()
        )
    assert the_moment_blanked(again) == the_moment_blanked(first)
    # Into an empty store too: the same annotations, attributions, entities and readings.
    with Store(tmp_path / "empty") as empty:
        importing.run(empty, json.loads(first))
        assert json.loads(export.render(empty, AnnotationFilter(), "json"))["annotations"] == list(
            study.values()
        )


# -- the README's example ---------------------------------------------------------------------------


def readme_example() -> str:
    """The pandas example of the README's Exports section: the python block that reads csv-claims."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Exports\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    [block] = [b for b in blocks if "csv-claims" in b]
    return block


def test_the_readme_example_answers_claims_per_actor_and_figures_by_qualifier(
    data_dir, study, tmp_path, monkeypatch, capsys
):
    block = readme_example()
    monkeypatch.chdir(tmp_path)
    # Its comments say how the files were exported: run those commands on the study.
    commands = re.findall(r"^# (newsmark export .*)$", block, re.MULTILINE)
    assert len(commands) == 2
    for command in commands:
        assert main([*shlex.split(command)[1:], "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    names: dict = {}
    exec(compile(block, "README.md", "exec"), names)
    printed = capsys.readouterr().out
    assert names["per_actor"].to_dict() == {
        "John Kirby": 2,
        "@SecDef": 1,
        "Lloyd Austin": 1,
        "Mohammed Shia al-Sudani": 1,
    }
    assert names["per_actor"].iloc[0] == 2  # most claims first
    table = names["by_qualifier"]
    assert table["figures"].to_dict() == {
        "approx": 1,
        "at_least": 1,
        "at_most": 1,
        "exact": 1,
        "more_than": 1,
        "range": 1,
    }
    assert table.loc["range", "lowest"] == 25.0 and table.loc["at_most", "highest"] == 2e9
    assert "John Kirby" in printed and "more_than" in printed
