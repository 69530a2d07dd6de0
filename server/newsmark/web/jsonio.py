"""JSON in and out: orjson for speed, and strict reading of request bodies."""

from __future__ import annotations

from typing import IO, Any

import orjson
from flask import Response, request
from flask.json.provider import JSONProvider
from marshmallow import Schema
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from ..errors import Invalid
from ..storage import dumps_docs


class OrjsonProvider(JSONProvider):
    """orjson, embedding stored documents that are still the JSON bytes they were loaded as."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return dumps_docs(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(dumps_docs(obj), mimetype="application/json")


def json_body() -> dict[str, Any]:
    """The request body as a JSON object.

    :raise 415: for any content type but JSON. :raise 413: over the size limit.
    :raise 400: if the body is not JSON, or not a JSON object.
    """
    body = json_value()
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


def json_value() -> Any:
    """The request body as any JSON value, read whole (an import reads it as it arrives: json_stream).

    Only ``application/json`` is read: a cross-site HTML form or a "simple"
    text/plain request cannot send that type without a CORS preflight.

    :raise 415: for any other content type. :raise 413: over the size limit.
    :raise 400: if the body is not JSON.
    """
    _require_json()
    raw = request.get_data(cache=False)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from None
    return body


def json_stream() -> IO[bytes]:
    """The request body, to read as it arrives (an import: see :mod:`newsmark.jsonstream`).

    :raise 415: for any content type but JSON. :raise 413: over the size limit, also
        while reading a body sent without a length.
    """
    _require_json()
    return request.stream


def _require_json() -> None:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"Send the body as application/json (got {request.mimetype or 'no content type'})."
        )


def query(schema: Schema, *, drop_empty: bool = False) -> dict[str, Any]:
    """The query string loaded by ``schema``; a parameter given twice is refused.

    ``drop_empty``: treat ``name=`` as if the parameter were not there (an HTML form
    sends its empty fields).

    :raise Invalid: naming each bad parameter.
    """
    repeated = {k: ["Give this parameter once."] for k, v in request.args.lists() if len(v) > 1}
    if repeated:
        raise Invalid("A query parameter was given more than once.", repeated)
    args = request.args.to_dict()
    if drop_empty:
        args = {k: v for k, v in args.items() if v != ""}
    return schema.load(args)
