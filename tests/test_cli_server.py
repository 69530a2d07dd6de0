"""The CLI finds the server of its data folder, and only that one gets the token.

- ``--data-dir`` works before or after the command;
- the CLI asks the host and port that server.json records, and before it sends the
  token the server proves it knows this start's nonce (``/api/health?challenge=``);
- a command on a folder no server runs on says where this user's server runs;
- ``serve`` prints the token and export commands of its own folder, which work as printed.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import ServerProcess, body
from newsmark.cli import main
from newsmark.datafolder import nonce_proof
from newsmark.settings import Settings
from newsmark.store import Store
from newsmark.web import create_app

NONCE = "a-nonce-for-the-test-0123456789"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli(
    *argv: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsmark.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


class Decoy:
    """Another program listening where the CLI may knock: it records what it is sent."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.path, dict(self.headers)))
                payload = json.dumps({"status": "ok", "proof": "0" * 64}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def tokens(self) -> list[str]:
        return [h["Authorization"] for _, h in self.seen if "Authorization" in h]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def decoy() -> Iterator[Decoy]:
    d = Decoy()
    yield d
    d.close()


def coded_server(folder: Path, count: int = 2, **kwargs) -> ServerProcess:
    server = ServerProcess(folder, **kwargs).start()
    s = server.session()
    for exact in ("Joe Biden", "85 targets", "Lloyd Austin")[:count]:
        assert s.post(f"{server.url}/api/annotations", json=body(exact)).status_code == 201
    return server


# -- the command line ---------------------------------------------------------------------------


def test_data_dir_before_or_after_the_command(capsys, tmp_path):
    folder = tmp_path / "study"
    code, before, err = run(capsys, "--data-dir", str(folder), "token")
    assert code == 0, err
    code, after, _ = run(capsys, "token", "--data-dir", str(folder))
    assert code == 0 and before == after == (folder / "token").read_text()
    code, out, _ = run(capsys, "--data-dir", str(folder), "export", "--format", "jsonl")
    assert code == 0 and out == ""
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "elsewhere"), "stats", "--data-dir", str(folder))
    assert code == 0 and f"data folder:  {folder}" in out, "the one after the command wins"


# -- the nonce ----------------------------------------------------------------------------------


def test_health_proves_the_nonce_only_for_a_challenge(tmp_path):
    with Store(tmp_path / "d") as store:
        anon = create_app(Settings(data_dir=tmp_path / "d"), store, "t" * 20, nonce=NONCE).test_client()
        plain = anon.get("/api/health").get_json()
        assert "proof" not in plain and NONCE not in json.dumps(plain)
        for challenge in ("c" * 16, "another-challenge_0123456789"):
            answer = anon.get(f"/api/health?challenge={challenge}").get_json()
            assert answer["proof"] == nonce_proof(NONCE, challenge)
            assert NONCE not in json.dumps(answer)
        for bad in ("short", "x" * 129, "with space 0123456789", "é" * 20, "abc%0A" * 4):
            r = anon.get(f"/api/health?challenge={bad}")
            assert r.status_code == 422 and "challenge" in r.get_json()["error"]["fields"], bad


def test_no_token_for_a_listener_that_cannot_prove_the_nonce(capsys, tmp_path, decoy):
    folder = tmp_path / "study"
    server = coded_server(folder)
    try:
        info = json.loads((folder / "server.json").read_text())
        assert len(info["nonce"]) >= 32 and (folder / "server.json").stat().st_mode & 0o077 == 0
        # Something else now answers where server.json points (the server moved, a port was reused).
        (folder / "server.json").write_text(json.dumps({**info, "port": decoy.port}))
        out = tmp_path / "coded.json"
        for argv in (["export", "-o", str(out)], ["stats"], ["check"], ["import", str(tmp_path / "x.json")]):
            (tmp_path / "x.json").write_text('{"annotations": []}')
            code, _, err = run(capsys, *argv, "--data-dir", str(folder))
            assert code == 1 and f"is not the newsmark server of {folder}" in err, (argv, err)
            assert "the token was not sent" in err
        assert decoy.tokens() == [] and decoy.seen, "asked, but never given the token"
        assert not out.exists()
    finally:
        server.stop()


def test_the_cli_asks_the_recorded_host_not_127_0_0_1(capsys, tmp_path):
    """A server on ::1, and another program on 127.0.0.1 at the same port."""
    folder = tmp_path / "study"
    try:
        server = coded_server(folder, env={"NEWSMARK_HOST": "::1"})
    except RuntimeError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    decoy = Decoy("127.0.0.1", server.port)
    try:
        code, out, err = run(capsys, "stats", "--data-dir", str(folder))
        assert code == 0 and "annotations:  2" in out, err
        out_file = tmp_path / "coded.json"
        code, _, err = run(capsys, "export", "-o", str(out_file), "--data-dir", str(folder))
        assert code == 0 and len(json.loads(out_file.read_text())["annotations"]) == 2, err
        assert decoy.seen == []
    finally:
        decoy.close()
        server.stop()


# -- finding the server -------------------------------------------------------------------------


def test_serve_prints_its_folders_commands_and_they_work_as_printed(tmp_path):
    folder = tmp_path / "my study"  # a space: the commands must quote it
    server = coded_server(folder)
    try:
        printed = "".join(server.output)
        [export_line] = [line for line in server.output if line.startswith("export: ")]
        [token_line] = [line for line in server.output if line.startswith("API token: ")]
        assert f"--data-dir {shlex.quote(str(folder))} token" in printed
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        env = {"NEWSMARK_DATA_DIR": str(tmp_path / "default")}  # as if the default folder were another
        token_cmd = shlex.split(token_line.removeprefix("API token: ").split("  (")[0])
        done = subprocess.run(
            token_cmd, capture_output=True, text=True, cwd=elsewhere, env={**os.environ, **env}
        )
        assert done.returncode == 0 and done.stdout.strip() == server.token, done.stderr
        export_cmd = shlex.split(export_line.removeprefix("export: "))
        done = subprocess.run(
            export_cmd, capture_output=True, text=True, cwd=elsewhere, env={**os.environ, **env}
        )
        assert done.returncode == 0, done.stderr
        assert len(json.loads((elsewhere / "coded.json").read_text())["annotations"]) == 2
    finally:
        server.stop()


def test_a_command_on_another_folder_says_where_the_server_runs(tmp_path):
    state = {"XDG_STATE_HOME": str(tmp_path / "state")}
    folder = tmp_path / "study"
    server = coded_server(folder, env=state)
    try:
        default = {**state, "NEWSMARK_DATA_DIR": str(tmp_path / "default")}
        note = f"no server runs on {tmp_path / 'default'}, but one runs on {folder}"
        done = cli("token", env=default)
        assert done.returncode == 0 and done.stdout.strip() != server.token
        assert note in done.stderr and f"--data-dir {folder}" in done.stderr, done.stderr
        done = cli("export", "-o", str(tmp_path / "coded.json"), env=default)
        assert note in done.stderr and done.returncode == 0  # the default folder exists now: empty
        done = cli("stats", env=default)
        assert note in done.stderr and "annotations:  0" in done.stdout
        done = cli("stats", env={**state, "NEWSMARK_DATA_DIR": str(tmp_path / "never")})
        assert (
            done.returncode == 1
            and "there is no data folder" in done.stderr
            and note.split(",")[1] in done.stderr
        )
        done = cli("stats", "--data-dir", str(folder), env=default)
        assert done.returncode == 0 and "note" not in done.stderr, "on the server's own folder: no note"
    finally:
        server.stop()
    done = cli("token", env=default)
    assert done.returncode == 0 and done.stderr == "", "a stopped server is not pointed to"
