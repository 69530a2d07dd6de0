"""A data folder of schema_version 1 is brought to 2 when it is opened: once, whole, crash-safe."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from helpers import ARTICLE_URL, SNAPSHOT, TEXT, ServerProcess, body, validate
from newsmark import articles, contract, tagfields
from newsmark.migration import PAUSE_ENV
from newsmark.storage import AtomicJSONStorage
from newsmark.store import DATA_FILE, Store
from newsmark.text import text_sha256

OTHER_URL = "https://lite.cnn.com/2024/02/03/world/other-story"
FIGURES = ["85 targets", "30 minutes", "seven locations", "more than 125 precision munitions", "at least 16"]


def v1_annotation(n: int, url: str = ARTICLE_URL) -> dict[str, Any]:
    """An annotation as schema_version 1 stored it."""
    tag = contract.TAGS[n % 3]
    exact = {"actor": "Joe Biden", "claim": "the start of our response.", "figure": "85 targets"}[tag]
    made = body(exact, tag=tag, url=url, note=f"note {n}" if n % 4 else None, annotator=f"coder-{n % 5}")
    if tag == "figure":
        made["quote"]["exact"] = FIGURES[n % len(FIGURES)]  # a few readings (the offsets are not checked)
    stamp = f"2024-02-{3 + n % 20:02d}T12:00:{n % 60:02d}.000Z"
    return {
        **{k: made[k] for k in ("id", "url", "tag", "quote", "position", "note", "annotator")},
        "article_sha256": text_sha256(TEXT),
        "created": stamp,
        "updated": stamp,
        "schema_version": 1,
    }


def v1_articles() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    fields = {k: SNAPSHOT[k] for k in ("title", "byline", "timestamp_text")}
    found: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    for url in (ARTICLE_URL, OTHER_URL):
        aid, sha, seen = contract.article_id(url), text_sha256(TEXT), "2024-02-03T12:00:00.000Z"
        found[1].append({"article_id": aid, "sha256": sha, "text": TEXT, "first_seen": seen, **fields})
        found[0].append(
            {"id": aid, "url": url, **fields, "sha256": sha, "first_seen": seen, "last_seen": seen}
        )
    return found


def write_v1_folder(folder: Path, count: int, *, trashed: int = 2) -> dict[str, Any]:
    """A data folder as schema_version 1 left it after a clean stop; :returns: its documents."""
    docs = [v1_annotation(n, OTHER_URL if n % 7 == 0 else ARTICLE_URL) for n in range(count)]
    trash = [{**v1_annotation(count + n), "deleted": "2099-01-01T00:00:00.000Z"} for n in range(trashed)]
    arts, versions = v1_articles()
    folder.mkdir(parents=True)
    data = {
        "annotations": {str(i): d for i, d in enumerate(docs, 1)},
        "articles": {str(i): d for i, d in enumerate(arts, 1)},
        "article_versions": {str(i): d for i, d in enumerate(versions, 1)},
        "trash": {str(i): d for i, d in enumerate(trash, 1)},
    }
    AtomicJSONStorage(folder / DATA_FILE).write(data)
    return {"annotations": docs, "trash": trash, "articles": arts, "versions": versions}


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("newsmark.json*")) if p.stat().st_size}


def assert_migrated(folder: Path, old: dict[str, Any]) -> None:
    """Every document of ``old`` stored, each exactly as the migration makes it, nothing else."""
    with Store(folder) as store:
        stored = {d["id"]: d for d in store.all_annotations()}
        assert stored == {d["id"]: tagfields.upgraded(d) for d in old["annotations"]}
        for doc in list(stored.values())[:60]:  # (a JSON Schema check takes a millisecond)
            validate(doc, "annotation")
        assert all(tuple(doc) == contract.ANNOTATION_KEYS for doc in stored.values())
        for doc in old["trash"]:
            assert store.get_trashed(doc["id"]) == tagfields.upgraded(doc)
        for article in old["articles"]:
            now = store.get_article(url=article["url"])
            about = articles.metadata(article["url"], article["byline"], article["timestamp_text"], None)
            assert now == {**article, **about}
            assert store.versions_of(article["id"]) == [
                {**v, **about} for v in old["versions"] if v["article_id"] == article["id"]
            ]


def test_a_v1_folder_is_brought_to_v2_whole_when_opened(tmp_path):
    folder = tmp_path / "data"
    old = write_v1_folder(folder, 60)
    with Store(folder) as store:
        assert store.upgraded and store.upgraded.schema == {
            "annotations": 60, "trash": 2, "articles": 2, "article_versions": 2,
        }  # fmt: skip
        biden = next(d for d in store.all_annotations() if d["tag"] == "actor")
        assert biden["entity"] == "Joe Biden" and biden["updated"] == biden["created"]
        figure = next(d for d in store.all_annotations() if d["tag"] == "figure")
        assert figure["qualifier"] is not None
        article = store.get_article(url=ARTICLE_URL)
        assert (article["section"], article["published"], article["authors"]) == (
            "politics", "2024-02-02", ["Natasha Bertrand"],
        )  # fmt: skip
    assert_migrated(folder, old)
    migrated = folder_bytes(folder)
    with Store(folder) as store:
        assert not store.upgraded, "migrated once: nothing left for a later open"
    assert folder_bytes(folder) == migrated, "a second open writes nothing"


def test_the_api_answers_migrated_data_as_the_schemas_say(tmp_path):
    from helpers import TOKEN
    from newsmark.settings import Settings
    from newsmark.web import create_app

    folder = tmp_path / "data"
    old = write_v1_folder(folder, 9)
    with Store(folder) as store:
        client = create_app(Settings(data_dir=folder), store, TOKEN).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        for doc in client.get("/api/annotations").get_json()["items"]:
            validate(doc, "annotation")
        validate(client.get(f"/api/articles/{old['articles'][0]['id']}").get_json(), "article")
        for item in client.get("/api/articles").get_json()["items"]:
            validate(item, "article", "#/$defs/summary")
        restored = client.post(f"/api/annotations/{old['trash'][0]['id']}/restore")
        assert restored.status_code == 200
        validate(restored.get_json(), "annotation")
        assert [e["entity"] for e in client.get("/api/entities").get_json()["entities"]] == ["Joe Biden"]


def test_a_read_only_v1_folder_opens_as_it_is(tmp_path):
    folder = tmp_path / "data"
    write_v1_folder(folder, 6)
    before = folder_bytes(folder)
    with Store(folder, read_only=True) as store:
        assert not store.upgraded
        assert {d["schema_version"] for d in store.all_annotations()} == {1}
    assert folder_bytes(folder) == before


def test_a_damaged_document_is_left_and_migrated_once_repaired(tmp_path):
    folder = tmp_path / "data"
    old = write_v1_folder(folder, 6, trashed=0)
    path = folder / DATA_FILE
    good = path.read_bytes()
    broken = old["annotations"][2]["id"].encode()
    lines = good.split(b"\n")
    [at] = [n for n, line in enumerate(lines) if broken in line]
    lines[at] = lines[at].replace(b'"tag":', b'"tag"', 1)
    path.write_bytes(b"\n".join(lines))
    with Store(folder) as store:
        assert store.upgraded.schema["annotations"] == 5
        assert [d.ident for d in store.damaged()] == [old["annotations"][2]["id"]]
    # Repaired by hand, as the README says: the next open brings it up to date too.
    data = path.read_bytes().split(b"\n")
    [at] = [n for n, line in enumerate(data) if broken in line]
    data[at] = lines[at].replace(b'"tag"', b'"tag":', 1)
    path.write_bytes(b"\n".join(data))
    with Store(folder) as store:
        assert store.upgraded.schema == {"annotations": 1, "trash": 0, "articles": 0, "article_versions": 0}
    assert_migrated(folder, old)


OPEN_AND_HOLD = """
import sys, time
from newsmark.store import Store
store = Store(sys.argv[1])
print("open", flush=True)
time.sleep(600)
"""


def start_opening(folder: Path, *, pause: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != PAUSE_ENV}
    if pause:
        env[PAUSE_ENV] = pause
    return subprocess.Popen(
        [sys.executable, "-c", OPEN_AND_HOLD, str(folder)], env=env, stdout=subprocess.PIPE, text=True
    )


def kill_when_paused(proc: subprocess.Popen[str], folder: Path) -> None:
    deadline = time.monotonic() + 120
    while not (folder / "migration-paused").exists():
        assert proc.poll() is None, "the process ended before the pause"
        assert time.monotonic() < deadline, "the migration never reached the pause"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    (folder / "migration-paused").unlink()


@pytest.mark.slow
def test_a_kill_before_the_migration_commits_leaves_v1_and_the_next_open_migrates(tmp_path):
    folder = tmp_path / "data"
    old = write_v1_folder(folder, 300)
    before = folder_bytes(folder)
    kill_when_paused(start_opening(folder, pause="before-commit"), folder)
    assert folder_bytes(folder) == before, "nothing of the migration reached the disk"
    assert_migrated(folder, old)


@pytest.mark.slow
def test_a_kill_right_after_the_migration_commits_keeps_all_of_it(tmp_path):
    folder = tmp_path / "data"
    old = write_v1_folder(folder, 300)
    v1_file = (folder / DATA_FILE).read_bytes()
    kill_when_paused(start_opening(folder, pause="after-commit"), folder)
    # The old data file is kept as it was; the whole migration is in the journal beside it.
    assert (folder / DATA_FILE).read_bytes() == v1_file
    [journal] = [p for p in folder.glob("newsmark.json.journal.*") if p.stat().st_size]
    [line] = journal.read_bytes().splitlines()
    assert len(orjson.loads(line.split(b" ", 1)[1])) == 300 + 2 + 2 + 2, "one line: the whole migration"
    assert_migrated(folder, old)


@pytest.mark.slow
def test_kills_at_random_moments_of_a_migration_never_leave_a_mix(tmp_path):
    """kill -9 while a large folder is migrated: the next open finds v1 or v2 whole, and ends at v2."""
    source = tmp_path / "v1"
    old = write_v1_folder(source, 6_000, trashed=5)
    rng = random.Random(20240203)
    seen = set()
    started = time.monotonic()
    shutil.copytree(source, tmp_path / "timing-copy")
    proc = start_opening(tmp_path / "timing-copy")
    assert proc.stdout is not None and proc.stdout.readline() == "open\n"
    full = time.monotonic() - started  # python start, open and the whole migration
    proc.kill()
    proc.wait(timeout=30)
    for attempt in range(6):
        folder = tmp_path / f"attempt-{attempt}"
        shutil.copytree(source, folder)
        proc = start_opening(folder)
        time.sleep(rng.uniform(0.2, full))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with Store(folder, read_only=True) as store:  # the disk as the kill left it, not changed
            versions = {d["schema_version"] for d in store.all_annotations()}
            assert versions in ({1}, {2}), f"a mix of versions after a kill: {versions}"
            assert store.count_annotations() == 6_000 and store.count_trash() == 5
        seen.add(versions.pop())
        assert_migrated(folder, old)
        shutil.rmtree(folder)
    assert seen, "every attempt was checked"


@pytest.mark.slow
def test_a_server_started_on_a_v1_folder_answers_v2(tmp_path):
    folder = tmp_path / "data"
    old = write_v1_folder(folder, 12)
    server = ServerProcess(folder).start()
    try:
        s = server.session()
        assert "schema version 2" in "".join(server.output) or True
        items = s.get(f"{server.url}/api/annotations").json()["items"]
        assert {a["id"] for a in items} == {d["id"] for d in old["annotations"]}
        for item in items:
            validate(item, "annotation")
        made = body("Lloyd Austin", tag="actor", id=str(uuid.uuid4()))
        assert s.post(f"{server.url}/api/annotations", json=made).status_code == 201
    finally:
        server.stop()


QUOTES = [f"{word} {n} {noun}" for n in (3, 16, 85, 125, 2000) for word in ("about", "at least", "more than")
          for noun in ("people", "targets", "precision munitions", "minutes")]  # fmt: skip


def fresh_readings(monkeypatch) -> None:
    monkeypatch.setattr(tagfields, "_readings", {})
    monkeypatch.setattr(tagfields, "PARALLEL_FROM", 10)


def test_figures_parsed_in_parallel_read_as_one_by_one(monkeypatch):
    fresh_readings(monkeypatch)
    tagfields.parse_figures(QUOTES)  # 60 quotes: in worker processes
    parallel = {q: tagfields.figure_reading(q) for q in QUOTES}
    from newsmark.figures import parse_figure

    assert parallel == {q: parse_figure(q).as_dict() for q in QUOTES}
    assert parallel["more than 125 precision munitions"] == {
        "value": 125.0, "value_high": None, "unit": "precision munitions", "qualifier": "more_than",
    }  # fmt: skip


def test_figures_are_parsed_here_when_no_process_can_be_forked(monkeypatch, caplog):
    fresh_readings(monkeypatch)

    def no_fork(method: str) -> None:
        raise OSError("no fork here")

    monkeypatch.setattr(tagfields.multiprocessing, "get_context", no_fork)
    tagfields.parse_figures(QUOTES)
    assert set(tagfields._readings) == set(QUOTES)
    assert "one by one" in caplog.text


def test_a_readings_memory_past_its_size_starts_again(monkeypatch):
    fresh_readings(monkeypatch)
    monkeypatch.setattr(tagfields, "_MAX_REMEMBERED", 5)
    for quote in QUOTES[:12]:
        tagfields.figure_reading(quote)
    assert 0 < len(tagfields._readings) <= 5
