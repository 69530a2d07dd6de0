"""Every web page the user opens can reach a loopback server, so every request is
hostile until it passes, in this order:

1. ``Host`` is a loopback name (or a configured one): defeats DNS rebinding, where
   a page makes its own host name resolve to 127.0.0.1.
2. ``Authorization: Bearer <token>`` matches the folder's token (compared in
   constant time); only ``/api/health`` and CORS preflights go without.
3. CORS answers only extension origins, never ``*``, so no page can read a reply.
4. Bodies must be ``application/json`` (checked where bodies are read), which a
   cross-site form or a text/plain "simple request" cannot send.

The model is Jupyter's: loopback, a token, Host and Origin checks.
"""

from __future__ import annotations

import hmac
import re

from flask import Flask, request
from flask_cors import CORS
from werkzeug.exceptions import Forbidden, Unauthorized

from ..settings import Settings

#: Chromium extension ids are 32 letters a-p; Firefox gives each install a UUID.
EXTENSION_ORIGINS = [
    re.compile(r"^chrome-extension://[a-p]{32}$"),
    re.compile(r"^moz-extension://[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]

OPEN_ENDPOINTS = {"api.health"}


def host_name(host_header: str) -> str:
    """The name part of a Host header value, without the port, lowercase."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def init_app(app: Flask, settings: Settings, token: str) -> None:
    allowed_hosts = set(settings.host_names())
    expected = token.encode()

    @app.before_request
    def check_request() -> None:
        name = host_name(request.headers.get("Host", ""))
        if name not in allowed_hosts:
            raise Forbidden(
                f"Host {name!r} is not allowed. Use http://127.0.0.1:{settings.port}/ "
                "(or add the name to NEWSMARK_ALLOWED_HOSTS)."
            )
        if request.method == "OPTIONS" or request.endpoint in OPEN_ENDPOINTS:
            return
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise Unauthorized(
                "Missing or wrong API token. Send 'Authorization: Bearer <token>'; "
                "'newsmark token' prints it."
            )

    CORS(
        app,
        resources={r"/api/.*": {"origins": list(settings.extension_origins) or EXTENSION_ORIGINS}},
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        supports_credentials=False,
        max_age=600,
        vary_header=True,
    )
