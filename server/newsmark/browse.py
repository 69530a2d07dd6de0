"""What the viewer shows: annotations filtered, sorted and paged, with counts and figures.

Views filter, sort and count through :mod:`newsmark.columns`, kept between
requests until the store changes; a page holds ``per_page`` annotations.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from . import articles, columns, contract
from .store import AnnotationFilter, Doc, Store

#: The most columns in the chart over time: beyond as many days it counts per month, then per
#: year, then per run of years (a column a day would be too thin to see, and draw too long).
MAX_COLUMNS = 400
#: Articles and coders shown by name in a chart; the rest are summed up in one bar.
CHART_TOP = 15


def filter_from_query(args: dict[str, Any]) -> AnnotationFilter:
    """The filter a query loaded by :class:`newsmark.schemas.ListQuerySchema` describes."""
    since, until = args.get("since"), args.get("until")
    return AnnotationFilter(
        url=args.get("url"),
        tag=args.get("tag"),
        annotator=args.get("annotator"),
        q=args.get("q"),
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
    )


@dataclass(frozen=True)
class Listing:
    """One page of the annotations table."""

    items: list[Doc]
    total: int
    counts: dict[str, int]  # per tag, for the whole filter
    page: int
    pages: int
    per_page: int
    titles: dict[str, str] = field(default_factory=dict)  # article URL -> title
    article_ids: dict[str, str] = field(default_factory=dict)  # article URL -> article id


def listing(
    store: Store, flt: AnnotationFilter, *, sort: str = "newest", page: int = 1, per_page: int = 50
) -> Listing:
    """Page ``page`` (1 is the first; past the end shows the last) of the matching annotations."""
    cols = columns.of(store)
    rows = cols.select(flt)
    counts = cols.count(cols.tags, rows)
    ordered = cols.ordered(rows, sort)
    pages = max(1, math.ceil(len(ordered) / per_page))
    page = min(max(page, 1), pages)
    items = [cols.docs[i] for i in ordered[(page - 1) * per_page : page * per_page]]
    return Listing(
        items=items,
        total=len(rows),
        counts={tag: counts.get(tag, 0) for tag in contract.TAGS},
        page=page,
        pages=pages,
        per_page=per_page,
        titles=cols.titles,
        article_ids={doc["url"]: contract.article_id(doc["url"]) for doc in items},
    )


def coders(store: Store) -> list[str]:
    """Everyone who has coded, for the filter's choices."""
    return columns.coders(columns.of(store))


def article_choices(store: Store) -> list[tuple[str, str]]:
    """(URL, title or URL) of every article stored or coded, by title: the article filter's choices."""
    titles = columns.of(store).titles  # kept with the columns: no read of the articles
    urls = set(titles) | set(store.annotation_urls())
    return sorted(((url, titles.get(url) or url) for url in urls), key=lambda c: (c[1].casefold(), c[0]))


@dataclass(frozen=True)
class ArticleRow:
    id: str
    url: str
    title: str
    counts: dict[str, int]  # per tag, and "total"
    versions: int
    last_seen: str | None  # None: coded, but its text was never stored


def article_rows(store: Store) -> list[ArticleRow]:
    """Every article coded or seen, most recently seen first; those with no stored text last."""
    cols = columns.of(store)
    known = {a["url"]: a for a in store.all_articles()}
    per_tag = Counter(zip(cols.urls, cols.tags, strict=True))
    versions = store.version_counts()
    rows = []
    for url in set(known) | set(cols.urls):
        article = known.get(url)
        counts = {tag: per_tag.get((url, tag), 0) for tag in contract.TAGS}
        rows.append(
            ArticleRow(
                id=contract.article_id(url),
                url=url,
                title=article["title"] if article else "",
                counts={**counts, "total": sum(counts.values())},
                versions=versions.get(article["id"], 0) if article else 0,
                last_seen=article["last_seen"] if article else None,
            )
        )
    rows.sort(key=lambda r: (r.last_seen or "", r.url), reverse=True)
    return rows


@dataclass(frozen=True)
class Figures:
    """Counts for the charts: (label, count, filter to show those annotations)."""

    by_tag: list[tuple[str, int, dict[str, str]]]
    by_article: list[tuple[str, int, dict[str, str]]]
    by_coder: list[tuple[str, int, dict[str, str]]]
    over_time: list[tuple[str, int, dict[str, str]]]
    per: str  # "day" or "month"
    total: int


def figures(store: Store, flt: AnnotationFilter) -> Figures:
    cols = columns.of(store)
    rows = cols.select(flt)
    titles = cols.titles
    tags = cols.count(cols.tags, rows)
    urls = cols.count(cols.urls, rows)
    people = cols.count(cols.annotators, rows)
    days = Counter(cols.created[i][:10] for i in rows)
    over_time, per = _over_time(days)
    return Figures(
        by_tag=[(tag, tags.get(tag, 0), {"tag": tag}) for tag in contract.TAGS],
        by_article=_top(((titles.get(u) or u, n, {"url": u}) for u, n in urls.items()), "other articles"),
        by_coder=_top(((who, n, {"annotator": who}) for who, n in people.items()), "other coders"),
        over_time=over_time,
        per=per,
        total=len(rows),
    )


def _top(rows: Any, rest_label: str) -> list[tuple[str, int, dict[str, str]]]:
    ordered = sorted(rows, key=lambda r: (-r[1], r[0].casefold()))
    shown = ordered[:CHART_TOP]
    rest = sum(r[1] for r in ordered[CHART_TOP:])
    if rest:
        shown.append((f"{len(ordered) - CHART_TOP} {rest_label}", rest, {}))
    return shown


def _over_time(days: Counter[str]) -> tuple[list[tuple[str, int, dict[str, str]]], str]:
    """A column for every period from the first to the last (empty ones included).

    The period is the shortest of a day, a month, a year or a run of years that keeps
    the columns at most :data:`MAX_COLUMNS`: so the chart's size follows the span
    of dates actually present, whatever it is.
    """
    if not days:
        return [], "day"
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    if (last - first).days < MAX_COLUMNS:
        out = []
        for n in range((last - first).days + 1):
            day = (first + timedelta(days=n)).isoformat()
            out.append((day, days.get(day, 0), {"since": day, "until": day}))
        return out, "day"
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months <= MAX_COLUMNS:
        per_month: Counter[str] = Counter()
        for day, count in days.items():
            per_month[day[:7]] += count
        out = []
        for n in range(months):
            year, month0 = divmod(first.year * 12 + first.month - 1 + n, 12)
            key = f"{year:04d}-{month0 + 1:02d}"
            end = f"{key}-{calendar.monthrange(year, month0 + 1)[1]:02d}"
            out.append((key, per_month.get(key, 0), {"since": f"{key}-01", "until": end}))
        return out, "month"
    step = math.ceil((last.year - first.year + 1) / MAX_COLUMNS)  # years per column
    per_column: Counter[int] = Counter()
    for day, count in days.items():
        per_column[(int(day[:4]) - first.year) // step] += count
    out = []
    for n in range((last.year - first.year) // step + 1):
        start, end = first.year + n * step, min(first.year + (n + 1) * step - 1, date.max.year)
        label = f"{start:04d}" if step == 1 else f"{start:04d}–{end:04d}"
        out.append(
            (label, per_column.get(n, 0), {"since": f"{start:04d}-01-01", "until": f"{end:04d}-12-31"})
        )
    return out, "year" if step == 1 else f"{step} years"


@dataclass(frozen=True)
class Placed:
    """An annotation on the article page: where it sits in the shown text, if it does."""

    doc: Doc
    version: int | None  # the version it was made on (None: unknown to the store)
    placed: bool  # highlighted in the text shown


@dataclass(frozen=True)
class ArticlePage:
    id: str
    url: str
    article: dict[str, Any] | None  # articles.view of the version shown; None if no text is stored
    annotations: list[Placed]  # in the order they stand in the text, those not placed last


def article_page(store: Store, key: str, version: str | None = None) -> ArticlePage:
    """An article with its annotations, ready to highlight.

    :raise NotFound: for an article neither stored nor coded, or an unknown version.
    """
    url = articles.find_url(store, key)
    docs = store.annotations_matching(AnnotationFilter(url=url))
    article = articles.view(store, url, version) if store.get_article(url=url) else None
    numbers = {v["sha256"]: v["version"] for v in article["versions"]} if article else {}
    placed = []
    for doc in docs:
        fits = (
            article is not None
            and doc["article_sha256"] == article["sha256"]
            and article["text"][doc["position"]["start"] : doc["position"]["end"]] == doc["quote"]["exact"]
        )
        placed.append(Placed(doc, numbers.get(doc["article_sha256"] or ""), fits))
    placed.sort(
        key=lambda p: (not p.placed, p.doc["position"]["start"], p.doc["position"]["end"], p.doc["id"])
    )
    return ArticlePage(contract.article_id(url), url, article, placed)
