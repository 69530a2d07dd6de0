"""The viewer's sign-in, the Jupyter way: a token link sets a session cookie.

``newsmark serve`` prints ``http://127.0.0.1:<port>/?token=…``. Opening it sets an
HttpOnly, SameSite=Strict cookie and redirects to the same page without the
token, so the token leaves the address bar and the history. The cookie's value
is derived from the token (an HMAC), never the token itself, and so is the
CSRF token that every state-changing request from the viewer must carry in the
``X-CSRF-Token`` header (or a form's ``csrf_token`` field).

Both values stay the same across restarts, as long as the token does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote, urlencode

from flask import Response, redirect, request
from werkzeug.exceptions import Forbidden

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _derive(token: str, purpose: bytes) -> str:
    return hmac.new(token.encode(), b"newsmark " + purpose, hashlib.sha256).hexdigest()


def session_value(token: str) -> str:
    return _derive(token, b"viewer session v1")


def csrf_value(token: str) -> str:
    return _derive(token, b"viewer csrf v1")


def cookie_name() -> str:
    """One cookie per port: browsers share cookies between the ports of a host."""
    host = request.host
    port = host.rsplit(":", 1)[1] if host.count(":") == 1 else "80"
    return f"newsmark-{port}" if port.isdigit() else "newsmark"


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.strip().encode(), token.encode())


def signed_in(token: str) -> bool:
    cookie = request.cookies.get(cookie_name(), "")
    return hmac.compare_digest(cookie.encode(), session_value(token).encode())


def sign_in(token: str, target: str) -> Response:
    """Redirect to ``target`` with the session cookie set."""
    response = redirect(target, code=303)
    response.set_cookie(
        cookie_name(), session_value(token), httponly=True, samesite="Strict", path="/", secure=False
    )
    return response


def sign_out(target: str) -> Response:
    response = redirect(target, code=303)
    response.delete_cookie(cookie_name(), path="/", httponly=True, samesite="Strict")
    return response


def clean_target() -> str:
    """This request's path and query without the ``token`` parameter."""
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
    # Quoted again: the path arrives decoded, and an article URL in it may hold anything.
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~")
    return path + (f"?{urlencode(rest)}" if rest else "")


#: A path on this service: one "/" first, then no white space or backslash, which browsers drop
#: or turn into "/" (so that "/\t/evil.example" would become "//evil.example", another site).
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\]*")


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything else (another site, ``//host``) goes home."""
    if value and _LOCAL_PATH.fullmatch(value):
        return value
    return "/"


def check_csrf(token: str) -> None:
    """A state-changing request made with the cookie must come from the viewer's own page.

    :raise Forbidden: without the CSRF token, or from another origin.
    """
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise Forbidden(f"Requests from {origin!r} may not change data with the viewer's session.")
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    if not hmac.compare_digest(given.encode(), csrf_value(token).encode()):
        raise Forbidden(
            f"Missing or wrong CSRF token: reload the viewer page and try again ({CSRF_HEADER} header)."
        )
