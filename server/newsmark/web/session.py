"""The viewer's sign-in, the Jupyter way: a token link (or the sign-in form) opens a session.

``newsmark serve`` prints ``http://127.0.0.1:<port>/?token=…``. Opening it sets an
HttpOnly, SameSite=Strict cookie and redirects to the same page without the
token, so the token leaves the address bar and the history.

The cookie holds a random session id, nothing derived from the token; the server keeps its open
sessions in memory, each with its own random CSRF token that every state-changing request from
the viewer must carry in the ``X-CSRF-Token`` header (or a form's ``csrf_token`` field). So a
session can end for good, and a copied cookie with it: at sign-out, when the token is rotated,
after :data:`IDLE_SECONDS` without a request, and when the server stops (it keeps no sessions).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from flask import Response, g, redirect, request
from werkzeug.exceptions import Forbidden

if TYPE_CHECKING:
    from .access import Access

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: A session not used for this long ends (a browser left open overnight and more).
IDLE_SECONDS = 12 * 60 * 60


@dataclass
class Session:
    csrf: str
    last_seen: float


class Sessions:
    """The open sessions, by a hash of their id (so a lookup's timing tells nothing about the ids)."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._open: dict[bytes, Session] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(session_id: str) -> bytes:
        return hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).digest()

    def start(self) -> tuple[str, Session]:
        """A new session: its id (the cookie's value) and the session with its CSRF token."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            for key in [k for k, s in self._open.items() if now - s.last_seen > self.idle_seconds]:
                del self._open[key]  # sessions nobody ended stop taking memory here
            session = self._open[self._key(session_id)] = Session(secrets.token_urlsafe(32), now)
        return session_id, session

    def find(self, session_id: str) -> Session | None:
        """The open session with this id, marked as used now; None if unknown, ended or idle too long."""
        if not session_id:
            return None
        key = self._key(session_id)
        now = self.clock()
        with self._lock:
            session = self._open.get(key)
            if session is None:
                return None
            if now - session.last_seen > self.idle_seconds:
                del self._open[key]
                return None
            session.last_seen = now
            return session

    def end(self, session_id: str) -> None:
        with self._lock:
            self._open.pop(self._key(session_id), None)

    def end_all(self) -> None:
        with self._lock:
            self._open.clear()

    def __len__(self) -> int:
        return len(self._open)


def cookie_name(host: str | None = None) -> str:
    """One cookie per port: browsers share cookies between the ports of a host."""
    host = request.host if host is None else host
    port = host.rsplit(":", 1)[1] if host.count(":") == 1 else "80"
    return f"newsmark-{port}" if port.isdigit() else "newsmark"


def current(access: Access) -> Session | None:
    """This request's open session, if its cookie names one."""
    if "newsmark_session" not in g:
        g.newsmark_session = access.session(request.cookies.get(cookie_name(), ""))
    return g.newsmark_session


def sign_in(access: Access, target: str) -> Response:
    """Open a session and redirect to ``target`` with its cookie set."""
    old = request.cookies.get(cookie_name())
    if old:
        access.sessions.end(old)  # a new session id at each sign-in: none can be planted beforehand
    session_id, _ = access.sessions.start()
    response = redirect(target, code=303)
    response.set_cookie(cookie_name(), session_id, httponly=True, samesite="Strict", path="/", secure=False)
    return response


def sign_out(access: Access, target: str) -> Response:
    """End this request's session on the server (a copy of the cookie is worth nothing now)."""
    access.sessions.end(request.cookies.get(cookie_name(), ""))
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


def check_csrf(session: Session) -> None:
    """A state-changing request made with the cookie must come from the viewer's own page.

    :raise Forbidden: without the CSRF token, or from another origin.
    """
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise Forbidden(f"Requests from {origin!r} may not change data with the viewer's session.")
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    if not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise Forbidden(
            f"Missing or wrong CSRF token: reload the viewer page and try again ({CSRF_HEADER} header)."
        )
