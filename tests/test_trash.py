"""Deleting is undoable: a deleted annotation waits in the trash; restore brings back the very same one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import ROOT, TOKEN, ServerProcess, body, validate
from newsmark.settings import Settings
from newsmark.store import TRASH_DAYS, Store
from newsmark.web import create_app
from test_bad_input import assert_refused, stored_state

#: A data folder's file as the version before the trash wrote it (three tables, no "trash").
OLD_DATA_FILE = ROOT / "tests" / "vectors" / "datafolder-v0" / "newsmark.json"


@pytest.fixture
def coded(client):
    """Two stored annotations, one of them edited (so that created and updated differ)."""
    made = [body("Joe Biden", tag="actor", note="President"), body("85 targets", tag="figure")]
    for data in made:
        assert client.post("/api/annotations", json=data).status_code == 201
    changed = client.patch(f"/api/annotations/{made[0]['id']}", json={"note": "the President"})
    assert changed.status_code == 200
    return [client.get(f"/api/annotations/{data['id']}").get_json() for data in made]


def restore(client, annotation_id: str):
    return client.post(f"/api/annotations/{annotation_id}/restore")


def test_restore_brings_back_the_very_same_annotation(client, coded):
    first = coded[0]
    assert first["created"] != first["updated"]
    assert client.delete(f"/api/annotations/{first['id']}").status_code == 204
    assert client.get(f"/api/annotations/{first['id']}").status_code == 404
    r = restore(client, first["id"])
    assert r.status_code == 200
    assert r.get_json() == first  # same id, created, updated, article_sha256, every field
    validate(r.get_json(), "annotation")
    assert client.get(f"/api/annotations/{first['id']}").get_json() == first
    assert sorted(a["id"] for a in client.get("/api/annotations").get_json()["items"]) == sorted(
        a["id"] for a in coded
    )
    # Restored once: the trash no longer holds it.
    again = restore(client, first["id"])
    assert again.status_code == 404 and first["id"] in again.get_json()["error"]["message"]


def test_lists_exports_and_counts_ignore_the_trash(client, coded):
    gone = coded[1]
    assert client.delete(f"/api/annotations/{gone['id']}").status_code == 204
    listed = client.get("/api/annotations").get_json()
    assert [a["id"] for a in listed["items"]] == [coded[0]["id"]] and listed["total"] == 1
    assert client.get("/api/annotations?q=85").get_json()["total"] == 0
    assert [a["id"] for a in client.get("/api/export").get_json()["annotations"]] == [coded[0]["id"]]
    assert gone["id"] not in client.get("/api/export?format=csv").get_data(as_text=True)
    stats = client.get("/api/stats").get_json()
    assert stats["annotations"] == 1 and stats["by_tag"] == {"actor": 1} and "trash" not in stats
    articles = client.get("/api/articles").get_json()["items"]
    assert [a["counts"]["figure"] for a in articles] == [0] and articles[0]["counts"]["actor"] == 1


def test_restore_refuses_an_id_in_use_again_and_changes_nothing(client, store, coded):
    gone = coded[1]
    assert client.delete(f"/api/annotations/{gone['id']}").status_code == 204
    # The same id stored anew (the client sent its create again): restoring would overwrite it.
    again = {k: gone[k] for k in ("id", "url", "tag", "quote", "position", "note", "annotator")}
    assert client.post("/api/annotations", json=again).status_code == 201
    before = stored_state(store)
    r = restore(client, gone["id"])
    assert_refused(client, store, r, 409, "id", before)
    assert gone["id"] in r.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "bad_id",
    [
        "0f8fad5b-d9cb-469f-a165-70867728950e",  # a UUID never stored
        "not-a-uuid",
        "x" * 300,
        "%C3%A9t%C3%A9",  # non-ASCII
        "..",
    ],
    ids=["never-stored", "not-a-uuid", "300-characters", "non-ascii", "dots"],
)
def test_restore_of_an_id_not_in_the_trash_is_a_404_naming_it(client, store, coded, bad_id):
    before = stored_state(store)
    r = restore(client, bad_id)
    assert_refused(client, store, r, 404, None, before)
    assert "trash" in r.get_json()["error"]["message"]


def test_restore_of_a_stored_annotation_is_a_404_and_needs_a_token(client, anon, store, coded):
    before = stored_state(store)
    r = restore(client, coded[0]["id"])  # stored, never deleted
    assert_refused(client, store, r, 404, None, before)
    assert coded[0]["id"] in r.get_json()["error"]["message"]
    assert client.delete(f"/api/annotations/{coded[0]['id']}").status_code == 204
    before = stored_state(store)
    assert_refused(client, store, anon.post(f"/api/annotations/{coded[0]['id']}/restore"), 401, None, before)
    assert_refused(client, store, client.get(f"/api/annotations/{coded[0]['id']}/restore"), 405, None, before)


def test_restore_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/annotations/{id}/restore"]["post"]
    assert set(operation["responses"]) == {"200", "404", "409"}


def test_deleted_twice_after_being_made_again_keeps_the_latest(client, store, coded):
    gone = coded[1]
    assert client.delete(f"/api/annotations/{gone['id']}").status_code == 204
    again = {k: gone[k] for k in ("id", "url", "tag", "quote", "position", "note", "annotator")}
    assert client.post("/api/annotations", json={**again, "note": "second life"}).status_code == 201
    assert client.delete(f"/api/annotations/{gone['id']}").status_code == 204
    assert store.count_trash() == 1
    assert restore(client, gone["id"]).get_json()["note"] == "second life"


def test_the_trash_is_purged_of_old_entries_when_the_store_opens(data_dir):
    with Store(data_dir) as store:
        client = create_app(Settings(data_dir=data_dir), store, TOKEN).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        made = [body("Joe Biden"), body("85 targets")]
        for data in made:
            assert client.post("/api/annotations", json=data).status_code == 201
        store.delete_annotation(made[0]["id"], deleted="2000-01-01T00:00:00.000Z")  # long ago
        assert client.delete(f"/api/annotations/{made[1]['id']}").status_code == 204  # now
        assert store.count_trash() == 2
    with Store(data_dir) as store:
        assert store.purged == 1
        assert store.get_trashed(made[0]["id"]) is None
        assert store.get_trashed(made[1]["id"])["id"] == made[1]["id"]
    assert TRASH_DAYS == 30  # what the README says


def test_a_read_only_open_purges_nothing(data_dir):
    with Store(data_dir) as store:
        client = create_app(Settings(data_dir=data_dir), store, TOKEN).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        data = body("Joe Biden")
        assert client.post("/api/annotations", json=data).status_code == 201
        store.delete_annotation(data["id"], deleted="2000-01-01T00:00:00.000Z")
    before = (data_dir / "newsmark.json").read_bytes()
    with Store(data_dir, read_only=True) as store:
        assert store.get_trashed(data["id"]) is not None
    assert (data_dir / "newsmark.json").read_bytes() == before


def test_a_data_folder_of_the_version_before_opens_unchanged(tmp_path: Path):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(OLD_DATA_FILE, folder / "newsmark.json")
    original = OLD_DATA_FILE.read_bytes()
    assert b'"trash"' not in original
    with Store(folder) as store:
        ids = [a["id"] for a in store.all_annotations()]
        assert len(ids) == 6 and store.count_trash() == 0
        stats = store.stats()
    # Opened once, its annotations brought to schema version 2 (see test_migration.py); then opened
    # and closed without a change: not one byte written.
    migrated = (folder / "newsmark.json").read_bytes()
    assert migrated != original and b'"trash"' not in migrated
    with Store(folder) as store:
        assert not store.upgraded and store.count_trash() == 0
    assert (folder / "newsmark.json").read_bytes() == migrated
    assert stats["annotations"] == 6
    # And it works as a new one: delete, reopen, restore, reopen.
    with Store(folder) as store:
        client = create_app(Settings(data_dir=folder), store, TOKEN).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        kept = client.get(f"/api/annotations/{ids[1]}").get_json()
        assert client.delete(f"/api/annotations/{ids[1]}").status_code == 204
    with Store(folder) as store:
        client = create_app(Settings(data_dir=folder), store, TOKEN).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        assert restore(client, ids[1]).get_json() == kept
    with Store(folder) as store:
        assert store.get_annotation(ids[1]) == kept and store.count_trash() == 0


def test_damage_in_the_trash_is_listed_but_stops_no_export(data_dir):
    with Store(data_dir) as store:
        client = create_app(Settings(data_dir=data_dir), store, TOKEN).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        made = [body("Joe Biden"), body("85 targets")]
        for data in made:
            assert client.post("/api/annotations", json=data).status_code == 201
        assert client.delete(f"/api/annotations/{made[0]['id']}").status_code == 204
    path = data_dir / "newsmark.json"
    lines = path.read_bytes().split(b"\n")
    [at] = [n for n, line in enumerate(lines) if b'"deleted"' in line]
    lines[at] = lines[at].replace(b'"tag":', b'"tag"', 1)  # no longer JSON
    path.write_bytes(b"\n".join(lines))
    with Store(data_dir) as store:
        client = create_app(Settings(data_dir=data_dir), store, TOKEN).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        damaged = client.get("/api/damaged").get_json()
        assert [(d["table"], d["id"]) for d in damaged["damaged"]] == [("trash", made[0]["id"])]
        assert damaged["documents"] == 1 + 1 + 1 + 1  # an annotation, an article, a version, the trash's
        export = client.get("/api/export")
        assert export.status_code == 200
        assert [a["id"] for a in export.get_json()["annotations"]] == [made[1]["id"]]


@pytest.mark.slow
def test_an_acknowledged_delete_and_restore_survive_kill_9(tmp_path):
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir).start()
    s = server.session()
    data = body("Lloyd Austin", tag="actor", note="Defense Secretary")
    assert s.post(f"{server.url}/api/annotations", json=data).status_code == 201
    stored = s.get(f"{server.url}/api/annotations/{data['id']}").json()
    assert s.delete(f"{server.url}/api/annotations/{data['id']}").status_code == 204
    server.kill()  # no clean stop: only the journal has the delete and the trash entry

    server = ServerProcess(data_dir).start()
    s = server.session()
    assert s.get(f"{server.url}/api/annotations/{data['id']}").status_code == 404
    r = s.post(f"{server.url}/api/annotations/{data['id']}/restore")
    assert r.status_code == 200 and r.json() == stored
    server.kill()

    server = ServerProcess(data_dir).start()
    try:
        s = server.session()
        assert s.get(f"{server.url}/api/annotations/{data['id']}").json() == stored
        again = s.post(f"{server.url}/api/annotations/{data['id']}/restore")
        assert again.status_code == 404  # the restore emptied the trash, durably too
    finally:
        server.stop()
