"""What a researcher does on a page, as Playwright steps."""

from __future__ import annotations

SELECT_JS = """
([exact, occurrence, endExact]) => {
  // Select `exact` (its `occurrence`-th place in the body), or from `exact` to the end of
  // `endExact`, searching the body's text across text nodes (highlights split them).
  const nodes = [];
  for (const p of document.querySelectorAll("p.paragraph--lite")) {
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  }
  const all = nodes.map((n) => n.data).join("");
  const locate = (index) => {
    for (const n of nodes) {
      if (index <= n.data.length) return [n, index];
      index -= n.data.length;
    }
    throw new Error("past the end");
  };
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = all.indexOf(exact, at + 1);
    if (at < 0) throw new Error("not on the page: " + exact);
  }
  const end = endExact ? all.indexOf(endExact, at) + endExact.length : at + exact.length;
  const range = document.createRange();
  range.setStart(...locate(at));
  range.setEnd(...locate(end));
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  document.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
}
"""


def select(page, exact: str, occurrence: int = 0, until: str | None = None) -> None:
    """Select text in the body, and wait for the tag bar to come up for it."""
    page.evaluate(SELECT_JS, [exact, occurrence, until])
    page.wait_for_selector(".newsmark-bar:not([hidden])", timeout=5_000)


def select_in(page, selector: str) -> None:
    """Select the whole text of an element outside the body (headline, byline, footer)."""
    page.evaluate(
        """(selector) => {
          const el = document.querySelector(selector);
          const range = document.createRange();
          range.selectNodeContents(el);
          document.getSelection().removeAllRanges();
          document.getSelection().addRange(range);
          document.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
        }""",
        selector,
    )


def wait_ready(page) -> None:
    page.wait_for_selector("html[data-newsmark-ready]", state="attached", timeout=15_000)


def marks_text(page, annotation_id: str) -> str:
    return page.evaluate(
        "(id) => [...document.querySelectorAll('mark[data-newsmark-id]')]"
        ".filter(m => m.dataset.newsmarkId === id).map(m => m.textContent).join('')",
        annotation_id,
    )


def wait_saved(page) -> None:
    """Until every highlight on the page is acknowledged by the service (none pending)."""
    page.wait_for_function(
        "() => document.querySelectorAll('mark[data-newsmark-state=pending]').length === 0", timeout=15_000
    )


RECTS_JS = """
([exact, occurrence, scroll]) => {
  // The viewport rectangles of the first and the last character of `exact` in the body,
  // after scrolling it into view (unless `scroll` is false), so a test can drag the real
  // mouse across it.
  const nodes = [];
  for (const p of document.querySelectorAll("p.paragraph--lite")) {
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  }
  const all = nodes.map((n) => n.data).join("");
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = all.indexOf(exact, at + 1);
    if (at < 0) throw new Error("not on the page: " + exact);
  }
  const charRect = (index) => {
    for (const n of nodes) {
      if (index < n.data.length) {
        const r = document.createRange();
        r.setStart(n, index);
        r.setEnd(n, index + 1);
        return r;
      }
      index -= n.data.length;
    }
    throw new Error("past the end");
  };
  const first = charRect(at);
  if (scroll) first.startContainer.parentElement.scrollIntoView({ block: "nearest", inline: "nearest" });
  const a = first.getClientRects()[0];
  const rects = charRect(at + exact.length - 1).getClientRects();
  const b = rects[rects.length - 1];
  return { x0: a.left, y0: (a.top + a.bottom) / 2, x1: b.right, y1: (b.top + b.bottom) / 2 };
}
"""


def mouse_select(page, exact: str, occurrence: int = 0, *, scroll: bool = True) -> None:
    """Select `exact` in the body as a user does: press the mouse on its first character, drag to
    its last one and let go; then wait for the tag bar. With ``scroll=False`` the page is left
    where it is (the passage must be in view)."""
    box = page.evaluate(RECTS_JS, [exact, occurrence, scroll])
    page.mouse.move(box["x0"] + 1, box["y0"])
    page.mouse.down()
    page.mouse.move((box["x0"] + box["x1"]) / 2, (box["y0"] + box["y1"]) / 2, steps=4)
    page.mouse.move(box["x1"] - 1, box["y1"], steps=4)
    page.mouse.up()
    page.wait_for_selector(".newsmark-bar:not([hidden])", timeout=5_000)
    selected = page.evaluate("document.getSelection().toString()")
    assert selected == exact, f"the mouse selected {selected!r}, not {exact!r}"
