"""Token, Host and Origin checks: a hostile web page in the user's browser gets nothing."""

from __future__ import annotations

import os
import stat

import pytest

from helpers import TOKEN, body
from newsmark.datafolder import load_or_create_token
from newsmark.settings import Settings
from newsmark.web import create_app

CHROME = "chrome-extension://" + "abcdefghijklmnopabcdefghijklmnop"
FIREFOX = "moz-extension://0f8fad5b-d9cb-469f-a165-70867728950e"

PROTECTED = [
    ("GET", "/api/annotations"),
    ("POST", "/api/annotations"),
    ("GET", "/api/annotations/0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("PATCH", "/api/annotations/0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("DELETE", "/api/annotations/0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("GET", "/api/articles"),
    ("GET", "/api/articles/0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("GET", "/api/export"),
    ("POST", "/api/import"),
    ("GET", "/api/stats"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/no-such-route"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"],
)
def test_no_or_wrong_token_is_401(anon, store, method, path, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    r = anon.open(path, method=method, headers=headers, json=body("Joe Biden"))
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert store.count_annotations() == 0


def test_token_in_query_string_is_not_accepted(anon):
    assert anon.get(f"/api/annotations?token={TOKEN}").status_code == 401


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:7767",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
        "",
        "10.0.0.5:7767",
    ],
)
def test_foreign_host_is_403_even_with_token(client, store, host):
    """DNS rebinding: a page on evil.example that resolves to 127.0.0.1 still sends its own Host."""
    r = client.post("/api/annotations", json=body("Joe Biden"), headers={"Host": host})
    assert r.status_code == 403
    assert client.get("/api/health", headers={"Host": host}).status_code == 403
    assert store.count_annotations() == 0


@pytest.mark.parametrize("host", ["127.0.0.1:7767", "localhost:7767", "[::1]:7767", "LOCALHOST", "127.0.0.1"])
def test_loopback_hosts_are_accepted(client, host):
    assert client.get("/api/annotations", headers={"Host": host}).status_code == 200


def test_configured_host_name_is_accepted(store, data_dir):
    app = create_app(Settings(data_dir=data_dir, allowed_hosts=("newsmark.lan",)), store, TOKEN)
    c = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert c.get("/api/annotations", headers={**headers, "Host": "newsmark.lan:7767"}).status_code == 200
    assert c.get("/api/annotations", headers={**headers, "Host": "other.lan"}).status_code == 403


@pytest.mark.parametrize("origin", [CHROME, FIREFOX])
def test_extension_origins_get_cors_headers(client, origin):
    r = client.get("/api/annotations", headers={"Origin": origin})
    assert r.headers["Access-Control-Allow-Origin"] == origin
    preflight = client.options(
        "/api/annotations",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


@pytest.mark.parametrize(
    "origin",
    [
        "https://lite.cnn.com",
        "https://evil.example",
        "null",
        "http://127.0.0.1:7767",
        "chrome-extension://evil",
        CHROME + ".evil.example",
        "moz-extension://not-a-uuid",
    ],
)
def test_page_origins_get_no_cors_headers(client, anon, origin):
    for r in (
        client.get("/api/annotations", headers={"Origin": origin}),
        anon.get("/api/health", headers={"Origin": origin}),
        client.options(
            "/api/annotations",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        ),
    ):
        assert "Access-Control-Allow-Origin" not in r.headers
        assert r.headers.get("Access-Control-Allow-Origin") != "*"


def test_exact_extension_origins_setting(store, data_dir):
    app = create_app(Settings(data_dir=data_dir, extension_origins=(CHROME,)), store, TOKEN)
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    assert c.get("/api/health", headers={"Origin": CHROME}).headers["Access-Control-Allow-Origin"] == CHROME
    assert "Access-Control-Allow-Origin" not in c.get("/api/health", headers={"Origin": FIREFOX}).headers


@pytest.mark.parametrize(
    ("ctype", "data"),
    [("text/plain", '{"tag": "actor"}'), ("application/x-www-form-urlencoded", "tag=actor"), (None, "{}")],
)
def test_simple_cross_site_posts_are_415(client, store, ctype, data):
    """The bodies an HTML form or a no-preflight fetch can send are never read."""
    headers = {"Origin": "https://evil.example"}
    if ctype:
        headers["Content-Type"] = ctype
    r = client.post("/api/annotations", data=data, headers=headers)
    assert r.status_code == 415
    assert store.count_annotations() == 0


def test_token_file_is_private_random_and_stable(tmp_path):
    a = load_or_create_token(tmp_path / "a")
    b = load_or_create_token(tmp_path / "b")
    assert a != b and len(a) >= 40
    assert load_or_create_token(tmp_path / "a") == a
    mode = stat.S_IMODE(os.stat(tmp_path / "a" / "token").st_mode)
    assert mode == 0o600
    os.chmod(tmp_path / "a" / "token", 0o644)  # widened by hand: narrowed again on next use
    assert load_or_create_token(tmp_path / "a") == a
    assert stat.S_IMODE(os.stat(tmp_path / "a" / "token").st_mode) == 0o600
