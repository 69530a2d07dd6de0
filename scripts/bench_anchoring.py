"""Benchmark: anchoring 200 saved annotations on a ~5,000-word article in headless Chromium.

A real newsmark service holds 200 annotations of one article; Debian's Chromium opens
the page (served at its lite.cnn.com URL by routing) with the unpacked extension, which
fetches them, anchors each and highlights it. The content script records how long
reading the text, anchoring and highlighting took (``data-newsmark-anchor-ms``).

Three pages: the article as coded (every passage at its position), the article with a
paragraph inserted at the top (every passage found by its quote), and with one passage in
ten lightly reworded (those found by approximate matching). The reference, measured in the
same page and run: reading the article's text and finding each exact quote with
``indexOf``, nothing highlighted. Target: anchoring <= 100 ms.

Run: ``.venv/bin/python scripts/bench_anchoring.py`` (after ``scripts/test`` has installed
Chromium and Playwright). Prints medians over a few page loads; it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import html
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from newsmark.text import article_text  # noqa: E402

URL = "https://lite.cnn.com/2024/02/02/politics/long-read/index.html"
WORDS = [
    word
    for line in (
        "the officials said strikes targets militia groups president statement response defense",
        "secretary military forces region attack drone service members airstrikes facilities command",
        "control intelligence rockets missiles storage logistics supply chain sponsors coalition",
        "ministry civilians soldiers property infrastructure casualties spokesman council border",
        "government sovereignty conflict escalation retaliation bombers precision munitions weather",
    )
    for word in line.split(" ")
]
REFERENCE_JS = """(quotes) => {
  const began = performance.now();
  const text = document.querySelector('article').innerText;
  let found = 0;
  for (const q of quotes) if (text.indexOf(q) >= 0) found++;
  return [performance.now() - began, found];
}"""


def make_paragraphs(rng: random.Random, words: int) -> list[str]:
    paragraphs = []
    while sum(len(p.split()) for p in paragraphs) < words:
        sentences = []
        for _ in range(rng.randint(2, 5)):
            n = rng.randint(8, 22)
            sentence = " ".join(rng.choice(WORDS) for _ in range(n))
            sentences.append(f"{sentence.capitalize()} {rng.randint(2, 999)} times.")
        paragraphs.append(" ".join(sentences))
    return paragraphs


def page_html(paragraphs: list[str]) -> str:
    body = "\n".join(f'<p class="paragraph--lite">\n  {html.escape(p)}\n</p>' for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Long read</title></head><body>'
        '<div class="layout-article-elevate__lite"><article class="article--lite">'
        '<h2 class="headline">A long read</h2><p class="byline--lite">By A. Writer, CNN</p>'
        f'<p class="timestamp--lite">Updated: 8:43 AM EST, Sat February 3, 2024</p>{body}'
        '<p class="paragraph--lite"><a href="#">See Full Web Article</a></p></article></div></body></html>'
    )


def pick_passages(rng: random.Random, text: str, count: int) -> list[tuple[int, int]]:
    """``count`` passages of 2 to 12 words, at word boundaries, anywhere in the text."""
    starts = [m.start() for m in re.finditer(r"(?<![^\s])\S", text)]
    spans = []
    while len(spans) < count:
        i = rng.randrange(len(starts) - 12)
        end_word = i + rng.randint(2, 12)
        end = starts[end_word] - 1
        spans.append((starts[i], end))
    return spans


def start_service(folder: Path) -> tuple[subprocess.Popen[str], str, str]:
    command = [sys.executable, "-m", "newsmark.cli", "serve", "--port", "0", "--data-dir", str(folder)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.search(r"serving at (http://\S+)/", line)
        if match:
            # Read what the server prints from here on, so a full pipe never blocks it.
            subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
            return proc, match.group(1), (folder / "token").read_text().strip()
    raise RuntimeError("the service did not start")


def store_annotations(url: str, token: str, text: str, spans: list[tuple[int, int]]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for n, (start, end) in enumerate(spans):
        body = {
            "id": str(uuid.uuid4()),
            "url": URL,
            "tag": ("actor", "claim", "figure")[n % 3],
            "quote": {
                "exact": text[start:end],
                "prefix": text[max(0, start - 32) : start],
                "suffix": text[end : end + 32],
            },
            "position": {"start": start, "end": end},
            "note": None,
            "annotator": "bench",
        }
        if n == 0:
            body["article"] = {
                "title": "A long read",
                "byline": "By A. Writer, CNN",
                "timestamp_text": "",
                "text": text,
            }
        answer = session.post(f"{url}/api/annotations", json=body, timeout=30)
        answer.raise_for_status()


def measure(
    context, html_body: str, quotes: list[str], loads: int
) -> tuple[list[float], list[float], str, str]:
    context.unroute("https://lite.cnn.com/**")
    context.route(
        "https://lite.cnn.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html_body),
    )
    page = context.new_page()
    anchor_ms, reference_ms = [], []
    anchored = orphans = ""
    for _ in range(loads):
        page.goto(URL)
        page.wait_for_selector("html[data-newsmark-ready]", state="attached", timeout=60_000)
        data = page.evaluate("({...document.documentElement.dataset})")
        anchor_ms.append(float(data["newsmarkAnchorMs"]))
        anchored, orphans = data["newsmarkAnchored"], data["newsmarkOrphans"]
        reference_ms.append(page.evaluate(REFERENCE_JS, quotes)[0])
    page.close()
    return anchor_ms, reference_ms, anchored, orphans


def launch(pw, profile: Path, service_url: str, token: str):
    extension = ROOT / "extension"
    context = pw.chromium.launch_persistent_context(
        str(profile),
        headless=True,
        executable_path="/usr/bin/chromium",
        args=[
            f"--disable-extensions-except={extension}",
            f"--load-extension={extension}",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    )
    worker = (
        context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    )
    settings = {"serviceUrl": service_url, "token": token, "annotator": "bench"}
    worker.evaluate("s => chrome.storage.local.set({settings: s})", settings)
    return context


def run_scenarios(pw, profile, service_url, token, scenarios, quotes, loads) -> dict[str, float]:
    """Each page's median anchoring time, printed with its reference and their ratio."""
    context = launch(pw, profile, service_url, token)
    head = ("page", "anchored", "orphans", "anchor ms p50", "reference ms", "ratio")
    print("\n{:44} {:>9} {:>8} {:>14} {:>13} {:>7}".format(*head))
    results = {}
    for name, paras in scenarios.items():
        anchor_ms, ref_ms, anchored, orphans = measure(context, page_html(paras), quotes, loads)
        a50, r50 = statistics.median(anchor_ms), statistics.median(ref_ms)
        results[name] = a50
        print(f"{name:44} {anchored:>9} {orphans:>8} {a50:14.1f} {r50:13.2f} {a50 / max(r50, 0.01):6.0f}x")
    context.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotations", type=int, default=200)
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--loads", type=int, default=7, help="page loads per scenario (median reported)")
    args = parser.parse_args(argv)

    rng = random.Random(5)
    paragraphs = make_paragraphs(rng, args.words)
    text = article_text(paragraphs)
    spans = pick_passages(rng, text, args.annotations)
    quotes = [text[s:e] for s, e in spans]
    reworded = list(paragraphs)
    for i in range(0, len(reworded), 10):  # one paragraph in ten: a word dropped, a word changed
        words = reworded[i].split()
        words[1:2] = []
        words[len(words) // 2] = words[len(words) // 2] + "s"
        reworded[i] = " ".join(words)
    inserted = ["This story has been updated with new developments.", *paragraphs]
    scenarios = {
        "as coded (by position)": paragraphs,
        "paragraph inserted above (by quote)": inserted,
        "one paragraph in ten reworded (some fuzzy)": reworded,
    }
    with tempfile.TemporaryDirectory() as tmp:
        proc, service_url, token = start_service(Path(tmp) / "data")
        try:
            began = time.perf_counter()
            store_annotations(service_url, token, text, spans)
            took = time.perf_counter() - began
            print(f"stored {len(spans)} annotations on a {len(text.split())}-word article in {took:.1f} s")
            with sync_playwright() as pw:
                results = run_scenarios(
                    pw, Path(tmp) / "profile", service_url, token, scenarios, quotes, args.loads
                )
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    worst = max(results.values())
    print(
        f"\ntarget: anchoring {args.annotations} annotations <= 100 ms: "
        f"{'PASS' if worst <= 100 else 'MISS'} (slowest page {worst:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
