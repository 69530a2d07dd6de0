"""Text search (``q``): its length is capped everywhere, its needle folded once a request,
and the viewer's kept folded text finds exactly what a per-document check finds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import TOKEN, body
from newsmark import annotations, columns, contract
from newsmark.annotations import Rules
from newsmark.cli import main
from newsmark.schemas import AnnotationCreateSchema
from newsmark.store import AnnotationFilter
from newsmark.text import article_text

URL = "https://lite.cnn.com/2024/02/06/world/search-text"
PARAGRAPHS = [
    "Der Minister sagte: Die Straße bleibt gesperrt.",
    "İstanbul'da BAKAN konuştu; the MINISTER agreed 😀 quickly.",
    "Οδυσσεύς wrote ΣΊΣΥΦΟΣ in capitals.",
]
TEXT = article_text(PARAGRAPHS)
QUOTES = [  # (exact, note)
    ("Der Minister sagte", "strasse? no: Straße"),
    ("Die Straße bleibt gesperrt.", None),
    ("the MINISTER agreed 😀", "a note, Minister"),
    ("ΣΊΣΥΦΟΣ", "σίσυφος in a note"),
    ("İstanbul'da", ""),
]
LONGEST = "x" * contract.MAX_QUERY
TOO_LONG = "é" * (contract.MAX_QUERY + 1)


@pytest.fixture
def searchable(store):
    for exact, note in QUOTES:
        data = body(exact, text=TEXT, url=URL, note=note)
        annotations.create(store, AnnotationCreateSchema().load(data), Rules())
    return store


@pytest.fixture
def viewer(app):
    c = app.test_client()
    assert c.get(f"/?token={TOKEN}").status_code == 303
    return c


@pytest.mark.parametrize("path", ["/api/annotations", "/api/export"])
def test_api_refuses_a_search_over_the_cap_naming_q(client, path):
    response = client.get(path, query_string={"q": TOO_LONG})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert list(error["fields"]) == ["q"]
    assert f"{contract.MAX_QUERY} characters" in error["fields"]["q"][0]
    assert client.get(path, query_string={"q": LONGEST}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/charts"])
def test_viewer_refuses_a_search_over_the_cap_naming_q(viewer, path):
    response = viewer.get(path, query_string={"q": TOO_LONG})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<code>q</code>" in html and f"{contract.MAX_QUERY} characters" in html
    assert viewer.get(path, query_string={"q": LONGEST}).status_code == 200


def test_viewer_search_box_takes_no_more_than_the_cap(viewer):
    html = viewer.get("/").get_data(as_text=True)
    assert f'name="q" value="" maxlength="{contract.MAX_QUERY}"' in html


def test_cli_refuses_a_search_over_the_cap(capsys, data_dir):
    with pytest.raises(SystemExit) as exited:
        main(["export", "-q", TOO_LONG, "--data-dir", str(data_dir)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "-q" in err and f"{contract.MAX_QUERY} characters" in err


class CountingText(str):
    """A search text that counts how often it is case-folded."""

    folds = 0

    def casefold(self) -> str:
        CountingText.folds += 1
        return str.casefold(self)


@pytest.mark.parametrize("where", ["store", "viewer columns"])
def test_the_needle_is_folded_once_per_search_not_per_document(searchable, where):
    CountingText.folds = 0
    flt = AnnotationFilter(q=CountingText("MINISTER"))
    if where == "store":
        found = searchable.annotations_matching(flt)
    else:
        cols = columns.of(searchable)
        found = [cols.docs[i] for i in cols.select(flt)]
    assert [d["quote"]["exact"] for d in found] == ["Der Minister sagte", "the MINISTER agreed 😀"]
    assert CountingText.folds == 1


@pytest.mark.parametrize(
    "q, expected",
    [
        ("minister", [0, 2]),
        ("agreed 😀", [2]),
        ("STRASSE", [0, 1]),  # full case folding: ß is ss
        ("σίσυφος", [3]),  # final sigma folds as sigma
        ("😀", [2]),
        ("agreed 😀a note", []),  # never across a quote and its note
        ("sagtestrasse", []),
        ("i̇stanbul", [4]),
        ("nothing like it", []),
    ],
)
def test_viewer_search_finds_what_the_per_document_check_finds(searchable, viewer, q, expected):
    flt = AnnotationFilter(q=q)
    cols = columns.of(searchable)
    by_columns = [cols.docs[i]["quote"]["exact"] for i in cols.select(flt)]
    by_documents = [d["quote"]["exact"] for d in searchable.all_annotations() if flt.matches(d)]
    assert by_columns == by_documents == [QUOTES[n][0] for n in expected]
    html = viewer.get("/", query_string={"q": q}).get_data(as_text=True)
    assert f"<strong data-total>{len(expected)}</strong>" in html


def _by_columns(docs, q):
    cols = columns.Columns((0, 0), docs, [], [], [], [], [], {})
    return cols.select(AnnotationFilter(q=q))


def test_search_never_matches_across_the_kept_texts_separators():
    """The kept text joins a quote and its note with U+001F, annotations with NUL: a search for
    them (in text stored before control characters were refused) finds them only within a field."""
    docs = [
        {"quote": {"exact": "end"}, "note": "start"},
        {"quote": {"exact": "a\x1fb"}, "note": None},
        {"quote": {"exact": "x"}, "note": "y\x00z"},
        {"quote": {"exact": "last"}, "note": ""},
    ]
    assert _by_columns(docs, "endstart") == []
    assert _by_columns(docs, "end\x1fstart") == []
    assert _by_columns(docs, "a\x1fb") == [1]
    assert _by_columns(docs, "\x1f") == [1]
    assert _by_columns(docs, "start\x00a") == []
    assert _by_columns(docs, "\x00") == [2]
    assert _by_columns(docs, "LAST") == [3]


TRICKY_CHARS = st.sampled_from(
    ["a", "A", "ß", "ss", "S", "İ", "i", "\u0307", "Σ", "ς", "σ", "😀", "\x1f", "\x00", " "]
)
TRICKY_TEXT = st.lists(TRICKY_CHARS | st.characters(), max_size=10).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.tuples(TRICKY_TEXT.filter(bool), st.none() | TRICKY_TEXT), min_size=1, max_size=8),
    q=TRICKY_TEXT.filter(bool),
    block=st.sampled_from([1, 2, 3, 2048]),
)
def test_kept_folded_text_matches_exactly_as_each_document_would(texts, q, block):
    docs = [{"quote": {"exact": exact}, "note": note} for exact, note in texts]
    flt = AnnotationFilter(q=q)
    expected = [i for i, d in enumerate(docs) if flt.matches(d)]
    saved = columns.SEARCH_BLOCK
    columns.SEARCH_BLOCK = block  # several blocks, each with a first and a last row
    try:
        assert _by_columns(docs, q) == expected
    finally:
        columns.SEARCH_BLOCK = saved
