"""Values of the right shape but no sense are refused: far dates, other scripts' digits, a final newline.

And what is stored from before these rules (a year 9999) cannot break the viewer.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from marshmallow import Schema, validate

from helpers import ARTICLE_URL, REGISTRY, TOKEN, body
from newsmark import contract, schemas

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@pytest.fixture
def viewer(app):
    """A browser-like client signed in through the token link."""
    c = app.test_client()
    assert c.get(f"/?token={TOKEN}").status_code == 303
    return c


@pytest.fixture
def export_file(client) -> dict[str, Any]:
    """A JSON export of one annotation and its article, as a coder sends it."""
    assert client.post("/api/annotations", json=body("85 targets", tag="figure")).status_code == 201
    return client.get("/api/export?format=json").get_json()


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def renewed(data: dict[str, Any]) -> dict[str, Any]:
    """The export with a new annotation id, so that importing it adds an annotation."""
    data = copy.deepcopy(data)
    data["annotations"][0]["id"] = str(uuid.uuid4())
    return data


def refused_fields(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.get_json()
    return response.get_json()["error"]["fields"]


# -- dates --------------------------------------------------------------------------------

FAR = [
    ("annotations", "created", "9999-12-01T00:00:00.000Z"),
    ("annotations", "updated", "0001-01-01T00:00:00Z"),
    ("annotations", "created", "1989-12-31T23:59:59.999Z"),
    ("articles", "first_seen", "1970-01-01T00:00:00Z"),
    ("articles", "last_seen", "2999-01-01T00:00:00Z"),
]


@pytest.mark.parametrize(("table", "field", "value"), FAR)
def test_an_import_with_a_date_out_of_range_is_refused_naming_the_field(
    client, export_file, table, field, value
):
    data = renewed(export_file)
    data[table][0][field] = value
    fields = refused_fields(client.post("/api/import", json=data))
    assert f"{table}[0].{field}" in fields
    assert client.get("/api/annotations").get_json()["total"] == 1, "nothing was imported"


def test_a_version_first_seen_out_of_range_is_refused(client, export_file):
    data = renewed(export_file)
    data["articles"][0]["versions"][0]["first_seen"] = "9999-12-01T00:00:00Z"
    assert "articles[0].versions[0].first_seen" in refused_fields(client.post("/api/import", json=data))


def test_a_date_more_than_a_day_ahead_is_refused_and_one_just_inside_is_taken(client, export_file):
    now = datetime.now(UTC)
    ahead = renewed(export_file)
    ahead["annotations"][0]["created"] = ahead["annotations"][0]["updated"] = stamp(now + timedelta(days=2))
    assert "annotations[0].created" in refused_fields(client.post("/api/import", json=ahead))
    skewed = renewed(export_file)  # a coder's clock a few hours fast
    skewed["annotations"][0]["created"] = skewed["annotations"][0]["updated"] = stamp(
        now + timedelta(hours=20)
    )
    assert client.post("/api/import", json=skewed).get_json()["added"] == 1


def test_the_earliest_date_is_taken(client, export_file):
    data = renewed(export_file)
    data["annotations"][0]["created"] = data["annotations"][0]["updated"] = contract.EARLIEST_TIME
    assert client.post("/api/import", json=data).get_json()["added"] == 1


def test_a_w3c_import_with_a_far_date_is_refused(client, export_file):
    w3c = client.get("/api/export?format=w3c").get_json()
    item = w3c["first"]["items"][0]
    item["id"], item["created"] = f"urn:uuid:{uuid.uuid4()}", "9999-12-01T00:00:00Z"
    assert "items[0].created" in refused_fields(client.post("/api/import", json=w3c))


@pytest.mark.parametrize("digits", ["２０２４", "٢٠٢٤", "2０24"])
def test_a_date_in_other_digits_is_refused(client, export_file, digits):
    data = renewed(export_file)
    data["annotations"][0]["created"] = f"{digits}-02-03T12:00:00Z"
    assert "annotations[0].created" in refused_fields(client.post("/api/import", json=data))


# -- the chart over time ---------------------------------------------------------------------


def store_as_before(store, made: dict[str, Any], created: str) -> None:
    """An annotation stored before dates were checked (by an older version's import)."""
    store.insert_annotation({**made, "id": str(uuid.uuid4()), "created": created, "updated": created})


def time_columns(html: str) -> list[tuple[str, int]]:
    """The chart over time's columns: (label, count), from their tooltips."""
    last = html[html.rindex("<svg") :]
    return [(label, int(n)) for label, n in re.findall(r"<title>([^<]+): (\d+)</title>", last)]


@pytest.mark.parametrize(
    ("dates", "per", "first_label"),
    [
        (["2024-02-03", "9999-12-01"], "20 years", "2024–2043"),
        (["0001-01-01", "9998-06-30"], "25 years", "0001–0025"),
        (["2020-01-01", "2024-02-03"], "month", "2020-01"),
        (["1995-01-01", "2024-02-03"], "month", "1995-01"),
        (["1990-01-01", "2024-02-03"], "year", "1990"),
        (["1950-01-01", "2024-02-03"], "year", "1950"),
    ],
)
def test_charts_bin_by_the_span_present_whatever_it_is(viewer, client, store, dates, per, first_label):
    made = client.post("/api/annotations", json=body("85 targets")).get_json()
    store.delete_annotation(made["id"])
    for day in dates:
        store_as_before(store, made, f"{day}T12:00:00.000Z")
    response = viewer.get("/charts")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Per {per}" in html
    columns = time_columns(html)
    assert 1 < len(columns) <= 400
    assert columns[0][0] == first_label
    assert sum(n for _, n in columns) == len(dates)
    assert len(html) < 300_000


def test_a_years_column_links_to_its_annotations(viewer, client, store):
    made = client.post("/api/annotations", json=body("85 targets")).get_json()
    store.delete_annotation(made["id"])
    store_as_before(store, made, "2024-02-03T12:00:00.000Z")
    store_as_before(store, made, "9999-12-01T00:00:00.000Z")
    html = viewer.get("/charts").get_data(as_text=True)
    assert "/?since=9984-01-01&amp;until=9999-12-31" in html
    assert viewer.get("/?since=9984-01-01&until=9999-12-31").status_code == 200


# -- version numbers and full-match patterns ------------------------------------------------


@pytest.mark.parametrize("version", ["²", "١", "1\n", "0", "x", "1 "])
def test_a_bad_version_on_the_article_page_is_a_4xx_naming_it(viewer, client, version):
    assert client.post("/api/annotations", json=body("85 targets")).status_code == 201
    for key in (contract.article_id(ARTICLE_URL), ARTICLE_URL):
        response = viewer.get(f"/articles/{key}", query_string={"version": version})
        assert response.status_code == 422, response.get_data(as_text=True)[-300:]
        assert "<code>version</code>" in response.get_data(as_text=True)
        api = client.get(f"/api/articles/{key}", query_string={"version": version})
        assert api.status_code == 422 and "version" in api.get_json()["error"]["fields"]


def test_a_good_version_still_shows(viewer, client):
    made = client.post("/api/annotations", json=body("85 targets")).get_json()
    assert viewer.get(f"/articles/{ARTICLE_URL}?version=1").status_code == 200
    assert viewer.get(f"/articles/{ARTICLE_URL}?version={made['article_sha256']}").status_code == 200
    assert viewer.get(f"/articles/{ARTICLE_URL}?version=").status_code == 200  # an empty form field


def test_a_sha256_with_a_final_newline_is_refused(client, export_file):
    data = renewed(export_file)
    data["annotations"][0]["article_sha256"] += "\n"
    assert "annotations[0].article_sha256" in refused_fields(client.post("/api/import", json=data))
    for path in (["sha256"], ["versions", 0, "sha256"]):
        data = copy.deepcopy(export_file)
        node = data["articles"][0]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] += "\n"
        fields = refused_fields(client.post("/api/import", json=data))
        assert "articles[0]." + ".".join(map(str, path)).replace(".0.", "[0].") in fields


def test_a_cursor_with_a_final_newline_is_refused(client):
    assert "cursor" in refused_fields(client.get("/api/annotations", query_string={"cursor": "5\n"}))
    assert "cursor" in refused_fields(client.get("/api/articles", query_string={"cursor": "5\n"}))


def all_schema_classes() -> list[type[Schema]]:
    return [v for v in vars(schemas).values() if isinstance(v, type) and issubclass(v, Schema)]


def test_every_marshmallow_pattern_is_matched_whole():
    """``validate.Regexp`` uses re.match, where ``$`` also matches before a final newline."""
    checked = 0
    for cls in all_schema_classes():
        for name, field in cls().fields.items():
            for v in field.validators:
                if isinstance(v, validate.Regexp):
                    assert isinstance(v, schemas.FullMatch), f"{cls.__name__}.{name} uses Regexp"
                    checked += 1
    assert checked >= 4  # the SHA-256s, the cursors, the version


def pattern_nodes(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Patterns a whole value must match; not those under ``not`` (characters a value must not hold)."""
    found = []
    if isinstance(node, dict):
        if "pattern" in node:
            found.append((path, node))
        for key, value in node.items():
            if key != "not":
                found += pattern_nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += pattern_nodes(value, f"{path}/{n}")
    return found


@pytest.mark.parametrize("name", ["annotation", "article", "export", "error"])
def test_every_json_schema_pattern_refuses_a_final_newline(name):
    """jsonschema (Python) uses re.search: ``$`` matches before a final newline, unlike ECMA-262."""
    root = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    for path, node in pattern_nodes(root):
        assert node.get("examples"), f"{name}{path}: give the pattern examples"
        check = Draft202012Validator({"type": "string", "pattern": node["pattern"]}, registry=REGISTRY)
        for example in node["examples"]:
            assert check.is_valid(example), f"{name}{path}: {example!r} should match"
            assert not check.is_valid(example + "\n"), f"{name}{path}: {example!r} + newline matches"
            assert not check.is_valid(example + "\n\n"), f"{name}{path}: {example!r} + 2 newlines match"
