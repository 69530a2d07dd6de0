"""The popup on a real coded page, and work kept across a browser restart."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from .actions import select, wait_ready, wait_saved
from .conftest import launch
from .pages import ARTICLE_URL, PARAGRAPHS, article_html


def tab_id_of(service_worker, url: str) -> int:
    return service_worker.evaluate(
        """async (url) => {
          // Without the "tabs" permission a tab's URL is hidden: ask each tab's content script.
          for (const tab of await chrome.tabs.query({})) {
            const state = await chrome.tabs.sendMessage(tab.id, {type: "page-state"}).catch(() => null);
            if (state && state.url === url) return tab.id;
          }
          return null;
        }""",
        url,
    )


def test_popup_shows_counts_pending_and_the_orphan_list(ready_site, service, service_worker, extension_page):
    page = ready_site.open()
    wait_ready(page)
    for exact, key in (("Joe Biden", "a"), ("Lloyd Austin", "a"), ("85 targets", "f"), ("John Kirby", "c")):
        select(page, exact)
        page.keyboard.press(key)
    wait_saved(page)
    # The paragraph with Kirby disappears from the article: that passage becomes an orphan.
    ready_site.pages[ARTICLE_URL] = article_html(PARAGRAPHS[:4])
    page.reload()
    wait_ready(page)
    assert page.evaluate("document.documentElement.dataset.newsmarkOrphans") == "1"
    popup = extension_page(f"popup.html?tab={tab_id_of(service_worker, ARTICLE_URL)}")
    expect(popup.locator("[data-newsmark-connection]")).to_have_attribute("data-newsmark-connection", "ok")
    expect(popup.locator('[data-newsmark-count="actor"]')).to_have_text("2")
    expect(popup.locator('[data-newsmark-count="figure"]')).to_have_text("1")
    expect(popup.locator('[data-newsmark-count="claim"]')).to_have_text("0")
    expect(popup.locator("[data-newsmark-delivery]")).to_have_attribute("data-newsmark-pending", "0")
    orphans = popup.locator("[data-newsmark-orphans] li")
    expect(orphans).to_have_count(1)
    expect(orphans.first).to_contain_text("John Kirby")
    expect(orphans.first).to_contain_text("claim")
    link = popup.locator("[data-newsmark-viewer]")
    assert link.get_attribute("href").startswith(f"{service.url}/articles/")


def test_work_coded_while_down_is_delivered_after_a_browser_restart(
    playwright, site, service, configure, tmp_path, extension_page
):
    page = site.open()
    configure(service.url, service.token)
    page.reload()
    wait_ready(page)
    service.stop()
    select(page, "Joe Biden")
    page.keyboard.press("a")
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_count(1)
    # Kept once the worker has it in its outbox (as the popup's pending count shows).
    popup = extension_page("popup.html")
    popup.wait_for_function(
        "async () => (await chrome.runtime.sendMessage({type: 'status'})).pending === 1", timeout=15_000
    )
    site.browser.close()  # the browser quits with the work undelivered

    service.start()
    again = launch(playwright, tmp_path / "profile")  # the same profile: the extension's storage is kept
    try:
        session = service.session()
        items: list = []
        for _ in range(120):  # the worker sends its outbox when it starts; look for it at the service
            items = session.get(f"{service.url}/api/annotations").json()["items"]
            if items:
                break
            time.sleep(0.25)
        assert [a["quote"]["exact"] for a in items] == ["Joe Biden"]
    finally:
        again.close()


def test_white_space_only_selection_is_refused(ready_site):
    page = ready_site.open()
    wait_ready(page)
    page.evaluate(
        """() => {
          // The white space between two paragraphs' words: the line break inside a paragraph.
          const p = document.querySelector('p.paragraph--lite');
          const node = p.firstChild;  // "\\n        The US ..."
          const range = document.createRange();
          range.setStart(node, 0);
          range.setEnd(node, node.data.indexOf('T'));
          document.getSelection().removeAllRanges();
          document.getSelection().addRange(range);
          document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        }"""
    )
    expect(page.locator("[data-newsmark-hint]")).to_contain_text("Select some words")
    expect(page.locator(".newsmark-bar")).to_be_hidden()
