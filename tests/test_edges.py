"""Edges no other test watched: each test here failed with one small planted bug (named above it)
that the rest of the suite let through, and passes without it."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from itertools import count, pairwise
from pathlib import Path

import pytest

from helpers import ARTICLE_URL, SNAPSHOT, TEXT, TOKEN, body
from html_page import Page
from newsmark import annotations, browse, contract, datafolder, export
from newsmark.annotations import Rules
from newsmark.errors import StoreUnavailable
from newsmark.highlight import Span, paragraphs
from newsmark.schemas import AnnotationCreateSchema
from newsmark.settings import Settings
from newsmark.store import AnnotationFilter, Store
from newsmark.text import article_text
from newsmark.web import charts, create_app

OTHER_URL = "https://lite.cnn.com/2024/03/01/world/other-story/index.html"


@pytest.fixture
def clock(monkeypatch):
    """``clock.at(day)``: what is made or changed next happens at noon that UTC day (a second on each)."""

    class Clock:
        stamp = "2024-02-03T12:00:00.000Z"
        ticks = count()

        def at(self, day: str) -> str:
            self.stamp = f"{day}T12:00:{next(self.ticks) % 60:02d}.000Z"
            return self.stamp

    c = Clock()
    monkeypatch.setattr(contract, "utc_now", lambda: c.stamp)
    return c


@pytest.fixture
def viewer(app):
    c = app.test_client()
    assert c.get(f"/?token={TOKEN}").status_code == 303
    return c


def make(store, exact, **kw):
    doc, _ = annotations.create(store, AnnotationCreateSchema().load(body(exact, **kw)), Rules())
    return doc


# -- the quote check ------------------------------------------------------------------
# Planted: the suffix compared without its last character.


@pytest.mark.parametrize("field", ["prefix", "suffix"])
def test_context_wrong_only_at_its_far_end_is_refused(client, field):
    data = body("85 targets")
    context = data["quote"][field]
    assert len(context) == contract.MAX_CONTEXT
    far = 0 if field == "prefix" else -1  # the character farthest from the quote
    wrong = "#" if context[far] != "#" else "%"
    data["quote"][field] = wrong + context[1:] if far == 0 else context[:-1] + wrong
    response = client.post("/api/annotations", json=data)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [f"quote.{field}"]


# -- paging a filtered list -----------------------------------------------------------
# Planted: the cursor of a filtered list compared with <, so each page repeated the last of the one before.


FILTERS = {
    "tag=claim": AnnotationFilter(tag="claim"),
    "q=targets": AnnotationFilter(q="targets"),
    "annotator=coder-b": AnnotationFilter(annotator="coder-b"),
}


@pytest.mark.parametrize("query", FILTERS)
def test_paging_a_filtered_list_gives_each_annotation_once(client, store, query):
    made = [
        make(
            store,
            "85 targets",
            tag=("claim", "actor", "figure")[n % 3],
            annotator=("coder-a", "coder-b")[n % 2],
        )
        for n in range(9)
    ]
    wanted = [d["id"] for d in made if FILTERS[query].matches(d)]
    assert len(wanted) >= 3
    seen, cursor = [], None
    while True:
        page = client.get(
            f"/api/annotations?{query}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        ).get_json()
        seen += [a["id"] for a in page["items"]]
        assert page["total"] == len(wanted)
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == wanted


# -- charts ---------------------------------------------------------------------------
# Planted: a month's column ending on the 1st of the next month; the "other" bar missing one name.


@pytest.mark.parametrize(
    "per, days",
    [
        (
            "month",
            [
                "2023-01-31",
                "2023-02-01",
                "2023-02-28",
                "2023-03-01",
                "2023-12-31",
                "2024-01-01",
                "2024-06-15",
            ],
        ),
        ("day", ["2024-02-01", "2024-02-02", "2024-02-29", "2024-03-01", "2024-03-01"]),
    ],
)
def test_chart_columns_over_time_split_the_annotations_without_overlap(store, clock, per, days):
    for day in days:
        clock.at(day)
        make(store, "85 targets")
    figures = browse.figures(store, AnnotationFilter())
    assert figures.per == per
    ranges = [(flt["since"], flt["until"]) for _, _, flt in figures.over_time]
    for (_, until), (since, _) in pairwise(ranges):
        assert until < since  # each day in one column at most
    for label, number, flt in figures.over_time:
        shown = store.annotations_matching(AnnotationFilter(since=flt["since"], until=flt["until"]))
        assert len(shown) == number, label  # the column's link lists exactly what it counts
    assert sum(number for _, number, _ in figures.over_time) == len(days)


def test_the_other_coders_bar_counts_everyone_not_shown(store):
    coders = [f"coder-{n:02d}" for n in range(browse.CHART_TOP + 3)]
    for n, who in enumerate(coders):
        for _ in range(len(coders) - n):  # coder-00 codes most
            make(store, "85 targets", annotator=who)
    figures = browse.figures(store, AnnotationFilter())
    assert [row[0] for row in figures.by_coder[: browse.CHART_TOP]] == coders[: browse.CHART_TOP]
    label, rest, flt = figures.by_coder[-1]
    assert label == "3 other coders" and flt == {}
    assert rest == 3 + 2 + 1
    assert sum(row[1] for row in figures.by_coder) == figures.total


# -- the article page -------------------------------------------------------------------
# Planted: nested highlights drawn in the outer one's colour; an annotation highlighted on
# a version it was not made on.


def test_nested_highlights_take_the_innermost_colour():
    text = "The strikes on 85 targets were a response."
    outer = Span("outer", "claim", 0, len(text))
    inner = Span("inner", "figure", text.index("85"), text.index("85") + len("85 targets"))
    [pieces] = paragraphs(text, [outer, inner])
    by_text = {p.text: p for p in pieces}
    assert by_text["85 targets"].tag == "figure" and by_text["85 targets"].ids == ("inner", "outer")
    assert by_text["The strikes on "].tag == "claim"


def test_an_annotation_is_highlighted_only_on_the_version_it_was_made_on(viewer, store):
    first = make(store, "85 targets")
    longer = TEXT + "\n\nA paragraph added later."  # the same words at the same offsets
    make(store, "Joe Biden", text=longer)
    html = viewer.get(f"/articles/{contract.article_id(ARTICLE_URL)}").get_data(as_text=True)
    assert "Version shown: <strong>2</strong> of 2" in html
    marked = {i for m in Page(html).find("mark") for i in m.attrs.get("data-ids", "").split()}
    assert first["id"] not in marked
    item = next(li for li in Page(html).find("li") if li.attrs.get("data-id") == first["id"])
    assert "made on version 1" in item.content


# -- escaping -----------------------------------------------------------------------------
# Planted: the text before a quote put into the table unescaped.


def test_markup_in_the_text_around_a_quote_is_shown_as_text(viewer, store):
    hostile = article_text(['Then <b>he</b> said "85 targets" <i>were</i> hit.'])  # whole tags on each side
    make(store, "85 targets", text=hostile)
    page = Page(viewer.get("/").get_data(as_text=True))
    assert page.find("b") == [] and page.find("i") == []
    context = "".join(e.content for e in page.find("span") if e.has_class("ctx"))
    assert "<b>he</b>" in context and "<i>were</i>" in context


# -- exports past one chunk -----------------------------------------------------------------
# Planted: the comma between two chunks of the JSON export dropped.


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_exports_of_several_chunks_are_whole(store, monkeypatch, fmt):
    made = [make(store, "85 targets", note=f"note {n}") for n in range(7)]
    monkeypatch.setattr(export, "CHUNK", 2)  # 4 chunks, the last one short
    raw = export.render(store, AnnotationFilter(), fmt)
    if fmt == "json":
        ids = [a["id"] for a in json.loads(raw)["annotations"]]
    elif fmt == "jsonl":
        ids = [json.loads(line)["id"] for line in raw.splitlines()]
    else:
        ids = [row[0] for row in csv.reader(io.StringIO(raw.decode(), newline=""))][1:]
    assert ids == [a["id"] for a in made]
    counter = export.Counter(fmt)
    assert sum(counter.feed(raw[i : i + 5]) for i in range(0, len(raw), 5)) == len(made)


# -- times that must move, and times that must not -------------------------------------------
# Planted: an edit that left ``updated`` as it was; a new snapshot that reset ``first_seen``.


def test_an_edit_moves_updated_and_keeps_created(client, clock):
    made_at = clock.at("2024-02-03")
    doc = client.post("/api/annotations", json=body("85 targets")).get_json()
    edited_at = clock.at("2024-02-05")
    changed = client.patch(f"/api/annotations/{doc['id']}", json={"note": "checked"}).get_json()
    assert (changed["created"], changed["updated"]) == (made_at, edited_at)
    clock.at("2024-02-07")
    same = client.patch(f"/api/annotations/{doc['id']}", json={"note": "checked"}).get_json()
    assert same["updated"] == edited_at  # nothing changed: not an edit


def test_an_article_keeps_when_it_was_first_seen(client, clock):
    first = clock.at("2024-02-03")
    assert client.post("/api/articles", json={"url": ARTICLE_URL, **SNAPSHOT}).status_code == 201
    later = clock.at("2024-02-09")
    revised = {**SNAPSHOT, "text": TEXT + "\n\nAn update."}
    assert client.post("/api/articles", json={"url": ARTICLE_URL, **revised}).status_code == 201
    article = client.get(f"/api/articles/{contract.article_id(ARTICLE_URL)}").get_json()
    assert (article["first_seen"], article["last_seen"]) == (later, later)  # of version 2, shown
    listed = client.get("/api/articles").get_json()["items"][0]
    assert (listed["first_seen"], listed["last_seen"]) == (first, later)
    assert [v["first_seen"] for v in article["versions"]] == [first, later]


# -- the index of coded URLs ------------------------------------------------------------------
# Planted: a URL left in the index after its last annotation was deleted.


def test_an_article_known_only_from_a_deleted_annotation_is_gone(viewer, store):
    doc = make(store, "85 targets", url=OTHER_URL, article=None)
    page = f"/articles/{contract.article_id(OTHER_URL)}"
    assert viewer.get(page).status_code == 200
    annotations.delete(store, doc["id"])
    assert store.annotation_urls() == {}
    assert viewer.get(page).status_code == 404
    choices = [o.attrs.get("value") for o in Page(viewer.get("/").get_data(as_text=True)).find("option")]
    assert OTHER_URL not in choices


# -- the token file ---------------------------------------------------------------------------
# Planted: the token written without fsync; an empty token file taken as the token.


def test_a_new_token_is_on_disk_before_it_is_used(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    folder = tmp_path / "data"
    token = datafolder.load_or_create_token(folder)
    assert str(folder / datafolder.TOKEN_FILE) in synced
    assert (folder / datafolder.TOKEN_FILE).read_text().strip() == token


@pytest.mark.parametrize("content", ["", "\n", "   \n"])
def test_an_empty_token_file_gets_a_new_token(tmp_path, content):
    folder = tmp_path / "data"
    folder.mkdir()
    path: Path = folder / datafolder.TOKEN_FILE
    path.write_text(content)
    path.chmod(0o600)
    token = datafolder.load_or_create_token(folder)
    assert len(token) >= 32
    assert path.read_text().strip() == token == datafolder.load_or_create_token(folder)


# -- a closed store ---------------------------------------------------------------------------
# Planted: a closed store still writing, or still answering from memory, instead of refusing.


def test_a_closed_store_refuses_reads_and_writes_and_keeps_what_it_had(store, data_dir, client):
    kept = make(store, "85 targets")
    store.close()
    with pytest.raises(StoreUnavailable):
        store.insert_annotation({**kept, "id": "00000000-0000-4000-8000-000000000001"})
    with pytest.raises(StoreUnavailable):
        store.count_annotations()
    with pytest.raises(StoreUnavailable):
        store.annotations_matching(AnnotationFilter(tag="claim"))
    response = client.get("/api/annotations")  # a request that comes in while the service stops
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "unavailable"
    with Store(data_dir) as again:
        assert [d["id"] for d in again.all_annotations()] == [kept["id"]]


# -- orders of the viewer ----------------------------------------------------------------------
# Planted: coders sorted with capitals first; an article's annotations not in reading order; the
# article filter's choices sorted with capitals first; the articles page oldest first.


def _rows(html: str) -> list[str]:
    return [tr.attrs["data-id"] for tr in Page(html).find("tr") if "data-id" in tr.attrs]


def test_sorting_by_coder_ignores_case(viewer, store):
    made = {who: make(store, "85 targets", annotator=who)["id"] for who in ("bob", "Alice", "carol", "Dave")}
    assert _rows(viewer.get("/?sort=coder").get_data(as_text=True)) == [
        made[who] for who in ("Alice", "bob", "carol", "Dave")
    ]


def test_sorting_by_article_lists_each_article_in_reading_order(viewer, store, clock):
    made = {}
    coded = (("2024-02-03", "Lloyd Austin"), ("2024-02-04", "85 targets"), ("2024-02-05", "Joe Biden"))
    for day, exact in coded:
        clock.at(day)  # coded out of reading order
        made[exact] = make(store, exact)["id"]
    ids = _rows(viewer.get("/?sort=article").get_data(as_text=True))
    assert ids == [made["85 targets"], made["Joe Biden"], made["Lloyd Austin"]]


def test_article_choices_are_sorted_by_title_ignoring_case(viewer, store):
    titles = {"beta story": "b", "Alpha story": "a", "Gamma story": "c", "delta story": "d"}
    urls = {}
    for title, slug in titles.items():
        url = f"https://lite.cnn.com/2024/02/0{len(urls) + 1}/world/{slug}"
        make(store, "85 targets", url=url, article={**SNAPSHOT, "title": title})
        urls[title] = url
    options = [o.attrs.get("value") for o in Page(viewer.get("/").get_data(as_text=True)).find("option")]
    shown = [value for value in options if value in urls.values()]
    assert shown == [urls[t] for t in ("Alpha story", "beta story", "delta story", "Gamma story")]


def test_the_articles_page_lists_the_most_recently_seen_first(viewer, client, clock):
    urls = [f"https://lite.cnn.com/2024/02/0{n}/world/story-{n}" for n in (1, 2, 3)]
    seen = zip(("2024-02-03", "2024-02-04", "2024-02-05", "2024-02-06"), [*urls, urls[0]], strict=True)
    for day, url in seen:
        clock.at(day)
        assert client.post("/api/articles", json={"url": url, **SNAPSHOT}).status_code in (200, 201)
    rows = Page(viewer.get("/articles").get_data(as_text=True)).find("tr")
    assert [tr.attrs["data-url"] for tr in rows if "data-url" in tr.attrs] == [urls[0], urls[2], urls[1]]


# -- figures ------------------------------------------------------------------------------------
# Planted: counts per coder that counted each coder once; paragraphs not split at their breaks;
# empty columns linked; long labels not shortened.


def test_stats_count_each_coder_and_tag(store):
    for who, tag in (("coder-a", "claim"), ("coder-a", "actor"), ("coder-b", "claim")):
        make(store, "85 targets", annotator=who, tag=tag)
    stats = store.stats()
    assert stats["by_annotator"] == {"coder-a": 2, "coder-b": 1}
    assert stats["by_tag"] == {"claim": 2, "actor": 1}


def test_highlights_split_at_paragraph_breaks():
    text = "First paragraph here.\n\nSecond one there."
    across = Span("x", "claim", text.index("here"), text.index(" one"))
    split = paragraphs(text, [across])
    assert [[p.text for p in para] for para in split] == [
        ["First paragraph ", "here."],
        ["Second", " one there."],
    ]
    assert [p.ids for para in split for p in para] == [(), ("x",), ("x",), ()]


def test_chart_columns_link_only_where_there_is_something_to_list():
    rows = [(f"2024-02-0{n}", count, {"since": f"2024-02-0{n}", "until": f"2024-02-0{n}"}) for n, count in
            ((1, 2), (2, 0), (3, 1))]  # fmt: skip
    drawn = Page(str(charts.columns(rows, title="per day", link=lambda flt: "/?since=" + flt["since"])))
    assert [a.attrs["href"] for a in drawn.find("a")] == ["/?since=2024-02-01", "/?since=2024-02-03"]


@pytest.mark.parametrize("days", [1, 3, 8, 9, 31, 120, 400])
def test_chart_dates_sit_under_their_columns_and_never_overlap(days):
    from datetime import date, timedelta

    labels = [(date(2024, 1, 1) + timedelta(days=n)).isoformat() for n in range(days)]
    rows = [(day, n % 3, {"since": day, "until": day}) for n, day in enumerate(labels)]
    svg = str(charts.columns(rows, title="per day", link=lambda flt: "/"))
    placed = []  # (column, label centre, column's left and right)
    for n, group in enumerate(svg.split('<g class="row">')[1:]):
        rect = re.search(r'<rect class="bar" x="([\d.]+)" y="\d+" width="([\d.]+)"', group)
        text = re.search(
            r'<text class="tick date" x="([\d.]+)"[^>]*text-anchor="middle">([^<]+)</text>', group
        )
        if text:
            left, width = float(rect[1]), float(rect[2])
            assert text[2] == labels[n]
            placed.append((n, float(text[1]), left, left + width))
    assert [p[0] for p in placed][:1] == [0] and placed[-1][0] == days - 1  # the first and the last
    for _, centre, left, right in placed:
        assert left - 0.1 <= centre <= right + 0.1
    room = len(labels[0]) * charts.LABEL_CHAR_WIDTH
    assert all(b[1] - a[1] >= room for a, b in pairwise(placed))  # never on top of each other
    if days <= 8:
        assert len(placed) == days  # a week or so: every day has its date
    else:
        assert len(placed) >= min(days // 2, 8)  # as many as fit side by side
    width = float(re.search(r'<svg [^>]*width="(\d+)"', svg)[1])
    assert all(room / 2 <= p[1] <= width - room / 2 for p in placed)  # inside the picture


def test_long_chart_labels_are_shortened_with_the_whole_in_the_tooltip():
    title = "A very long article title that goes on and on about the strikes"
    drawn = Page(str(charts.bars([(title, 3, {"url": "u"})], title="per article", link=lambda flt: "/")))
    label = next(t for t in drawn.find("text") if t.has_class("label")).content
    assert len(label) == charts.MAX_LABEL and label.endswith("…") and title.startswith(label[:-1])
    assert f"{title}: 3" in [t.content for t in drawn.find("title")]


# -- settings and files ---------------------------------------------------------------------------
# Planted: NEWSMARK_MAX_IMPORT_MB kept as text; the token file created readable by others; server.json
# rewritten in place.


def test_number_settings_from_the_environment_are_numbers(store, data_dir):
    env = {"NEWSMARK_PORT": "8123", "NEWSMARK_COMPACT_MIN_BYTES": "4096", "NEWSMARK_MAX_IMPORT_MB": "3"}
    settings = Settings.from_env(env, data_dir=data_dir)
    assert (settings.port, settings.compact_min_bytes, settings.max_import_mb) == (8123, 4096, 3)
    client = create_app(settings, store, TOKEN).test_client()
    export_doc = export.render(store, AnnotationFilter(), "json")
    response = client.post(
        "/api/import",
        data=export_doc,
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_new_token_file_is_readable_by_its_owner_only(tmp_path):
    old = os.umask(0o022)  # the usual umask, which would leave a plain new file readable by all
    try:
        datafolder.load_or_create_token(tmp_path / "data")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "data" / datafolder.TOKEN_FILE).stat().st_mode) == 0o600


def test_server_info_is_replaced_whole_never_rewritten_in_place(tmp_path):
    datafolder.write_server_info(tmp_path, {"port": 1, "pid": 10})
    first = (tmp_path / datafolder.SERVER_FILE).stat().st_ino
    datafolder.write_server_info(tmp_path, {"port": 2, "pid": 20})
    assert (tmp_path / datafolder.SERVER_FILE).stat().st_ino != first  # a new file took the name
    assert datafolder.read_server_info(tmp_path) == {"port": 2, "pid": 20}
    assert sorted(p.name for p in tmp_path.iterdir()) == [datafolder.SERVER_FILE]
