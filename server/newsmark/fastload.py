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
        self.keys = frozenset(
            field.data_key if field.data_key is not None else attr
            for attr, field in schema.load_fields.items()
        )
        self.validators = [
            (getattr(schema, name), bool(options.get("pass_original")))
            for name, _, options in _hooks(schema).get(VALIDATES_SCHEMA, [])  # type: ignore[union-attr]
        ]
        self._load = self._generate(memo)

    def load(self, data: Any) -> dict[str, Any] | None:
        if not self.compiled:
            try:
                return self.schema.load(data)
            except ValidationError:
                return None
        return self._load(data)

    def _generate(self, memo: tuple[type[fields.Field], ...]) -> Callable[[Any], dict[str, Any] | None]:
        """The load as one Python function, written out field by field: no loop, no lookups.

        What it does per field is marshmallow's Schema._deserialize and Field.deserialize:
        a missing value is refused (required) or takes the load_default; None is kept
        where allowed; any other value is converted and validated (see :func:`_converter`).
        """
        env: dict[str, Any] = {
            "MISSING": missing,
            "FAIL": _FAIL,
            "KEYS": self.keys,
            "UNKNOWN": self.schema.unknown,
            "ValidationError": ValidationError,
        }
        lines = ["def load(data):", "    if type(data) is not dict:", "        return None"]
        if self.raise_unknown:  # marshmallow takes any Mapping; JSON gives dicts
            lines += ["    if not KEYS.issuperset(data):", "        return None"]
        lines += ["    get = data.get", "    out = {}"]
        for n, (attr, field) in enumerate(self.schema.load_fields.items()):
            key = field.data_key if field.data_key is not None else attr
            env[f"K{n}"], env[f"A{n}"] = key, field.attribute or attr
            lines += [f"    v = get(K{n}, MISSING)", "    if v is MISSING:"]
            if field.required:
                lines += ["        return None"]
            else:
                default = field.load_default
                env[f"D{n}"] = default if callable(default) else (lambda default=default: default)
                lines += [f"        v = D{n}()", "        if v is not MISSING:", f"            out[A{n}] = v"]
            if field.allow_none:
                lines += ["    elif v is None:", f"        out[A{n}] = None"]
            lines += ["    else:"]
            plain = not field.pre_load and not field.post_load
            validators: list[Any] = list(field.validators)
            if plain and type(field) is fields.String:  # checked here
                lines += ["        if type(v) is not str:", "            return None"]
            elif plain and type(field) not in memo and type(field) is not fields.Nested:
                # Field.deserialize once the value is known present and not an allowed None.
                env[f"S{n}"] = field._deserialize
                lines += [
                    "        try:",
                    f"            v = S{n}(v, K{n}, data)",
                    "        except ValidationError:",
                ]
                lines += ["            return None"]
            else:  # a nested schema, a remembered field, or one with processors
                env[f"C{n}"] = _converter(field, key, memo)
                lines += [f"        v = C{n}(v, data)", "        if v is FAIL:", "            return None"]
                validators = []  # the converter checks them
            for m, check in enumerate(_check(v) for v in validators):
                env[f"P{n}_{m}"] = check
                lines += [f"        if not P{n}_{m}(v):", "            return None"]
            lines += [f"        out[A{n}] = v"]
        for n, (validator, pass_original) in enumerate(self.validators):
            env[f"V{n}"] = validator
            given = "out, data" if pass_original else "out"
            lines += [
                "    try:",
                f"        V{n}({given}, partial=None, many=False, unknown=UNKNOWN)",
                "    except ValidationError:",
                "        return None",
            ]
        lines += ["    return out"]
        # Every name bound as a keyword-only default: read as a local, the quickest lookup.
        lines[0] = f"def load(data, *, {', '.join(f'{name}={name}' for name in env)}):"
        exec("\n".join(lines), env)  # the source is ours; values are passed by name, never written in
        return env["load"]  # type: ignore[no-any-return]


def _converter(field: fields.Field, key: str, memo: tuple[type[fields.Field], ...]) -> Convert:
    """The check and conversion of a value present and not an allowed None (not a plain string)."""
    plain = not field.pre_load and not field.post_load
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
