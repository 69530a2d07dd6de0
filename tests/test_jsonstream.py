"""Reading a JSON document a piece at a time gives what a whole parse gives, and refuses what orjson does."""

from __future__ import annotations

import io
import json
from typing import Any

import orjson
import pytest
from hypothesis import assume, given, settings

from newsmark import jsonstream
from strategies import json_values


def skeleton(path: jsonstream.Path) -> bool:
    return not path or (path[0] in ("first", "next") and all(key == "next" for key in path[1:]))


def spread(path: jsonstream.Path) -> bool:
    return not path or path in (("annotations",),) or (path[-1] == "items" and skeleton(path[:-1]))


def read(raw: bytes) -> tuple[Any, list[tuple[jsonstream.Path, Any]]]:
    elements: list[tuple[jsonstream.Path, Any]] = []
    top = jsonstream.read(
        io.BytesIO(raw), skeleton=skeleton, spread=spread, element=lambda p, v: elements.append((p, v))
    )
    return top, elements


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Three bytes at a time: every value, key and number is cut somewhere."""
    monkeypatch.setattr(jsonstream, "CHUNK", 3)


DOCUMENT = {
    "schema_version": 1,
    "generator": {"name": "newsmark", "n": [1, 2.5, None, True]},
    "annotations": [{"id": "a", "note": 'é 😀 "quoted" \\\\ [not a list]'}, 12345678901234567890, "x", []],
    "first": {"items": [1, {"x": [2]}], "next": {"items": [3], "next": "https://example.org/page/3"}},
    "big": 123456789012345678901234567890,
}


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "3-byte chunks"])
@pytest.mark.parametrize("indent", [None, 2])
def test_the_lists_are_spread_and_the_rest_is_as_json_loads_gives_it(request, chunked, indent):
    if chunked:
        request.getfixturevalue("tiny_chunks")
    raw = json.dumps(DOCUMENT, indent=indent).encode()
    top, elements = read(raw)
    assert top == {
        **DOCUMENT,
        "annotations": [],
        "first": {"items": [], "next": {**DOCUMENT["first"]["next"], "items": []}},
    }
    assert elements == [
        *((("annotations",), v) for v in DOCUMENT["annotations"]),
        (("first", "items"), 1),
        (("first", "items"), {"x": [2]}),
        (("first", "next", "items"), 3),
    ]
    assert read(b"[1, [2], {}]") == ([], [((), 1), ((), [2]), ((), {})])
    assert read(b' "just a string" ') == ("just a string", [])


@given(value=json_values)
@settings(max_examples=200, deadline=None)
def test_any_value_reads_as_json_loads_reads_it(value):
    try:  # Infinity is not JSON (the reader refuses it; see REFUSED): only JSON values here
        raw = json.dumps({"annotations": [value, value], "other": value}, allow_nan=False).encode()
    except ValueError:
        assume(False)
    top, elements = read(raw)
    assert top == {"annotations": [], "other": json.loads(json.dumps(value))}
    assert [v for _, v in elements] == [top["other"]] * 2


REFUSED = [
    (b"", "Expecting value"),
    (b'{"a": ', "Expecting value"),
    (b'{"a": 1} x', "more follows the document"),
    (b'{"a": 1,}', "expected '\"'"),
    (b"[1,]", "Expecting value"),
    (b"[1 2]", "expected ',' or ']'"),
    (b'{"a" 1}', "expected ':'"),
    (b'"\xff"', "not UTF-8"),
    (b"\xef\xbb\xbf[1]", "Expecting value"),  # a byte order mark, as orjson refuses it
    (b"[NaN]", "NaN is not a JSON value"),
    (b"[-Infinity]", "-Infinity is not a JSON value"),
    (b'["\\ud800"]', "lone UTF-16 surrogate"),
    (b'{"a": 1, "a": 2}', "the key 'a' appears twice"),
    (b'{"annotations": [' + b"[" * 5000 + b"]" * 5000 + b"]}", "nested too deeply"),
    (b'{"first": ' + b'{"next": ' * 1100 + b"1" + b"}" * 1101, "nested deeper than 1024"),  # pages
]


@pytest.mark.parametrize(("raw", "why"), REFUSED, ids=[str(r[:20]) for r, _ in REFUSED])
@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "3-byte chunks"])
def test_what_is_not_json_is_refused_saying_why(request, raw, why, chunked):
    if chunked:
        request.getfixturevalue("tiny_chunks")
    with pytest.raises(jsonstream.NotJson, match=why):
        read(raw)


def test_surrogate_pairs_and_escaped_backslashes_are_text(tiny_chunks):
    assert read(b'["\\ud83d\\ude00", "\\\\ud800"]')[1] == [((), "😀"), ((), "\\ud800")]
    assert orjson.dumps(read(b'["\\ud83d\\ude00"]')[1][0][1]) == '"😀"'.encode()


def test_a_huge_value_costs_linear_time(tiny_chunks):
    """A value longer than many chunks is decoded again as it grows, on twice as much text each time."""
    calls = []
    decode = jsonstream._decode

    def counted(text: str, pos: int) -> Any:
        calls.append(len(text))
        return decode(text, pos)

    jsonstream._decode = counted
    try:
        top, _ = read(b'{"big": "' + b"x" * 1_000_000 + b'"}')
    finally:
        jsonstream._decode = decode
    assert len(top["big"]) == 1_000_000
    assert sum(calls) < 4 * 1_000_000  # not a million characters a thousand times over
