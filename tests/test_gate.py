"""Requests with a body are refused from their headers, before one byte of the body is read.

Against the real server (``newsmark serve``), over raw sockets: what a client without the token,
on a foreign Host, or declaring too much, gets, and what the server holds meanwhile.
"""

from __future__ import annotations

import json
import os
import select
import socket
import threading
from pathlib import Path

import pytest
import requests

from helpers import ServerProcess, body

MiB = 1024 * 1024
BIG = 200 * MiB

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")


@pytest.fixture
def server(tmp_path):
    """The real server, with its own temporary folder (where waitress spills big bodies)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = ServerProcess(tmp_path / "data", env={"TMPDIR": str(tmp), "NEWSMARK_MAX_IMPORT_MB": "300"})
    proc.tmp = tmp
    proc.start()
    yield proc
    proc.stop()


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def head(server, method: str, path: str, length: int | None, *, token=None, host=None, extra=()) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host or f'127.0.0.1:{server.port}'}",
        "Content-Type: application/json",
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked",
        *([f"Authorization: Bearer {token}"] if token else []),
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """The whole answer of a server that closes the connection after it (raises if it does not)."""
    sock.settimeout(timeout)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    header, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = header.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, rest


def temp_files_held(server: ServerProcess) -> int:
    """Bytes in the files the server has open in its temporary folder (deleted or not)."""
    held = 0
    fds = Path(f"/proc/{server.proc.pid}/fd")
    for fd in fds.iterdir():
        try:
            if os.readlink(fd).startswith(str(server.tmp)):
                held += os.stat(fd).st_size
        except OSError:
            continue  # closed meanwhile
    return held + sum(p.stat().st_size for p in server.tmp.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("case", "path", "token", "host", "status"),
    [
        ("no token", "/api/import", None, None, 401),
        ("wrong token", "/api/import", "wrong", None, 401),
        ("foreign Host, right token", "/api/import", "right", "evil.example", 403),
        ("over the import's limit", "/api/import", "right", None, 413),
        ("over 1 MiB elsewhere", "/api/annotations", "right", None, 413),
        ("a viewer page without a session", "/", None, None, 401),
    ],
)
def test_a_200_mib_body_is_refused_before_any_byte_of_it_is_sent(server, case, path, token, host, status):
    token = server.token if token == "right" else token
    length = 301 * MiB if case == "over the import's limit" else BIG
    sock = connect(server)
    sock.sendall(head(server, "POST", path, length, token=token, host=host, extra=["Expect: 100-continue"]))
    code, headers, raw = answer(sock)  # not one byte of the body sent
    assert code == status, (case, raw)
    assert headers["connection"] == "close"
    error = json.loads(raw)["error"]
    assert error["code"] == {401: "unauthorized", 403: "forbidden", 413: "too_large"}[status]
    assert error["message"]
    assert "content-security-policy" in headers
    if status == 401:
        assert headers["www-authenticate"].startswith("Bearer")
    sock.close()


def closed_by_server(sock: socket.socket, timeout: float = 10) -> bool:
    """Whether the server ends this connection (after its answer) instead of waiting for more."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass  # closed while the client still sent: the answer may be lost, the point is made
    except TimeoutError:
        return False
    return True


def test_stalled_uploads_without_a_token_take_no_temporary_space(server):
    """8 clients each send the headers of 200 MiB, then as much of it as the server takes."""
    socks = [connect(server) for _ in range(8)]

    def push(sock: socket.socket) -> None:
        try:
            sock.sendall(head(server, "POST", "/api/import", BIG))
            for _ in range(64):  # 4 MiB: past the 512 KiB waitress keeps in memory
                sock.sendall(b"[" * 65536)
        except OSError:
            pass  # refused and closed: the server takes no more

    threads = [threading.Thread(target=push, args=(s,)) for s in socks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert temp_files_held(server) == 0
    assert all(closed_by_server(sock) for sock in socks)
    for sock in socks:
        sock.close()
    assert requests.get(f"{server.url}/api/health", timeout=5).status_code == 200


def test_a_chunked_body_is_cut_off_at_the_routes_limit(server):
    sock = connect(server)
    sock.sendall(head(server, "POST", "/api/annotations", None, token=server.token))
    piece = b"1000\r\n" + b" " * 4096 + b"\r\n"  # 4 KiB chunks, smaller than a read of the server
    sent = 0
    while sent < 2 * MiB:
        sock.sendall(piece)
        sent += len(piece)
        if sent > MiB and select.select([sock], [], [], 0.5)[0]:
            break
    code, _, raw = answer(sock)
    assert code == 413 and json.loads(raw)["error"]["code"] == "too_large"
    assert MiB < sent < MiB + 64 * 1024


def test_bodies_with_the_token_or_the_viewers_session_still_go_through(server):
    api = server.session()
    made = api.post(f"{server.url}/api/annotations", json=body("Joe Biden"))
    assert made.status_code == 201
    # Chunked, with the token: taken as any other body.
    chunked = api.post(
        f"{server.url}/api/annotations",
        data=iter([json.dumps(body("85 targets")).encode()]),
        headers={"Content-Type": "application/json"},
    )
    assert chunked.status_code == 201, chunked.text
    viewer = requests.Session()
    page = viewer.get(server.viewer_link).text
    csrf = page.split('name="newsmark-csrf" content="')[1].split('"')[0]
    edit = viewer.patch(
        f"{server.url}/api/annotations/{made.json()['id']}",
        json={"tag": "actor"},
        headers={"X-CSRF-Token": csrf, "Origin": server.url},
    )
    assert edit.status_code == 200, edit.text
    # The sign-in form (open to all, a small body) still signs in.
    fresh = requests.Session()
    signed = fresh.post(f"{server.url}/signin", data={"token": server.token, "next": "/charts"})
    assert signed.status_code == 200 and signed.url.endswith("/charts")
    too_big = requests.post(f"{server.url}/signin", data={"token": "x" * (64 * 1024)})
    assert too_big.status_code == 413


@pytest.mark.parametrize(
    ("origin", "readable"),
    [("chrome-extension://abcdefghijklmnopabcdefghijklmnop", True), ("https://evil.example", False)],
)
def test_the_extension_can_read_why_its_body_was_refused(server, origin, readable):
    sock = connect(server)
    sock.sendall(head(server, "POST", "/api/annotations", 5000, token="wrong", extra=[f"Origin: {origin}"]))
    code, headers, _ = answer(sock)
    assert code == 401
    assert headers.get("access-control-allow-origin") == (origin if readable else None)


@pytest.mark.parametrize("size", [100, 200 * 1024, 900 * 1024])
def test_a_client_that_sends_its_whole_body_at_once_still_reads_the_refusal(server, size):
    """As the extension does with a wrong token: the body is on its way before the answer comes."""
    for _ in range(5):
        data = body("Joe Biden", note="n" * size)
        response = requests.post(
            f"{server.url}/api/annotations", json=data, headers={"Authorization": "Bearer wrong"}, timeout=10
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


def test_headers_over_64_kib_are_refused(server):
    sock = connect(server)
    sock.sendall(head(server, "GET", "/api/health", 0, extra=[f"X-Pad: {'a' * 100 * 1024}"]))
    code, _, _ = answer(sock)
    assert code == 431
    sock = connect(server)
    sock.sendall(head(server, "GET", "/api/health", 0, extra=[f"X-Pad: {'a' * 32 * 1024}"]))
    sock.shutdown(socket.SHUT_WR)  # one request, then the server may close
    code, _, _ = answer(sock)
    assert code == 200
