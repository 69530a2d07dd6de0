"""Marshmallow schemas: what the API accepts and what it answers.

Input schemas refuse unknown fields (marshmallow's default, ``RAISE``) and
every value of the wrong type; their limits come from :mod:`newsmark.contract`.
``schemas/*.schema.json`` says the same in JSON Schema; a test compares them.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from . import contract


class StrictInt(fields.Integer):
    """An integer that must arrive as a JSON integer (not a string, float or boolean) of at most 64 bits.

    Past 64 bits JSON readers differ (orjson and JavaScript make it a float) and
    orjson cannot write it back: such a number is no integer to newsmark.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if type(value) is int and -(2**63) <= value < 2**64:
            return value  # the common case, quickly (an import checks hundreds of thousands)
        if isinstance(value, bool) or (isinstance(value, int) and not -(2**63) <= value < 2**64):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class UuidString(fields.String):
    """A UUID in its canonical 36-character form, stored lowercase."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid_uuid": "Not a valid UUID (expected the 8-4-4-4-12 form)."
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if type(value) is str and _CANONICAL_UUID.fullmatch(value):
            return value  # already in the form it is stored in: the common case, quickly
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = uuid.UUID(text)
        except ValueError:
            raise self.make_error("invalid_uuid") from None
        if len(text) != 36 or str(parsed) != text.lower():
            raise self.make_error("invalid_uuid")
        return str(parsed)


class ArticleUrl(fields.String):
    """An absolute http(s) URL, normalised (see :func:`newsmark.contract.normalize_url`).

    Whether its host is allowed is a setting, so the service checks that.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(max=contract.MAX_URL), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > contract.MAX_URL:
            return text  # the Length validator reports it
        try:
            return contract.normalize_url(text)
        except contract.UrlError as exc:
            raise ValidationError(f"URL {exc}.") from None


class FullMatch(validate.Regexp):
    """``validate.Regexp`` on the whole value.

    ``Regexp`` uses ``re.match``, whose ``$`` also matches before a final newline:
    ``^[0-9a-f]{64}$`` takes 64 hex digits and a newline. This one uses ``re.fullmatch``,
    so its patterns carry no anchors.
    """

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


#: The service's timestamps: UTC ISO 8601, e.g. 2024-02-03T13:43:00.123Z (see contract.utc_now).
#: ``[0-9]``, not ``\d``: Python's ``\d`` also takes other scripts' digits (``²``, ``٣``).
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z")
SHA256 = "[0-9a-f]{64}"
CURSOR = "[0-9]{1,18}"


def time_key(timestamp: str) -> tuple[datetime, str]:
    """An order for timestamps of :data:`TIMESTAMP` form (with any number of fraction digits)."""
    seconds, _, fraction = timestamp[:-1].partition(".")
    return datetime.fromisoformat(seconds), fraction.ljust(9, "0")


class Timestamp(fields.String):
    """A UTC time as the service writes it: a real date and time, and a plausible one.

    From :data:`newsmark.contract.EARLIEST_TIME` to a day after now (clocks of coders'
    machines differ a little; a year 9999 is a typo or a forgery, and would stretch the
    viewer's chart over time across millennia).
    """

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid_time": "Not a UTC time of the form 2024-02-03T13:43:00.123Z.",
        "too_early": f"Is before {contract.EARLIEST_TIME[:10]}: no coding happened then (a wrong clock?).",
        "too_late": "Is more than a day after now ({now} on this machine's clock).",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not TIMESTAMP.fullmatch(text):
            raise self.make_error("invalid_time")
        try:
            when, _ = time_key(text)
        except ValueError:  # e.g. month 13
            raise self.make_error("invalid_time") from None
        if when < _EARLIEST:
            raise self.make_error("too_early")
        now = datetime.now(UTC).replace(tzinfo=None)
        if when > now + contract.FUTURE_LEEWAY:
            raise self.make_error("too_late", now=now.isoformat(timespec="seconds") + "Z")
        return text


_EARLIEST = datetime.fromisoformat(contract.EARLIEST_TIME[:19])


class NoneOf(validate.Validator):
    """Refuse a string holding a character of ``chars`` (a regular expression class); name the first."""

    def __init__(self, chars: str, what: str) -> None:
        self.chars = re.compile(chars)
        self.what = what

    def __call__(self, value: str) -> str:
        found = self.chars.search(value)
        if found:
            raise ValidationError(
                f"Must not contain {self.what} (U+{ord(found.group()):04X} at character {found.start()})."
            )
        return value


ONE_LINE = NoneOf(contract.NOT_IN_ONE_LINE, "control characters or line separators")
IN_NOTE = NoneOf(contract.NOT_IN_NOTE, "control characters other than tab and line breaks")
IN_PAGE_TEXT = NoneOf(contract.NOT_IN_PAGE_TEXT, "NUL characters")


class Note(fields.String):
    """A coder's note: line breaks arrive as LF (see :func:`newsmark.contract.normalize_note`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=[validate.Length(max=contract.MAX_NOTE), IN_NOTE], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return contract.normalize_note(super()._deserialize(value, attr, data, **kwargs))


def _sha256(**kwargs: Any) -> fields.Str:
    return fields.Str(validate=FullMatch(SHA256, error="Not a SHA-256 (64 lowercase hex digits)."), **kwargs)


def _text(
    max_length: int,
    refuse: NoneOf,
    *,
    required: bool = False,
    min_length: int | None = None,
) -> fields.Str:
    kwargs: dict[str, Any] = {"validate": [validate.Length(min=min_length, max=max_length), refuse]}
    if required:
        return fields.Str(required=True, **kwargs)
    return fields.Str(load_default="", **kwargs)


class QuoteSchema(Schema):
    """The W3C TextQuoteSelector: the selected text with a little context on each side."""

    exact = _text(contract.MAX_EXACT, IN_PAGE_TEXT, required=True, min_length=1)
    prefix = _text(contract.MAX_CONTEXT, IN_PAGE_TEXT)
    suffix = _text(contract.MAX_CONTEXT, IN_PAGE_TEXT)


class StoredQuoteSchema(Schema):
    """The quote as stored: prefix and suffix always present (empty at the text's ends)."""

    exact = _text(contract.MAX_EXACT, IN_PAGE_TEXT, required=True, min_length=1)
    prefix = _text(contract.MAX_CONTEXT, IN_PAGE_TEXT, required=True)
    suffix = _text(contract.MAX_CONTEXT, IN_PAGE_TEXT, required=True)


class PositionSchema(Schema):
    """The W3C TextPositionSelector: code point offsets into the article text, end exclusive."""

    start = StrictInt(required=True, validate=validate.Range(min=0))
    end = StrictInt(required=True, validate=validate.Range(min=1))

    @validates_schema
    def _end_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["end"] <= data["start"]:
            raise ValidationError("must be greater than start.", "end")


class ArticleSnapshotSchema(Schema):
    """The article as the extension saw it when the passage was coded."""

    title = _text(contract.MAX_ARTICLE_FIELD, ONE_LINE)
    byline = _text(contract.MAX_ARTICLE_FIELD, ONE_LINE)
    timestamp_text = _text(contract.MAX_TIMESTAMP_TEXT, ONE_LINE)
    text = _text(contract.MAX_ARTICLE_TEXT, IN_PAGE_TEXT, required=True, min_length=1)
    date_published = fields.Str(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=contract.MAX_DATE_PUBLISHED), ONE_LINE],
        metadata={"description": "the page's schema.org JSON-LD datePublished, as the page states it"},
    )


class ArticlePostSchema(ArticleSnapshotSchema):
    """The body of ``POST /api/articles``: a snapshot of the article at ``url``, seen without coding."""

    url = ArticleUrl(required=True)


class BoundedList(fields.List):
    """A list refused for its length before any item is read (so 50,000 bad items are one error)."""

    def __init__(
        self, inner: fields.Field, *, max_length: int, error: str, min_length: int = 1, **kwargs: Any
    ) -> None:
        self.length = validate.Length(min=min_length, max=max_length, error=error)
        super().__init__(inner, validate=self.length, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, list):
            self.length(value)
        return super()._deserialize(value, attr, data, **kwargs)


class ArticleLookupSchema(Schema):
    """The body of ``POST /api/articles/lookup``: the article URLs a listing page links to."""

    urls = BoundedList(
        ArticleUrl(),
        required=True,
        max_length=contract.MAX_LOOKUP_URLS,
        error="Give 1 to {max} URLs; split a longer list into several requests.",
        metadata={"description": f"1 to {contract.MAX_LOOKUP_URLS} absolute http(s) URLs"},
    )


class ArticleLookupEntrySchema(Schema):
    """What ``POST /api/articles/lookup`` answers for one URL."""

    url = fields.Str(required=True, metadata={"description": "the URL normalised, as the service keeps it"})
    id = fields.Str(required=True, metadata={"description": "the article id (the same for every coder)"})
    seen = fields.Bool(
        required=True, metadata={"description": "its text is stored (it was opened) or it has annotations"}
    )
    counts = fields.Dict(
        keys=fields.Str(),
        values=fields.Int(),
        required=True,
        metadata={"description": "annotations per tag (actor, claim, figure) and their total"},
    )


class ArticleLookupAnswerSchema(Schema):
    articles = fields.Dict(
        keys=fields.Str(),
        values=fields.Nested(ArticleLookupEntrySchema),
        required=True,
        metadata={"description": "keyed by each URL exactly as sent"},
    )


class Number(fields.Float):
    """A JSON number (not a string, not a boolean), finite, kept as a float.

    JSON holds no NaN or infinity, but an integer of 400 digits is JSON too, and no float.
    """

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "Not a number (give a JSON number, not a string).",
        "special": "Not a finite number.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if type(value) is float:
            if not math.isfinite(value):
                raise self.make_error("special")
            return value
        if type(value) is not int:  # bool is an int subclass: refused here
            raise self.make_error("invalid")
        try:
            return float(value)
        except OverflowError:
            raise self.make_error("special") from None


class OneLineName(fields.String):
    """A name in one line: control characters refused, runs of white space collapsed, trimmed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = ONE_LINE(super()._deserialize(value, attr, data, **kwargs))
        return " ".join(text.split())


def _name(max_length: int, what: str, **kwargs: Any) -> OneLineName:
    return OneLineName(
        validate=validate.Length(min=1, max=max_length, error=f"Give {what} of 1 to {{max}} characters."),
        **kwargs,
    )


class UniqueItems(validate.Validator):
    """Refuse a list that holds a value twice; name the first."""

    def __call__(self, value: list[Any]) -> list[Any]:
        seen: set[Any] = set()
        for item in value:
            if item in seen:
                raise ValidationError(f"Names {item} twice.")
            seen.add(item)
        return value


def _attributed_to(**kwargs: Any) -> fields.List:
    return fields.List(
        UuidString(),
        validate=[
            validate.Length(
                max=contract.MAX_ATTRIBUTED,
                error="Attribute a claim to at most {max} actors.",
            ),
            UniqueItems(),
        ],
        metadata={"description": "ids of actor annotations on the same article (claims only)"},
        **kwargs,
    )


def _qualifier(**kwargs: Any) -> fields.Str:
    return fields.Str(validate=validate.OneOf(contract.QUALIFIERS), allow_none=True, **kwargs)


def tag_field_problems(data: dict[str, Any], *, complete: bool) -> dict[str, list[str]]:
    """What breaks the rules of the fields that apply to one tag each (see contract.TAG_FIELDS).

    ``data`` holds ``tag`` and any of those fields. ``complete``: it is the whole annotation (stored,
    imported or changed), so an actor must have an entity and a figure a qualifier; otherwise (a
    create) a field left out or null is filled by the service.
    """
    tag = data["tag"]
    problems: dict[str, list[str]] = {}
    for name, empty in contract.NOT_APPLICABLE.items():
        if name in contract.TAG_FIELDS[tag] or name not in data:
            continue
        if data[name] != empty and data[name] is not None:
            owner = next(t for t, names in contract.TAG_FIELDS.items() if name in names)
            shown = "[]" if empty == [] else "null"
            problems[name] = [
                f"Applies to {owner} annotations only (this is a {tag}): leave it out or give {shown}."
            ]
    if tag == "actor" and complete and data.get("entity") is None:
        problems["entity"] = [f"An actor has an entity (a name of 1 to {contract.MAX_ENTITY} characters)."]
    if tag == "figure":
        if complete and data.get("qualifier") is None:
            problems["qualifier"] = [
                f"A figure's qualifier is never null: one of {', '.join(contract.QUALIFIERS)}."
            ]
        low, high, qualifier = data.get("value"), data.get("value_high"), data.get("qualifier")
        if high is not None:
            if qualifier != "range":
                problems["value_high"] = ["Applies only with qualifier range (value is the low end)."]
            elif low is None:
                problems["value_high"] = ["Needs value, the low end of the range."]
            elif high < low:
                problems["value_high"] = [f"Must not be below value ({low:g}), the low end of the range."]
    return problems


_note = Note(load_default=None, allow_none=True)
_tag = fields.Str(required=True, validate=validate.OneOf(contract.TAGS))


class AnnotationCreateSchema(Schema):
    """The body of ``POST /api/annotations``."""

    id = UuidString(load_default=None)
    url = ArticleUrl(required=True)
    tag = _tag
    quote = fields.Nested(QuoteSchema, required=True)
    position = fields.Nested(PositionSchema, required=True)
    note = _note
    annotator = _text(contract.MAX_ANNOTATOR, ONE_LINE, required=True, min_length=1)
    schema_version = StrictInt(
        load_default=contract.SCHEMA_VERSION, validate=validate.Equal(contract.SCHEMA_VERSION)
    )
    article = fields.Nested(ArticleSnapshotSchema, load_default=None)
    # Left out (or null): the service fills them, see annotations.create.
    attributed_to = _attributed_to()
    entity = _name(contract.MAX_ENTITY, "an entity", allow_none=True)
    value = Number(allow_none=True)
    value_high = Number(allow_none=True)
    unit = _name(contract.MAX_UNIT, "a unit", allow_none=True)
    qualifier = _qualifier()

    @validates_schema(skip_on_field_errors=True)
    def _quote_fits_position(self, data: dict[str, Any], **kwargs: Any) -> None:
        exact, pos = data["quote"]["exact"], data["position"]
        if pos["end"] - pos["start"] != len(exact):
            raise ValidationError(
                f"spans {pos['end'] - pos['start']} characters but quote.exact has {len(exact)} "
                "(offsets count Unicode code points).",
                "position",
            )

    @validates_schema(skip_on_field_errors=True)
    def _fields_fit_tag(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems = tag_field_problems(data, complete=False)
        if problems:
            raise ValidationError(problems)


#: What a PATCH may change; the rest is fixed when an annotation is made.
PATCHABLE = ("tag", "note", *contract.NOT_APPLICABLE)


class AnnotationPatchSchema(Schema):
    """The body of ``PATCH /api/annotations/<id>``: the tag, the note and the fields of the tag.

    Whether a field fits the tag is checked against the annotation (see annotations.update).
    """

    tag = fields.Str(validate=validate.OneOf(contract.TAGS))
    note = Note(allow_none=True)
    attributed_to = _attributed_to()
    entity = _name(contract.MAX_ENTITY, "an entity", allow_none=True)
    value = Number(allow_none=True)
    value_high = Number(allow_none=True)
    unit = _name(contract.MAX_UNIT, "a unit", allow_none=True)
    qualifier = _qualifier()

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError(f"Give at least one of: {', '.join(PATCHABLE)}.", "_schema")


class AnnotationSchema(Schema):
    """An annotation as stored and answered."""

    id = fields.Str(required=True)
    url = fields.Str(required=True, validate=validate.Length(max=contract.MAX_URL))
    tag = fields.Str(required=True, validate=validate.OneOf(contract.TAGS))
    quote = fields.Nested(StoredQuoteSchema, required=True)
    position = fields.Nested(PositionSchema, required=True)
    note = Note(required=True, allow_none=True)
    annotator = _text(contract.MAX_ANNOTATOR, ONE_LINE, required=True, min_length=1)
    attributed_to = _attributed_to(required=True)
    entity = _name(contract.MAX_ENTITY, "an entity", required=True, allow_none=True)
    value = Number(required=True, allow_none=True)
    value_high = Number(required=True, allow_none=True)
    unit = _name(contract.MAX_UNIT, "a unit", required=True, allow_none=True)
    qualifier = _qualifier(required=True)
    article_sha256 = fields.Str(
        required=True,
        allow_none=True,
        metadata={"description": "The article version (text SHA-256) the offsets refer to."},
    )
    created = fields.Str(required=True)
    updated = fields.Str(required=True)
    schema_version = fields.Int(required=True, validate=validate.Equal(contract.SCHEMA_VERSION))


class ImportedAnnotationSchema(AnnotationSchema):
    """An annotation in an imported file: the stored form, every value checked as the service makes it.

    Whether the actors a claim is attributed to are actors on its article is checked against the
    file and the store together (see importing.plan).
    """

    id = UuidString(required=True)
    url = ArticleUrl(required=True)
    article_sha256 = _sha256(required=True, allow_none=True)
    created = Timestamp(required=True)
    updated = Timestamp(required=True)
    schema_version = StrictInt(required=True, validate=validate.Equal(contract.SCHEMA_VERSION))

    @validates_schema(skip_on_field_errors=True)
    def _quote_fits_position(self, data: dict[str, Any], **kwargs: Any) -> None:
        AnnotationCreateSchema._quote_fits_position(self, data)  # type: ignore[arg-type]

    @validates_schema(skip_on_field_errors=True)
    def _fields_fit_tag(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems = tag_field_problems(data, complete=True)
        if problems:
            raise ValidationError(problems)


class ImportedAnnotationV1Schema(ImportedAnnotationSchema):
    """An annotation of schema_version 1 in an imported file: without the fields of the tags, which the
    import fills as the migration of a v1 data folder does (see migration.py)."""

    class Meta:
        exclude = tuple(contract.NOT_APPLICABLE)

    schema_version = StrictInt(required=True, validate=validate.Equal(1))

    @validates_schema(skip_on_field_errors=True)
    def _fields_fit_tag(self, data: dict[str, Any], **kwargs: Any) -> None:
        pass  # none of those fields is there


class ArticleMetadataSchema(Schema):
    """What an article version keeps of what its page states about it (schema_version 2).

    An import reads these and parses them again from the page's own words (url, byline,
    timestamp_text, date_published), as the service does for what the extension sends.
    """

    published = fields.Str(
        allow_none=True, validate=[validate.Length(max=contract.MAX_DATE_PUBLISHED), ONE_LINE]
    )
    updated = fields.Str(
        allow_none=True, validate=[validate.Length(max=contract.MAX_DATE_PUBLISHED), ONE_LINE]
    )
    section = fields.Str(allow_none=True, validate=[validate.Length(max=contract.MAX_SECTION), ONE_LINE])
    authors = fields.List(
        fields.Str(validate=[validate.Length(max=contract.MAX_AUTHOR), ONE_LINE]),
        validate=validate.Length(max=contract.MAX_AUTHORS),
    )
    date_published = fields.Str(
        allow_none=True, validate=[validate.Length(max=contract.MAX_DATE_PUBLISHED), ONE_LINE]
    )


class ImportedVersionSchema(ArticleMetadataSchema):
    """One version of an article in a JSON export."""

    version = StrictInt(required=True, validate=validate.Range(min=1))
    sha256 = _sha256(required=True)
    title = _text(contract.MAX_ARTICLE_FIELD, ONE_LINE, required=True)
    byline = _text(contract.MAX_ARTICLE_FIELD, ONE_LINE, required=True)
    timestamp_text = _text(contract.MAX_TIMESTAMP_TEXT, ONE_LINE, required=True)
    text = _text(contract.MAX_ARTICLE_TEXT, IN_PAGE_TEXT, required=True, min_length=1)
    first_seen = Timestamp(required=True)


class ImportedArticleSchema(ArticleMetadataSchema):
    """An article of a JSON export, with every version's text."""

    id = UuidString(required=True)
    url = ArticleUrl(required=True)
    title = _text(contract.MAX_ARTICLE_FIELD, ONE_LINE, required=True)
    byline = _text(contract.MAX_ARTICLE_FIELD, ONE_LINE, required=True)
    timestamp_text = _text(contract.MAX_TIMESTAMP_TEXT, ONE_LINE, required=True)
    sha256 = _sha256(required=True)
    first_seen = Timestamp(required=True)
    last_seen = Timestamp(required=True)
    versions = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


class ImportedExportSchema(Schema):
    """The top of a JSON export; its articles and annotations are checked one by one."""

    schema_version = StrictInt(required=True, validate=validate.OneOf(contract.READABLE_SCHEMA_VERSIONS))
    exported_at = fields.Str()
    generator = fields.Dict()
    articles = fields.List(fields.Raw(), load_default=list)
    annotations = fields.List(fields.Raw(), required=True)


class EntitiesQuerySchema(Schema):
    """The query string of ``GET /api/entities``."""

    q = fields.Str(
        validate=validate.Length(
            max=contract.MAX_QUERY, error="Longer than {max} characters: search for a shorter name."
        ),
        metadata={"description": "only entities whose name or an alias holds this text (any case)"},
    )


class EntitySchema(Schema):
    """One entity as ``GET /api/entities`` lists it."""

    entity = fields.Str(required=True, metadata={"description": "the canonical name"})
    actors = fields.Int(required=True, metadata={"description": "actor annotations that carry it"})
    aliases = fields.List(
        fields.Str(),
        required=True,
        metadata={"description": "the distinct quotes coded under it (in one line), most frequent first"},
    )
    claims = fields.Int(required=True, metadata={"description": "claims attributed to any of those actors"})
    articles = fields.Int(required=True, metadata={"description": "distinct article URLs of those actors"})


class EntitiesSchema(Schema):
    entities = fields.List(fields.Nested(EntitySchema), required=True)


class EntityRenameSchema(Schema):
    """The body of ``POST /api/entities/rename``: entity names, and the one every actor carrying
    them gets (a merge when it exists)."""

    from_ = BoundedList(
        _name(contract.MAX_ENTITY, "an entity"),
        required=True,
        data_key="from",
        max_length=contract.MAX_RENAME_FROM,
        error="Give 1 to {max} entity names.",
    )
    to = _name(contract.MAX_ENTITY, "an entity", required=True)


class DryRunQuerySchema(Schema):
    """``?dry_run=``: answer what a write would change, and write nothing."""

    dry_run = fields.Bool(
        load_default=False, metadata={"description": "answer what would change; write nothing"}
    )


class EntityRenameQuerySchema(DryRunQuerySchema):
    """The query of ``POST /api/entities/rename``."""


class EntityRenameReportSchema(Schema):
    """What ``POST /api/entities/rename`` did (or, in a dry run, would do)."""

    changed = fields.Int(required=True, metadata={"description": "actor annotations given the new entity"})
    entity = fields.Str(required=True)
    dry_run = fields.Bool(required=True)
    merged = fields.Bool(required=True, metadata={"description": "the entity existed already"})
    from_ = fields.Dict(
        keys=fields.Str(),
        values=fields.Int(),
        required=True,
        data_key="from",
        metadata={"description": "actor annotations carrying each name given (0: none)"},
    )
    annotations = fields.List(
        fields.Str(), required=True, metadata={"description": "the ids of the actor annotations changed"}
    )


class ImportQuerySchema(DryRunQuerySchema):
    """The query of ``POST /api/import``."""


class ImportReportSchema(Schema):
    """What ``POST /api/import`` and ``newsmark import`` did (or, in a dry run, would do)."""

    format = fields.Str(required=True, metadata={"description": "json, jsonl or w3c"})
    dry_run = fields.Bool(required=True)
    added = fields.Int(required=True)
    unchanged = fields.Int(required=True, metadata={"description": "identical, or the stored one is newer"})
    kept_newer = fields.Int(required=True, metadata={"description": "of unchanged: the stored one is newer"})
    updated = fields.Int(required=True)
    conflicting = fields.Int(required=True)
    conflicts = fields.List(fields.Dict(), required=True, metadata={"description": "the first 100"})
    articles_added = fields.Int(required=True)
    articles_updated = fields.Int(required=True)
    versions_added = fields.Int(required=True)


class FilterQuerySchema(Schema):
    """Which annotations: the filters shared by the list, the export and the viewer."""

    url = ArticleUrl()
    tag = fields.Str(validate=validate.OneOf(contract.TAGS))
    annotator = fields.Str(validate=validate.Length(max=contract.MAX_ANNOTATOR))
    q = fields.Str(
        validate=validate.Length(
            max=contract.MAX_QUERY,
            error="Longer than {max} characters: search for a shorter phrase.",
        )
    )
    since = fields.Date(metadata={"description": "created on this UTC day (YYYY-MM-DD) or later"})
    until = fields.Date(metadata={"description": "created on this UTC day (YYYY-MM-DD) or earlier"})

    @validates_schema(skip_on_field_errors=True)
    def _range_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "since" in data and "until" in data and data["since"] > data["until"]:
            raise ValidationError("must not be before since.", "until")


class ListQuerySchema(FilterQuerySchema):
    """The query string of ``GET /api/annotations`` and ``GET /api/export``."""

    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = fields.Str(validate=FullMatch(CURSOR, error="Not a valid cursor."))


class ViewerQuerySchema(FilterQuerySchema):
    """The viewer's annotation table and charts: the filters, an order and a page.

    Other parameters are ignored (a page address may carry anything), unlike the API's.
    """

    class Meta:
        unknown = EXCLUDE

    sort = fields.Str(load_default=contract.SORTS[0], validate=validate.OneOf(contract.SORTS))
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=10**9))
    per = fields.Int(load_default=contract.PER_PAGE[1], validate=validate.OneOf(contract.PER_PAGE))


class ExportQuerySchema(ListQuerySchema):
    format = fields.Str(load_default="json", validate=validate.OneOf(contract.EXPORT_FORMATS))
    excel = fields.Bool(load_default=False, metadata={"description": "csv: a byte order mark first (Excel)"})
    skip_damaged = fields.Bool(
        load_default=False,
        metadata={
            "description": "leave out documents of the data file that are not valid JSON (without it "
            "such a document makes the export a 503 damaged_data); the X-Newsmark-Skipped-Damaged "
            "header says how many, GET /api/damaged which"
        },
    )


class HealthQuerySchema(Schema):
    challenge = fields.Str(
        validate=FullMatch(r"[A-Za-z0-9_-]{16,128}", error="Give 16 to 128 letters, digits, '-' or '_'."),
        metadata={"description": "a random string; the answer's proof shows the server knows its nonce"},
    )


class PageQuerySchema(Schema):
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = fields.Str(validate=FullMatch(CURSOR, error="Not a valid cursor."))


class VersionQuerySchema(Schema):
    """``?version=`` of an article: a number (1 is the first) or a text SHA-256."""

    version = fields.Str(
        validate=FullMatch(
            f"{SHA256}|{contract.VERSION_NUMBER}",
            error="Give a version number (1 is the first) or a text SHA-256.",
        )
    )


class ViewerVersionQuerySchema(VersionQuerySchema):
    """The article page's ``?version=``; other parameters are ignored, as on every viewer page."""

    class Meta:
        unknown = EXCLUDE


class VersionSummarySchema(Schema):
    version = fields.Int(required=True)
    sha256 = fields.Str(required=True)
    first_seen = fields.Str(required=True)


class ArticleSchema(Schema):
    """One version of an article, as ``GET /api/articles/<id>`` answers."""

    id = fields.Str(required=True)
    url = fields.Str(required=True)
    title = fields.Str(required=True)
    byline = fields.Str(required=True)
    timestamp_text = fields.Str(required=True)
    text = fields.Str(required=True)
    sha256 = fields.Str(required=True)
    version = fields.Int(required=True)
    first_seen = fields.Str(required=True)
    last_seen = fields.Str(required=True)
    published = fields.Str(
        required=True,
        allow_none=True,
        metadata={"description": "ISO 8601 (JSON-LD datePublished), else the URL's date (YYYY-MM-DD)"},
    )
    updated = fields.Str(
        required=True, allow_none=True, metadata={"description": "ISO 8601, from timestamp_text"}
    )
    section = fields.Str(required=True, allow_none=True, metadata={"description": "from the URL"})
    authors = fields.List(fields.Str(), required=True, metadata={"description": "from the byline"})
    date_published = fields.Str(
        required=True, allow_none=True, metadata={"description": "the page's datePublished, as stated"}
    )
    versions = fields.List(fields.Nested(VersionSummarySchema), required=True)
    counts = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)


class ErrorBodySchema(Schema):
    code = fields.Str(required=True)
    message = fields.Str(required=True)
    field_errors = fields.Dict(
        keys=fields.Str(), values=fields.List(fields.Str()), required=True, data_key="fields"
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error messages as ``{"quote.exact": ["..."]}``."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix and key != "_schema" else (prefix or str(key))
            flat.update(flatten_errors(value, path))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    return {prefix or "_schema": [str(messages)]}
