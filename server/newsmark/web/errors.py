"""One error shape for every failure: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from .. import errors as domain
from ..schemas import flatten_errors
from ..storage import DamagedDocument
from . import session
from .security import SignInRequired

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}

_DOMAIN_STATUS = {
    domain.Invalid: 422,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.StoreUnavailable: 503,
}


def error_response(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> tuple[Response | str, int]:
    """The error as JSON for the API, as a page for the viewer (a person reads it)."""
    if _for_a_person():
        if status == 401:
            return render_template("signin.html", problem=None, target=_here()), 401
        return render_template("error.html", status=status, message=message, fields=fields or {}), status
    return jsonify({"error": {"code": code, "message": message, "fields": fields or {}}}), status


def _for_a_person() -> bool:
    return not request.path.startswith("/api/") and request.path != "/api"


def _here() -> str:
    return session.clean_target() if request.method == "GET" else "/"


def init_app(app: Flask) -> None:
    @app.errorhandler(SignInRequired)
    def sign_in_first(exc: SignInRequired) -> tuple[str, int]:
        return render_template("signin.html", problem=exc.problem, target=_here()), 401

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        status = exc.code or 500
        response, status = error_response(
            status, _HTTP_CODES.get(status, "error"), exc.description or exc.name
        )
        if status == 401 and isinstance(response, Response):
            response.headers["WWW-Authenticate"] = 'Bearer realm="newsmark"'
        if status == 405 and exc.get_headers() and isinstance(response, Response):
            response.headers.update(dict(exc.get_headers()))
            response.headers["Content-Type"] = "application/json"
        return response, status

    @app.errorhandler(ValidationError)
    def invalid(exc: ValidationError) -> tuple[Response, int]:
        fields = flatten_errors(exc.messages)
        summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        return error_response(422, "validation_error", f"Invalid request: {summary}", fields)

    @app.errorhandler(domain.NewsmarkError)
    def domain_error(exc: domain.NewsmarkError) -> tuple[Response, int]:
        return error_response(_DOMAIN_STATUS.get(type(exc), 400), exc.code, exc.message, exc.fields)

    @app.errorhandler(DamagedDocument)
    def damaged(exc: DamagedDocument) -> tuple[Response, int]:
        log.error("%s", exc)
        return error_response(
            503,
            "damaged_data",
            f"{exc}. Nothing was changed. 'newsmark check' lists every damaged document; "
            "see the README on recovery.",
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        # A bug. Say so plainly; nothing half-written stays behind (writes are transactions).
        log.exception("unexpected error")
        return error_response(500, "internal_error", "Unexpected error; see the server log.")
