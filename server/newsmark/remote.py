"""The server that holds a data folder, asked over HTTP by the CLI.

It is asked where its server.json says it listens, and only once it has proved to be
that folder's server (an HMAC of a fresh challenge keyed by the nonce of this start,
see :func:`newsmark.datafolder.nonce_proof`) is the folder's token sent.
"""

from __future__ import annotations

import hmac
import http.client
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .datafolder import nonce_proof


class RemoteError(Exception):
    """The server could not be asked, or answered with an error: one line for the user."""


class Server:
    """The running server that holds the data folder, asked over HTTP with the folder's token.

    It is asked where server.json says it listens, and only once it has proved to be
    this folder's server (see :func:`newsmark.datafolder.nonce_proof`) is the token sent.
    """

    def __init__(self, folder: Path, info: dict[str, Any], token: str) -> None:
        self.folder = folder
        self.info = info
        self.token = token
        self.base = _base_url(info)
        # Any name the server's Host check accepts; the address may be one it does not list.
        self.host_header = f"localhost:{info.get('port')}"
        self.verified = False

    def get(
        self, path: str, params: dict[str, Any], read: Callable[[http.client.HTTPResponse], Any] | None = None
    ) -> Any:
        """The answer's body, or what ``read`` makes of the response (e.g. streams it to a file)."""
        return self._request(path, params, read=read)

    def post(self, path: str, params: dict[str, Any], body: bytes) -> bytes:
        return self._request(path, params, body)

    def verify(self) -> None:
        """Make sure what answers is this folder's server, before anything secret is sent."""
        nonce = self.info.get("nonce")
        where = f"{self.base}/ (pid {self.info.get('pid')})"
        if not isinstance(nonce, str) or not nonce:
            raise RemoteError(
                f"{self.folder / 'server.json'} names no nonce (a server of an older newsmark?), so the "
                f"server at {where} cannot be told from another program there. Restart it."
            )
        challenge = secrets.token_urlsafe(32)
        request = urllib.request.Request(
            f"{self.base}/api/health?challenge={challenge}", headers={"Host": self.host_header}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(read_body(response))
        except urllib.error.HTTPError as exc:
            answer = {"status": exc.code}
        except OSError as exc:
            raise RemoteError(
                f"a newsmark server (pid {self.info.get('pid')}) holds the data folder but does not "
                f"answer at {self.base}/ ({exc}). Stop it and try again."
            ) from None
        except ValueError:
            answer = None
        proof = answer.get("proof") if isinstance(answer, dict) else None
        if not isinstance(proof, str) or not hmac.compare_digest(proof, nonce_proof(nonce, challenge)):
            raise RemoteError(
                f"what answers at {self.base}/ is not the newsmark server of {self.folder} (it could not "
                "prove it knows the nonce in server.json), so the token was not sent. Another program "
                f"may listen there: stop the newsmark server (pid {self.info.get('pid')}) and start it again."
            )
        self.verified = True

    def _request(
        self,
        path: str,
        params: dict[str, Any],
        body: bytes | None = None,
        read: Callable[[http.client.HTTPResponse], Any] | None = None,
    ) -> Any:
        if not self.verified:
            self.verify()
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.base}{path}" + (f"?{query}" if query else "")
        headers = {"Authorization": f"Bearer {self.token}", "Host": self.host_header}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            url, data=body, headers=headers, method="GET" if body is None else "POST"
        )
        try:
            response = urllib.request.urlopen(request, timeout=600 if body is not None else 120)
        except urllib.error.HTTPError as exc:
            raise RemoteError(_server_error(exc)) from None
        except OSError as exc:
            raise RemoteError(
                f"a newsmark server (pid {self.info.get('pid')}) holds the data folder but does not "
                f"answer at {self.base}/ ({exc}). Stop it and try again."
            ) from None
        with response:
            # ``read`` tells a broken answer (see read_body) from a file it cannot write.
            return read(response) if read is not None else read_body(response)


def _base_url(info: dict[str, Any]) -> str:
    """Where the server listens, from server.json: its own host and port, never assumed."""
    host = str(info.get("host") or "127.0.0.1")
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"}.get(host, host)  # any address: ask loopback
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{int(info['port'])}"


def _server_error(exc: urllib.error.HTTPError, shown: int = 20) -> str:
    """The server's error answer in a few lines: its message, then the fields at fault."""
    try:
        error = json.loads(exc.read())["error"]
        message, fields = error["message"], error.get("fields") or {}
    except (ValueError, KeyError, TypeError):
        message, fields = exc.reason, {}
    lines = [f"the server answered {exc.code}: {message}"]
    lines += [f"  {path}: {' '.join(reasons)}" for path, reasons in list(fields.items())[:shown]]
    return "\n".join(lines)


def read_body(response: http.client.HTTPResponse, size: int | None = None) -> bytes:
    """Up to ``size`` bytes of the answer (all without); a connection lost on the way is a RemoteError."""
    try:
        return response.read(size)
    except (http.client.HTTPException, OSError) as exc:
        raise RemoteError(f"the server's answer broke off ({exc!r})") from None
