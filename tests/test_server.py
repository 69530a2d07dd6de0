"""The real thing: ``newsmark serve`` (waitress) as a process, killed, restarted, hammered."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from tinydb import TinyDB

from helpers import ARTICLE_URL, TEXT, ServerProcess, body, validate

pytestmark = pytest.mark.slow

EXACTS = ["Joe Biden", "Lloyd Austin", "85 targets", "30 minutes", "Iraq and Syria", "drone strike"]


def nth_body(n: int, **kw) -> dict:
    return body(EXACTS[n % len(EXACTS)], tag=("actor", "claim", "figure")[n % 3], note=f"note {n}", **kw)


def all_ids(server: ServerProcess) -> list[str]:
    """Every stored annotation id, read page by page as a client would."""
    s = server.session()
    ids: list[str] = []
    params: dict = {"limit": 1000}
    while True:
        page = s.get(f"{server.url}/api/annotations", params=params).json()
        ids += [a["id"] for a in page["items"]]
        if page["next"] is None:
            assert page["total"] == len(ids)
            return ids
        params["cursor"] = page["next"]


def test_api_round_trip_over_http(server):
    s = server.session()
    sent = nth_body(0)
    r = s.post(f"{server.url}/api/annotations", json=sent)
    assert r.status_code == 201
    validate(r.json(), "annotation")
    assert s.post(f"{server.url}/api/annotations", json=sent).status_code == 200
    assert (
        s.patch(f"{server.url}/api/annotations/{sent['id']}", json={"tag": "figure"}).json()["tag"]
        == "figure"
    )
    listed = s.get(f"{server.url}/api/annotations", params={"url": ARTICLE_URL}).json()
    assert [a["id"] for a in listed["items"]] == [sent["id"]]
    export = s.get(f"{server.url}/api/export").json()
    validate(export, "export")
    assert s.delete(f"{server.url}/api/annotations/{sent['id']}").status_code == 204
    health = requests.get(f"{server.url}/api/health").json()
    assert health == {"status": "ok", "version": health["version"], "annotations": 0}


def test_security_checks_hold_over_http(server):
    s = server.session()
    assert requests.get(f"{server.url}/api/annotations").status_code == 401
    assert s.get(f"{server.url}/api/annotations", headers={"Host": "evil.example"}).status_code == 403
    r = s.get(f"{server.url}/api/annotations", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers
    r = s.post(
        f"{server.url}/api/annotations", data=json.dumps(nth_body(1)), headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 415
    big = json.dumps({**nth_body(2), "note": "x" * (1024 * 1024)})
    r = s.post(f"{server.url}/api/annotations", data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert s.get(f"{server.url}/api/stats").json()["annotations"] == 0


def _post_until_stopped(server: ServerProcess, acked: list[str], stop: threading.Event, seed: int) -> None:
    s = server.session()
    n = seed
    while not stop.is_set():
        data = nth_body(n)
        n += 1
        try:
            r = s.post(f"{server.url}/api/annotations", json=data, timeout=10)
        except requests.RequestException:
            return  # the server died under us: this one was never acknowledged
        if r.status_code == 201:
            acked.append(data["id"])


@pytest.mark.parametrize(
    ("round_", "compact_bytes"),
    [(0, None), (1, None), (2, None), (3, "20000")],
    ids=["round-1", "round-2", "round-3", "compacting-often"],
)
def test_every_acknowledged_write_survives_kill_9(tmp_path, round_, compact_bytes):
    """Kill -9 while four threads post; in the last round, with compactions every few writes."""
    data_dir = tmp_path / "data"
    env = {"NEWSMARK_COMPACT_MIN_BYTES": compact_bytes} if compact_bytes else None
    acked: list[str] = []
    for cycle in range(3):
        server = ServerProcess(data_dir, env=env).start()
        stop = threading.Event()
        before = len(acked)
        threads = [
            threading.Thread(target=_post_until_stopped, args=(server, acked, stop, 1000 * t))
            for t in range(4)
        ]
        for t in threads:
            t.start()
        # Kill mid-stream: once some writes are acknowledged, at a moment that varies by round.
        deadline = time.monotonic() + 30
        while len(acked) < before + 40 + 25 * round_ + 10 * cycle and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert len(acked) > before, server.output
    if compact_bytes:  # no clean stop happened, so only a compaction can have written it
        assert (data_dir / "newsmark.json").exists()

    server = ServerProcess(data_dir).start()
    try:
        s = server.session()
        stored = []
        cursor = None
        while True:
            page = s.get(
                f"{server.url}/api/annotations",
                params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
            ).json()
            stored += [a["id"] for a in page["items"]]
            cursor = page["next"]
            if cursor is None:
                break
        missing = set(acked) - set(stored)
        assert not missing, f"{len(missing)} acknowledged annotations lost"
        assert len(stored) == len(set(stored))
    finally:
        server.stop()
    # After a clean stop the data file is plain TinyDB JSON with all of it.
    assert {d["id"] for d in TinyDB(data_dir / "newsmark.json").table("annotations").all()} >= set(acked)


def test_concurrent_posts_16_threads_x_200(server):
    per_thread, threads_n = 200, 16
    results: list[list[tuple[str, int]]] = [[] for _ in range(threads_n)]

    def worker(k: int) -> None:
        s = server.session()
        data = nth_body(k * per_thread)
        for i in range(per_thread):
            if i % 50 != 1:  # every 50th POST is a retry of the one before, as after a lost answer
                data = nth_body(k * per_thread + i)
            r = s.post(f"{server.url}/api/annotations", json=data, timeout=60)
            results[k].append((data["id"], r.status_code))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [code for rs in results for _, code in rs]
    assert set(statuses) <= {200, 201}, f"unexpected statuses {set(statuses)}"
    created = {i for rs in results for i, code in rs if code == 201}
    assert len(created) == statuses.count(201)  # each id created once
    ids = all_ids(server)
    assert len(ids) == len(set(ids)) == len(created)
    assert set(ids) == created
    assert len(created) == threads_n * per_thread - statuses.count(200)


def test_second_server_on_the_same_folder_refuses(server):
    second = subprocess.run(
        [sys.executable, "-m", "newsmark.cli", "serve", "--port", "0", "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert "in use" in second.stderr and server.url in second.stderr
    # The first one is unharmed.
    assert server.session().get(f"{server.url}/api/annotations").status_code == 200


def test_lock_is_not_stuck_after_a_crash(tmp_path):
    first = ServerProcess(tmp_path / "data").start()
    first.session().post(f"{first.url}/api/annotations", json=nth_body(0))
    first.kill()
    second = ServerProcess(tmp_path / "data").start()
    try:
        assert second.session().get(f"{second.url}/api/annotations").json()["total"] == 1
    finally:
        second.stop()


def test_clean_stop_leaves_plain_json_and_no_journal(tmp_path):
    server = ServerProcess(tmp_path / "data").start()
    sent = [nth_body(n) for n in range(5)]
    s = server.session()
    for data in sent:
        assert s.post(f"{server.url}/api/annotations", json=data).status_code == 201
    output = server.stop()
    assert server.proc.returncode == 0, output
    folder = tmp_path / "data"
    assert sorted(p.name for p in folder.iterdir()) == ["newsmark.json", "newsmark.lock", "token"]
    db = TinyDB(folder / "newsmark.json")
    assert [d["id"] for d in db.table("annotations").all()] == [d["id"] for d in sent]
    assert db.table("article_versions").all()[0]["text"] == TEXT


def test_cli_reads_through_the_running_server(server, tmp_path):
    s = server.session()
    sent = [nth_body(n) for n in range(3)]
    for data in sent:
        s.post(f"{server.url}/api/annotations", json=data)
    out = tmp_path / "export.json"
    cli = [sys.executable, "-m", "newsmark.cli"]
    done = subprocess.run(
        [*cli, "export", "--format", "json", "-o", str(out), "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    exported = json.loads(out.read_text())
    validate(exported, "export")
    assert [a["id"] for a in exported["annotations"]] == [d["id"] for d in sent]
    stats = subprocess.run(
        [*cli, "stats", "--data-dir", str(server.data_dir)], capture_output=True, text=True, timeout=60
    )
    assert stats.returncode == 0 and "annotations:  3" in stats.stdout
    # The server kept working and nothing was written twice.
    assert s.get(f"{server.url}/api/annotations").json()["total"] == 3


def test_token_command_prints_the_servers_token(server):
    done = subprocess.run(
        [sys.executable, "-m", "newsmark.cli", "token", "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    token = done.stdout.strip()
    assert token == server.token
    assert requests.get(f"{server.url}/api/annotations", headers={"Authorization": f"Bearer {token}"}).ok
    assert str(uuid.UUID(int=0)) not in token


def test_serve_prints_url_and_data_folder(server):
    printed = "".join(server.output)
    assert server.url.startswith("http://127.0.0.1:")
    assert f"data folder: {server.data_dir}\n" in printed
    assert f"--data-dir {server.data_dir} token" in printed


def test_non_loopback_host_warns(tmp_path):
    log = tmp_path / "stderr.txt"
    folder = tmp_path / "d"
    cmd = [sys.executable, "-m", "newsmark.cli", "serve", "--host", "0.0.0.0", "--port", "0"]
    with open(log, "w") as err:
        proc = subprocess.Popen([*cmd, "--data-dir", str(folder)], stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 30
        while not (folder / "server.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    warning = log.read_text()
    assert "WARNING" in warning and "not loopback" in warning, warning
    assert (folder / "newsmark.json").exists()
