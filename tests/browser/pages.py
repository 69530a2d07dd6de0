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


#: The home page's sections: (heading, the URL section of its stories).
HOME_SECTIONS = [
    ("Top stories", "politics"),
    ("US", "us"),
    ("World", "world"),
    ("Politics", "politics"),
    ("Business", "business"),
    ("Health", "health"),
    ("Entertainment", "entertainment"),
    ("Sport", "sport"),
]
_HEADLINE = (
    "officials say talks resume after storm damage leaves thousands without power as lawmakers weigh "
    "new rules for drone strikes while markets rally on inflation data and teams prepare for finals"
)
_HEADLINE_WORDS = _HEADLINE.split(" ")


def home_links(n: int = 100) -> list[tuple[str, str]]:
    """The home page's ``n`` article links, each once: (href as the page writes it, headline).

    The first is the fixture article (``ARTICLE_URL``). Older stories end in ``/index.html``, newer
    ones do not, as on the real site; a few headlines are long enough to wrap.
    """
    links = [(ARTICLE_URL.removeprefix(HOME_URL.rstrip("/")), TITLE)]
    per_section = -(-n // len(HOME_SECTIONS))
    for i in range(1, n):
        section = HOME_SECTIONS[i // per_section][1]  # the section it is listed under
        words = [_HEADLINE_WORDS[(i * 7 + k) % len(_HEADLINE_WORDS)] for k in range(6 + i % 9)]
        if i % 17 == 0:
            words *= 4  # a long headline: it wraps in a narrow window
        headline = " ".join(words).capitalize() + f" ({i})"
        slug = "-".join(words[:5]) + f"-{i}"
        index = "/index.html" if i % 3 == 0 else ""
        links.append((f"/2024/02/{1 + i % 28:02d}/{section}/{slug}{index}", headline))
    return links


def home_article_urls(n: int = 100) -> list[str]:
    """The absolute URLs of :func:`home_links`, in the page's order."""
    return [HOME_URL.rstrip("/") + href for href, _ in home_links(n)]


def home_html(n: int = 100) -> str:
    """lite.cnn.com's home page: in ``div.layout-homepage__lite``, section headings, each followed by
    a ``ul`` of ``li.card--lite`` each holding one site-relative link, the headline.

    ``n`` article links, each once, plus what is not one article: a link to a section page in a card,
    the fixture article again (with a query and a fragment) under another heading, and the footer.
    """
    links = home_links(n)
    per_section = -(-len(links) // len(HOME_SECTIONS))
    parts = []
    for s, (heading, section) in enumerate(HOME_SECTIONS):
        chunk = links[s * per_section : (s + 1) * per_section]
        if not chunk:
            break
        cards = [
            f'      <li class="card--lite">\n        <a href="{html.escape(href)}">{html.escape(title)}</a>\n'
            "      </li>"
            for href, title in chunk
        ]
        cards.append(
            f'      <li class="card--lite"><a href="/{section}">More {html.escape(heading)}</a></li>'
        )
        if s == 2:  # a story linked twice, the second time with a tracking query and a fragment
            again = ARTICLE_URL.removeprefix(HOME_URL.rstrip("/")) + "?iid=lite_top#story"
            cards.append(
                f'      <li class="card--lite"><a href="{html.escape(again)}">Strikes: the latest</a></li>'
            )
        parts.append(
            f'    <h2 class="section--lite">{html.escape(heading)}</h2>\n    <ul>\n'
            + "\n".join(cards)
            + "\n    </ul>"
        )
    sections = "\n".join(parts)
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>CNN - Breaking News, Latest News and Videos</title>
  </head>
  <body>
    <div class="layout-homepage__lite">
{sections}
    </div>
    <footer>
      <p><a href="https://www.cnn.com">Go to the full CNN experience</a></p>
      <p>© 2024 Cable News Network. A Warner Bros. Discovery Company. All Rights Reserved.</p>
      <a href="https://www.cnn.com/terms">Terms of Use</a> | <a href="/about">About</a>
    </footer>
  </body>
</html>
"""
