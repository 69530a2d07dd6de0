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

from helpers import TOKEN, body, validate
from newsmark.settings import Settings
from newsmark.store import Store
from newsmark.web import create_app
from strategies import json_values

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
@given(value=json_values, field=st.sampled_from(["tag", "note", "id", "quote", "x"]))
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
