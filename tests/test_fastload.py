"""The compiled load answers as the schema's own load: the same document, or None where it raises."""

from __future__ import annotations

import copy
import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates

from helpers import body, code_tricky
from newsmark import export, schemas
from newsmark.fastload import CompiledLoad
from newsmark.store import AnnotationFilter, Store
from strategies import json_values

SCHEMAS = {
    "annotation": schemas.ImportedAnnotationSchema,
    "article": schemas.ImportedArticleSchema,
    "version": schemas.ImportedVersionSchema,
    "create": schemas.AnnotationCreateSchema,
    "export": schemas.ImportedExportSchema,
}


@functools.cache
def samples() -> dict[str, list[dict[str, Any]]]:
    """Valid documents for each schema, from a real export."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp)) as store:
        code_tricky(store)
        doc = json.loads(export.render(store, AnnotationFilter(), "json"))
    return {
        "annotation": doc["annotations"],
        "article": doc["articles"],
        "version": [v for a in doc["articles"] for v in a["versions"]],
        "create": [body("Joe Biden", tag="actor", note="ü"), body("85 targets", tag="figure", article=False)],
        "export": [{**doc, "articles": [], "annotations": []}],
    }


def same_answer(schema: Schema, data: Any) -> None:
    try:
        expected = schema.load(data)
    except ValidationError:
        expected = None
    assert CompiledLoad(schema, memo=(schemas.ArticleUrl,)).load(data) == expected, data


@pytest.mark.parametrize("name", SCHEMAS)
def test_valid_documents_load_the_same(name):
    schema = SCHEMAS[name]()
    assert CompiledLoad(schema).compiled
    for doc in samples()[name]:
        same_answer(schema, doc)
        assert CompiledLoad(schema).load(doc) is not None


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (keys and list indexes)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for n, child in enumerate(value[:3]):
            found += paths(child, (*prefix, n))
    return found


@given(data=st.data(), name=st.sampled_from(sorted(SCHEMAS)), value=json_values, how=st.integers(0, 2))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_spoilt_documents_get_the_same_answer(data, name, value, how):
    """A value replaced by any JSON value, removed, or a key added: never a different answer."""
    schema = SCHEMAS[name]()
    doc = copy.deepcopy(data.draw(st.sampled_from(samples()[name])))
    path = data.draw(st.sampled_from(paths(doc)))
    if not path:
        doc = value
    else:
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if how == 0:
            parent[path[-1]] = value
        elif how == 1 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[f"{path[-1]}_extra"] = value
    same_answer(schema, doc)


def test_near_misses_get_the_same_answer():
    schema = schemas.ImportedAnnotationSchema()
    good = samples()["annotation"][0]
    for change in (
        {"id": good["id"].upper()},  # a UUID in another form: loaded lowercase
        {"id": "{" + good["id"] + "}"},
        {"position": {"start": 2**64, "end": 2**64 + len(good["quote"]["exact"])}},
        {"position": {"start": True, "end": 2}},
        {"schema_version": 1.0},
        {"note": None},
        {"created": "2024-02-30T00:00:00Z"},
        {"article_sha256": "A" * 64},
        {"url": "HTTPS://LITE.CNN.COM/x"},
        {"note": "n" * 10_000},
        {"note": "n" * 10_001},
        {"annotator": ""},
        {"annotator": "a" * 201},
        {"quote": {**good["quote"], "exact": ""}},
        {"quote": {**good["quote"], "prefix": "p" * 33}},
        {"tag": "person"},
        {"position": {"start": -1, "end": len(good["quote"]["exact"]) - 1}},
        {"schema_version": 2},
    ):
        same_answer(schema, {**good, **change})


def test_a_schema_with_hooks_it_does_not_know_goes_to_marshmallow():
    class Hooked(Schema):
        name = fields.Str(required=True, validate=validate.Length(max=3))

        @pre_load
        def strip(self, data: Any, **kwargs: Any) -> Any:
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}

    class Checked(Schema):
        name = fields.Str(required=True)

        @validates("name")
        def not_bob(self, value: str, **kwargs: Any) -> None:
            if value == "bob":
                raise ValidationError("no")

    for schema, data in (
        (Hooked(), {"name": " ab "}),
        (Checked(), {"name": "bob"}),
        (Checked(), {"name": "x"}),
    ):
        assert not CompiledLoad(schema).compiled
        same_answer(schema, data)


def test_a_validator_of_its_own_is_called():
    def no_x(value: str) -> bool:
        if "x" in value:
            raise ValidationError("no x")
        return False  # marshmallow ignores what a validator returns

    class Own(Schema):
        name = fields.Str(required=True, validate=no_x)

    assert CompiledLoad(Own()).compiled
    for name in ("abc", "axc"):
        same_answer(Own(), {"name": name})


def test_marshmallow_validators_inline_answer_at_their_bounds():
    class Bounds(Schema):
        low = fields.Int(validate=validate.Range(min=1, max=5, min_inclusive=False, max_inclusive=False))
        high = fields.Int(validate=validate.Range(min=1, max=5))
        same = fields.Str(validate=validate.Equal("x"))
        hex = fields.Str(validate=validate.Regexp(r"[0-9a-f]{2}$"))
        three = fields.Str(validate=validate.Length(equal=3))
        some = fields.Str(validate=[validate.Length(min=1, max=2), validate.OneOf(["a", "bb", "ccc"])])

    schema = Bounds()
    assert CompiledLoad(schema).compiled
    for name, values in {
        "low": [0, 1, 2, 4, 5, 6],
        "high": [0, 1, 5, 6],
        "same": ["x", "y"],
        "hex": ["0f", "0g", "0f\n", "0f0"],
        "three": ["ab", "abc", "abcd"],
        "some": ["", "a", "bb", "ccc", "d"],
    }.items():
        for value in values:
            same_answer(schema, {name: value})
