"""The domain's errors; the web layer maps each to its HTTP status."""

from __future__ import annotations


class NewsmarkError(Exception):
    """Base class: ``code`` names the error for clients, ``message`` explains it."""

    code = "error"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Invalid(NewsmarkError):
    """The request is well-formed but breaks a rule of the data contract (HTTP 422)."""

    code = "validation_error"


class NotJson(NewsmarkError):
    """An uploaded file is not JSON (HTTP 400); ``reason`` says where and why."""

    code = "bad_request"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The file is not valid JSON: {reason}. Nothing was imported.")
        self.reason = reason


class NotFound(NewsmarkError):
    """No such annotation or article (HTTP 404)."""

    code = "not_found"


class Conflict(NewsmarkError):
    """The id is taken by different content (HTTP 409)."""

    code = "conflict"


class StoreUnavailable(NewsmarkError):
    """The store is closed or could not write (HTTP 503); nothing was changed."""

    code = "unavailable"
