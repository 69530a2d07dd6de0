"""Coming back to a page: highlights return in place, on the same or a revised article."""

from __future__ import annotations

from playwright.sync_api import expect

from .actions import marks_text, select, wait_ready, wait_saved
from .pages import ARTICLE_URL, PARAGRAPHS, article_html


def stored(service) -> dict[str, dict]:
    items = (
        service.session().get(f"{service.url}/api/annotations", params={"url": ARTICLE_URL}).json()["items"]
    )
    return {a["quote"]["exact"]: a for a in items}


def code(page, exact: str, key: str, occurrence: int = 0) -> None:
    select(page, exact, occurrence)
    page.keyboard.press(key)
    wait_saved(page)


def ready_counts(page) -> tuple[str, str]:
    wait_ready(page)
    root = "document.documentElement.dataset"
    return tuple(page.evaluate(f"[{root}.newsmarkAnchored, {root}.newsmarkOrphans]"))


def test_revised_article_moved_reworded_deleted(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    code(page, "85 targets", "f")  # in a paragraph that moves down
    code(page, "which lasted 30 minutes and were successful, according to the White House", "c")  # reworded
    code(
        page, "the US military response “will continue at times and places of our choosing.”", "c"
    )  # deleted
    code(page, "Lloyd Austin", "a")  # moves
    saved = stored(service)
    assert len(saved) == 4

    revised = [
        "This story has been updated with additional developments.",
        PARAGRAPHS[0],
        PARAGRAPHS[1]
        .replace("lasted 30 minutes", "lasted about 30 minutes")
        .replace("according to the White House", "according to White House officials"),
        # PARAGRAPHS[2] deleted
        PARAGRAPHS[3],
        PARAGRAPHS[4],
    ]
    ready_site.pages[ARTICLE_URL] = article_html(revised)
    page.reload()
    assert ready_counts(page) == ("3", "1")
    assert marks_text(page, saved["85 targets"]["id"]) == "85 targets"
    assert marks_text(page, saved["Lloyd Austin"]["id"]) == "Lloyd Austin"
    fuzzy = marks_text(
        page, saved["which lasted 30 minutes and were successful, according to the White House"]["id"]
    )
    assert fuzzy.startswith("which lasted about 30 minutes") and "White House" in fuzzy
    deleted = saved["the US military response “will continue at times and places of our choosing.”"]["id"]
    assert marks_text(page, deleted) == ""
    orphans = page.evaluate("document.documentElement.dataset.newsmarkOrphans")
    assert orphans == "1"


def test_second_occurrence_comes_back_at_the_second(ready_site, service):
    repeated = [
        "Officials said the strikes were successful. Critics disagreed.",
        "Later the Pentagon said the strikes were successful. Then it added details.",
    ]
    ready_site.pages[ARTICLE_URL] = article_html(repeated)
    page = ready_site.open()
    wait_ready(page)
    code(page, "the strikes were successful", "c", occurrence=1)
    ready_site.pages[ARTICLE_URL] = article_html(["A new first paragraph.", *repeated])
    page.reload()
    assert ready_counts(page) == ("1", "0")
    paragraph = page.evaluate(
        "() => document.querySelector('mark[data-newsmark-id]').closest('p').textContent"
    )
    assert "Pentagon" in paragraph


def test_emoji_before_the_passage_offsets_agree_with_the_service(ready_site, service):
    ready_site.pages[ARTICLE_URL] = article_html(
        [
            "Reactions online: 😀😀 and 👍🏽 and the flag 🇺🇸.",
            "Officials said 85 targets were hit in 𝐁𝐨𝐥𝐝 fashion.",
        ]
    )
    page = ready_site.open()
    wait_ready(page)
    code(page, "85 targets", "f")
    saved = stored(service)["85 targets"]
    text = service.session().get(f"{service.url}/api/articles/{ARTICLE_URL}").json()["text"]
    assert text[saved["position"]["start"] : saved["position"]["end"]] == "85 targets"
    page.reload()
    assert ready_counts(page) == ("1", "0")
    expect(page.locator("mark[data-newsmark-id]")).to_have_text("85 targets")


def test_an_edited_article_is_kept_as_a_new_version(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    code(page, "85 targets", "f")
    revised = ["This story has been updated.", *PARAGRAPHS]
    ready_site.pages[ARTICLE_URL] = article_html(revised)
    page.reload()
    wait_ready(page)
    session = service.session()
    article: dict = {}
    for _ in range(60):  # sent after anchoring, without waiting for it
        article = session.get(f"{service.url}/api/articles/{ARTICLE_URL}").json()
        if len(article["versions"]) == 2:
            break
        page.wait_for_timeout(100)
    assert len(article["versions"]) == 2
    assert article["text"] == "\n\n".join(revised)
    # A second visit adds nothing.
    page.reload()
    wait_ready(page)
    page.wait_for_timeout(300)
    assert len(session.get(f"{service.url}/api/articles/{ARTICLE_URL}").json()["versions"]) == 2
