"""lite.cnn.com's home page shows a study's progress: a badge of counts per tag on each coded
article's link, a dot on each article opened but not coded; the page's own layout never moves."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpers import body

from .actions import wait_ready
from .conftest import OUTPUT
from .pages import ARTICLE_URL, HOME_URL, home_article_urls, home_html

URLS = home_article_urls()
#: Articles coded through the API (with their snapshots), and the tag of each annotation.
CODED = {
    URLS[1]: ["actor", "actor", "claim"],
    URLS[12]: ["figure"],
    URLS[40]: ["claim"] * 5 + ["actor"] * 2 + ["figure"],
    URLS[99]: ["actor", "figure"],
}
#: Passages of the helpers' article text, one per annotation of an article.
QUOTES = ["85 targets", "seven locations", "Iraq and Syria", "30 minutes", "drone strike", "Joe Biden"]
QUOTES += ["Lloyd Austin", "major airstrikes"]

#: In the service worker: count the lookup requests it sends, and how many URLs each holds.
COUNT_LOOKUPS_JS = """() => {
  self.newsmarkLookups = [];
  const send = self.fetch;
  self.fetch = (resource, init) => {
    if (String(resource).endsWith("/api/articles/lookup")) {
      self.newsmarkLookups.push(JSON.parse(init.body).urls.length);
    }
    return send(resource, init);
  };
}"""

#: Each card link's headline and the badge after it: (href, kind, text, title).
BADGES_JS = """() => [...document.querySelectorAll(".card--lite a[href]")].map((a) => {
  const badge = a.nextElementSibling?.querySelector(".newsmark-badge");
  const kind = badge?.dataset.newsmarkBadge ?? null;
  return [a.getAttribute("href"), kind, badge?.textContent ?? "", badge?.title ?? ""];
})"""

#: Where every link of the page is (each line box of it), and the page's size.
LAYOUT_JS = """() => ({
  links: [...document.querySelectorAll("a")].map((a) =>
    [...a.getClientRects()].map((r) => [r.left, r.top, r.width, r.height])),
  size: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
  view: document.documentElement.clientWidth,
})"""


def code_articles(service) -> None:
    session = service.session()
    for url, tags in CODED.items():
        for quote, tag in zip(QUOTES, tags, strict=False):
            answer = session.post(f"{service.url}/api/annotations", json=body(quote, tag=tag, url=url))
            assert answer.status_code == 201, answer.text


def open_article_until_stored(site, service) -> None:
    """Open the article in the browser; the extension sends its snapshot, and the service keeps it."""
    page = site.open(ARTICLE_URL)
    wait_ready(page)
    session = service.session()
    for _ in range(100):  # sent after anchoring, without waiting for it
        if session.get(f"{service.url}/api/articles/{ARTICLE_URL}").status_code == 200:
            break
        page.wait_for_timeout(100)
    assert session.get(f"{service.url}/api/articles/{ARTICLE_URL}").status_code == 200, (
        "opening an article did not make it seen"
    )
    page.close()


def expected_badge(entry: dict) -> tuple[str | None, str, str]:
    counts = entry["counts"]
    if counts["total"]:
        parts = [(tag, counts[tag]) for tag in ("actor", "claim", "figure") if counts[tag]]
        text = "".join(f"{tag[0].upper()}{n}" for tag, n in parts)
        return "coded", text, "coded: " + ", ".join(f"{n} {tag}" for tag, n in parts)
    if entry["seen"]:
        return "seen", "", "opened, not coded"
    return None, "", ""


def test_home_page_badges_match_the_service(ready_site, service, service_worker):
    code_articles(service)
    open_article_until_stored(ready_site, service)
    service_worker.evaluate(COUNT_LOOKUPS_JS)

    page = ready_site.open(HOME_URL)
    wait_ready(page)
    assert page.locator(".newsmark-bar").count() == 0  # nothing to code on a listing page

    # One request for the page's 100 articles (101 card links to them: one is linked twice).
    assert service_worker.evaluate("self.newsmarkLookups") == [100]

    answer = service.session().post(f"{service.url}/api/articles/lookup", json={"urls": URLS})
    truth = answer.json()["articles"]
    shown = page.evaluate(BADGES_JS)
    assert len([href for href, *_ in shown if href.startswith("/20")]) == 101
    drawn = 0
    for href, kind, text, title in shown:
        url = HOME_URL.rstrip("/") + href.split("?")[0]
        if url not in truth:  # a section page's link: never marked
            assert kind is None, href
            continue
        assert (kind, text, title) == expected_badge(truth[url]), href
        drawn += kind is not None
    # The four coded articles, and the opened one at both its links.
    assert drawn == len(CODED) + 2
    assert page.evaluate("document.documentElement.dataset.newsmarkBadges") == str(drawn)
    assert float(page.evaluate("document.documentElement.dataset.newsmarkBadgesMs")) > 0

    badge = page.locator(f'[data-newsmark-badge-for="{URLS[40]}"] .newsmark-badge')
    expect(badge).to_have_text("A2C5F1")  # letters with the counts: colour is not the only cue
    expect(badge.locator("[data-newsmark-badge-tag]")).to_have_text(["A2", "C5", "F1"])
    colours = badge.locator("[data-newsmark-badge-tag]").evaluate_all(
        "spans => spans.map(s => getComputedStyle(s).color)"
    )
    assert len(set(colours)) == 3  # actor, claim, figure each in its own colour
    expect(badge).to_have_attribute("title", "coded: 2 actor, 5 claim, 1 figure")
    dot = page.locator(f'[data-newsmark-badge-for="{ARTICLE_URL}"] .newsmark-badge').first
    expect(dot).to_have_attribute("title", "opened, not coded")
    expect(dot).to_be_visible()

    OUTPUT.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1000, "height": 760})
    page.locator(f'[data-newsmark-badge-for="{URLS[1]}"]').scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT / "home-badges.png"))


def test_a_page_of_more_than_200_articles_asks_in_requests_of_200(ready_site, service, service_worker):
    many = home_article_urls(250)
    session = service.session()
    for url in (many[3], many[249]):  # one in each request
        assert session.post(f"{service.url}/api/annotations", json=body("Joe Biden", tag="claim", url=url)).ok
    ready_site.pages[HOME_URL] = home_html(250)
    service_worker.evaluate(COUNT_LOOKUPS_JS)
    page = ready_site.open(HOME_URL)
    wait_ready(page)
    assert sorted(service_worker.evaluate("self.newsmarkLookups")) == [50, 200]
    for url in (many[3], many[249]):
        expect(page.locator(f'[data-newsmark-badge-for="{url}"] .newsmark-badge')).to_have_text("C1")
    assert page.evaluate("document.documentElement.dataset.newsmarkBadges") == "2"


@pytest.mark.parametrize("width", [1280, 420])
def test_badges_move_no_link_and_no_line(ready_site, service, width):
    session = service.session()
    for n, url in enumerate(URLS[::3]):  # every third article, some of them long headlines
        tags = ["actor", "claim", "figure"][: 1 + n % 3]
        for quote, tag in zip(QUOTES, tags, strict=False):
            assert session.post(f"{service.url}/api/annotations", json=body(quote, tag=tag, url=url)).ok
    page = ready_site.browser.new_page()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(HOME_URL)
    wait_ready(page)
    drawn = len(URLS[::3]) + 1  # URLS[0], the fixture article, is linked twice
    assert page.evaluate("document.documentElement.dataset.newsmarkBadges") == str(drawn)
    with_badges = page.evaluate(LAYOUT_JS)
    # Every badge lies inside the window's width: none sticks out to give the page a scrollbar.
    badges = page.locator(".newsmark-badge")
    rights = badges.evaluate_all("marks => marks.map((m) => m.getBoundingClientRect().right)")
    assert len(rights) == drawn and max(rights) <= with_badges["view"]
    page.evaluate("document.querySelectorAll('.newsmark-badge-hook').forEach((h) => h.remove())")
    without = page.evaluate(LAYOUT_JS)
    assert with_badges["size"] == without["size"]
    moved = [n for n, (a, b) in enumerate(zip(with_badges["links"], without["links"], strict=True)) if a != b]
    assert moved == [], f"{len(moved)} links moved, the first: {with_badges['links'][moved[0]]}"


@pytest.mark.parametrize("trouble", ["wrong token", "service down"])
def test_without_the_service_the_home_page_is_untouched(ready_site, service, configure, trouble):
    code_articles(service)
    if trouble == "wrong token":
        configure(service.url, "not-the-token")
        state = "unauthorized"
    else:
        service.stop()
        state = "unreachable"
    page = ready_site.open(HOME_URL)
    wait_ready(page)
    assert page.evaluate("document.documentElement.dataset.newsmarkError") == state
    assert page.evaluate("document.documentElement.dataset.newsmarkBadges") == "0"
    assert page.locator(".newsmark-badge-hook").count() == 0
    assert page.locator(".newsmark-bar").count() == 0
    expect(page.locator(".card--lite a").first).to_be_visible()
