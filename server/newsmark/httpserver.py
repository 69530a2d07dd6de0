"""waitress, with the limits a service that every web page can reach needs.

waitress's own seams are used, not changed: the server's ``channel_class`` (one per connection),
the channel's ``parser_class`` (one per request) and the server's ``maintenance`` pass.

- **Refused at the headers** (:mod:`.web.gate`): once a request's headers are in, a request that
  carries a body is checked (Host, token or session, declared length against its route's limit).
  A refused one is answered (403, 401 or 413, the API's JSON error) and its connection closed
  without a byte of the body read. A chunked body is cut off (413) once it passes the limit.
- **Slow clients** cannot hold connections: the headers must be in within :attr:`Limits.header_seconds`
  of their first byte, and a body must keep coming at :attr:`Limits.body_bytes_per_second` after a
  grace of :attr:`Limits.body_grace_seconds`; a connection idle between requests closes after
  :attr:`Limits.idle_seconds`. These are checked every second.
- **Connections**: up to :attr:`Limits.connections` at once (waitress's default is 100, which 110
  half-sent requests used up). When they are all taken, the connection that has waited longest
  without being answered is closed to make room, so a flood of stalled connections cannot lock a
  real request out. (waitress has no per-address cap, and on loopback every client, the extension
  and the viewer included, has the same address: the deadlines and this rule do that work.)
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher
from waitress.utilities import Error, RequestEntityTooLarge

from .web.gate import Gate, Refusal, too_large
from .web.security import SECURITY_HEADERS

log = logging.getLogger(__name__)

#: After a refusal, what a client still sends is dropped for this long, or this much, at most.
LINGER_SECONDS = 2.0
LINGER_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    header_seconds: float = 10.0
    header_bytes: int = 64 * 1024  # waitress's default is 256 KiB; a browser's are a few KiB
    body_grace_seconds: float = 10.0
    body_bytes_per_second: int = 64 * 1024
    idle_seconds: int = 30
    connections: int = 1000


class Refused(Error):
    """waitress's error answer, in the API's JSON shape and with the service's headers."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal
        self.code = refusal.status
        self.reason = {401: "Unauthorized", 403: "Forbidden", 413: "Content Too Large"}.get(
            refusal.status, "Bad Request"
        )

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        r = self.refusal
        body = json.dumps({"error": {"code": r.code, "message": r.message, "fields": {}}}).encode()
        headers = [("Content-Type", "application/json"), *SECURITY_HEADERS.items()]
        if r.status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="newsmark"'))
        if r.origin:
            headers += [("Access-Control-Allow-Origin", r.origin), ("Vary", "Origin")]
        return f"{self.code} {self.reason}", headers, body


class GatedParser(HTTPRequestParser):
    """One request, put to the gate as soon as its headers are in."""

    body_limit: int | None = None
    body_started: float = 0.0

    def __init__(self, adj: Adjustments, *, gate: Gate, clock: Callable[[], float]) -> None:
        super().__init__(adj)
        self.gate = gate
        self.clock = clock
        self.started = clock()  # the request's first byte

    def received(self, data: bytes) -> int:
        if self.completed:
            return 0
        consumed = super().received(data)
        if not self.headers_finished:
            return consumed
        if self.body_limit is None:  # the headers are in, with this call
            self.body_started = self.clock()
            self.body_limit = 0
            capped = isinstance(self.error, RequestEntityTooLarge)  # over waitress's own cap
            if (self.error is not None or self.completed) and not capped:
                return consumed  # malformed (waitress answers), or no body (the app checks it at once)
            declared = None if self.chunked else self.content_length
            refusal, self.body_limit = self.gate.check(self.command, self.path, self.headers, declared)
            if refusal is None and capped:
                refusal = too_large(self.body_limit)
            if refusal is not None:
                return self._refuse(refusal, len(data))
        elif self.error is None and self.body_bytes_received > self.body_limit:  # a chunked body
            return self._refuse(too_large(self.body_limit), len(data))
        return consumed

    def _refuse(self, refusal: Refusal, consumed: int) -> int:
        self.error = Refused(refusal)
        self.completed = True
        self.expect_continue = False  # no "100 Continue": the client must not send the body
        self.connection_close = True
        return consumed  # what came with the headers is dropped, never parsed as a request

    def overdue(self, now: float, limits: Limits) -> bool:
        """Too slow: the headers not in within their deadline, or the body trickling."""
        if not self.headers_finished:
            return now - self.started > limits.header_seconds
        allowed = limits.body_grace_seconds + self.body_bytes_received / limits.body_bytes_per_second
        return not self.completed and now - self.body_started > allowed


class GatedChannel(HTTPChannel):
    """A connection; after a refusal it lingers, as web servers do, before it closes.

    A refused client may already have sent part of its body. Closing a socket with unread data
    makes the kernel send a reset, and a client still sending may lose the answer with it (and
    report a broken connection instead of, say, a wrong token). So the answer is sent, the
    sending side shut, and what the client still sends is read and dropped (never kept) for up to
    :data:`LINGER_SECONDS` or :data:`LINGER_BYTES`, until the client closes.
    """

    lingering_until: float | None = None
    linger_left = 0
    refused = False
    ending = False

    def __init__(self, server: GatedServer, sock: Any, addr: Any, adj: Adjustments, map: Any = None) -> None:
        super().__init__(server, sock, addr, adj, map)
        self.clock = server.clock
        self.parser_class = functools.partial(GatedParser, gate=server.gate, clock=server.clock)

    def received(self, data: bytes) -> bool:
        done = super().received(data)
        # Refused by the gate, or by waitress itself (headers too large, malformed).
        self.refused = self.refused or any(r.error is not None for r in self.requests)
        return done

    def handle_close(self) -> None:
        lingers = self.refused and not self.ending and self.lingering_until is None
        if lingers and self.connected and not self.total_outbufs_len:
            try:
                self.socket.shutdown(socket.SHUT_WR)  # the answer is out; then the end of it
            except OSError:
                pass
            else:
                self.lingering_until = self.clock() + LINGER_SECONDS
                self.linger_left = LINGER_BYTES
                self.will_close = False
                return
        super().handle_close()

    def readable(self) -> bool:
        return self.lingering_until is not None or super().readable()

    def handle_read(self) -> None:
        if self.lingering_until is None:
            return super().handle_read()
        try:
            dropped = len(self.socket.recv(65536))
        except OSError:
            dropped = 0
        self.linger_left -= dropped
        if not dropped or self.linger_left <= 0 or self.clock() > self.lingering_until:
            super().handle_close()
        return None

    def end(self) -> None:
        """Close at the loop's next round, whatever state the client left the connection in.

        Shutting the socket makes the poll report it at once (a client that stopped reading
        would otherwise keep it from ever being writable); the socket number stays taken until
        the loop closes it, so no new connection can be handed an event meant for this one.
        """
        self.will_close = True
        self.ending = True  # no lingering: closed for good
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)

    def waiting_since(self, now: float) -> float:
        """Since when (on the monotonic clock) this connection waits for its client."""
        if self.request is not None:
            return self.request.started
        return now - (time.time() - self.last_activity)


class GatedServer(TcpWSGIServer):
    channel_class = GatedChannel

    def __init__(
        self, *args: Any, gate: Gate, limits: Limits, clock: Callable[[], float] = time.monotonic, **kw: Any
    ) -> None:
        self.gate = gate
        self.limits = limits
        self.clock = clock
        self._warned = -math.inf
        super().__init__(*args, **kw)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections (waitress's channel_timeout)
        mono = self.clock()
        for channel in list(self.active_channels.values()):
            if channel.lingering_until is not None and mono > channel.lingering_until:
                channel.end()
            if channel.requests or channel.request is None:
                continue  # being answered, or between requests
            if channel.request.overdue(mono, self.limits):
                channel.end()

    def readable(self) -> bool:
        """Whether to watch for new connections (and, once a second, the deadlines above)."""
        now = time.time()
        if now >= self.next_channel_cleanup:
            self.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        if not self.accepting:
            return False
        if len(self._map) < self.adj.connection_limit:
            return True
        # All taken. Keep watching (so that a new client is seen at once) while some connection
        # could make room; if every one is being answered, wait as waitress does.
        return any(not ch.requests for ch in self.active_channels.values())

    def handle_accept(self) -> None:
        if len(self._map) >= self.adj.connection_limit:
            self._make_room()  # the new client is accepted once they are closed, a moment later
            return
        super().handle_accept()

    def _make_room(self) -> None:
        """Close the connections that waited longest for their client, so that one more fits.

        They are ended (see :meth:`GatedChannel.end`), not closed here: a socket number closed in
        the middle of a poll round could be reused by an accept while an event of the old socket
        is still due.
        """
        now = self.clock()
        channels = list(self.active_channels.values())
        closing = sum(1 for ch in channels if ch.will_close)
        wanted = len(self._map) - self.adj.connection_limit + 1 - closing
        if wanted <= 0:
            return
        waiting = sorted(
            (ch for ch in channels if not ch.requests and not ch.will_close),
            key=lambda ch: ch.waiting_since(now),
        )
        if waiting and now - self._warned > 60:
            log.warning(
                "all %d connections are taken: closing those that waited longest for their client",
                self.adj.connection_limit,
            )
            self._warned = now
        for channel in waiting[:wanted]:
            channel.end()


def connection_limit(wanted: int) -> int:
    """``wanted``, or fewer if the process may not open that many files (raising its soft limit)."""
    try:
        import resource
    except ImportError:  # Windows: waitress's select() takes 512 sockets
        return min(wanted, 500)
    spare = 64  # the store's files, the log, the listening sockets
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + spare
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return wanted if soft == resource.RLIM_INFINITY else max(min(wanted, soft - spare), 16)


def create_server(
    app: Any,
    gate: Gate,
    *,
    host: str,
    port: int,
    threads: int,
    max_body_bytes: int,
    limits: Limits | None = None,
) -> GatedServer | MultiSocketServer:
    """Listening (but not yet serving: call ``run()``) on every address ``host`` names."""
    limits = limits or Limits()
    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="newsmark",
        max_request_body_size=max_body_bytes,
        max_request_header_size=limits.header_bytes,
        connection_limit=connection_limit(limits.connections),
        channel_timeout=limits.idle_seconds,
        cleanup_interval=1,  # the deadlines above are checked every second
        asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    sockets: dict[int, Any] = {}
    servers = [
        GatedServer(app, sockets, dispatcher=dispatcher, adj=adj, sockinfo=info, gate=gate, limits=limits)
        for info in adj.listen
    ]
    if len(servers) == 1:
        return servers[0]
    listening = [(s.effective_host, s.effective_port) for s in servers]
    return MultiSocketServer(sockets, adj, listening, dispatcher, servers[0].log_info)
