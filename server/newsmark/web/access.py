"""Who may in: the folder's API token, as its file says now, and the viewer's open sessions.

The token file is the one source of truth. ``newsmark token --rotate`` replaces it (a new file
renamed over the old one), and every check here first compares the file's identity (inode, size,
modification time: one ``stat``) with the one last read. When the token in it changed, the old
token stops working at once and every viewer session ends, without a restart and without the
command having to reach the server. While the file is missing or unreadable, no token matches.
"""

from __future__ import annotations

import hmac
import threading
from pathlib import Path

from .session import Session, Sessions

_Signature = tuple[int, int, int, int]


def _signature(path: Path) -> _Signature | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class Access:
    """The current token and the sessions opened with it (shared by the app and the server's gate)."""

    def __init__(self, token: str, token_file: Path | None = None, sessions: Sessions | None = None) -> None:
        self._token: str | None = token
        self._file = token_file
        self._seen = _signature(token_file) if token_file else None
        self._lock = threading.Lock()
        self.sessions = sessions or Sessions()

    def token(self) -> str | None:
        """The token now; ``None`` (nothing matches) while its file is missing or empty."""
        if self._file is None:
            return self._token
        seen = _signature(self._file)
        if seen == self._seen:
            return self._token
        with self._lock:
            if seen != self._seen:
                try:
                    token = self._file.read_text(encoding="utf-8").strip() or None
                except OSError:
                    token = None
                if token != self._token:
                    self.sessions.end_all()  # sessions opened with the old token end with it
                self._token, self._seen = token, seen
            return self._token

    def token_matches(self, given: str) -> bool:
        """``given`` is the token (compared in constant time; white space around it is ignored)."""
        token = self.token()
        return token is not None and hmac.compare_digest(given.strip().encode(), token.encode())

    def bearer_matches(self, authorization: str) -> bool:
        """An ``Authorization`` header value carries the token."""
        scheme, _, given = authorization.partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(given)

    def session(self, session_id: str) -> Session | None:
        """The open session with this id (the token is checked first, so a rotation ends it at once)."""
        self.token()
        return self.sessions.find(session_id)
