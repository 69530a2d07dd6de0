"""The viewer in Debian's headless Chromium against a real service: what a researcher does with it."""

from __future__ import annotations

import io
import itertools
import json
import re
import uuid

import pandas as pd
import pytest
from playwright.sync_api import expect

from helpers import ARTICLE_URL, body
from newsmark import contract

from .conftest import CHROMIUM, OUTPUT

pytestmark = pytest.mark.browser

HOSTILE_NOTE = "<img src=x onerror=alert(1)> and <script>alert(2)</script>"


@pytest.fixture
def chromium(playwright):
    browser = playwright.chromium.launch(
        headless=True, executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
    )
    yield browser
    browser.close()


@pytest.fixture
def seeded(service):
    """Four annotations on the test article, by two coders, one note hostile."""
    api = service.session()
    made = []
    for exact, tag, who, note in [
        ("85 targets", "figure", "ana", "the number of targets"),
        ("Joe Biden", "actor", "ben", None),
        ("Lloyd Austin", "actor", "ana", HOSTILE_NOTE),
        ("will continue at times and places of our choosing.", "claim", "ben", "a threat?"),
    ]:
        response = api.post(
            f"{service.url}/api/annotations", json=body(exact, tag=tag, annotator=who, note=note)
        )
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


class Viewer:
    """A browser tab signed in to the viewer, recording dialogs and console errors."""

    def __init__(self, chromium, service) -> None:
        self.service = service
        self.context = chromium.new_context(accept_downloads=True)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def rows(self) -> list[str]:
        return self.page.locator("tr[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)")

    def row(self, annotation_id: str):
        return self.page.locator(f'tr[data-id="{annotation_id}"]')

    def stored(self, annotation_id: str):
        return self.service.session().get(f"{self.service.url}/api/annotations/{annotation_id}")


@pytest.fixture
def viewer(chromium, service, seeded):
    v = Viewer(chromium, service)
    v.page.goto(service.viewer_link)
    yield v
    v.context.close()


def test_the_printed_link_signs_in_and_leaves_no_token_in_the_address(chromium, service, seeded):
    v = Viewer(chromium, service)
    v.page.goto(service.url + "/")
    assert "newsmark token" in v.page.locator("main").inner_text()  # how to get in
    assert v.rows() == []
    v.errors.clear()  # the 401 of that page
    v.page.goto(service.viewer_link)
    assert v.page.url == service.url + "/"
    assert len(v.rows()) == 4
    [cookie] = v.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["value"] != service.token
    assert v.errors == []  # nothing the Content Security Policy had to block
    v.context.close()


def test_filter_and_search(viewer, seeded):
    page = viewer.page
    page.select_option("select[name=tag]", "actor")
    page.click("form.filters button[type=submit]")
    assert sorted(viewer.rows()) == sorted(a["id"] for a in seeded if a["tag"] == "actor")
    assert page.locator('[data-count="actor"] .n').inner_text() == "2"
    page.select_option("select[name=annotator]", "ana")
    page.click("form.filters button[type=submit]")
    assert viewer.rows() == [seeded[2]["id"]]
    page.click("a.clear")
    page.fill("input[name=q]", "THREAT")  # the note of one annotation, in another case
    page.click("form.filters button[type=submit]")
    assert viewer.rows() == [seeded[3]["id"]]
    assert "q=THREAT" in page.url


def test_edit_tag_and_note_in_place(viewer, seeded):
    target = seeded[1]
    row = viewer.row(target["id"])
    row.locator("select.edit-tag").select_option("claim")
    row.locator(".status").get_by_text("tag saved: claim").wait_for()
    assert viewer.stored(target["id"]).json()["tag"] == "claim"
    assert viewer.page.locator('[data-count="claim"] .n').inner_text() == "2"
    note = row.locator("textarea.edit-note")
    note.fill("President, speaking for the US")
    note.press("Control+Enter")
    row.locator(".status").get_by_text("note saved").wait_for()
    assert viewer.stored(target["id"]).json()["note"] == "President, speaking for the US"
    viewer.page.reload()
    assert (
        viewer.row(target["id"]).locator("textarea.edit-note").input_value()
        == "President, speaking for the US"
    )
    assert viewer.errors == []


def test_delete_asks_first_and_can_be_undone(viewer, seeded):
    target = seeded[0]
    before = viewer.stored(target["id"]).json()
    row = viewer.row(target["id"])
    row.locator("button.delete").click()
    row.locator("button.cancel-delete").click()  # changed my mind
    assert viewer.stored(target["id"]).status_code == 200
    row.locator("button.delete").click()
    row.locator("button.confirm-delete").click()
    row.locator(".status").get_by_text("deleted").wait_for()
    assert viewer.stored(target["id"]).status_code == 404
    assert viewer.page.locator("[data-total]").inner_text() == "3"
    row.locator("button.undo").click()
    row.locator(".status").get_by_text("restored").wait_for()
    assert viewer.stored(target["id"]).json() == before  # the same id, times and version
    assert viewer.page.locator("[data-total]").inner_text() == "4"
    assert viewer.dialogs == [] and viewer.errors == []


def test_the_article_page_highlights_the_coded_words_and_jumps_between_them(viewer, seeded):
    page = viewer.page
    first_row = viewer.rows()[0]
    page.locator(f'tr[data-id="{first_row}"] td.article a').click()  # to that annotation on its article
    page.wait_for_selector("article.text mark.current")
    for annotation in seeded:
        pieces = page.locator(f'article.text mark[data-ids~="{annotation["id"]}"]').all_inner_texts()
        assert "".join(pieces) == annotation["quote"]["exact"]
    linked = next(a for a in seeded if a["id"] == first_row)
    assert "".join(page.locator("article.text mark.current").all_inner_texts()) == linked["quote"]["exact"]
    ordered = sorted(seeded, key=lambda a: a["position"]["start"])
    page.goto(page.url.split("#")[0])
    page.keyboard.press("j")
    # The address changes by a fragment: Playwright learns of it a moment later, so wait for it.
    expect(page).to_have_url(re.compile(re.escape(f"#a-{ordered[0]['id']}") + "$"))
    page.click("button[data-jump='1']")
    current = page.locator("article.text mark.current").all_inner_texts()
    assert "".join(current) == ordered[1]["quote"]["exact"]
    page.keyboard.press("k")
    assert page.url.endswith(f"#a-{ordered[0]['id']}")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "viewer-article.png"), full_page=True)


def test_the_popup_link_by_url_opens_the_article_page(viewer, service, seeded):
    from urllib.parse import quote

    viewer.page.goto(f"{service.url}/articles/{quote(ARTICLE_URL, safe='')}")
    assert viewer.page.locator("h1").inner_text() == "US carries out retaliatory strikes"
    assert viewer.page.locator("article.text mark").count() >= 4


def test_download_an_export_of_what_is_filtered(viewer, seeded):
    page = viewer.page
    page.select_option("select[name=annotator]", "ben")
    page.click("form.filters button[type=submit]")
    with page.expect_download() as info:
        page.click('a[data-export="CSV"]')
    frame = pd.read_csv(io.BytesIO(info.value.path().read_bytes()), keep_default_na=False)
    assert sorted(frame["id"]) == sorted(a["id"] for a in seeded if a["annotator"] == "ben")
    with page.expect_download() as info:
        page.click('a[data-export="JSON"]')
    exported = json.loads(info.value.path().read_bytes())
    assert {a["annotator"] for a in exported["annotations"]} == {"ben"}


def test_markup_in_a_note_shows_as_text_and_nothing_runs(viewer, service, seeded):
    page = viewer.page
    hostile = seeded[2]
    assert viewer.row(hostile["id"]).locator("textarea.edit-note").input_value() == HOSTILE_NOTE
    assert page.locator("img").count() == 0
    page.goto(f"{service.url}/articles/{ARTICLE_URL}")
    assert HOSTILE_NOTE in page.locator("aside").inner_text()
    assert page.locator("img").count() == 0
    page.goto(f"{service.url}/charts")
    assert page.locator("svg.chart").count() == 4
    page.wait_for_timeout(300)  # time for an injected handler to fire, were there one
    assert viewer.dialogs == []
    assert viewer.errors == []


def every_route(tmp_path, annotation_id: str, article_key: str) -> list[tuple[str, str]]:
    """(method, path) of every route the service has, path parameters filled in, but the open ones."""
    import re

    from newsmark.settings import Settings
    from newsmark.store import Store
    from newsmark.web import create_app

    with Store(tmp_path / "routes") as store:
        app = create_app(Settings(data_dir=tmp_path / "routes"), store, "unused")
        rules = list(app.url_map.iter_rules())
    values = {"annotation_id": annotation_id, "key": article_key}
    found = []
    for rule in rules:
        if rule.endpoint in ("api.health", "viewer.static", "viewer.signin"):
            continue  # open to all: nothing to close
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule.rule)
        found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_sign_out_in_the_browser_closes_every_page_and_route_to_the_old_cookie(
    chromium, service, seeded, tmp_path
):
    v = Viewer(chromium, service)
    v.page.goto(service.viewer_link)
    assert len(v.rows()) == 4
    old_cookies = v.context.cookies()
    csrf = v.page.locator('meta[name="newsmark-csrf"]').get_attribute("content")
    with v.page.expect_response(f"{service.url}/signout") as answer:
        v.page.click("form.signout button[type=submit]")  # the real form, as a person signs out
    assert answer.value.status == 303, answer.value.text()
    v.page.wait_for_url(f"{service.url}/signin", timeout=10_000)
    assert v.page.locator('form[action="/signin"] input[name="token"]').count() == 1
    assert v.context.cookies() == []
    v.page.screenshot(path=str(OUTPUT / "viewer-signed-out.png"))  # what the user sees after Sign out
    v.page.goto(f"{service.url}/")
    assert v.rows() == [] and "newsmark token" in v.page.locator("main").inner_text()
    v.context.close()

    # Someone who copied the cookie before the sign-out replays it, with the page's CSRF token.
    thief = chromium.new_context()
    thief.add_cookies(old_cookies)
    article_key = contract.article_id(ARTICLE_URL)
    routes = every_route(tmp_path, seeded[0]["id"], article_key)
    assert ("GET", "/") in routes and ("DELETE", f"/api/annotations/{seeded[0]['id']}") in routes
    answers = {}
    for method, path in routes:
        response = thief.request.fetch(
            service.url + path,
            method=method,
            headers={"X-CSRF-Token": csrf, "Origin": service.url, "Content-Type": "application/json"},
            data="{}" if method in ("POST", "PATCH") else None,
            max_redirects=0,
        )
        answers[(method, path)] = response.status
    assert answers == {route: 401 for route in routes}
    page = thief.new_page()
    for path in ("/", "/articles", "/charts", f"/articles/{article_key}"):
        page.goto(service.url + path)
        assert page.locator('form[action="/signin"]').count() == 1, path
        assert page.locator("tr[data-id], article.text").count() == 0, path
    assert len(service.session().get(f"{service.url}/api/annotations").json()["items"]) == 4
    thief.close()


def minute(iso: str) -> str:
    """A stored time as the table shows it."""
    return iso[:16].replace("T", " ")


def test_an_edit_shows_its_edited_time_at_once_and_the_list_stays_as_it_was(viewer, seeded):
    page = viewer.page
    page.select_option("select[name=annotator]", "ben")
    page.select_option("select[name=sort]", "oldest")
    page.click("form.filters button[type=submit]")
    address, order = page.url, viewer.rows()
    assert order == [seeded[1]["id"], seeded[3]["id"]]
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    for target in (seeded[3], seeded[1]):
        expect(viewer.row(target["id"]).locator(".edited")).to_have_count(0)  # never edited yet

    note_row = viewer.row(seeded[3]["id"])
    note = note_row.locator("textarea.edit-note")
    note.fill("a threat, or a promise")
    note.press("Control+Enter")
    note_row.locator(".status").get_by_text("note saved").wait_for()
    updated = viewer.stored(seeded[3]["id"]).json()["updated"]
    assert updated != seeded[3]["created"]
    edited = note_row.locator("td.time .edited")
    expect(edited).to_have_text(f"edited {minute(updated)}")
    expect(edited.locator("time")).to_have_attribute("datetime", updated)

    tag_row = viewer.row(seeded[1]["id"])
    tag_row.locator("select.edit-tag").select_option("claim")
    tag_row.locator(".status").get_by_text("tag saved: claim").wait_for()
    updated = viewer.stored(seeded[1]["id"]).json()["updated"]
    expect(tag_row.locator("td.time .edited time")).to_have_attribute("datetime", updated)
    expect(tag_row.locator("td.time .edited")).to_have_text(f"edited {minute(updated)}")

    assert page.evaluate("window.notReloaded") is True
    assert (page.url, viewer.rows()) == (address, order)
    assert page.locator("select[name=annotator]").input_value() == "ben"
    # What a reload shows is what was shown.
    shown = [viewer.row(i).locator("td.time").inner_text() for i in order]
    page.reload()
    assert [viewer.row(i).locator("td.time").inner_text() for i in order] == shown
    assert viewer.errors == []


LONG_CODER = "coder-with-a-rather-long-name-from-the-second-team"

LINES_JS = """td => {
  // How many lines the cell's text takes: the distinct tops of its text's boxes.
  const range = document.createRange();
  range.selectNodeContents(td);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""


def table_at(chromium, service, width: int, coders: list[str]) -> Viewer:
    """The table at a window ``width`` px wide, one annotation per coder, with long quotes and notes
    (they take the table's width, which is when a short name used to break at its hyphen)."""
    api = service.session()
    for who in coders:
        made = body("US conducted major airstrikes on 85 targets across seven locations in Iraq and Syria",
                    tag="actor", annotator=who, note="who speaks " * 12)  # fmt: skip
        assert api.post(f"{service.url}/api/annotations", json=made).status_code == 201
    v = Viewer(chromium, service)
    v.page.set_viewport_size({"width": width, "height": 900})
    v.page.goto(service.viewer_link)
    expect(v.page.locator("td.coder")).to_have_count(len(coders))
    return v


def coder_lines(v: Viewer) -> dict[str, int]:
    cells = v.page.locator("td.coder")
    return {cells.nth(n).inner_text(): cells.nth(n).evaluate(LINES_JS) for n in range(cells.count())}


@pytest.mark.parametrize("width", [1200, 800])
def test_short_coder_names_do_not_wrap(chromium, service, width):
    v = table_at(chromium, service, width, ["coder-a", "coder-b"])
    assert coder_lines(v) == {"coder-a": 1, "coder-b": 1}
    for cell in v.page.locator("td.coder").all():
        assert cell.evaluate("td => td.scrollWidth <= td.clientWidth")  # shown whole, not cut
    v.page.screenshot(path=str(OUTPUT / f"viewer-coders-{width}.png"))
    v.context.close()


@pytest.mark.parametrize("width", [1200, 800])
def test_a_long_coder_name_is_one_line_cut_short_with_the_whole_in_its_title(chromium, service, width):
    v = table_at(chromium, service, width, ["coder-a", LONG_CODER])
    assert coder_lines(v)["coder-a"] == 1
    long = v.page.locator("td.coder", has_text="coder-with")
    assert long.evaluate(LINES_JS) == 1
    assert long.get_attribute("title") == LONG_CODER  # the whole name, on hover
    assert long.evaluate("td => td.scrollWidth > td.clientWidth")  # cut…
    assert long.evaluate("td => getComputedStyle(td).textOverflow") == "ellipsis"  # …with "…"
    v.context.close()


def coded_on(service, days: list[str]) -> None:
    """One annotation made on each of ``days`` (at noon UTC), through the import, which keeps times."""
    api = service.session()
    first = body("85 targets", tag="figure")
    assert api.post(f"{service.url}/api/annotations", json=first).status_code == 201
    made = api.get(f"{service.url}/api/annotations/{first['id']}").json()
    noon = [f"{day}T12:00:00.000Z" for day in days]
    copies = [{**made, "id": str(uuid.uuid4()), "created": t, "updated": t} for t in noon]
    imported = api.post(
        f"{service.url}/api/import",
        json={
            "schema_version": made["schema_version"],
            "exported_at": "2025-01-01T00:00:00.000Z",
            "generator": {"name": "newsmark", "version": "test"},
            "articles": [],
            "annotations": copies,
        },
    )
    assert imported.status_code == 200, imported.text
    assert api.delete(f"{service.url}/api/annotations/{first['id']}").status_code == 204


DATES_JS = """svg => [...svg.querySelectorAll("text")]
  .filter(t => /^\\d{4}-\\d{2}-\\d{2}$/.test(t.textContent))
  .map(t => {
    // Each date label, and the column of the same day (named in its group's tooltip).
    const row = [...svg.querySelectorAll("g.row")]
      .find(g => g.querySelector("title").textContent.startsWith(t.textContent + ":"));
    const label = t.getBoundingClientRect();
    const bar = row.querySelector("rect").getBoundingClientRect();
    return {day: t.textContent, from: label.left, to: label.right, centre: label.left + label.width / 2,
            left: bar.left, right: bar.right};
  })"""


def chart_over_time(chromium, service) -> tuple[Viewer, list[dict]]:
    v = Viewer(chromium, service)
    v.page.set_viewport_size({"width": 1200, "height": 900})
    v.page.goto(service.viewer_link.replace("/?", "/charts?"))
    return v, v.page.locator("svg.chart").last.evaluate(DATES_JS)


def test_each_date_on_the_chart_over_time_sits_under_its_column(chromium, service):
    """Five days (one without annotations): each day's date is centred under its own column."""
    coded_on(service, ["2024-02-01", "2024-02-02", "2024-02-04", "2024-02-05", "2024-02-05"])
    v, placed = chart_over_time(chromium, service)
    assert [p["day"] for p in placed] == [f"2024-02-0{n}" for n in range(1, 6)]
    for p in placed:
        assert p["left"] - 2 <= p["centre"] <= p["right"] + 2, p
    v.page.screenshot(path=str(OUTPUT / "viewer-chart-days.png"), full_page=True)
    v.context.close()


def test_a_year_of_days_labels_some_columns_each_under_its_own_and_none_overlapping(chromium, service):
    coded_on(service, ["2024-01-01", "2024-06-30", "2025-01-02"])  # 368 columns, one a day
    v, placed = chart_over_time(chromium, service)
    assert placed[0]["day"] == "2024-01-01" and placed[-1]["day"] == "2025-01-02"
    assert len(placed) >= 5
    for p in placed:
        assert p["left"] - 2 <= p["centre"] <= p["right"] + 2, p
    for a, b in itertools.pairwise(placed):
        assert a["to"] < b["from"], (a, b)  # side by side, not on top of each other
    figure = v.page.locator("figure").last.bounding_box()
    assert figure["x"] <= placed[0]["from"] and placed[-1]["to"] <= figure["x"] + figure["width"]
    v.context.close()


def test_the_w3c_download_is_a_jsonld_file(viewer):
    with viewer.page.expect_download() as info:
        viewer.page.click('a[data-export="W3C Web Annotation"]')
    download = info.value
    assert re.fullmatch(r"newsmark-export-\d{8}T\d{6}Z\.jsonld", download.suggested_filename)
    exported = json.loads(download.path().read_bytes())
    assert exported["type"] == "AnnotationCollection" and exported["total"] == 4
