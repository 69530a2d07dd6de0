"""The viewer's pages through Flask's client: sign-in, filters, paging, article page, charts, safety."""

from __future__ import annotations

from itertools import count
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ARTICLE_URL, TEXT, TOKEN, body
from html_page import Page
from newsmark import annotations, contract
from newsmark.annotations import Rules
from newsmark.schemas import AnnotationCreateSchema
from newsmark.text import article_text
from newsmark.web import viewer as viewer_module
from newsmark.web.security import SECURITY_HEADERS

OTHER_URL = "https://lite.cnn.com/2024/03/01/world/other-story/index.html"
HOSTILE = "<img src=x onerror=alert(1)> <script>alert(2)</script>"
PAGES = ["/", "/articles", "/charts", f"/articles/{contract.article_id(ARTICLE_URL)}"]


@pytest.fixture
def clock(monkeypatch):
    """Annotations made one per call of ``clock.at(day)``: created at noon that day (UTC)."""

    class Clock:
        stamp = "2024-02-03T12:00:00.000Z"
        ticks = count()

        def at(self, day: str) -> None:
            self.stamp = f"{day}T12:00:{next(self.ticks) % 60:02d}.000Z"

    c = Clock()
    monkeypatch.setattr(contract, "utc_now", lambda: c.stamp)
    return c


def make(store, exact, **kw):
    doc, _ = annotations.create(store, AnnotationCreateSchema().load(body(exact, **kw)), Rules())
    return doc


@pytest.fixture
def viewer(app):
    """A browser-like client signed in through the token link."""
    c = app.test_client()
    response = c.get(f"/?token={TOKEN}")
    assert response.status_code == 303
    return c


def csrf_of(client) -> str:
    """The session's CSRF token, as the viewer's pages carry it for their script and forms."""
    page = Page(client.get("/").get_data(as_text=True))
    [meta] = [m for m in page.find("meta") if m.attrs.get("name") == "newsmark-csrf"]
    return meta.attrs["content"]


def rows(response) -> list[str]:
    """The ids of the annotations in the table, in order."""
    return [
        tr.attrs["data-id"]
        for tr in Page(response.get_data(as_text=True)).find("tr")
        if "data-id" in tr.attrs
    ]


# -- sign-in ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/?tag=claim"])
def test_pages_without_the_cookie_show_how_to_sign_in_and_no_data(anon, store, path):
    make(store, "85 targets", note="secret note")
    response = anon.get(path)
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "newsmark token" in html and "Sign in" in html
    assert "85 targets" not in html and "secret note" not in html
    assert 'name="newsmark-csrf"' not in html and 'name="csrf_token"' not in html


def test_the_token_link_sets_a_strict_httponly_cookie_and_leaves_a_clean_url(anon):
    response = anon.get(f"/charts?tag=claim&token={TOKEN}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/charts?tag=claim"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie  # the cookie holds a random session id, not the token
    assert anon.get("/charts?tag=claim").status_code == 200


def test_after_signing_in_the_form_returns_to_the_page_asked_for(anon):
    page = Page(anon.get(f"/articles/{ARTICLE_URL}?version=1").get_data(as_text=True))
    [target] = [i.attrs["value"] for i in page.find("input") if i.attrs.get("name") == "next"]
    response = anon.post("/signin", data={"token": TOKEN, "next": target})
    assert response.headers["Location"] == f"/articles/{ARTICLE_URL}?version=1"


def test_a_wrong_token_link_signs_nobody_in(anon):
    response = anon.get("/?token=wrong")
    assert response.status_code == 401
    assert "not this service's token" in Page(response.get_data(as_text=True)).text()
    assert "Set-Cookie" not in response.headers
    assert anon.get("/").status_code == 401


def test_the_sign_in_form_takes_the_token_and_only_goes_to_local_pages(anon):
    response = anon.post("/signin", data={"token": "nope", "next": "/charts"})
    assert response.status_code == 401
    for elsewhere in ("//evil.example/x", "/\\evil.example", "/\t/evil.example", "https://evil.example/"):
        response = anon.post("/signin", data={"token": TOKEN, "next": elsewhere})
        assert response.status_code == 303 and response.headers["Location"] == "/", elsewhere
    response = anon.post("/signin", data={"token": TOKEN, "next": "/articles"})
    assert response.headers["Location"] == "/articles"
    assert anon.get("/articles").status_code == 200


def test_sign_out_needs_the_csrf_token_and_ends_the_session(viewer):
    assert viewer.post("/signout").status_code == 403
    assert viewer.get("/").status_code == 200
    response = viewer.post("/signout", data={"csrf_token": csrf_of(viewer)})
    assert response.status_code == 303
    assert viewer.get("/").status_code == 401


def test_the_cookie_reads_the_api_but_writes_only_with_csrf_from_the_same_origin(viewer, store):
    doc = make(store, "85 targets")
    path = f"/api/annotations/{doc['id']}"
    assert viewer.get(path).status_code == 200
    assert viewer.patch(path, json={"tag": "actor"}).status_code == 403
    headers = {"X-CSRF-Token": csrf_of(viewer), "Origin": "http://evil.example"}
    assert viewer.patch(path, json={"tag": "actor"}, headers=headers).status_code == 403
    assert viewer.delete(path, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert store.get_annotation(doc["id"]) == doc  # nothing changed
    headers["Origin"] = "http://localhost"
    response = viewer.patch(path, json={"tag": "actor"}, headers=headers)
    assert response.status_code == 200 and store.get_annotation(doc["id"])["tag"] == "actor"


def test_a_foreign_host_is_refused_before_the_viewer(viewer):
    csrf = csrf_of(viewer)
    response = viewer.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 403
    assert csrf not in response.get_data(as_text=True)


# -- safety of the pages ---------------------------------------------------------------


@pytest.fixture
def hostile(store, clock):
    """An article whose title, text, notes and coder name hold markup and script."""
    text = article_text(["Breaking: <script>alert(3)</script> and <b>bold</b> claims.", "Second paragraph."])
    snapshot = {
        "title": "<i>Title</i> <script>alert(4)</script>",
        "byline": "<u>x</u>",
        "timestamp_text": "t",
    }
    data = body("<script>alert(3)</script>", text=text, note=HOSTILE, annotator="<em>coder</em>")
    data["article"] = {**snapshot, "text": text}
    return annotations.create(store, AnnotationCreateSchema().load(data), Rules())[0]


@pytest.mark.parametrize("path", [*PAGES, "/?q=<script>", "/articles/nope<script>", "/?tag=<b>x</b>"])
def test_user_text_shows_as_text_and_nothing_runs(viewer, hostile, path):
    response = viewer.get(path)
    assert response.status_code in (200, 404, 422)
    page = Page(response.get_data(as_text=True))
    for tag in ("img", "b", "i", "u", "em"):
        assert not page.find(tag), f"{tag} element made from user text on {path}"
    for script in page.find("script"):
        assert script.attrs.get("src", "").startswith("/static/") and not script.content.strip()
    for element in page.elements:
        assert not [a for a in element.attrs if a.startswith("on") or a == "style"], element
    if response.status_code == 200 and path != "/articles":
        assert "<script>alert(" in page.text() or "<i>Title</i>" in page.text()


@pytest.mark.parametrize("path", [*PAGES, "/signin", "/nope"])
def test_every_page_has_the_security_headers(viewer, store, path):
    make(store, "85 targets")
    response = viewer.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


# -- the table --------------------------------------------------------------------------


@pytest.fixture
def coded(store, clock):
    """Seven annotations over two articles, three coders and three days."""
    made = {}
    plan = [
        ("85 targets", "claim", "ana", "2024-02-03", ARTICLE_URL, "Counted twice"),
        ("Iraq and Syria", "actor", "ben", "2024-02-03", ARTICLE_URL, None),
        ("30 minutes", "figure", "ana", "2024-02-05", ARTICLE_URL, "duration"),
        ("Joe Biden", "actor", "cleo", "2024-02-05", ARTICLE_URL, None),
        ("Lloyd Austin", "actor", "ben", "2024-02-07", ARTICLE_URL, "DEFENSE note"),
        ("85 targets", "figure", "ana", "2024-02-07", OTHER_URL, None),
        ("drone strike", "claim", "ben", "2024-02-07", OTHER_URL, None),
    ]
    for exact, tag, who, day, url, note in plan:
        clock.at(day)
        made[(exact, url)] = make(store, exact, tag=tag, annotator=who, url=url, note=note)
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 7),
        ("tag=actor", 3),
        (f"url={OTHER_URL}", 2),
        ("annotator=ben", 3),
        ("q=TARGETS", 2),  # in quotes, any case
        ("q=defense", 1),  # in notes
        ("since=2024-02-05", 5),
        ("until=2024-02-04", 2),
        ("since=2024-02-05&until=2024-02-05", 2),
        ("tag=actor&annotator=ben&since=2024-02-04", 1),
        ("tag=&annotator=&q=", 7),  # a form's empty fields mean "any"
        ("q=nothing-like-this", 0),
    ],
)
def test_filters_narrow_the_table_and_the_counts(viewer, coded, query, expected):
    response = viewer.get(f"/?{query}")
    assert response.status_code == 200
    assert len(rows(response)) == expected
    page = Page(response.get_data(as_text=True))
    counts = {
        a.attrs["data-count"]: int(a.content.split()[-1]) for a in page.find("a") if "data-count" in a.attrs
    }
    assert sum(counts.values()) == expected
    assert page.find("strong", **{"data-total": ""})[0].content == str(expected)


def test_the_table_shows_every_change_made_since_the_last_view(viewer, client, store, coded):
    def counts() -> dict[str, int]:
        page = Page(viewer.get("/").get_data(as_text=True))
        return {
            a.attrs["data-count"]: int(a.content.split()[-1])
            for a in page.find("a")
            if "data-count" in a.attrs
        }

    assert counts() == {"actor": 3, "claim": 2, "figure": 2}
    first = coded[("85 targets", ARTICLE_URL)]
    assert client.patch(f"/api/annotations/{first['id']}", json={"tag": "actor"}).status_code == 200
    assert counts() == {"actor": 4, "claim": 1, "figure": 2}
    assert client.delete(f"/api/annotations/{first['id']}").status_code == 204
    assert counts() == {"actor": 3, "claim": 1, "figure": 2}
    make(store, "seven locations", tag="figure")
    assert counts() == {"actor": 3, "claim": 1, "figure": 3}
    assert "ben" in Page(viewer.get("/charts").get_data(as_text=True)).text()


def test_counts_per_tag_follow_the_filter(viewer, coded):
    page = Page(viewer.get("/?annotator=ana").get_data(as_text=True))
    counts = {
        a.attrs["data-count"]: int(a.content.split()[-1]) for a in page.find("a") if "data-count" in a.attrs
    }
    assert counts == {"actor": 0, "claim": 1, "figure": 2}


def test_export_buttons_apply_the_current_filters(viewer, coded):
    page = Page(viewer.get("/?tag=actor&annotator=ben&sort=oldest").get_data(as_text=True))
    links = {a.attrs["data-export"]: a.attrs["href"] for a in page.find("a") if "data-export" in a.attrs}
    assert set(links) == {
        "JSON",
        "JSONL",
        "CSV",
        "CSV for Excel",
        "W3C Web Annotation",
        "Claims × actors (CSV)",
    }
    for href in links.values():
        query = parse_qs(urlsplit(href).query)
        assert query["tag"] == ["actor"] and query["annotator"] == ["ben"] and "sort" not in query
        response = viewer.get(href)  # the cookie is enough to download
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
    exported = viewer.get(links["JSON"]).get_json()
    assert {a["quote"]["exact"] for a in exported["annotations"]} == {"Iraq and Syria", "Lloyd Austin"}


def test_sorting_orders_the_whole_table(viewer, coded):
    newest = rows(viewer.get("/"))
    oldest = rows(viewer.get("/?sort=oldest"))
    assert newest == oldest[::-1]
    created = {d["id"]: d["created"] for d in coded.values()}
    assert [created[i] for i in oldest] == sorted(created.values())
    by_coder = Page(viewer.get("/?sort=coder").get_data(as_text=True)).find("td", class_="coder")
    assert [td.content for td in by_coder] == sorted(td.content for td in by_coder)
    tags = [d["tag"] for i in rows(viewer.get("/?sort=tag")) for d in coded.values() if d["id"] == i]
    assert tags == sorted(tags, key=contract.TAGS.index)


def test_paging_visits_every_annotation_once(viewer, store, clock):
    words = TEXT.split()
    for n in range(60):
        clock.at(f"2024-03-{n % 28 + 1:02d}")
        make(store, words[n % len(words)], occurrence=0, tag=contract.TAGS[n % 3], annotator=f"c{n}")
    seen = []
    for page in (1, 2, 3):
        ids = rows(viewer.get(f"/?per=25&page={page}"))
        assert len(ids) == (25 if page < 3 else 10)
        seen += ids
    assert len(seen) == len(set(seen)) == 60
    assert rows(viewer.get("/?per=25&page=99")) == rows(
        viewer.get("/?per=25&page=3")
    )  # past the end: the last
    html = viewer.get("/?per=25&page=2&tag=").get_data(as_text=True)
    assert "Page 2 of 3" in html
    links = {a.attrs["rel"]: a.attrs["href"] for a in Page(html).find("a") if "rel" in a.attrs}
    assert links == {"prev": "/?per=25", "next": "/?per=25&page=3"}


@pytest.mark.parametrize(
    "query",
    ["per=7", "page=0", "page=x", "sort=random", "since=2024-13-01", "since=2024-02-05&until=2024-02-01",
     "tag=opinion", "url=ftp://x", "tag=a&tag=b"],
)  # fmt: skip
def test_bad_queries_get_a_clear_4xx_page(viewer, coded, query):
    response = viewer.get(f"/?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Invalid" in html or "more than once" in html
    name = query.split("=")[0] if "until" not in query else "until"
    assert f"<code>{name}</code>" in html


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(
            ["tag", "url", "annotator", "q", "since", "until", "sort", "page", "per", "version", "x"]
        ),
        st.text(max_size=40),
        max_size=5,
    ),
    st.sampled_from(["/", "/charts", "/articles", f"/articles/{contract.article_id(ARTICLE_URL)}"]),
)
def test_no_query_string_makes_the_viewer_fail(viewer, coded, params, path):
    response = viewer.get(path, query_string=params)
    assert response.status_code in (200, 404, 422), response.get_data(as_text=True)[-500:]


# -- the article page --------------------------------------------------------------------


def marks(html: str) -> dict[str, str]:
    """Each highlighted annotation's id and the text highlighted for it (its pieces joined)."""
    found: dict[str, str] = {}
    for mark in Page(html).find("mark"):
        for annotation_id in mark.attrs.get("data-ids", "").split():
            found[annotation_id] = found.get(annotation_id, "") + mark.content
    return found


def test_the_article_page_highlights_each_annotation_at_its_words(viewer, coded):
    html = viewer.get(f"/articles/{contract.article_id(ARTICLE_URL)}").get_data(as_text=True)
    highlighted = marks(html)
    mine = {d["id"]: d for (_, url), d in coded.items() if url == ARTICLE_URL}
    assert set(highlighted) == set(mine)
    for annotation_id, doc in mine.items():
        assert highlighted[annotation_id] == doc["quote"]["exact"]
    page = Page(html)
    assert len(page.find("p")) >= 4  # the paragraphs stay paragraphs
    anchors = [s.attrs["id"] for s in page.find("span", class_="anchor")]
    by_position = sorted(mine.values(), key=lambda d: d["position"]["start"])
    assert anchors == [f"a-{d['id']}" for d in by_position]  # jump targets, in reading order


def test_overlapping_annotations_are_both_highlighted(viewer, store):
    outer = make(store, "major airstrikes on 85 targets", tag="claim")
    inner = make(store, "85", tag="figure")
    highlighted = marks(viewer.get(f"/articles/{contract.article_id(ARTICLE_URL)}").get_data(as_text=True))
    assert highlighted[outer["id"]] == "major airstrikes on 85 targets"
    assert highlighted[inner["id"]] == "85"


def test_annotations_made_on_an_older_version_are_marked_and_shown_on_it(viewer, store):
    old = make(store, "85 targets")
    revised = article_text(["Updated: the US struck 85 targets in Iraq and Syria.", "More details."])
    new = make(store, "struck 85 targets", text=revised)
    html = viewer.get(f"/articles/{ARTICLE_URL}").get_data(as_text=True)  # by URL, as the popup links
    assert set(marks(html)) == {new["id"]}
    item = next(li for li in Page(html).find("li") if li.attrs.get("data-id") == old["id"])
    assert "older version" in item.content and "version 1" in item.content
    on_first = viewer.get(f"/articles/{ARTICLE_URL}?version=1").get_data(as_text=True)
    assert marks(on_first) == {old["id"]: "85 targets"}
    assert "Version shown: <strong>1</strong> of 2" in on_first


def test_an_article_known_only_from_annotations_still_has_a_page(viewer, store):
    doc = make(store, "85 targets", url=OTHER_URL, article=None)
    html = viewer.get(f"/articles/{contract.article_id(OTHER_URL)}").get_data(as_text=True)
    assert "not stored" in html and "85 targets" in html and doc["id"] in html
    assert viewer.get(f"/articles/{contract.article_id('https://lite.cnn.com/none')}").status_code == 404
    listed = Page(viewer.get("/articles").get_data(as_text=True)).find("tr")
    assert any(tr.attrs.get("data-url") == OTHER_URL for tr in listed)


def test_the_articles_list_counts_per_tag_and_versions(viewer, coded):
    page = Page(viewer.get("/articles").get_data(as_text=True))
    start = next(n for n, e in enumerate(page.elements) if e.attrs.get("data-url") == ARTICLE_URL)
    cells = [e.content for e in page.elements[start:] if e.tag == "td" and e.has_class("num")]
    assert cells[:5] == ["3", "1", "1", "5", "1"]  # actor, claim, figure, total, versions


# -- charts -------------------------------------------------------------------------------


def bar_list(html: str) -> list[tuple[str, int]]:
    """Each bar's label and count, from the tooltips ("label: count")."""
    found = []
    for title in Page(html).find("title"):
        label, sep, number = title.content.rpartition(": ")
        if sep and number.isdigit():
            found.append((label, int(number)))
    return found


def bars(html: str) -> dict[str, int]:
    return dict(bar_list(html))


def test_charts_count_per_tag_article_coder_and_day(viewer, coded):
    response = viewer.get("/charts")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<svg") == 4
    drawn = bars(html)
    assert {t: drawn[t] for t in contract.TAGS} == {"actor": 3, "claim": 2, "figure": 2}
    assert {w: drawn[w] for w in ("ana", "ben", "cleo")} == {"ana": 3, "ben": 3, "cleo": 1}
    assert {d: drawn[d] for d in ("2024-02-03", "2024-02-04", "2024-02-05", "2024-02-06", "2024-02-07")} == {
        "2024-02-03": 2, "2024-02-04": 0, "2024-02-05": 2, "2024-02-06": 0, "2024-02-07": 3,
    }  # fmt: skip
    per_article = sorted(n for label, n in bar_list(html) if label == "US carries out retaliatory strikes")
    assert per_article == [2, 5]  # both articles have that title


def test_charts_follow_the_filters_and_link_to_the_table(viewer, coded):
    html = viewer.get("/charts?annotator=ben").get_data(as_text=True)
    drawn = bars(html)
    assert {t: drawn[t] for t in contract.TAGS} == {"actor": 2, "claim": 1, "figure": 0}
    hrefs = [a.attrs["href"] for a in Page(html).find("a") if a.attrs.get("href", "").startswith("/?")]
    assert "/?annotator=ben&tag=actor" in hrefs
    assert len(rows(viewer.get("/?annotator=ben&tag=actor"))) == 2


def test_the_viewer_script_never_puts_markup_into_the_page():
    """Text goes in through textContent only: no HTML parsing of anything the service sent."""
    static = Path(viewer_module.__file__).parent / "static"
    scripts = list(static.glob("*.js"))
    assert scripts
    for script in scripts:
        code = script.read_text(encoding="utf-8")
        for sink in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            assert sink not in code, f"{script.name} uses {sink}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.text(max_size=60),
    form=st.dictionaries(st.sampled_from(["token", "next", "x"]), st.text(max_size=30)),
)
def test_no_article_key_or_sign_in_form_makes_the_viewer_fail(viewer, anon, coded, key, form):
    response = viewer.get("/articles/" + quote(key, safe=""))
    assert response.status_code in (200, 404, 422), response.get_data(as_text=True)[-500:]
    response = anon.post("/signin", data=form)
    assert response.status_code in (303, 401)


def test_the_article_page_and_the_table_say_when_an_annotation_was_edited(viewer, client, store, clock):
    clock.at("2024-02-03")
    made = client.post("/api/annotations", json=body("85 targets")).get_json()
    page = viewer.get(f"/articles/{ARTICLE_URL}").get_data(as_text=True)
    assert "edited" not in page
    clock.at("2024-02-05")
    edited = client.patch(f"/api/annotations/{made['id']}", json={"note": "later"}).get_json()
    assert edited["updated"].startswith("2024-02-05")
    page = viewer.get(f"/articles/{ARTICLE_URL}").get_data(as_text=True)
    assert "coder-a · 2024-02-03 12:00 · edited 2024-02-05 12:00" in page
    table = viewer.get("/").get_data(as_text=True)
    assert f'edited <time datetime="{edited["updated"]}">2024-02-05 12:00</time>' in table
