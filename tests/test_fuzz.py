"""No input makes the server answer 500, and a refused request stores nothing (property-based)."""

from __future__ import annotations

import atexit
import copy
import functools
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import TEXT, TOKEN, body, validate
from newsmark.settings import Settings
from newsmark.store import Store
from newsmark.web import create_app
from strategies import json_values, tag_fields

GOOD = body("Joe Biden", tag="actor")
PATHS = [
    (),
    ("id",),
    ("url",),
    ("tag",),
    ("note",),
    ("annotator",),
    ("quote",),
    ("quote", "exact"),
    ("quote", "prefix"),
    ("position",),
    ("position", "start"),
    ("position", "end"),
    ("article",),
    ("article", "text"),
    ("article", "title"),
    ("schema_version",),
    ("extra",),
    ("attributed_to",),
    ("entity",),
    ("value",),
    ("value_high",),
    ("unit",),
    ("qualifier",),
    ("article", "date_published"),
]
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def shared() -> tuple[Store, FlaskClient]:
    """One store for all examples (a store per example would make the run slow); closed at exit."""
    folder = Path(tempfile.mkdtemp()) / "data"
    store = Store(folder)
    atexit.register(store.close)
    client = create_app(Settings(data_dir=folder), store, TOKEN).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return store, client


def post_json(client: FlaskClient, path: str, data: Any, method: str = "POST"):
    # The standard library's encoder: it writes integers of any size, as a client may.
    return client.open(path, method=method, data=json.dumps(data), content_type="application/json")


def check(response, store, before_count: int) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        validate(response.get_json(), "error")
        assert store.count_annotations() == before_count
    elif response.status_code in (200, 201) and response.get_json() and "quote" in response.get_json():
        validate(response.get_json(), "annotation")


@FUZZ
@given(path=st.sampled_from(PATHS), value=json_values)
def test_mutated_annotation_never_500(path, value):
    store, client = shared()
    data = copy.deepcopy(GOOD)
    data["id"] = str(uuid.uuid4())
    if not path:
        data = value
    else:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    check(post_json(client, "/api/annotations", data), store, store.count_annotations())


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_raw_bytes_never_500(raw):
    store, client = shared()
    before = store.count_annotations()
    check(client.post("/api/annotations", data=raw, content_type="application/json"), store, before)


@FUZZ
@given(
    value=json_values,
    field=st.sampled_from(
        [
            "tag",
            "note",
            "id",
            "quote",
            "x",
            "attributed_to",
            "entity",
            "value",
            "value_high",
            "unit",
            "qualifier",
        ]
    ),
)
def test_patch_never_500(value, field):
    store, client = shared()
    target = {**GOOD, "id": str(uuid.uuid4())}
    assert client.post("/api/annotations", json=target).status_code == 201
    before = json.dumps(store.get_annotation(target["id"]), sort_keys=True)
    r = post_json(client, f"/api/annotations/{target['id']}", {field: value}, method="PATCH")
    check(r, store, store.count_annotations())
    if r.status_code >= 400:
        assert json.dumps(store.get_annotation(target["id"]), sort_keys=True) == before


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["url", "tag", "annotator", "q", "limit", "cursor", "format", "excel", "zz"]),
        st.text(max_size=30),
        max_size=4,
    ),
    path=st.sampled_from(["/api/annotations", "/api/export", "/api/articles"]),
)
def test_queries_never_500(params, path):
    store, client = shared()
    check(client.get(path, query_string=params), store, store.count_annotations())


@FUZZ
@given(key=st.text(max_size=80), version=st.none() | st.text(max_size=70))
def test_article_lookup_never_500(key, version):
    _, client = shared()
    query = {"version": version} if version is not None else {}
    r = client.get("/api/articles/" + key.replace("?", "%3F").replace("#", "%23"), query_string=query)
    assert r.status_code < 500


SNAPSHOT = {**GOOD["article"], "url": GOOD["url"]}


@FUZZ
@given(field=st.sampled_from([*SNAPSHOT, "extra", None]), value=json_values)
def test_article_snapshot_never_500(field, value):
    store, client = shared()
    before = len(store.all_articles())
    data = value if field is None else {**SNAPSHOT, field: value}
    r = post_json(client, "/api/articles", data)
    assert r.status_code < 500, r.get_data(as_text=True)
    if r.status_code >= 400:
        validate(r.get_json(), "error")
        assert len(store.all_articles()) == before


# -- schema_version 2: the fields of the tags ------------------------------------------------------

OTHER_URL = "https://lite.cnn.com/2024/02/03/world/other-story"
OTHER_TEXT = "Officials said 12 people were hurt."
V2 = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fresh() -> tuple[Store, FlaskClient]:
    folder = Path(tempfile.mkdtemp()) / "data"
    store = Store(folder, background_compaction=False)
    client = create_app(Settings(data_dir=folder), store, TOKEN).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return store, client


def cast(client: FlaskClient) -> dict[str, str]:
    """Actors, a claim and a figure on the article, an actor on another: ids by role."""
    made = {
        "biden": body("Joe Biden", tag="actor"),
        "austin": body("Lloyd Austin", tag="actor"),
        "claim": body("the start of our response.", tag="claim"),
        "figure": body("85 targets", tag="figure"),
        "elsewhere": body("Officials", tag="actor", url=OTHER_URL, text=OTHER_TEXT),
    }
    for data in made.values():
        assert client.post("/api/annotations", json=data).status_code == 201
    return {role: data["id"] for role, data in made.items()}


def assert_consistent(store: Store) -> None:
    """Every annotation is valid; every attribution names a stored actor on the claim's article."""
    stored = {doc["id"]: doc for doc in store.all_annotations()}
    for doc in stored.values():
        validate(doc, "annotation")
        for ident in doc["attributed_to"]:
            actor = stored.get(ident)
            assert actor is not None, f"{doc['id']} names {ident}, which is not stored"
            assert actor["tag"] == "actor" and actor["url"] == doc["url"], (doc, actor)
        assert len(set(doc["attributed_to"])) == len(doc["attributed_to"])


ROLES = st.sampled_from(["biden", "austin", "claim", "figure", "elsewhere", "nobody"])


@V2
@given(tag=st.sampled_from(["actor", "claim", "figure"]), data=st.data())
def test_the_fields_of_the_tags_never_500_and_never_break_the_rules(tag, data):
    store, client = fresh()
    try:
        roles = cast(client)
        roles["nobody"] = str(uuid.uuid4())
        fields = data.draw(tag_fields(ROLES.map(roles.__getitem__)))
        sent = {**body("will continue at times and places of our choosing.", tag=tag), **fields}
        before = store.count_annotations()
        response = post_json(client, "/api/annotations", sent)
        check(response, store, before)
        assert response.status_code in (201, 400, 422), response.get_json()
        assert_consistent(store)
    finally:
        store.close()


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["patch", "delete", "restore"]),
        ROLES,
        st.sampled_from([None, "actor", "claim", "figure"]),
        st.lists(ROLES, max_size=3),
    ),
    min_size=1,
    max_size=8,
)


@V2
@given(operations=OPERATIONS)
def test_no_sequence_of_changes_leaves_a_dangling_attribution(operations):
    """Retagging, attributing, deleting and restoring in any order: every link names an actor there."""
    store, client = fresh()
    try:
        roles = cast(client)
        roles["nobody"] = str(uuid.uuid4())
        for kind, role, tag, linked in operations:
            target = roles[role]
            if kind == "delete":
                r = client.delete(f"/api/annotations/{target}")
            elif kind == "restore":
                r = client.post(f"/api/annotations/{target}/restore")
            else:
                changes: dict[str, Any] = {"tag": tag} if tag else {}
                if tag in ("claim", None):
                    changes["attributed_to"] = [roles[r] for r in dict.fromkeys(linked)]
                r = post_json(client, f"/api/annotations/{target}", changes, method="PATCH")
            assert r.status_code < 500, r.get_data(as_text=True)
            assert_consistent(store)
    finally:
        store.close()


def test_the_cast_quotes_are_in_the_text():
    assert "Joe Biden" in TEXT and "the start of our response." in TEXT
