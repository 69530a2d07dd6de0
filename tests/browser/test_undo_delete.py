"""Deleting from the page is undoable: gone at once, and Undo brings the very same annotation back."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import expect

from .actions import mouse_select, wait_ready, wait_saved
from .pages import ARTICLE_URL

#: What must come back exactly: everything the service stored.
FIELDS = (
    *("id", "url", "tag", "quote", "position", "note", "annotator"),
    *("article_sha256", "created", "updated"),
)


def until(check: Callable[[], bool], timeout: float = 30) -> None:
    """Poll the service (not the page) until ``check`` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the service never got there"
        time.sleep(0.1)


def fetch(service, annotation_id: str):
    return service.session().get(f"{service.url}/api/annotations/{annotation_id}")


def listed(service) -> list[dict]:
    return (
        service.session().get(f"{service.url}/api/annotations", params={"url": ARTICLE_URL}).json()["items"]
    )


def outbox(service_worker) -> list[dict]:
    return service_worker.evaluate("async () => (await chrome.storage.local.get('outbox')).outbox ?? []")


def code_and_edit(page, service) -> dict:
    """Code "John Kirby" with a note, change its tag in the popover (so updated differs from created),
    wait until the service has it; :returns: the stored document."""
    mouse_select(page, "John Kirby")
    page.keyboard.press("n")
    page.keyboard.type("spokesman")
    page.click("[data-newsmark-tag=actor]")
    wait_saved(page)
    [saved] = listed(service)
    mark = page.locator(f"mark[data-newsmark-id='{saved['id']}']")
    mark.click()
    page.click("[data-newsmark-popover] [data-newsmark-set-tag=claim]")
    expect(mark).to_have_attribute("data-newsmark-tag", "claim")
    wait_saved(page)
    until(lambda: fetch(service, saved["id"]).json()["tag"] == "claim")
    stored = fetch(service, saved["id"]).json()
    assert stored["note"] == "spokesman" and stored["created"] != stored["updated"]
    return stored


def delete_from_popover(page, annotation_id: str) -> None:
    page.locator(f"mark[data-newsmark-id='{annotation_id}']").first.click()
    page.click("[data-newsmark-popover] [data-newsmark-action=delete]")


def test_undo_brings_back_the_very_same_annotation(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    stored = code_and_edit(page, service)
    mark = page.locator(f"mark[data-newsmark-id='{stored['id']}']")
    delete_from_popover(page, stored["id"])
    expect(mark).to_have_count(0)  # gone at once
    toast = page.locator("[data-newsmark-toast]")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("role", "status")
    expect(toast).to_contain_text("Deleted “John Kirby”")
    until(lambda: fetch(service, stored["id"]).status_code == 404)  # the delete reached the service
    toast.get_by_role("button", name="Undo").click()
    expect(toast).to_be_hidden()
    expect(mark).to_have_text("John Kirby")  # drawn again where it was
    expect(mark).to_have_attribute("data-newsmark-tag", "claim")
    expect(mark).not_to_have_attribute("data-newsmark-state", "pending")
    back = fetch(service, stored["id"]).json()
    assert {k: back[k] for k in FIELDS} == {k: stored[k] for k in FIELDS}
    assert back == stored
    # The popover knows it again, note and all.
    mark.click()
    expect(page.locator("[data-newsmark-popover] [data-newsmark-note-edit]")).to_have_value("spokesman")


def test_z_undoes_but_not_while_typing_in_a_field(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    stored = code_and_edit(page, service)
    mark = page.locator(f"mark[data-newsmark-id='{stored['id']}']")
    delete_from_popover(page, stored["id"])
    expect(mark).to_have_count(0)
    toast = page.locator("[data-newsmark-toast]")
    expect(toast).to_be_visible()
    # Typing a "z" into the note field of the tag bar types it; it undoes nothing.
    mouse_select(page, "85 targets")
    page.keyboard.press("n")
    page.keyboard.type("zz")
    expect(page.locator("[data-newsmark-note]")).to_have_value("zz")
    expect(mark).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.locator(".newsmark-bar")).to_be_hidden()
    page.click("h2.headline")  # back on the page, out of any field
    expect(toast).to_be_visible()
    page.keyboard.press("z")
    expect(toast).to_be_hidden()
    expect(mark).to_have_text("John Kirby")
    until(lambda: fetch(service, stored["id"]).status_code == 200)
    assert fetch(service, stored["id"]).json() == stored


def test_without_undo_the_annotation_is_gone_once_the_toast_goes(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    stored = code_and_edit(page, service)
    delete_from_popover(page, stored["id"])
    toast = page.locator("[data-newsmark-toast]")
    expect(toast).to_be_visible()
    expect(toast).to_be_hidden(timeout=30_000)  # it goes by itself
    expect(page.locator("mark[data-newsmark-id]")).to_have_count(0)
    until(lambda: fetch(service, stored["id"]).status_code == 404)
    assert listed(service) == []
    page.reload()
    wait_ready(page)
    expect(page.locator("mark[data-newsmark-id]")).to_have_count(0)


def test_undo_while_down_drops_the_waiting_delete(ready_site, service, service_worker):
    page = ready_site.open()
    wait_ready(page)
    stored = code_and_edit(page, service)
    mark = page.locator(f"mark[data-newsmark-id='{stored['id']}']")
    service.stop()
    delete_from_popover(page, stored["id"])
    expect(mark).to_have_count(0)
    until(lambda: [e["op"] for e in outbox(service_worker)] == ["delete"])  # waits for the service
    page.locator("[data-newsmark-toast]").get_by_role("button", name="Undo").click()
    expect(mark).to_have_text("John Kirby")
    # The service still has it, so the highlight is not pending, and nothing is left to send.
    expect(mark).not_to_have_attribute("data-newsmark-state", "pending")
    assert outbox(service_worker) == []
    service.start()
    assert fetch(service, stored["id"]).json() == stored
    page.reload()
    wait_ready(page)
    expect(mark).to_have_text("John Kirby")


def test_undo_while_down_is_sent_when_the_service_is_back(ready_site, service, service_worker):
    page = ready_site.open()
    wait_ready(page)
    stored = code_and_edit(page, service)
    mark = page.locator(f"mark[data-newsmark-id='{stored['id']}']")
    delete_from_popover(page, stored["id"])
    until(lambda: fetch(service, stored["id"]).status_code == 404)
    service.stop()
    page.locator("[data-newsmark-toast]").get_by_role("button", name="Undo").click()
    # Back on the page at once, pending until the service has it again.
    expect(mark).to_have_text("John Kirby")
    expect(mark).to_have_attribute("data-newsmark-state", "pending")
    until(lambda: [e["op"] for e in outbox(service_worker)] == ["restore"])
    service.start()  # the same port; the outbox retries on its own
    expect(mark).not_to_have_attribute("data-newsmark-state", "pending", timeout=60_000)
    assert fetch(service, stored["id"]).json() == stored
    assert outbox(service_worker) == []
