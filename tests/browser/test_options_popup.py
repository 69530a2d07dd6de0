"""The options page, the popup and the background worker's outbox, against a real newsmark service.

Messages to the background worker are sent from an extension page with ``chrome.runtime.sendMessage``,
exactly as the content script sends them.
"""

from __future__ import annotations

import re
import socket

import pytest
from playwright.sync_api import expect

from helpers import body
from newsmark import __version__

from .actions import mouse_select, wait_ready, wait_saved
from .conftest import OUTPUT

pytestmark = pytest.mark.browser


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: the port was free a moment ago and is closed again."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def send(page, message: dict) -> dict:
    """Send ``message`` to the background worker from an extension page and return its answer."""
    return page.evaluate("m => chrome.runtime.sendMessage(m)", message)


def fill_options(page, service_url: str, token: str, annotator: str = "coder-a") -> None:
    page.fill('[data-newsmark-setting="serviceUrl"]', service_url)
    page.fill('[data-newsmark-setting="token"]', token)
    page.fill('[data-newsmark-setting="annotator"]', annotator)


def stored(service, annotation_id: str) -> list[dict]:
    items = service.session().get(f"{service.url}/api/annotations", params={"limit": 1000}).json()["items"]
    return [a for a in items if a["id"] == annotation_id]


def saved_settings(service_worker) -> dict | None:
    return service_worker.evaluate("chrome.storage.local.get('settings').then(r => r.settings ?? null)")


# --- options page: "Test connection" ---------------------------------------------------------------


def test_connection_ok_shows_version_and_saves(service, extension_page, service_worker):
    page = extension_page("options.html")
    fill_options(page, service.url + "/", service.token, "coder-t")
    page.click('[data-newsmark-action="test"]')
    status = page.locator("[data-newsmark-status]")
    expect(status).to_have_attribute("data-newsmark-status", "ok")
    expect(status).to_contain_text(f"OK: newsmark {__version__}")
    expect(status).to_contain_text("Saved.")
    assert saved_settings(service_worker) == {
        "serviceUrl": service.url,
        "token": service.token,
        "annotator": "coder-t",
    }


def test_a_passing_test_saves_so_coding_works_without_pressing_save(site, service, extension_page):
    """The user fills the form, tests it and goes coding: what was tested is what is used."""
    options = extension_page("options.html")
    fill_options(options, service.url, service.token, "coder-t")
    options.click('[data-newsmark-action="test"]')
    expect(options.locator("[data-newsmark-status]")).to_have_attribute("data-newsmark-status", "ok")
    OUTPUT.mkdir(exist_ok=True)
    options.screenshot(path=str(OUTPUT / "options-tested-and-saved.png"))
    page = site.open()
    wait_ready(page)
    mouse_select(page, "85 targets")
    page.keyboard.press("f")
    expect(page.locator("mark[data-newsmark-tag=figure]")).to_have_text("85 targets")
    wait_saved(page)
    items = service.session().get(f"{service.url}/api/annotations").json()["items"]
    assert [(a["quote"]["exact"], a["tag"], a["annotator"]) for a in items] == [
        ("85 targets", "figure", "coder-t")
    ]


def test_a_test_without_a_coder_name_says_that_coding_needs_one(service, extension_page, service_worker):
    page = extension_page("options.html")
    fill_options(page, service.url, service.token, annotator="")
    page.click('[data-newsmark-action="test"]')
    status = page.locator("[data-newsmark-status]")
    expect(status).to_have_attribute("data-newsmark-status", "no-coder")
    expect(status).to_contain_text(f"Connection OK: newsmark {__version__}")
    expect(status).to_contain_text("Coding still needs your coder name")
    assert not status.inner_text().startswith("OK")
    # The connection itself is right, so it is kept: the popup can already show the service.
    assert saved_settings(service_worker) == {
        "serviceUrl": service.url,
        "token": service.token,
        "annotator": "",
    }


def test_connection_wrong_token(service, configure, extension_page, service_worker):
    configure(service.url, service.token, annotator="coder-a")
    page = extension_page("options.html")
    fill_options(page, service.url, "not-the-token", "coder-z")
    page.click('[data-newsmark-action="test"]')
    status = page.locator("[data-newsmark-status]")
    expect(status).to_have_attribute("data-newsmark-status", "unauthorized")
    expect(status).to_contain_text("Wrong token")
    expect(status).to_contain_text("Nothing was saved")
    assert saved_settings(service_worker) == {
        "serviceUrl": service.url,
        "token": service.token,
        "annotator": "coder-a",
    }


def test_connection_unreachable(closed_port_url, extension_page, service_worker):
    page = extension_page("options.html")
    fill_options(page, closed_port_url, "whatever")
    page.click('[data-newsmark-action="test"]')
    status = page.locator("[data-newsmark-status]")
    expect(status).to_have_attribute("data-newsmark-status", "unreachable")
    expect(status).to_contain_text(f"Unreachable: nothing answers at {closed_port_url}")
    expect(status).to_contain_text("Nothing was saved")
    assert saved_settings(service_worker) is None


def test_connection_uses_the_form_not_the_saved_settings(service, configure, extension_page):
    configure(service.url, "a-wrong-saved-token")
    page = extension_page("options.html")
    expect(page.locator('[data-newsmark-setting="token"]')).to_have_value("a-wrong-saved-token")
    page.fill('[data-newsmark-setting="token"]', service.token)  # typed, not saved
    page.click('[data-newsmark-action="test"]')
    expect(page.locator("[data-newsmark-status]")).to_have_attribute("data-newsmark-status", "ok")


def test_connection_rejects_a_url_that_is_not_one(extension_page, service_worker):
    page = extension_page("options.html")
    fill_options(page, "not a url", "x")
    page.click('[data-newsmark-action="test"]')
    status = page.locator("[data-newsmark-status]")
    expect(status).to_have_attribute("data-newsmark-status", "error")
    expect(status).to_contain_text("Nothing was saved")
    assert saved_settings(service_worker) is None


# --- options page: saving ---------------------------------------------------------------------------


def test_defaults_before_anything_is_saved(extension_page):
    page = extension_page("options.html")
    expect(page.locator('[data-newsmark-setting="serviceUrl"]')).to_have_value("http://127.0.0.1:7767")
    expect(page.locator('[data-newsmark-setting="token"]')).to_have_value("")


def test_save_persists_settings(extension_page, service_worker):
    page = extension_page("options.html")
    fill_options(page, "http://127.0.0.1:7800/", "tok-123", "coder-b")
    page.click('[data-newsmark-action="save"]')
    expect(page.locator("[data-newsmark-saved]")).to_have_text("Saved.")
    page.reload()
    expect(page.locator('[data-newsmark-setting="serviceUrl"]')).to_have_value("http://127.0.0.1:7800")
    expect(page.locator('[data-newsmark-setting="token"]')).to_have_value("tok-123")
    expect(page.locator('[data-newsmark-setting="annotator"]')).to_have_value("coder-b")
    settings = saved_settings(service_worker)
    assert settings == {"serviceUrl": "http://127.0.0.1:7800", "token": "tok-123", "annotator": "coder-b"}


# --- popup -------------------------------------------------------------------------------------------


def test_popup_connected_on_a_page_that_is_no_article(service, configure, extension_page):
    configure(service.url, service.token)
    popup = extension_page("popup.html")  # its own tab is the active one: no content script there
    connection = popup.locator("[data-newsmark-connection]")
    expect(connection).to_have_attribute("data-newsmark-connection", "ok")
    expect(connection).to_contain_text(__version__)
    delivery = popup.locator("[data-newsmark-delivery]")
    expect(delivery).to_have_attribute("data-newsmark-pending", "0")
    expect(popup.locator("[data-newsmark-heading]")).to_have_text("All codes delivered")
    expect(popup.locator("[data-newsmark-waiting]")).to_be_hidden()
    expect(popup.locator('[data-newsmark-action="retry"]')).to_be_hidden()
    assert "waiting" not in delivery.inner_text().lower()
    expect(popup.locator("[data-newsmark-page]")).to_have_text("Not a lite.cnn.com article.")
    expect(popup.locator("[data-newsmark-article]")).to_be_hidden()


@pytest.mark.parametrize("which", ["unreachable", "unauthorized"])
def test_popup_shows_what_is_wrong(which, service, closed_port_url, configure, extension_page):
    if which == "unreachable":
        configure(closed_port_url, service.token)
    else:
        configure(service.url, "wrong")
    popup = extension_page("popup.html")
    expect(popup.locator("[data-newsmark-connection]")).to_have_attribute("data-newsmark-connection", which)
    expect(popup.locator("[data-newsmark-delivery]")).to_have_attribute("data-newsmark-delivery", which)


def queue_two(page) -> list[dict]:
    """Two passages coded while the service does not take them: both wait in the outbox."""
    made = [body("85 targets", tag="figure"), body("Joe Biden", tag="actor")]
    for annotation in made:
        assert send(page, {"type": "create", "annotation": annotation})["pending"] is True
    return made


def test_popup_heading_while_the_service_is_down(service, closed_port_url, configure, extension_page):
    configure(closed_port_url, service.token)
    page = extension_page("options.html")
    assert send(page, {"type": "create", "annotation": body("85 targets", tag="figure")})["pending"] is True
    popup = extension_page("popup.html")
    heading = popup.locator("[data-newsmark-heading]")
    expect(heading).to_have_text("Service not reachable — 1 change kept, sent when it is back")
    expect(popup.locator("[data-newsmark-outbox] > li")).to_have_count(1)
    assert send(page, {"type": "create", "annotation": body("Joe Biden", tag="actor")})["pending"] is True
    # The open popup follows on its own (it asks the worker every 3 s).
    expect(heading).to_have_text(
        "Service not reachable — 2 changes kept, sent when it is back", timeout=10_000
    )
    expect(popup.locator("[data-newsmark-outbox] > li")).to_have_count(2)
    OUTPUT.mkdir(exist_ok=True)
    popup.set_viewport_size({"width": 400, "height": 420})
    popup.screenshot(path=str(OUTPUT / "popup-unreachable.png"))


def test_popup_heading_with_a_wrong_token_links_to_settings(service, configure, extension_page, browser):
    configure(service.url, "wrong")
    page = extension_page("options.html")
    queue_two(page)  # refused for the token: kept until it is fixed
    page.close()  # else the link would bring this open options tab to the front, not open one
    popup = extension_page("popup.html")
    expect(popup.locator("[data-newsmark-heading]")).to_have_text(
        "Wrong token — 2 changes kept until it is fixed"
    )
    detail = popup.locator("[data-newsmark-detail]")
    expect(detail).to_contain_text("newsmark token")
    link = detail.get_by_role("link", name="Settings")
    expect(link).to_be_visible()
    OUTPUT.mkdir(exist_ok=True)
    popup.set_viewport_size({"width": 400, "height": 420})
    popup.screenshot(path=str(OUTPUT / "popup-wrong-token.png"))
    with browser.expect_page() as opened:
        link.click()
    expect(opened.value).to_have_url(re.compile(r"/options\.html$"))


def test_popup_heading_while_changes_are_delivered(service, configure, extension_page, service_worker):
    """Work an earlier session left in the outbox (as after a browser restart), the service up:
    the popup says it is being delivered, then that everything is."""
    configure(service.url, service.token)
    made = [body("85 targets", tag="figure"), body("Joe Biden", tag="actor")]
    service_worker.evaluate(
        """(made) => chrome.storage.local.set({outbox: made.map((annotation, n) => ({
            key: `left-${n}`, op: "create", id: annotation.id, url: annotation.url, body: annotation,
            attempts: 1, nextAttemptAt: Date.now() + 300000, lastError: "Cannot reach the service"}))})""",
        made,
    )
    popup = extension_page("popup.html")
    heading = popup.locator("[data-newsmark-heading]")
    expect(heading).to_have_text("2 changes waiting — delivering")
    expect(heading).to_have_text("All codes delivered", timeout=15_000)
    expect(popup.locator("[data-newsmark-waiting]")).to_be_hidden()
    for annotation in made:
        assert len(stored(service, annotation["id"])) == 1


def test_popup_says_when_no_coder_name_is_set(service, configure, extension_page):
    configure(service.url, service.token, annotator="")
    popup = extension_page("popup.html")
    expect(popup.locator("[data-newsmark-heading]")).to_have_text("All codes delivered")
    detail = popup.locator("[data-newsmark-detail]")
    expect(detail).to_contain_text("No coder name is set")
    expect(detail.get_by_role("link", name="Settings")).to_be_visible()


def test_popup_shows_the_articles_state(service, configure, extension_page):
    """The popup asks the tab's content script for ``page-state``; here an extension page in a tab
    answers in its place (``tabs.sendMessage`` reaches it too), so this tests the popup alone."""
    configure(service.url, service.token)
    fake = extension_page("options.html")
    tab_id = fake.evaluate(
        """() => new Promise(resolve => chrome.tabs.getCurrent(tab => {
            chrome.runtime.onMessage.addListener((m, sender, reply) => {
                if (m.type !== "page-state") return false;
                reply({url: "https://lite.cnn.com/x/index.html", articleId: "art/1", anchored: 3, pending: 0,
                       counts: {actor: 2, claim: 1, figure: 4},
                       orphans: [{quote: "<img src=x onerror=alert(1)>", tag: "claim", note: "gone"},
                                 {quote: {exact: "85 targets"}, tag: "figure", note: null}]});
                return false;
            });
            resolve(tab.id);
        }))"""
    )
    popup = extension_page(f"popup.html?tab={tab_id}")
    expect(popup.locator('[data-newsmark-count="actor"]')).to_have_text("2")
    expect(popup.locator('[data-newsmark-count="claim"]')).to_have_text("1")
    expect(popup.locator('[data-newsmark-count="figure"]')).to_have_text("4")
    orphans = popup.locator("[data-newsmark-orphans] > li")
    expect(orphans).to_have_count(2)
    expect(orphans.nth(0)).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text, not markup
    expect(orphans.nth(0)).to_contain_text("gone")
    expect(orphans.nth(1)).to_contain_text("85 targets")
    assert popup.locator("[data-newsmark-orphans] img").count() == 0
    expect(popup.locator("[data-newsmark-viewer]")).to_have_attribute(
        "href", f"{service.url}/articles/art%2F1"
    )


# --- the outbox: never lose work, deliver exactly once ---------------------------------------------


def test_create_is_queued_while_unreachable_and_delivered_once(
    service, closed_port_url, configure, extension_page
):
    configure(closed_port_url, service.token)
    page = extension_page("options.html")
    annotation = body("85 targets", tag="figure")
    assert send(page, {"type": "create", "annotation": annotation}) == {"ok": True, "pending": True}

    popup = extension_page("popup.html")
    expect(popup.locator("[data-newsmark-connection]")).to_have_attribute(
        "data-newsmark-connection", "unreachable"
    )
    expect(popup.locator("[data-newsmark-delivery]")).to_have_attribute("data-newsmark-pending", "1")
    expect(popup.locator("[data-newsmark-outbox] > li")).to_contain_text("85 targets")
    status = send(page, {"type": "status"})
    assert status["pending"] == 1
    assert status["outbox"][0]["op"] == "create"
    assert status["outbox"][0]["id"] == annotation["id"]
    assert status["outbox"][0]["exact"] == "85 targets"
    assert "Cannot reach" in status["outbox"][0]["lastError"]
    # A retry is scheduled with backoff (the first after about 2 s).
    delay = page.evaluate(
        "chrome.alarms.get('newsmark-outbox').then(a => a ? a.scheduledTime - Date.now() : null)"
    )
    assert delay is not None and delay < 300_000

    # A reloaded page still learns about the undelivered code from "list".
    listed = send(page, {"type": "list", "url": annotation["url"]})
    assert listed["ok"] is False and listed["state"] == "unreachable"
    assert [a["id"] for a in listed["queued"]] == [annotation["id"]]

    configure(service.url, service.token)
    assert send(page, {"type": "retry"}) == {"pending": 0}
    assert send(page, {"type": "retry"}) == {"pending": 0}
    assert len(stored(service, annotation["id"])) == 1

    popup.reload()
    expect(popup.locator("[data-newsmark-connection]")).to_have_attribute("data-newsmark-connection", "ok")
    expect(popup.locator("[data-newsmark-delivery]")).to_have_attribute("data-newsmark-pending", "0")
    expect(popup.locator("[data-newsmark-heading]")).to_have_text("All codes delivered")


def test_changes_to_a_queued_annotation_keep_their_order(service, closed_port_url, configure, extension_page):
    configure(closed_port_url, service.token)
    page = extension_page("options.html")
    kept = body("85 targets", tag="figure")
    dropped = body("30 minutes", tag="figure")
    assert send(page, {"type": "create", "annotation": kept})["pending"] is True
    changes = {"note": "later", "tag": "claim"}
    assert send(page, {"type": "update", "id": kept["id"], "changes": changes})["pending"] is True
    assert send(page, {"type": "create", "annotation": dropped})["pending"] is True
    assert send(page, {"type": "delete", "id": dropped["id"]})["pending"] is True
    assert send(page, {"type": "status"})["pending"] == 4

    configure(service.url, service.token)
    assert send(page, {"type": "retry"}) == {"pending": 0}
    [got] = stored(service, kept["id"])
    assert (got["tag"], got["note"]) == ("claim", "later")
    assert stored(service, dropped["id"]) == []


def test_direct_create_update_delete_and_list(service, configure, extension_page):
    configure(service.url, service.token)
    page = extension_page("options.html")
    annotation = body("30 minutes", tag="figure")
    created = send(page, {"type": "create", "annotation": annotation})
    assert created["ok"] is True and created["annotation"]["id"] == annotation["id"]
    again = send(page, {"type": "create", "annotation": annotation})  # a retried POST: the same one
    assert again["ok"] is True and again["annotation"]["id"] == annotation["id"]

    updated = send(page, {"type": "update", "id": annotation["id"], "changes": {"note": "duration"}})
    assert updated["ok"] is True and updated["annotation"]["note"] == "duration"
    listed = send(page, {"type": "list", "url": annotation["url"]})
    assert listed["ok"] is True
    assert [a["id"] for a in listed["items"]] == [annotation["id"]]

    assert send(page, {"type": "delete", "id": annotation["id"]}) == {"ok": True}
    assert send(page, {"type": "delete", "id": annotation["id"]}) == {"ok": True}  # already gone
    assert stored(service, annotation["id"]) == []


def test_list_answers_the_annotations_of_one_url(service, configure, extension_page):
    session = service.session()
    ids = []
    for exact in ["85 targets", "seven locations", "30 minutes"]:
        b = body(exact)
        assert session.post(f"{service.url}/api/annotations", json=b).status_code == 201
        ids.append(b["id"])
    other = body("85 targets", url="https://lite.cnn.com/2024/01/01/other/index.html", article=None)
    assert session.post(f"{service.url}/api/annotations", json=other).status_code == 201
    configure(service.url, service.token)
    page = extension_page("options.html")
    listed = send(page, {"type": "list", "url": body("85 targets")["url"]})
    assert listed["ok"] is True
    assert [a["id"] for a in listed["items"]] == ids
    assert listed["queued"] == []


def test_a_refused_create_is_reported_and_not_queued(service, configure, extension_page):
    configure(service.url, service.token)
    page = extension_page("options.html")
    bad = body("85 targets", tag="opinion")
    answer = send(page, {"type": "create", "annotation": bad})
    assert answer["ok"] is False
    assert answer["status"] == 422
    assert "tag" in answer["fields"]
    assert send(page, {"type": "status"})["pending"] == 0


def test_wrong_token_on_create_keeps_the_work_and_says_why(service, configure, extension_page):
    """A wrong token is a settings problem: the coder's work is kept until the token is fixed."""
    configure(service.url, "wrong")
    page = extension_page("options.html")
    annotation = body("85 targets")
    answer = send(page, {"type": "create", "annotation": annotation})
    assert answer["ok"] is True and answer["pending"] is True and "token" in answer["message"]
    assert send(page, {"type": "status"})["pending"] == 1
    configure(service.url, service.token)
    for _ in range(50):
        if send(page, {"type": "retry"})["pending"] == 0:
            break
    assert len(stored(service, annotation["id"])) == 1


def test_outbox_is_delivered_without_asking_once_the_service_is_back(service, configure, extension_page):
    """The service dies; the create waits in storage and goes out as soon as the settings lead to a
    running service again (no "retry" message)."""
    configure(service.url, service.token)
    page = extension_page("options.html")
    service.kill()
    annotation = body("seven locations", tag="figure")
    assert send(page, {"type": "create", "annotation": annotation})["pending"] is True
    service.start()  # a new port: the user would save the new URL
    configure(service.url, service.token)
    popup = extension_page("popup.html")  # it refreshes while open: watch the count drop
    expect(popup.locator("[data-newsmark-connection]")).to_have_attribute("data-newsmark-connection", "ok")
    expect(popup.locator("[data-newsmark-delivery]")).to_have_attribute(
        "data-newsmark-pending", "0", timeout=15_000
    )
    assert len(stored(service, annotation["id"])) == 1


def test_unknown_message_types_are_not_answered(extension_page):
    page = extension_page("options.html")
    answer = page.evaluate(
        """() => chrome.runtime.sendMessage({type: "no-such-thing"}).then(a => a ?? null, e => String(e))"""
    )
    assert answer is None or re.search(r"Receiving end does not exist|message port closed", answer)


def listen(page) -> None:
    """Collect what the worker sends to this page's tab (as it would to the content script)."""
    page.evaluate(
        """() => { window.received = [];
                   chrome.runtime.onMessage.addListener(m => { window.received.push(m); }); }"""
    )


def test_the_tab_hears_of_delivery_and_of_refusal(service, closed_port_url, configure, extension_page):
    configure(closed_port_url, service.token)
    page = extension_page("options.html")
    listen(page)
    good = body("85 targets", tag="figure")
    clash = body("30 minutes", tag="figure")
    assert send(page, {"type": "create", "annotation": good})["pending"] is True
    assert send(page, {"type": "create", "annotation": clash})["pending"] is True
    assert send(page, {"type": "update", "id": clash["id"], "changes": {"note": "mine"}})["pending"] is True
    # Meanwhile another coder's annotation took the id: the queued create will get 409.
    taken = {**body("seven locations"), "id": clash["id"]}
    assert service.session().post(f"{service.url}/api/annotations", json=taken).status_code == 201

    configure(service.url, service.token)
    assert send(page, {"type": "retry"}) == {"pending": 0}
    page.wait_for_function("window.received.length >= 3")
    received = page.evaluate("window.received")
    delivered = [m for m in received if m["type"] == "delivered"]
    failed = [m for m in received if m["type"] == "failed"]
    assert [(m["op"], m["id"], m["annotation"]["id"]) for m in delivered] == [
        ("create", good["id"], good["id"])
    ]
    assert [(m["op"], m["id"], m["status"]) for m in failed] == [
        ("create", clash["id"], 409),
        ("update", clash["id"], 409),  # never sent: it would change the other coder's annotation
    ]
    [other] = stored(service, clash["id"])
    assert (other["quote"]["exact"], other["note"]) == ("seven locations", None)


def test_badge_counts_per_tab(extension_page):
    page = extension_page("options.html")
    tab_id = page.evaluate("chrome.tabs.getCurrent().then(t => t.id)")
    assert send(page, {"type": "badge", "count": 3}) == {"ok": True}
    assert page.evaluate("id => chrome.action.getBadgeText({tabId: id})", tab_id) == "3"
    assert send(page, {"type": "badge", "count": 0}) == {"ok": True}
    assert page.evaluate("id => chrome.action.getBadgeText({tabId: id})", tab_id) == ""
