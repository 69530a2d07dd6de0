"""Slow clients cannot lock others out: connections enough, and deadlines for headers and bodies.

The first test runs the real server with its real limits; the others run the same server
(``httpserver.create_server``) in this process with short deadlines, so they take seconds.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from waitress import wasyncore

from helpers import TOKEN, body
from newsmark.httpserver import Limits, create_server
from newsmark.settings import Settings
from newsmark.store import Store
from newsmark.web import create_app
from newsmark.web.gate import Gate

HALF_SENT = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def still_open(sock: socket.socket) -> bool:
    """Not closed by the server (which would make it readable, with nothing to read)."""
    if not select.select([sock], [], [], 0)[0]:
        return True
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


class Trickle:
    """Connections that send a request's first bytes, then one byte every so often."""

    def __init__(self, port: int, n: int, every: float = 0.5, start: bytes = HALF_SENT) -> None:
        self.socks = []
        for _ in range(n):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(start)
            self.socks.append(sock)
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            for sock in self.socks:
                with contextlib.suppress(OSError):  # closed by the server
                    sock.send(b"a")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for sock in self.socks:
            sock.close()


def health_within_a_second(url: str) -> float:
    started = time.monotonic()
    response = requests.get(f"{url}/api/health", timeout=1)
    took = time.monotonic() - started
    assert response.status_code == 200 and took < 1, took
    return took


def test_200_slow_connections_leave_the_service_answering_within_a_second(server):
    slow = Trickle(server.port, 200)
    try:
        time.sleep(1)  # every slow connection is in (or, with too few connections, queued)
        for _ in range(5):
            health_within_a_second(server.url)
            time.sleep(0.2)
        assert all(still_open(s) for s in slow.socks)  # they were served patiently, not dropped
    finally:
        slow.close()


@contextmanager
def running(tmp_path, limits: Limits) -> Iterator[str]:
    """The server ``newsmark serve`` runs, in a thread of this process, with these limits."""
    settings = Settings(data_dir=tmp_path / "data")
    store = Store(settings.data_dir)
    app = create_app(settings, store, TOKEN)
    gate = Gate(settings, app.extensions["newsmark"].access)
    server = create_server(
        app, gate, host="127.0.0.1", port=0, threads=4, max_body_bytes=2**20, limits=limits
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Ends the loop. Now and then the trigger's pipe is already closed here (the loop has
        # ended with it; not understood yet, see the note): nothing is left to end then.
        with contextlib.suppress(OSError):
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(10)
        server.task_dispatcher.shutdown()
        store.close()


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection, None if it still held it after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not still_open(sock):
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def test_headers_sent_a_byte_at_a_time_are_cut_off_at_their_deadline(tmp_path):
    with running(tmp_path, Limits(header_seconds=1)) as url:
        slow = Trickle(int(url.rsplit(":", 1)[1]), 3, every=0.2)
        try:
            # A byte every 0.2 s keeps a connection "active", yet its headers never end.
            assert all(closed_within(s, 6) is not None for s in slow.socks)
            health_within_a_second(url)
        finally:
            slow.close()


def test_a_body_that_trickles_is_cut_off(tmp_path):
    limits = Limits(body_grace_seconds=1, body_bytes_per_second=1000)
    with running(tmp_path, limits) as url:
        start = (
            "POST /api/annotations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: 100000\r\n\r\n"
        ).encode()
        slow = Trickle(int(url.rsplit(":", 1)[1]), 2, every=0.2, start=start)
        try:
            assert all(closed_within(s, 6) is not None for s in slow.socks)
        finally:
            slow.close()
        # A body sent at once is of course taken.
        made = requests.post(
            f"{url}/api/annotations", json=body("Joe Biden"), headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert made.status_code == 201


def test_an_idle_connection_closes_but_a_quick_one_is_kept_meanwhile(tmp_path):
    with running(tmp_path, Limits(idle_seconds=2)) as url:
        port = int(url.rsplit(":", 1)[1])
        idle = socket.create_connection(("127.0.0.1", port))
        took = closed_within(idle, 8)
        assert took is not None and took >= 1
        idle.close()


@pytest.mark.parametrize("kind", [b"", HALF_SENT])
def test_when_every_connection_is_taken_the_longest_waiting_makes_room(tmp_path, kind):
    with running(tmp_path, Limits(connections=20)) as url:
        port = int(url.rsplit(":", 1)[1])
        stalled = []
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(kind)
            stalled.append(sock)
        time.sleep(0.5)
        for _ in range(3):
            health_within_a_second(url)
        oldest, newest = stalled[:5], stalled[-5:]
        assert not any(still_open(s) for s in oldest)
        assert all(still_open(s) for s in newest)
        for sock in stalled:
            sock.close()
