"""The tag bar and the popover in reach: inside the window, by keyboard, telling overlapping codes apart,
and no label text inside the sentences (issue 9, points 1, 2, 3, 5 and the note part of 4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpers import ROOT

from .actions import mouse_select, wait_ready, wait_saved
from .pages import ARTICLE_URL, PARAGRAPHS, article_html

# A long article (30 paragraphs of two to three lines), so that any line can be scrolled to the
# top, the middle or the bottom of the window.
LONG = [" ".join(PARAGRAPHS[(i + k) % len(PARAGRAPHS)] for k in range(2 + i % 2)) for i in range(30)]

WINDOWS = {
    "800x600": ({"width": 800, "height": 600}, 1),
    "1200x850": ({"width": 1200, "height": 850}, 1),
    "1200x850-zoom200": ({"width": 600, "height": 425}, 2),
}
OUTPUT = ROOT / "test-output"
POSITIONS = ["top-left", "top-right", "middle", "bottom-left", "bottom-right"]

WORD_AT_JS = """
([where, start]) => {
  // Scroll so that a line of the body lies at the top, the middle or the bottom of the window,
  // and name a word at its left end, its right end or its middle: the word, and which of its
  // occurrences in the body's text it is (as mouse_select counts them).
  const root = document.documentElement;
  const [vw, vh] = [root.clientWidth, root.clientHeight];
  const nodes = [];
  for (const p of document.querySelectorAll("p.paragraph--lite")) {
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  }
  const all = nodes.map((n) => n.data).join("");
  const lines = new Map();
  let offset = 0;
  for (const n of nodes) {
    for (const m of n.data.matchAll(/[A-Za-z]{3,}/g)) {
      const range = document.createRange();
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const rects = range.getClientRects();
      if (rects.length !== 1) continue;
      const r = rects[0];
      const top = Math.round(r.top + window.scrollY);
      if (!lines.has(top)) lines.set(top, []);
      const word = { text: m[0], at: offset + m.index, left: r.left, right: r.right, height: r.height };
      lines.get(top).push(word);
    }
    offset += n.data.length;
  }
  const sorted = [...lines].sort((a, b) => a[0] - b[0]);
  // From the `start`-th line on, the one whose last word reaches furthest right (a full line).
  const candidates = sorted.slice(start, start + 6);
  const [top, words] = candidates.reduce((best, line) =>
    line[1][line[1].length - 1].right > best[1][best[1].length - 1].right ? line : best);
  const height = words[0].height;
  const [vertical, horizontal] = where === "middle" ? ["middle", "middle"] : where.split("-");
  // 24 px from the edge: a drag closer than about 20 px makes Chromium scroll the page as it selects.
  const y = { top: top - 24, bottom: top + height - vh + 24, middle: top + height / 2 - vh / 2 }[vertical];
  window.scrollTo(0, Math.round(y));
  const ends = { left: words[0], right: words[words.length - 1], middle: words[words.length >> 1] };
  const word = ends[horizontal];
  let occurrence = 0;
  for (let i = all.indexOf(word.text); i !== word.at; i = all.indexOf(word.text, i + 1)) occurrence++;
  return { text: word.text, occurrence, scrolled: window.scrollY - Math.round(y) };
}
"""

VIEWPORT_JS = """() => ({
  width: document.documentElement.clientWidth,
  height: document.documentElement.clientHeight,
  scrollWidth: document.documentElement.scrollWidth,
  ratio: window.devicePixelRatio,
  innerWidth: window.innerWidth,
})"""

SELECTION_RECT_JS = """() => {
  const r = document.getSelection().getRangeAt(0).getBoundingClientRect();
  return { x: r.left, y: r.top, width: r.width, height: r.height };
}"""


def open_in_window(site, browser, size: dict, ratio: int):
    page = site.open()
    page.set_viewport_size(size)
    if ratio != 1:
        # Chromium's zoom 200 % in a 1200×850 window lays pages out in a 600×425 CSS-pixel viewport at
        # devicePixelRatio 2. A headless window cannot be zoomed with Ctrl+plus, so emulate exactly
        # that: the viewport in CSS pixels (above) and the device scale factor, through the DevTools
        # protocol (Emulation.setDeviceMetricsOverride, as Chromium's own device emulation does).
        cdp = browser.new_cdp_session(page)
        cdp.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": size["width"], "height": size["height"], "deviceScaleFactor": ratio, "mobile": False},
        )
    return page


def inside(box: dict, viewport: dict) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"]
        and box["y"] + box["height"] <= viewport["height"]
    )


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.parametrize("window", list(WINDOWS))
def test_bar_and_popover_lie_inside_the_window(ready_site, browser, service, window):
    size, ratio = WINDOWS[window]
    ready_site.pages[ARTICLE_URL] = article_html(LONG)
    page = open_in_window(ready_site, browser, size, ratio)
    wait_ready(page)
    viewport = page.evaluate(VIEWPORT_JS)
    assert (viewport["innerWidth"], viewport["ratio"]) == (size["width"], ratio)
    bar = page.locator(".newsmark-bar")
    popover = page.locator("[data-newsmark-popover]")
    for n, where in enumerate(POSITIONS):
        word = page.evaluate(WORD_AT_JS, [where, 20 + 8 * n])
        assert word["scrolled"] == 0, f"{where}: the page could not be scrolled there"
        mouse_select(page, word["text"], word["occurrence"], scroll=False)
        selected = page.evaluate(SELECTION_RECT_JS)
        seen = page.evaluate(VIEWPORT_JS)
        shown = bar.bounding_box()
        assert inside(shown, seen), f"{window} {where}: the bar at {shown} leaves the window {seen}"
        assert seen["scrollWidth"] <= seen["width"], f"{window} {where}: a horizontal scrollbar"
        assert not overlap(shown, selected), f"{window} {where}: the bar covers the selection"
        if window == "1200x850" and where in ("top-right", "bottom-left"):
            name = "bar-right-edge" if where == "top-right" else "bar-bottom"
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / f"{name}.png"))
        page.keyboard.press("a")
        expect(bar).to_be_hidden()
        expect(page.locator("mark[data-newsmark-first]")).to_have_count(n + 1)
        wait_saved(page)

        page.mouse.click(selected["x"] + selected["width"] / 2, selected["y"] + selected["height"] / 2)
        expect(popover).to_be_visible()
        box = popover.bounding_box()
        seen = page.evaluate(VIEWPORT_JS)
        assert inside(box, seen), f"{window} {where}: the popover at {box} leaves the window {seen}"
        assert seen["scrollWidth"] <= seen["width"], f"{window} {where}: a horizontal scrollbar"
        room = max(selected["y"] - 10, seen["height"] - selected["y"] - selected["height"] - 10)
        if box["height"] <= room:
            assert not overlap(box, selected), f"{window} {where}: the popover covers the passage"
        page.keyboard.press("Escape")
        expect(popover).to_have_count(0)
    assert len(service.session().get(f"{service.url}/api/annotations").json()["items"]) == len(POSITIONS)


def stored(service) -> list[dict]:
    return (
        service.session().get(f"{service.url}/api/annotations", params={"url": ARTICLE_URL}).json()["items"]
    )


def test_enter_saves_with_the_note_and_the_default_tag(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    bar = page.locator(".newsmark-bar")
    note = page.locator("[data-newsmark-note]")

    # No default yet: Enter keeps the note, leaves the field and asks for a tag.
    mouse_select(page, "John Kirby")
    expect(bar.locator("[aria-pressed=true]")).to_have_count(0)
    page.keyboard.press("n")
    expect(note).to_be_focused()
    page.keyboard.type("spokesman")
    page.keyboard.press("Enter")
    asks = bar.locator("[data-newsmark-bar-status]")
    expect(asks).to_have_text(re.compile("choose a tag: a, c or f", re.I))
    expect(note).not_to_be_focused()
    assert stored(service) == []
    page.keyboard.press("c")
    expect(page.locator("mark[data-newsmark-tag=claim]", has_text="John Kirby")).to_have_count(1)
    wait_saved(page)
    assert [(a["tag"], a["note"]) for a in stored(service)] == [("claim", "spokesman")]

    # Now claim is the default, marked on the bar; Shift+Enter is a new line, Enter saves.
    mouse_select(page, "Lloyd Austin")
    expect(bar.locator("[data-newsmark-tag=claim]")).to_have_attribute("aria-pressed", "true")
    expect(bar.locator("[aria-pressed=true]")).to_have_count(1)
    page.keyboard.press("n")
    page.keyboard.type("line one")
    one_line = note.bounding_box()["height"]
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    expect(bar).to_be_visible()
    assert note.bounding_box()["height"] > one_line, "the note field grows with a second line"
    page.keyboard.press("Enter")
    expect(bar).to_be_hidden()
    expect(page.locator("mark[data-newsmark-tag=claim]", has_text="Lloyd Austin")).to_have_count(1)
    wait_saved(page)
    notes = {a["quote"]["exact"]: (a["tag"], a["note"]) for a in stored(service)}
    assert notes["Lloyd Austin"] == ("claim", "line one\nline two")

    # Enter with no note saves with the default too; another tag key makes that one the default.
    mouse_select(page, "85 targets")
    page.keyboard.press("Enter")
    expect(page.locator("mark[data-newsmark-tag=claim]", has_text="85 targets")).to_have_count(1)
    mouse_select(page, "30 minutes")
    page.keyboard.press("f")
    wait_saved(page)

    # Escape closes the bar, note and all; nothing is saved.
    mouse_select(page, "seven locations")
    expect(bar.locator("[data-newsmark-tag=figure]")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("n")
    page.keyboard.type("not this")
    page.keyboard.press("Escape")
    expect(bar).to_be_hidden()
    assert len(stored(service)) == 4

    # The default is this tab's: it is still there after the page is opened again.
    page.reload()
    wait_ready(page)
    mouse_select(page, "Joe Biden")
    expect(bar.locator("[data-newsmark-tag=figure]")).to_have_attribute("aria-pressed", "true")


def test_the_popover_by_keyboard(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    mouse_select(page, "National Security Council spokesman John Kirby")
    page.keyboard.press("c")
    expect(page.locator("mark[data-newsmark-first]")).to_have_count(1)
    mouse_select(page, "John Kirby")  # inside the first
    page.keyboard.press("a")
    expect(page.locator("mark[data-newsmark-first]")).to_have_count(2)
    wait_saved(page)
    popover = page.locator("[data-newsmark-popover]")
    kirby_id = next(a["id"] for a in stored(service) if a["quote"]["exact"] == "John Kirby")
    kirby = page.locator(f"mark[data-newsmark-id='{kirby_id}']")

    # Opened by a click, it has the focus; a tag key changes the first (innermost) annotation only.
    kirby.click()
    expect(popover.locator("[data-newsmark-annotation]")).to_have_count(2)
    expect(popover.locator("[data-newsmark-annotation]").first).to_be_focused()
    page.keyboard.press("f")
    expect(popover).to_have_count(0)
    expect(kirby).to_have_attribute("data-newsmark-tag", "figure")
    expect(kirby).to_be_focused()  # focus is back on the highlight
    wait_saved(page)
    tags = {a["quote"]["exact"]: a["tag"] for a in stored(service)}
    assert tags == {"John Kirby": "figure", "National Security Council spokesman John Kirby": "claim"}

    # Enter on a highlight opens its popover; Escape closes it, and focus is back on the highlight.
    page.keyboard.press("Enter")
    expect(popover).to_be_visible()
    expect(popover.locator("[data-newsmark-annotation]").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(popover).to_have_count(0)
    expect(kirby).to_be_focused()

    # Shift+Tab reaches the other highlight; its tag shows; Enter, Tab to the note, type, Enter saves it.
    page.keyboard.press("Shift+Tab")
    council = page.locator("mark[data-newsmark-first][data-newsmark-tag=claim]")
    expect(council).to_be_focused()
    expect(page.locator("[data-newsmark-tip]")).to_have_text("claim")
    page.keyboard.press("Enter")
    expect(popover.locator("[data-newsmark-field=tag]").first).to_have_text("claim")
    page.keyboard.press("Tab")
    expect(popover.locator("textarea").first).to_be_focused()
    page.keyboard.type("Kirby speaks for the NSC")
    page.keyboard.press("Enter")
    expect(page.locator("[data-newsmark-hint]")).to_contain_text("Note saved.")
    expect(popover).to_have_count(0)
    expect(council).to_be_focused()
    notes = {a["quote"]["exact"]: a["note"] for a in stored(service)}
    assert notes["National Security Council spokesman John Kirby"] == "Kirby speaks for the NSC"


def test_saving_a_note_in_the_popover_says_so(ready_site, service):
    page = ready_site.open()
    wait_ready(page)
    mouse_select(page, "Lloyd Austin")
    page.keyboard.press("a")
    expect(page.locator("mark[data-newsmark-tag=actor]")).to_have_count(1)
    wait_saved(page)
    page.locator("mark[data-newsmark-tag=actor]").click()
    page.locator("[data-newsmark-popover] textarea").fill("Defense Secretary")
    page.click("[data-newsmark-popover] [data-newsmark-action=save-note]")
    expect(page.locator("[data-newsmark-hint]")).to_contain_text("Note saved.")
    assert stored(service)[0]["note"] == "Defense Secretary"


SENTENCE = (
    "President Joe Biden said in a statement that the US military response “will continue at times and "
    "places of our choosing.”"
)
OVERLAPPING = [(SENTENCE, "c"), ("Joe Biden said in a statement", "a"), ("Joe Biden", "f")]


def code_overlapping(page) -> None:
    for n, (exact, key) in enumerate(OVERLAPPING, start=1):
        mouse_select(page, exact)
        page.keyboard.press(key)
        expect(page.locator("mark[data-newsmark-first]")).to_have_count(n)
    wait_saved(page)


def test_the_popover_shows_each_quote_shortened_in_the_middle(ready_site, service):
    page = ready_site.open()
    page.set_viewport_size({"width": 1000, "height": 700})
    wait_ready(page)
    code_overlapping(page)
    page.locator("mark[data-newsmark-tag=figure]").click()
    sections = page.locator("[data-newsmark-popover] [data-newsmark-annotation]")
    expect(sections).to_have_count(3)
    quotes = [sections.nth(i).locator("[data-newsmark-field=quote]").inner_text() for i in range(3)]
    tags = [sections.nth(i).locator("[data-newsmark-field=tag]").inner_text() for i in range(3)]
    assert tags == ["figure", "actor", "claim"]  # innermost first
    assert quotes[:2] == ["Joe Biden", "Joe Biden said in a statement"]
    head, tail = quotes[2].split(" … ")
    assert SENTENCE.startswith(head) and SENTENCE.endswith(tail)
    assert head.startswith("President Joe Biden") and tail.endswith("choosing.”")
    assert len(quotes[2]) < len(SENTENCE)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "popover-overlapping.png"))


WORD_RECTS_JS = """() => {
  // Where each word of the body is drawn.
  const out = [];
  for (const p of document.querySelectorAll("p.paragraph--lite")) {
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (const m of n.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(n, m.index);
        range.setEnd(n, m.index + m[0].length);
        for (const r of range.getClientRects()) out.push([m[0], Math.round(r.left), Math.round(r.top)]);
      }
    }
  }
  return out;
}"""


def test_no_label_text_inside_the_sentences(ready_site, service):
    page = ready_site.open()
    page.set_viewport_size({"width": 1000, "height": 700})
    wait_ready(page)
    text_before = page.evaluate("document.querySelector('article').innerText")
    words_before = page.evaluate(WORD_RECTS_JS)
    code_overlapping(page)
    assert page.locator("mark[data-newsmark-id]").count() >= 3
    # The text reads as without the extension, and not a word has moved to make room for a label.
    assert page.evaluate("document.querySelector('article').innerText") == text_before
    assert page.evaluate(WORD_RECTS_JS) == words_before
    # Each tag keeps its colour and its own underline.
    styles = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('mark[data-newsmark-first]')].map(m => {
             const s = getComputedStyle(m);
             return [m.dataset.newsmarkTag, [s.backgroundColor, s.borderBottomStyle]];
           }))"""
    )
    assert {tag: style[1] for tag, style in styles.items()} == {
        "actor": "solid",
        "claim": "dashed",
        "figure": "double",
    }
    assert len({style[0] for style in styles.values()}) == 3
    # The tag names show on hover, every one under the pointer, innermost first.
    tip = page.locator("[data-newsmark-tip]")
    page.mouse.move(5, 5)
    expect(tip).to_be_hidden()
    page.locator("mark[data-newsmark-tag=figure]").hover()
    expect(tip).to_be_visible()
    expect(tip).to_have_text("figure · actor · claim")
    page.mouse.move(5, 5)
    expect(tip).to_be_hidden()
