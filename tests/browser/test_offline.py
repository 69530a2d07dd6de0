"""Never lose work: coded while the service is down, delivered exactly once when it is back."""

from __future__ import annotations

from playwright.sync_api import expect

from .actions import select, wait_ready
from .pages import ARTICLE_URL


def test_service_down_three_passages_then_back(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    service.stop()
    for exact, key in (("85 targets", "f"), ("Joe Biden", "a"), ("the start of our response.", "c")):
        select(page, exact)
        page.keyboard.press(key)
    # Shown at once, and visibly pending.
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_count(3)
    service.start()  # the same port; the outbox retries on its own, with backoff
    page.wait_for_function(
        "() => document.querySelectorAll('mark[data-newsmark-state=pending]').length === 0", timeout=60_000
    )
    items = (
        service.session().get(f"{service.url}/api/annotations", params={"url": ARTICLE_URL}).json()["items"]
    )
    assert sorted(a["quote"]["exact"] for a in items) == [
        "85 targets",
        "Joe Biden",
        "the start of our response.",
    ]
    assert len({a["id"] for a in items}) == 3
    # Reloading shows them as anchored, not pending, and the service still holds each once.
    page.reload()
    wait_ready(page)
    assert page.evaluate("document.documentElement.dataset.newsmarkAnchored") == "3"
    again = service.session().get(f"{service.url}/api/annotations", params={"url": ARTICLE_URL}).json()
    assert again["total"] == 3


def test_a_refused_annotation_is_shown_not_retried(ready_site, service, configure):
    configure(service.url, service.token, annotator="x" * 201)  # over the service's limit: a 422
    page = ready_site.open()
    wait_ready(page)
    select(page, "Joe Biden")
    page.keyboard.press("a")
    expect(page.locator("[data-newsmark-hint]")).to_contain_text("annotator")
    expect(page.locator("mark[data-newsmark-id]")).to_have_count(0)
    assert service.session().get(f"{service.url}/api/annotations").json()["total"] == 0


def count(service) -> int:
    return (
        service.session().get(f"{service.url}/api/annotations", params={"url": ARTICLE_URL}).json()["total"]
    )


def test_reload_while_down_still_shows_pending_work_then_delivers(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    service.stop()
    select(page, "John Kirby")
    page.keyboard.press("a")
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_count(1)
    page.reload()
    wait_ready(page)
    # Still shown, still pending: the outbox holds it.
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_text("John Kirby")
    service.start()
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_count(0, timeout=60_000)
    assert count(service) == 1


def test_an_edit_made_offline_is_delivered_and_its_mark_clears(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    select(page, "Lloyd Austin")
    page.keyboard.press("a")
    mark = page.locator("mark[data-newsmark-id]", has_text="Lloyd Austin")
    expect(mark).not_to_have_attribute("data-newsmark-state", "pending")
    service.stop()
    mark.click()
    page.click("[data-newsmark-popover] [data-newsmark-set-tag=claim]")
    expect(mark).to_have_attribute("data-newsmark-state", "pending")
    service.start()
    expect(mark).not_to_have_attribute("data-newsmark-state", "pending", timeout=60_000)
    items = service.session().get(f"{service.url}/api/annotations").json()["items"]
    assert [a["tag"] for a in items] == ["claim"]


def test_a_wrong_token_keeps_the_work_until_it_is_fixed(ready_site, service, configure):
    configure(service.url, "not-the-token")
    page = ready_site.open()
    wait_ready(page)
    select(page, "85 targets")
    page.keyboard.press("f")
    expect(page.locator("[data-newsmark-hint]")).to_contain_text("token")
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_count(1)
    configure(service.url, service.token)  # saving settings retries what is kept
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_count(0, timeout=60_000)
    assert count(service) == 1
