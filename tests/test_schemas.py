"""schemas/*.schema.json and the marshmallow schemas describe one contract: required fields, enums, limits."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from marshmallow import Schema, fields, validate

from helpers import ROOT, schema
from newsmark import contract, schemas


def resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        return {**resolve(target, root), **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def mm_constraints(field: fields.Field) -> dict[str, Any]:
    found: dict[str, Any] = {}
    validators = field.validators if hasattr(field, "validators") else []
    # A list's length is its number of items: JSON Schema's maxItems (maxLength is for strings).
    most, least = ("maxItems", "minItems") if isinstance(field, fields.List) else ("maxLength", "minLength")
    for v in validators:
        if isinstance(v, validate.OneOf):
            # A field that may be null lists null among its values in the JSON Schema.
            found["enum"] = list(v.choices) + ([None] if field.allow_none else [])
        elif isinstance(v, validate.Length):
            if v.max is not None:
                found[most] = v.max
            if v.min is not None:
                found[least] = v.min
        elif isinstance(v, validate.Range) and v.min is not None:
            found["minimum"] = v.min
        elif isinstance(v, validate.Equal):
            found["const"] = v.comparable
    return found


def js_constraints(node: dict[str, Any]) -> dict[str, Any]:
    keys = ("enum", "maxLength", "minLength", "maxItems", "minItems", "minimum", "const")
    return {k: node[k] for k in keys if k in node}


def compare(
    mm: Schema, node: dict[str, Any], root: dict[str, Any], *, check_required: bool, path: str = ""
) -> None:
    node = resolve(node, root)
    props = node["properties"]
    if check_required:
        mm_required = {f.data_key or name for name, f in mm.fields.items() if f.required}
        assert mm_required == set(node["required"]), f"required fields differ at {path or 'top'}"
        assert set(props) == {f.data_key or name for name, f in mm.fields.items()}, f"fields differ at {path}"
    for name, field in mm.fields.items():
        key = field.data_key or name
        if key not in props:
            continue
        prop = resolve(props[key], root)
        if isinstance(field, fields.Nested):
            compare(field.schema, prop, root, check_required=check_required, path=f"{path}{key}.")
            continue
        expected = mm_constraints(field)
        actual = js_constraints(prop)
        # The JSON Schema may say more (patterns, formats); every marshmallow limit must be there.
        for k, v in expected.items():
            assert actual.get(k) == v, f"{path}{key}: marshmallow {k}={v!r}, JSON Schema {actual.get(k)!r}"


@pytest.mark.parametrize("name", ["annotation", "article", "export", "error"])
def test_json_schemas_are_valid_draft_2020_12(name):
    Draft202012Validator.check_schema(schema(name))
    assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_stored_annotation_schema_agrees():
    compare(schemas.AnnotationSchema(), schema("annotation"), schema("annotation"), check_required=True)


def test_input_limits_agree_with_the_stored_annotation():
    """What POST accepts can be stored and exported as valid: the same limits on each field."""
    root = schema("annotation")
    compare(schemas.AnnotationCreateSchema(), root, root, check_required=False)
    patch = schemas.AnnotationPatchSchema()
    compare(patch, root, root, check_required=False)


def test_article_schemas_agree():
    root = schema("article")
    compare(schemas.ArticleSchema(), root, root, check_required=True)
    compare(schemas.ArticleSnapshotSchema(), root, root, check_required=False)
    snapshot_text = schemas.ArticleSnapshotSchema().fields["text"]
    assert mm_constraints(snapshot_text) == js_constraints(resolve(root["$defs"]["text"], root))


def test_error_schema_agrees():
    root = schema("error")
    compare(schemas.ErrorSchema(), root, root, check_required=True)


def test_tags_and_version_are_defined_once():
    assert schema("annotation")["properties"]["tag"]["enum"] == list(contract.TAGS)
    assert schema("annotation")["properties"]["schema_version"]["const"] == contract.SCHEMA_VERSION
    assert schema("export")["properties"]["schema_version"]["const"] == contract.SCHEMA_VERSION
    source = "\n".join(p.read_text() for p in (ROOT / "server" / "newsmark").rglob("*.py"))
    assert source.count('"actor", "claim", "figure"') == 1, "the tags are spelt out in one place only"


def test_comparison_catches_a_difference():
    """The checker itself fails when a limit drifts (so the tests above can fail)."""

    class Drifted(Schema):
        exact = fields.Str(required=True, validate=validate.Length(min=1, max=4999))

    node = {
        "type": "object",
        "required": ["exact"],
        "properties": {"exact": {"minLength": 1, "maxLength": 5000}},
    }
    with pytest.raises(AssertionError):
        compare(Drifted(), node, node, check_required=True)
