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
