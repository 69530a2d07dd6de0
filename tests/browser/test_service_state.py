"""The service's state on an article page: a banner while it cannot be used, the highlights once it can."""

from __future__ import annotations

from playwright.sync_api import expect

from .actions import mouse_select, wait_ready, wait_saved
from .conftest import OUTPUT
from .pages import ARTICLE_URL

BANNER = "[data-newsmark-banner]"


def code(page, passages: list[tuple[str, str]]) -> None:
    for exact, key in passages:
        mouse_select(page, exact)
        page.keyboard.press(key)


def stored(service) -> list[dict]:
    return (
        service.session().get(f"{service.url}/api/annotations", params={"url": ARTICLE_URL}).json()["items"]
    )


def marks_by_id(page) -> dict[str, str]:
    """Each highlighted annotation id with the text its marks cover (doubled if drawn twice)."""
    return page.evaluate(
        """() => {
          const out = {};
          for (const m of document.querySelectorAll("mark[data-newsmark-id]")) {
            out[m.dataset.newsmarkId] = (out[m.dataset.newsmarkId] ?? "") + m.textContent;
          }
          return out;
        }"""
    )


def test_opened_while_down_a_banner_then_the_highlights_without_a_reload(ready_site, service):
    first = ready_site.open()
    wait_ready(first)
    code(first, [("85 targets", "f"), ("Joe Biden", "a")])
    wait_saved(first)
    first.close()
    service.stop()

    page = ready_site.open()
    wait_ready(page)
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "status")
    expect(banner).to_contain_text(
        f"newsmark service not reachable at {service.url} — your codes are kept and sent when it is back"
    )
    expect(page.locator("mark[data-newsmark-id]")).to_have_count(0)
    # Out of the article's flow: fixed, over the page, which keeps its place.
    assert banner.evaluate("el => getComputedStyle(el.parentElement).position") == "fixed"
    # Coded while down: drawn at once, as pending.
    code(page, [("Lloyd Austin", "a")])
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_text("Lloyd Austin")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "service-down-banner.png"))

    service.start()  # on the same port: the page is retrying on its own
    expect(banner).to_be_hidden(timeout=60_000)
    expect(page.locator("mark[data-newsmark-state=pending]")).to_have_count(0, timeout=60_000)
    marks = marks_by_id(page)
    assert sorted(marks.values()) == ["85 targets", "Joe Biden", "Lloyd Austin"]  # each drawn once
    assert page.evaluate("document.documentElement.dataset.newsmarkError") is None
    assert page.evaluate("document.documentElement.dataset.newsmarkAnchored") == "3"
    assert sorted(a["quote"]["exact"] for a in stored(service)) == ["85 targets", "Joe Biden", "Lloyd Austin"]
    assert set(marks) == {a["id"] for a in stored(service)}
    # Their popovers work as on a page loaded with the service up.
    page.locator("mark[data-newsmark-tag=figure]").click()
    expect(page.locator("[data-newsmark-popover] [data-newsmark-field=tag]")).to_have_text("figure")


def test_the_banner_can_be_dismissed_and_the_page_still_loads_when_the_service_is_back(ready_site, service):
    first = ready_site.open()
    wait_ready(first)
    code(first, [("John Kirby", "a")])
    wait_saved(first)
    first.close()
    service.stop()
    page = ready_site.open()
    wait_ready(page)
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Dismiss").click()
    expect(banner).to_be_hidden()
    service.start()
    expect(page.locator("mark[data-newsmark-id]")).to_have_text("John Kirby", timeout=60_000)
    expect(banner).to_be_hidden()


def test_a_wrong_token_says_so_and_opens_the_options(ready_site, service, configure, browser):
    first = ready_site.open()
    wait_ready(first)
    code(first, [("85 targets", "f")])
    wait_saved(first)
    first.close()
    configure(service.url, "not-the-token")

    page = ready_site.open()
    wait_ready(page)
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("did not accept the token")
    expect(banner).to_contain_text(service.url)
    expect(page.locator("mark[data-newsmark-id]")).to_have_count(0)
    with browser.expect_page() as opened:
        banner.get_by_role("button", name="Open options").click()
    options = opened.value
    options.wait_for_load_state()
    assert options.url.startswith("chrome-extension://") and options.url.endswith("/options.html")

    configure(service.url, service.token)  # fixed, as the options page would save it
    expect(banner).to_be_hidden(timeout=60_000)
    expect(page.locator("mark[data-newsmark-id]")).to_have_text("85 targets")
    assert page.evaluate("document.documentElement.dataset.newsmarkError") is None
