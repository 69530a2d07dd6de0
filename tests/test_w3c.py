"""The W3C export meets every MUST of the Web Annotation Data Model that it relies on.

Each check names the requirement (https://www.w3.org/TR/annotation-model/, sections in brackets).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from array import array
from itertools import accumulate
from pathlib import Path

import pytest

from helpers import body
from newsmark import annotations, export
from newsmark.annotations import Rules
from newsmark.schemas import AnnotationCreateSchema
from newsmark.storage import AtomicJSONStorage
from newsmark.store import DATA_FILE, AnnotationFilter, Store
from newsmark.w3c import sha256_of_version_iri

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
UTC_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
MOTIVATIONS = {
    "assessing", "bookmarking", "classifying", "commenting", "describing", "editing",
    "highlighting", "identifying", "linking", "moderating", "questioning", "replying", "tagging",
}  # fmt: skip


def as_list(value):
    return value if isinstance(value, list) else [value]


def check_annotation(a: dict) -> None:
    assert CONTEXT in as_list(a["@context"])  # [3.1] @context MUST include the anno context
    assert isinstance(a["id"], str) and IRI.match(a["id"])  # [3.1] exactly 1 IRI id
    assert "Annotation" in as_list(a["type"])  # [3.1] type MUST include Annotation
    assert as_list(a["target"])  # [3.1] 1 or more targets
    for m in as_list(a["motivation"]):
        assert m in MOTIVATIONS  # [3.4] motivation values from the Motivation list
    for b in as_list(a["body"]):
        if b["type"] == "SpecificResource":  # [4] exactly 1 source, an IRI (schema v2: an attribution)
            assert isinstance(b["source"], str) and IRI.match(b["source"])
        else:
            assert b["type"] == "TextualBody" and isinstance(b["value"], str)  # [3.2.4] exactly 1 value
        assert b["purpose"] in MOTIVATIONS  # [3.3.5] purpose is a Motivation
    for key in ("created", "modified"):
        assert isinstance(a[key], str) and UTC_DATETIME.match(a[key])  # [3.3.1] xsd:dateTime, UTC
    assert isinstance(a["creator"], dict) and a["creator"]["name"]  # [3.3.1] an Agent
    for t in as_list(a["target"]):
        assert t["type"] == "SpecificResource" and IRI.match(t["source"])  # [4] exactly 1 source
        types = {s["type"]: s for s in as_list(t["selector"])}
        quote, position = types["TextQuoteSelector"], types["TextPositionSelector"]
        assert isinstance(quote["exact"], str) and quote["exact"]  # [4.2.4] exactly 1 exact
        assert all(isinstance(quote.get(k, ""), str) for k in ("prefix", "suffix"))  # at most 1 each
        for k in ("start", "end"):  # [4.2.5] exactly 1 start and end, non-negative integers
            assert isinstance(position[k], int) and position[k] >= 0
        assert position["start"] <= position["end"]
        if "state" in t:  # [4.3.1] a Time State has exactly 1 sourceDate, xsd:dateTime in UTC
            assert t["state"]["type"] == "TimeState" and UTC_DATETIME.match(t["state"]["sourceDate"])
            if "cached" in t["state"]:  # [4.3.1] cached: the IRI of a copy of the source as it was
                assert all(isinstance(c, str) and IRI.match(c) for c in as_list(t["state"]["cached"]))


def pages_of(collection: dict) -> list[dict]:
    pages, page = [], collection.get("first")
    while page is not None:
        pages.append(page)
        page = page.get("next")
    return pages


def check_collection(doc: dict, total: int) -> list[dict]:
    assert CONTEXT in as_list(doc["@context"])  # [5.1] @context
    assert IRI.match(doc["id"]) and "AnnotationCollection" in as_list(doc["type"])  # [5.1] IRI id, type
    assert doc["total"] == total
    if total:
        assert doc["first"]  # [5.1] MUST link to the first page when it has annotations
    pages = pages_of(doc)
    items = []
    for n, page in enumerate(pages):
        assert IRI.match(page["id"]) and "AnnotationPage" in as_list(page["type"])  # [5.2] IRI id, type
        assert isinstance(page["items"], list)  # [5.2] MUST have items
        assert ("next" in page) == (n < len(pages) - 1)  # [5.2] next, unless the last page
        assert page["partOf"] == doc["id"] and page["startIndex"] == len(items)
        items += page["items"]
    assert len({p["id"] for p in pages}) == len(pages)
    return items


@pytest.fixture
def coded(data_dir):
    made = []
    with Store(data_dir) as store:
        for n, exact in enumerate(
            ["Joe Biden", "85 targets", "Lloyd Austin", "30 minutes", "Iraq and Syria"]
        ):
            data = body(
                exact, tag=("actor", "figure", "claim")[n % 3], note='a "note", 😀' if n % 2 else None
            )
            made.append(annotations.create(store, AnnotationCreateSchema().load(data), Rules())[0])
    return made


def test_w3c_export_meets_the_musts(data_dir, coded):
    with Store(data_dir) as store:
        doc = json.loads(export.render(store, AnnotationFilter(), "w3c"))
    items = check_collection(doc, len(coded))
    assert len(pages_of(doc)) == 1
    assert len(items) == len(coded)
    for item, stored in zip(items, coded, strict=True):
        check_annotation(item)
        # The same coding as newsmark's own export.
        assert item["id"] == f"urn:uuid:{stored['id']}"
        tags = [b["value"] for b in item["body"] if b["purpose"] == "tagging"]
        notes = [b["value"] for b in item["body"] if b["purpose"] == "commenting"]
        assert tags == [stored["tag"]] and notes == ([stored["note"]] if stored["note"] else [])
        selectors = {s["type"]: s for s in item["target"]["selector"]}
        assert selectors["TextQuoteSelector"]["exact"] == stored["quote"]["exact"]
        assert (selectors["TextPositionSelector"]["start"], selectors["TextPositionSelector"]["end"]) == (
            stored["position"]["start"],
            stored["position"]["end"],
        )
        assert item["target"]["source"] == stored["url"] and item["target"]["state"]["type"] == "TimeState"
        # The version the offsets refer to, by its hash (RFC 6920).
        assert sha256_of_version_iri(item["target"]["state"]["cached"]) == stored["article_sha256"]
        assert item["target"]["state"]["cached"].startswith("ni:///sha-256;")


def test_empty_collection_and_the_api(client):
    r = client.get("/api/export?format=w3c")
    assert r.status_code == 200 and r.content_type.startswith("application/ld+json")
    doc = r.get_json(force=True)
    assert check_collection(doc, 0) == []


def test_the_checks_catch_a_broken_annotation():
    """The checker fails on a violation (so the test above can fail)."""
    broken = {"@context": CONTEXT, "id": "not an iri", "type": "Annotation", "target": {}}
    with pytest.raises((AssertionError, KeyError)):
        check_annotation(broken)


def test_the_checks_catch_a_cached_state_that_is_no_iri(data_dir, coded):
    with Store(data_dir) as store:
        item = json.loads(export.render(store, AnnotationFilter(), "w3c"))["first"]["items"][0]
    check_annotation(item)
    item["target"]["state"]["cached"] = "not an iri"
    with pytest.raises(AssertionError):
        check_annotation(item)


# -- readers with a depth limit ----------------------------------------------------------------

DEPTH_LIMIT = 64  # a cautious JSON reader's limit (Ruby's JSON stops at 100, jq 1.6 at 256)
_BRACKETS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def nesting_depth(raw: bytes) -> int:
    """How deep objects and arrays nest in a JSON text: a scan that skips strings, not a parse.

    Escapes first (a backslash always starts a pair), then every other piece between quotes.
    """
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    steps = array("b", outside.translate(None, delete=_NOT_BRACKETS).translate(_BRACKETS))
    return max(accumulate(steps), default=0)


def test_the_depth_scan_counts_nesting_and_skips_strings():
    assert nesting_depth(b'{"a": [1, {"b": "[[[{{\\"\\\\"}]"}], "c": []}') == 3
    assert nesting_depth(b"[" * 70 + b"]" * 70) == 70
    assert nesting_depth(b'"no [ nesting {"') == 0


BIG = 150_000


@pytest.fixture(scope="module")
def big_w3c_export(tmp_path_factory) -> Path:
    """A W3C export of 150,000 annotations, written as newsmark export writes it."""
    folder = tmp_path_factory.mktemp("big")
    docs = {
        str(n): {
            "id": str(uuid.UUID(int=n, version=4)),
            "url": f"https://lite.cnn.com/2024/02/02/politics/slug-{n % 1000}/index.html",
            "tag": ("actor", "claim", "figure")[n % 3],
            "quote": {"exact": f"quote {n}", "prefix": "before ", "suffix": " after"},
            "position": {"start": 7, "end": 7 + len(f"quote {n}")},
            "note": None if n % 2 else f"note {n}",
            "annotator": f"coder-{n % 12:02d}",
            "article_sha256": f"{n % 1000:064x}",
            "created": "2024-02-03T13:43:00.000Z",
            "updated": "2024-02-03T13:43:00.000Z",
            "schema_version": 1,
        }
        for n in range(1, BIG + 1)
    }
    AtomicJSONStorage(folder / "data" / DATA_FILE).write({"annotations": docs})
    path = folder / "export.w3c.json"
    with Store(folder / "data") as store, open(path, "wb") as fh:
        for chunk in export.stream(store, AnnotationFilter(), "w3c"):
            fh.write(chunk)
    return path


def test_a_150k_w3c_export_nests_as_deep_as_a_small_one(big_w3c_export, data_dir, coded):
    """Pages used to nest one in the next, a level per 1,000 annotations: 157 levels at 150k."""
    with Store(data_dir) as store:
        small = export.render(store, AnnotationFilter(), "w3c")
    assert nesting_depth(big_w3c_export.read_bytes()) == nesting_depth(small) == 7 <= DEPTH_LIMIT


def test_jq_reads_a_150k_w3c_export(big_w3c_export):
    jq = shutil.which("jq")
    assert jq, "the tests need jq (Debian's package jq): scripts/test installs it"
    done = subprocess.run(
        [jq, "-c", "[.total, (.first.items | length), .first.items[-1].id]", str(big_w3c_export)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [BIG, BIG, f"urn:uuid:{uuid.UUID(int=BIG, version=4)}"]
