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
    """The kept text joins a quote and its note with U+001F: a search for it (in text stored before
    control characters were refused) finds it only within a field, like any other search."""
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
)
def test_kept_folded_text_matches_exactly_as_each_document_would(texts, q):
    docs = [{"quote": {"exact": exact}, "note": note} for exact, note in texts]
    flt = AnnotationFilter(q=q)
    assert _by_columns(docs, q) == [i for i, d in enumerate(docs) if flt.matches(d)]


def test_after_a_change_the_search_sees_it_and_reuses_the_rest(searchable):
    before = columns.of(searchable)
    assert len(before.select(AnnotationFilter(q="minister"))) == 2
    kept = dict(zip(before.ids, before._folded_text(), strict=True))
    changed, gone = before.docs[0], before.docs[1]
    annotations.update(searchable, changed["id"], {"note": "now about the CHANCELLOR"})
    annotations.delete(searchable, gone["id"])
    after = columns.of(searchable)
    assert after is not before
    assert [after.docs[i]["id"] for i in after.select(AnnotationFilter(q="chancellor"))] == [changed["id"]]
    assert after.select(AnnotationFilter(q="straße")) == []  # only in the deleted one and the old note
    folded = dict(zip(after.ids, after._folded_text(), strict=True))
    assert folded.keys() == kept.keys() - {gone["id"]}
    for key, text in folded.items():  # unchanged annotations: the very same folded text, not folded again
        assert (text is kept[key]) == (key != changed["id"]), key


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(0, 200),
    changes=st.lists(st.tuples(st.sampled_from(["delete", "replace", "append"]), st.integers(0, 199))),
)
def test_refolding_reuses_only_the_same_documents(size, changes):
    """Whatever was deleted, replaced or added, each row's folded text is its own document's."""
    old_docs = [{"quote": {"exact": f"Quote {n}"}, "note": f"Note {n}"} for n in range(size)]
    old_folded = [columns._fold(d) for d in old_docs]
    docs = list(old_docs)
    deleted = 0  # past the look-ahead, what follows a run of deletions is folded again
    for kind, at in changes:
        if kind == "append":
            docs.append({"quote": {"exact": f"New {at}"}, "note": None})
        elif docs and kind == "delete":
            run = at % 7 if at % 3 else at
            before = len(docs)
            del docs[at % len(docs) : at % len(docs) + run]
            deleted += before - len(docs)
        elif docs:
            docs[at % len(docs)] = {"quote": {"exact": f"Changed {at}"}, "note": "X"}
    folded = columns._refold(docs, old_docs, old_folded)
    assert folded == [columns._fold(d) for d in docs]
    if deleted < columns._LOOKAHEAD - 1:
        for doc, text in zip(docs, folded, strict=True):
            if any(doc is d for d in old_docs):  # kept: its text is reused, not made again
                assert any(text is t for t in old_folded)
