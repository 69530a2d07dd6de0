"""Fixture pages written to the shape of lite.cnn.com's article markup (see the README's notes).

Served at real lite.cnn.com URLs by routing, so the content script runs as on the real site.
"""

from __future__ import annotations

import html
import json

ARTICLE_URL = "https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria/index.html"
HOME_URL = "https://lite.cnn.com/"

TITLE = "US carries out retaliatory strikes on Iranian-linked militia targets in Iraq and Syria"
BYLINE = "By Natasha Bertrand, Haley Britzky, Oren Liebermann and Kevin Liptak, CNN"
TIMESTAMP = "Updated: 8:43 AM EST, Sat February 3, 2024"

PARAGRAPHS = [
    "The US conducted major airstrikes on 85 targets across seven locations in Iraq and Syria on Friday, "
    "the start of what will likely be a series of larger-scale US strikes.",
    "The retaliatory strikes – which lasted 30 minutes and were successful, according to the White House – "
    "came in response to a drone strike which killed three US service members.",
    "President Joe Biden said in a statement that the US military response “will continue at times and "
    "places of our choosing.”",
    "Defense Secretary Lloyd Austin said in a statement that the strikes are “the start of our response.”",
    "“We believe that the strikes were successful,” National Security Council spokesman John Kirby said.",
]


def article_html(
    paragraphs: list[str] = PARAGRAPHS, *, title: str = TITLE, byline: str | None = BYLINE
) -> str:
    """A lite.cnn.com article page: headline, byline, timestamp, source, body, full-article link, footer.

    Paragraph strings may hold inline markup (``<b>``, ``<a>``); they are placed as given, with the
    indentation and line breaks the real pages have inside each paragraph.
    """
    body = "\n".join(f'      <p class="paragraph--lite">\n        {p}\n      </p>' for p in paragraphs)
    ld = json.dumps({"@type": "NewsArticle", "headline": title, "datePublished": "2024-02-02T23:13:00Z"})
    byline_html = (
        f'      <p class="byline--lite">\n        {html.escape(byline)}\n      </p>\n' if byline else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{html.escape(title)} | CNN Politics</title>
    <script type="application/ld+json">{ld}</script>
  </head>
  <body>
    <div class="layout-article-elevate__lite">
    <article class="article--lite">
      <h2 class="headline">{html.escape(title)}</h2>
{byline_html}      <p class="timestamp--lite">
        {TIMESTAMP}
      </p>
      <p class="source--lite">Source: CNN</p>
{body}
      <p class="paragraph--lite"><a href="https://www.cnn.com/2024/02/02/politics/us-strikes-iraq-syria">See Full Web Article</a></p>
    </article>
    </div>
    <footer>
      <p><a href="https://www.cnn.com">Go to the full CNN experience</a></p>
      <p>© 2024 Cable News Network. A Warner Bros. Discovery Company. All Rights Reserved.</p>
      <a href="https://www.cnn.com/terms">Terms of Use</a> | <a href="https://www.cnn.com/privacy">Privacy Policy</a>
    </footer>
  </body>
</html>
"""


def home_html() -> str:
    return """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>CNN - Breaking News</title></head>
<body><div class="layout-homepage__lite">
<div class="card--lite"><a href="/2024/02/02/politics/us-strikes-iraq-syria/index.html">US carries out strikes</a></div>
<div class="card--lite"><a href="/2024/02/03/world/other-story">Another story</a></div>
</div></body></html>
"""
