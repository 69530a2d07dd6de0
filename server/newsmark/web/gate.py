"""The checks a request meets from its headers alone, before the server reads its body.

waitress reads a request's whole body (into memory, past 512 KiB into a temporary file) before the
application sees it. So for a request that carries a body, the server asks :meth:`Gate.check` as
soon as the headers are in (see ``httpserver.py``), and a refused request is answered and its
connection closed without one byte of the body read. The checks are those of :mod:`.security`,
done again here on the raw headers: the Host name, then the token or an open viewer session, then
the length the request declares against its route's limit. A request without a body is complete
once its headers are, and the application checks it at once, with its fuller answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from werkzeug.http import parse_cookie

from .. import contract
from ..settings import Settings
from . import session
from .access import Access
from .security import EXTENSION_ORIGINS, host_name

#: What the routes open to anyone (the sign-in form, sign-out, health, static files) may be sent:
#: a sign-in form is well under 1 KiB, so no one without the token makes the server hold much.
OPEN_BODY_BYTES = 16 * 1024
_OPEN_PATHS = frozenset({"/api/health", "/signin", "/signout"})


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: an HTTP status and the API's error code and message."""

    status: int
    code: str
    message: str
    #: An extension's origin, echoed as flask-cors does for the API, so the extension can read why.
    origin: str | None = None


class Gate:
    def __init__(self, settings: Settings, access: Access) -> None:
        self.allowed_hosts = frozenset(settings.host_names())
        self.port = settings.port
        self.access = access
        self.import_bytes = settings.max_import_mb * 1024 * 1024
        self.extension_origins = settings.extension_origins

    def body_limit(self, method: str, path: str, authorized: bool) -> int:
        """The most bytes this route takes (the app enforces the same; see api.import_file)."""
        if not authorized:
            return OPEN_BODY_BYTES
        if method == "POST" and path == "/api/import":
            return self.import_bytes
        return contract.MAX_BODY_BYTES

    def check(
        self, method: str, path: str, headers: Mapping[str, str], length: int | None
    ) -> tuple[Refusal | None, int]:
        """Refuse (or not) a request that carries a body; also the most bytes it may send.

        ``headers`` are keyed as waitress keeps them (``HOST``, ``AUTHORIZATION``, ``COOKIE``);
        ``length`` is the declared ``Content-Length``, None for a chunked body.
        """
        refusal, limit = self._check(method, path, headers, length)
        origin = headers.get("ORIGIN", "")
        if refusal is not None and path.startswith("/api/") and self._extension(origin):
            refusal = replace(refusal, origin=origin)
        return refusal, limit

    def _extension(self, origin: str) -> bool:
        if self.extension_origins:
            return origin in self.extension_origins
        return any(pattern.fullmatch(origin) for pattern in EXTENSION_ORIGINS)

    def _check(
        self, method: str, path: str, headers: Mapping[str, str], length: int | None
    ) -> tuple[Refusal | None, int]:
        host = headers.get("HOST", "")
        name = host_name(host)
        if name not in self.allowed_hosts:
            return Refusal(
                403,
                "forbidden",
                f"Host {name!r} is not allowed. Use http://127.0.0.1:{self.port}/ "
                "(or add the name to NEWSMARK_ALLOWED_HOSTS).",
            ), 0
        open_route = method == "OPTIONS" or path in _OPEN_PATHS or path.startswith("/static/")
        authorized = self.authorized(host, headers)
        if not (open_route or authorized):
            return Refusal(
                401,
                "unauthorized",
                "Missing or wrong API token. Send 'Authorization: Bearer <token>'; 'newsmark token' "
                "prints it. (Checked before the body is read: nothing of it was.)",
            ), 0
        limit = self.body_limit(method, path, authorized)
        if length is not None and length > limit:
            return too_large(limit), limit
        return None, limit

    def authorized(self, host: str, headers: Mapping[str, str]) -> bool:
        """The token, or the cookie of an open viewer session (its CSRF token is the app's to check)."""
        if self.access.bearer_matches(headers.get("AUTHORIZATION", "")):
            return True
        cookie = parse_cookie(headers.get("COOKIE", "")).get(session.cookie_name(host), "")
        return bool(cookie) and self.access.session(cookie) is not None


def too_large(limit: int) -> Refusal:
    return Refusal(
        413, "too_large", f"The request body is larger than this route takes ({limit:,} bytes at most)."
    )
