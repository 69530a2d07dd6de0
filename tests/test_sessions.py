"""The viewer's sessions: random, kept by the server, ended by sign-out, rotation and idleness."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest
import requests

from helpers import TOKEN
from html_page import Page
from newsmark.datafolder import load_or_create_token, rotate_token
from newsmark.settings import Settings
from newsmark.web import create_app
from newsmark.web.session import IDLE_SECONDS

HOUR = 3600.0


def sign_in(app, token: str = TOKEN):
    """A new browser (test client) signed in through the token link."""
    client = app.test_client()
    assert client.get(f"/?token={token}").status_code == 303
    return client


def cookie_of(client):
    [cookie] = list(client._cookies.values())
    return cookie


def csrf_of(client) -> str:
    page = Page(client.get("/").get_data(as_text=True))
    [meta] = [m for m in page.find("meta") if m.attrs.get("name") == "newsmark-csrf"]
    return meta.attrs["content"]


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s cookie (stolen, or kept from before)."""
    thief = app.test_client()
    cookie = cookie_of(client)
    thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path="/")
    return thief


def closed(client, csrf: str = "") -> bool:
    """Whether every kind of request the cookie could open is refused (401)."""
    headers = {"X-CSRF-Token": csrf, "Origin": "http://localhost"}
    return {
        client.get("/").status_code,
        client.get("/charts").status_code,
        client.get("/api/annotations").status_code,
        client.post("/api/annotations", json={}, headers=headers).status_code,
        client.post("/signout", data={"csrf_token": csrf}).status_code,
    } == {401}


def test_each_sign_in_opens_its_own_random_session(app):
    a, b = sign_in(app), sign_in(app)
    assert cookie_of(a).value != cookie_of(b).value
    assert csrf_of(a) != csrf_of(b)
    for client in (a, b):
        assert TOKEN not in cookie_of(client).value and len(cookie_of(client).value) >= 40
    # One session's CSRF token does not let another session write.
    response = a.post("/api/annotations", json={}, headers={"X-CSRF-Token": csrf_of(b)})
    assert response.status_code == 403


def test_sign_out_ends_the_session_so_a_copied_cookie_opens_nothing(app):
    browser = sign_in(app)
    csrf = csrf_of(browser)
    thief = copy_of(app, browser)
    assert thief.get("/").status_code == 200
    other = sign_in(app)  # another browser, not signed out
    assert browser.post("/signout", data={"csrf_token": csrf}).status_code == 303
    assert closed(thief, csrf)
    assert closed(browser, csrf)
    assert other.get("/").status_code == 200


def test_signing_in_again_replaces_the_session(app):
    browser = sign_in(app)
    before = copy_of(app, browser)
    assert browser.get(f"/charts?token={TOKEN}").status_code == 303
    assert cookie_of(browser).value != cookie_of(before).value
    assert closed(before)
    assert browser.get("/charts").status_code == 200


def test_a_session_ends_after_12_hours_without_a_request(app):
    sessions = app.extensions["newsmark"].access.sessions
    now = [1_000_000.0]
    sessions.clock = lambda: now[0]
    assert IDLE_SECONDS == 12 * HOUR
    browser = sign_in(app)
    for _ in range(3):  # used every 11 hours: stays open for 33 hours
        now[0] += 11 * HOUR
        assert browser.get("/").status_code == 200
    now[0] += 12 * HOUR + 1
    assert closed(browser)
    assert sign_in(app).get("/").status_code == 200
    assert len(sessions) == 1  # the idle one is gone from memory too


@pytest.fixture
def folder_app(store, data_dir):
    """The app as ``newsmark serve`` builds it: the token is what the folder's token file says."""
    token = load_or_create_token(data_dir)
    return create_app(Settings(data_dir=data_dir), store, token, data_dir / "token"), token


def test_rotating_the_token_refuses_the_old_one_and_ends_every_session(folder_app, data_dir):
    app, old = folder_app
    api = app.test_client()
    assert api.get("/api/stats", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    browsers = [sign_in(app, old) for _ in range(2)]
    new = rotate_token(data_dir)
    assert new != old and load_or_create_token(data_dir) == new
    assert api.get("/api/stats", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert app.test_client().get(f"/?token={old}").status_code == 401
    for browser in browsers:
        assert closed(browser)
    assert api.get("/api/stats", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert sign_in(app, new).get("/").status_code == 200


def stats_status(app, token: str) -> int:
    return app.test_client().get("/api/stats", headers={"Authorization": f"Bearer {token}"}).status_code


def test_without_its_token_file_the_service_lets_no_one_in(folder_app, data_dir):
    app, token = folder_app
    browser = sign_in(app, token)
    (data_dir / "token").unlink()
    assert stats_status(app, token) == 401
    assert closed(browser)
    assert app.test_client().get("/api/health").status_code == 200
    token = load_or_create_token(data_dir)  # what `newsmark token` does: a new one
    assert stats_status(app, token) == 200


# The API's list of wrong tokens (see test_security.py), against the viewer's two ways in.
def wrong_tokens() -> list[str]:
    return ["", " ", TOKEN[:-1], TOKEN[:1], TOKEN + "x", "x" + TOKEN, TOKEN.upper()]


@pytest.mark.parametrize("given", wrong_tokens())
def test_the_token_link_takes_the_whole_token_and_nothing_else(anon, given):
    response = anon.get("/charts?token=" + given)
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers
    assert anon.get("/charts").status_code == 401


@pytest.mark.parametrize("given", wrong_tokens())
def test_the_sign_in_form_takes_the_whole_token_and_nothing_else(anon, given):
    response = anon.post("/signin", data={"token": given, "next": "/charts"})
    assert response.status_code == 401
    assert "not this service's token" in Page(response.get_data(as_text=True)).text()
    assert "Set-Cookie" not in response.headers
    assert anon.get("/charts").status_code == 401


def test_newsmark_token_rotate_takes_effect_on_the_running_server(server):
    old = server.token
    browser = requests.Session()
    assert browser.get(server.viewer_link).status_code == 200  # signed in, on the table
    assert browser.get(f"{server.url}/api/stats").status_code == 200
    done = subprocess.run(
        [sys.executable, "-m", "newsmark.cli", "token", "--rotate", "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    new = done.stdout.strip()
    assert new == server.token != old and "old one" in done.stderr
    assert stat.S_IMODE((server.data_dir / "token").stat().st_mode) == 0o600
    assert sorted(p.name for p in server.data_dir.iterdir() if p.name.startswith("token")) == ["token"]
    with_token = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    assert requests.get(f"{server.url}/api/stats", headers=with_token(old)).status_code == 401
    assert browser.get(f"{server.url}/api/stats").status_code == 401
    assert browser.get(f"{server.url}/").status_code == 401
    assert requests.get(f"{server.url}/api/stats", headers=with_token(new)).status_code == 200
