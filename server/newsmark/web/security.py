"""Every web page the user opens can reach a loopback server, so every request is
hostile until it passes, in this order:

1. ``Host`` is a loopback name (or a configured one): defeats DNS rebinding, where
   a page makes its own host name resolve to 127.0.0.1.
2. ``Authorization: Bearer <token>`` matches the folder's token (compared in
   constant time; the token file is read again when it changes, see :mod:`.access`);
   only ``/api/health``, CORS preflights, the viewer's sign-in and its static files
   go without. The viewer's pages instead need an open session (see :mod:`.session`);
   a request made with its cookie that changes data must also carry the session's
   CSRF token and come from the viewer's origin.
3. CORS answers only extension origins, never ``*``, so no page can read a reply.
4. Bodies must be ``application/json`` (checked where bodies are read), which a
   cross-site form or a text/plain "simple request" cannot send.
5. Every answer forbids inline script, framing and sniffing (:data:`SECURITY_HEADERS`).

The model is Jupyter's: loopback, a token, Host and Origin checks. Requests that carry a
body meet the same checks once before, in the server, from their headers alone (:mod:`.gate`).
"""

from __future__ import annotations

import re

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.exceptions import Forbidden, Unauthorized

from ..settings import Settings
from . import session
from .access import Access

#: Chromium extension ids are 32 letters a-p; Firefox gives each install a UUID.
EXTENSION_ORIGINS = [
    re.compile(r"^chrome-extension://[a-p]{32}$"),
    re.compile(r"^moz-extension://[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]

OPEN_ENDPOINTS = {"api.health", "viewer.static", "viewer.signin"}

SECURITY_HEADERS = {
    # No inline script or style, nothing from elsewhere: user text on a page can never run.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Same-origin: the viewer's own forms then carry its real Origin (with no-referrer, Chromium
    # sends "Origin: null" and sign-out was refused); other sites still get no referrer.
    "Referrer-Policy": "same-origin",
}


class SignInRequired(Unauthorized):
    """A viewer page was asked for without the session cookie: show the sign-in page."""

    def __init__(self, problem: str | None = None) -> None:
        super().__init__(problem or "Sign in to the viewer first.")
        self.problem = problem


def host_name(host_header: str) -> str:
    """The name part of a Host header value, without the port, lowercase."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def init_app(app: Flask, settings: Settings, access: Access) -> None:
    allowed_hosts = set(settings.host_names())

    @app.before_request
    def check_request() -> Response | None:
        name = host_name(request.headers.get("Host", ""))
        if name not in allowed_hosts:
            raise Forbidden(
                f"Host {name!r} is not allowed. Use http://127.0.0.1:{settings.port}/ "
                "(or add the name to NEWSMARK_ALLOWED_HOSTS)."
            )
        if request.method == "OPTIONS" or request.endpoint in OPEN_ENDPOINTS:
            return None
        if request.blueprint == "viewer":
            return check_viewer(access)
        if access.bearer_matches(request.headers.get("Authorization", "")):
            return None
        signed_in = session.current(access)
        if signed_in is not None:  # the viewer's own page calling the API
            if request.method not in session.SAFE_METHODS:
                session.check_csrf(signed_in)
            return None
        raise Unauthorized(
            "Missing or wrong API token. Send 'Authorization: Bearer <token>'; 'newsmark token' prints it."
        )

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    CORS(
        app,
        resources={r"/api/.*": {"origins": list(settings.extension_origins) or EXTENSION_ORIGINS}},
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        supports_credentials=False,
        max_age=600,
        vary_header=True,
    )


def check_viewer(access: Access) -> Response | None:
    """A viewer page: sign in by a ``?token=`` link, else an open session is needed.

    :raise SignInRequired: without one (or with a wrong token in the link).
    """
    if "token" in request.args:
        if access.token_matches(request.args.get("token", "")):
            return session.sign_in(access, session.clean_target())
        raise SignInRequired("That token is not this service's token.")
    signed_in = session.current(access)
    if signed_in is None:
        raise SignInRequired()
    if request.method not in session.SAFE_METHODS:
        session.check_csrf(signed_in)
    return None
