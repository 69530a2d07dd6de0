"""Coding passages on a lite.cnn.com page and seeing them come back."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from helpers import ROOT

from .actions import marks_text, select, select_in, wait_ready, wait_saved
from .pages import ARTICLE_URL, BYLINE, PARAGRAPHS, TIMESTAMP, TITLE

TEXT = "\n\n".join(PARAGRAPHS)


def stored(service) -> list[dict]:
    return (
        service.session().get(f"{service.url}/api/annotations", params={"url": ARTICLE_URL}).json()["items"]
    )


def stored_text(service) -> str:
    return service.session().get(f"{service.url}/api/articles/{ARTICLE_URL}").json()["text"]


def test_code_by_button_then_reload(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    select(page, "85 targets")
    page.click("[data-newsmark-tag=figure]")
    mark = page.locator("mark[data-newsmark-tag=figure]")
    expect(mark).to_have_text("85 targets")
    expect(mark).not_to_have_attribute("data-newsmark-state", "pending")

    [saved] = stored(service)
    assert saved["tag"] == "figure" and saved["quote"]["exact"] == "85 targets"
    assert saved["annotator"] == "coder-a" and saved["note"] is None
    article = service.session().get(f"{service.url}/api/articles/{ARTICLE_URL}").json()
    assert (article["title"], article["byline"], article["timestamp_text"]) == (TITLE, BYLINE, TIMESTAMP)
    # What the page states about itself, as the extension read it (the JSON-LD's datePublished) and
    # the service parsed it, on the version and on the article as listed.
    listed = service.session().get(f"{service.url}/api/articles").json()["items"]
    for state in (article, *listed):
        assert state["date_published"] == "2024-02-02T23:13:00Z"
        assert state["published"] == "2024-02-02T23:13:00+00:00"
        assert state["updated"] == "2024-02-03T08:43:00-05:00"
        assert state["section"] == "politics"
        assert state["authors"] == ["Natasha Bertrand", "Haley Britzky", "Oren Liebermann", "Kevin Liptak"]
    assert saved["value"] == 85 and saved["unit"] == "targets" and saved["qualifier"] == "exact"
    text = stored_text(service)
    assert text == TEXT
    assert text[saved["position"]["start"] : saved["position"]["end"]] == "85 targets"

    page.reload()
    wait_ready(page)
    assert page.evaluate("document.documentElement.dataset.newsmarkAnchored") == "1"
    assert marks_text(page, saved["id"]) == "85 targets"


def test_selection_outside_the_body_is_refused_with_a_hint(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    select_in(page, "h2.headline")
    expect(page.locator("[data-newsmark-hint]")).to_be_visible()
    expect(page.locator(".newsmark-bar")).to_be_hidden()
    assert stored(service) == []


def test_code_by_each_key(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    for key, exact in (("a", "Joe Biden"), ("c", "the start of our response."), ("f", "30 minutes")):
        select(page, exact)
        page.keyboard.press(key)
        expect(page.locator("mark[data-newsmark-id]", has_text=exact)).to_have_count(1)
    wait_saved(page)
    saved = {a["quote"]["exact"]: a["tag"] for a in stored(service)}
    assert saved == {"Joe Biden": "actor", "the start of our response.": "claim", "30 minutes": "figure"}
    text = stored_text(service)
    for a in stored(service):
        assert text[a["position"]["start"] : a["position"]["end"]] == a["quote"]["exact"]


def test_note_escape_and_a_selection_across_paragraphs(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    select(page, "Joe Biden")
    page.keyboard.press("Escape")
    expect(page.locator(".newsmark-bar")).to_be_hidden()
    select(page, "places of our choosing.”", until="Defense Secretary")
    page.keyboard.press("n")
    page.keyboard.type("spans two paragraphs")
    page.click("[data-newsmark-tag=claim]")
    expect(page.locator("mark[data-newsmark-tag=claim]")).to_have_count(2)
    wait_saved(page)
    [saved] = stored(service)
    assert saved["quote"]["exact"] == "places of our choosing.”\n\nDefense Secretary"
    assert saved["note"] == "spans two paragraphs"


def test_home_page_has_no_bar_and_no_badges_when_nothing_is_coded(ready_site):
    page = ready_site.open("https://lite.cnn.com/")
    wait_ready(page)  # the extension looked up the page's articles: none is known
    assert page.evaluate("document.documentElement.dataset.newsmarkBadges") == "0"
    assert page.locator(".newsmark-badge").count() == 0
    assert page.locator(".newsmark-bar").count() == 0


def test_highlighting_never_changes_the_text(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    before = page.evaluate("document.querySelector('article').innerText")
    select(page, "Iraq and Syria")
    page.keyboard.press("a")
    select(page, "seven locations in Iraq")  # overlaps the first
    page.keyboard.press("c")
    select(page, "Iraq")  # nested in both
    page.keyboard.press("f")
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_count(0)
    assert (
        page.evaluate(
            """() => {
          const clone = document.querySelector('article').cloneNode(true);
          clone.querySelectorAll('mark').forEach(m => m.replaceWith(...m.childNodes));
          document.body.append(clone);
          const text = clone.innerText;
          clone.remove();
          return text;
        }"""
        )
        == before
    )
    # Each of the three can be reached from the innermost mark.
    page.locator("mark[data-newsmark-tag=figure]").first.click()
    expect(page.locator("[data-newsmark-popover] [data-newsmark-annotation]")).to_have_count(3)


def test_edit_tag_note_and_delete_from_the_page(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    select(page, "John Kirby")
    page.keyboard.press("c")
    mark = page.locator("mark[data-newsmark-id]", has_text="John Kirby")
    wait_saved(page)
    mark.click()
    page.click("[data-newsmark-popover] [data-newsmark-set-tag=actor]")
    expect(mark).to_have_attribute("data-newsmark-tag", "actor")
    assert stored(service)[0]["tag"] == "actor"
    mark.click()
    page.fill("[data-newsmark-popover] textarea", "spokesman, named")
    page.click("[data-newsmark-popover] [data-newsmark-action=save-note]")
    expect(page.locator("[data-newsmark-popover]")).to_have_count(0)
    assert stored(service)[0]["note"] == "spokesman, named"
    mark.click()
    expect(page.locator("[data-newsmark-popover] [data-newsmark-field=meta]")).to_contain_text("coder-a")
    page.click("[data-newsmark-popover] [data-newsmark-action=delete]")
    expect(page.locator("mark[data-newsmark-id]")).to_have_count(0)
    # Gone from the page at once; from the service a moment later (while the page offers Undo).
    expect(page.locator("[data-newsmark-toast]")).to_be_visible()
    deadline = time.monotonic() + 15
    while stored(service) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stored(service) == []


def test_screenshot_of_a_coded_page(ready_site, service):
    """Saved as an artifact (test-output/coded-page.png) for a person to look at."""
    page = ready_site.open()
    page.set_viewport_size({"width": 900, "height": 700})
    wait_ready(page)
    for exact, key in (
        ("Joe Biden", "a"),
        ("will continue at times and places of our choosing", "c"),
        ("85 targets", "f"),
    ):
        select(page, exact)
        page.keyboard.press(key)
    wait_saved(page)
    page.locator("mark[data-newsmark-tag=actor]").first.click()  # with its popover open
    out = ROOT / "test-output" / "coded-page.png"
    out.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000
    for tag in ("actor", "claim", "figure"):
        expect(page.locator(f"mark[data-newsmark-tag={tag}]").first).to_be_visible()


MENU_JS = """async (tag) => {
  // What the context menu's click handler does: tell the tab to code its selection with the tag.
  for (const tab of await chrome.tabs.query({})) {
    chrome.tabs.sendMessage(tab.id, {type: "code-selection", tag}).catch(() => {});
  }
}"""


@pytest.mark.parametrize("how", ["button", "menu"])
def test_each_tag_by_button_and_by_context_menu(ready_site, service, service_worker, how):
    page = ready_site.open()
    wait_ready(page)
    wanted = {"Joe Biden": "actor", "the start of our response.": "claim", "30 minutes": "figure"}
    for exact, tag in wanted.items():
        select(page, exact)
        if how == "button":
            page.click(f".newsmark-bar [data-newsmark-tag={tag}]")
        else:
            service_worker.evaluate(MENU_JS, tag)
        expect(page.locator(f"mark[data-newsmark-tag={tag}]", has_text=exact)).to_have_count(1)
    wait_saved(page)
    assert {a["quote"]["exact"]: a["tag"] for a in stored(service)} == wanted
    text = stored_text(service)
    for a in stored(service):
        assert text[a["position"]["start"] : a["position"]["end"]] == a["quote"]["exact"]
