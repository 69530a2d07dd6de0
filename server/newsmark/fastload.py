"""A marshmallow schema's ``load``, compiled once, for the many documents of an import.

``Schema.load`` costs about 0.1 ms per annotation in marshmallow's own machinery
(error stores, hooks, partial loading), which an import of 100k annotations pays
100k times. :class:`CompiledLoad` does the same work with the schema's own fields
and validators, read off the schema once: the same checks, none of the
machinery, and no error messages. It answers what ``schema.load`` returns, or
None where ``schema.load`` would raise; the caller then asks ``schema.load`` for
the messages. A test holds the two to the same answers.

Plain strings, nested schemas and marshmallow's ``Length``, ``OneOf``,
``Range``, ``Equal`` and ``Regexp`` validators are checked inline; any other
field is asked through its own ``_deserialize`` (the method a field class
overrides) and validators, so a field or validator added to a schema later is
honoured as it is. A schema with hooks this does not know (pre/post-load
processors, field validators, ``INCLUDE``) is never compiled: its load goes to marshmallow every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, validate
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

#: What a field's converter answers when ``schema.load`` would raise.
_FAIL = object()

Convert = Callable[[Any, dict[str, Any]], Any]


def _hooks(schema: Schema) -> dict[str, list[tuple[str, bool, dict[str, Any]]]] | None:
    """The schema's decorated hooks (marshmallow keeps them in ``_hooks``), or None if not readable."""
    hooks = getattr(schema, "_hooks", None)
    return hooks if isinstance(hooks, dict) else None


def _compilable(schema: Schema) -> bool:
    hooks = _hooks(schema)
    if hooks is None or hooks.get(PRE_LOAD) or hooks.get(POST_LOAD) or hooks.get(VALIDATES):
        return False
    if any(many for _, many, _ in hooks.get(VALIDATES_SCHEMA, [])):
        return False
    if schema.many or schema.partial or schema.unknown not in (RAISE, EXCLUDE):
        return False
    return all(not (f.attribute and "." in f.attribute) for f in schema.load_fields.values())


class CompiledLoad:
    """``schema.load(data)`` for one document, or None where it would raise a ValidationError.

    ``memo``: field classes whose result depends on the value alone (e.g. a URL's
    normalised form), remembered per value; an import names the same few
    hundred URLs a hundred thousand times.
    """

    def __init__(self, schema: Schema, *, memo: tuple[type[fields.Field], ...] = ()) -> None:
        self.schema = schema
        self.compiled = _compilable(schema)
        if not self.compiled:
            return
        self.raise_unknown = schema.unknown == RAISE
        # Per field: its key in the data, its name in the result, the conversion of a value
        # present, whether None is allowed, and what stands for a missing value (None: refused).
        self.steps: list[tuple[str, str, Convert, bool, Callable[[], Any] | None]] = []
        for attr, field in schema.load_fields.items():
            key = field.data_key if field.data_key is not None else attr
            self.steps.append(
                (key, field.attribute or attr, _converter(field, key, memo), field.allow_none, _absent(field))
            )
        self.keys = frozenset(step[0] for step in self.steps)
        self.validators = [
            (getattr(schema, name), bool(options.get("pass_original")))
            for name, _, options in _hooks(schema).get(VALIDATES_SCHEMA, [])  # type: ignore[union-attr]
        ]

    def load(self, data: Any) -> dict[str, Any] | None:
        if not self.compiled:
            try:
                return self.schema.load(data)
            except ValidationError:
                return None
        if type(data) is not dict or (self.raise_unknown and not self.keys.issuperset(data)):
            return None  # marshmallow takes any Mapping; JSON gives dicts
        out: dict[str, Any] = {}
        get = data.get
        for key, attr, convert, allow_none, absent in self.steps:
            value = get(key, missing)
            if value is missing:
                if absent is None:
                    return None
                value = absent()
                if value is not missing:
                    out[attr] = value
            elif value is None and allow_none:
                out[attr] = None
            else:
                value = convert(value, data)
                if value is _FAIL:
                    return None
                out[attr] = value
        for validator, pass_original in self.validators:
            try:
                if pass_original:
                    validator(out, data, partial=None, many=False, unknown=self.schema.unknown)
                else:
                    validator(out, partial=None, many=False, unknown=self.schema.unknown)
            except ValidationError:
                return None
        return out


def _absent(field: fields.Field) -> Callable[[], Any] | None:
    """What a missing value loads as (marshmallow's load_default); None if the field is required."""
    if field.required:
        return None
    default = field.load_default
    return default if callable(default) else lambda: default


def _converter(field: fields.Field, key: str, memo: tuple[type[fields.Field], ...]) -> Convert:
    """The check and conversion of one present value that is not an allowed None."""
    plain = not field.pre_load and not field.post_load
    if plain and type(field) is fields.String:
        checks = [_check(v) for v in field.validators]

        def string(value: Any, data: dict[str, Any]) -> Any:
            if type(value) is not str:
                return _FAIL
            for check in checks:
                if not check(value):
                    return _FAIL
            return value

        return string
    if (
        plain
        and type(field) is fields.Nested
        and not field.many
        and field.unknown is None
        and not field.validators
        and field.only is None
        and not field.exclude
    ):
        nested = CompiledLoad(field.schema, memo=memo)
        if nested.compiled:

            def schema(value: Any, data: dict[str, Any]) -> Any:
                loaded = nested.load(value)
                return _FAIL if loaded is None else loaded

            return schema

    if plain:
        # What Field.deserialize does once the value is known present and not an allowed None.
        deserialize, checks = field._deserialize, [_check(v) for v in field.validators]

        def general(value: Any, data: dict[str, Any]) -> Any:
            try:
                value = deserialize(value, key, data)
            except ValidationError:
                return _FAIL
            for check in checks:
                if not check(value):
                    return _FAIL
            return value

    else:

        def general(value: Any, data: dict[str, Any]) -> Any:
            try:
                return field.deserialize(value, key, data)
            except ValidationError:
                return _FAIL

    if type(field) not in memo:
        return general
    known: dict[Any, Any] = {}

    def remembered(value: Any, data: dict[str, Any]) -> Any:
        if type(value) is not str:
            return general(value, data)
        found = known.get(value, missing)
        if found is missing:
            found = general(value, data)
            if len(known) < 100_000:  # bounded: an import with more distinct values recomputes
                known[value] = found
        return found

    return remembered


def _check(validator: Callable[[Any], Any]) -> Callable[[Any], bool]:
    """A validator as a predicate: marshmallow's own as they check (without the message), others called."""
    if type(validator) is validate.Length:
        low, high, equal = validator.min, validator.max, validator.equal
        if equal is not None:
            return lambda value: len(value) == equal
        return lambda value: (low is None or len(value) >= low) and (high is None or len(value) <= high)
    if type(validator) is validate.Range:
        low, high = validator.min, validator.max
        low_in, high_in = validator.min_inclusive, validator.max_inclusive
        return lambda value: (
            (low is None or (value >= low if low_in else value > low))
            and (high is None or (value <= high if high_in else value < high))
        )
    if type(validator) is validate.Equal:
        comparable = validator.comparable
        return lambda value: value == comparable
    if type(validator) is validate.Regexp:
        match = validator.regex.match
        return lambda value: match(value) is not None
    if type(validator) is validate.OneOf:
        try:
            choices: Any = frozenset(validator.choices)
        except TypeError:
            choices = validator.choices
        return lambda value: value in choices

    def called(value: Any) -> bool:
        try:
            validator(value)  # as marshmallow's And: only a ValidationError fails (a result is ignored)
        except ValidationError:
            return False
        return True

    return called
