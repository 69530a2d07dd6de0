"""The W3C Web Annotation Data Model, both ways: an annotation written out, and read back.

Writing (:func:`annotation`) is what the ``w3c`` export holds; reading
(:func:`check_pages`, :func:`stored_form`) is what an import of such a file makes
of it. The article version an annotation's offsets refer to is named in the
target's state by its text's SHA-256, as an RFC 6920 IRI (:func:`version_iri`).

The bodies of an annotation (schema v2), each read back into the field it came from:

- ``TextualBody``, purpose ``tagging``: the tag (always);
- ``TextualBody``, purpose ``commenting``, ``text/plain``: the note (when it is not null);
- ``TextualBody``, purpose ``identifying``: an actor's entity, its canonical name;
- ``TextualBody``, purpose ``describing``, ``application/json``: a figure's reading, the JSON
  text of ``{"value", "value_high", "unit", "qualifier"}`` (:data:`READING`), e.g.
  ``{"value":125.0,"value_high":null,"unit":"precision munitions","qualifier":"more_than"}``;
- ``SpecificResource``, purpose ``linking``, one per actor a claim is attributed to, in order:
  ``source`` is that actor annotation's IRI, ``urn:uuid:<id>``, as the annotations' own ids.

Reading maps the bodies there are and nothing more: an annotation without them (a file from
an earlier version, or another tool) has those fields filled by the import as a create fills
them (an actor's entity its quote, a figure's reading parsed from its quote, a claim no actor).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import re
from collections.abc import Callable
from typing import Any

import orjson

from . import contract
from .store import Doc

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
#: A figure's reading, in this order, in the describing body's JSON text.
READING = ("value", "value_high", "unit", "qualifier")
JSON_FORMAT = "application/json"

#: Where a file is at fault, and why: ``report("items[3].target", "must be …")``.
Report = Callable[[str, str], None]


#: The RFC 6920 "ni" name of an article version: its text's SHA-256, base64url without padding.
_VERSION_IRI = re.compile(r"ni:///sha-256;([A-Za-z0-9_-]{43})")


def version_iri(sha256: str) -> str:
    """The version with text SHA-256 ``sha256`` (hex) as an RFC 6920 IRI, ``ni:///sha-256;<base64url>``."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256)).rstrip(b"=").decode("ascii")
    return f"ni:///sha-256;{digest}"


@functools.lru_cache(maxsize=4096)  # an import names each version once per annotation made on it
def sha256_of_version_iri(iri: str) -> str | None:
    """The hex SHA-256 that :func:`version_iri` made ``iri`` from; None if ``iri`` is not of that form."""
    match = _VERSION_IRI.fullmatch(iri)
    if match is None:
        return None
    try:
        digest = base64.urlsafe_b64decode(match.group(1) + "=")
    except (binascii.Error, ValueError):
        return None
    sha = digest.hex()
    # 43 characters hold 258 bits: refuse the spellings whose last two bits are not zero,
    # so that one version has one name.
    return sha if version_iri(sha) == iri else None


# -- writing ---------------------------------------------------------------------------


def iri(annotation_id: str) -> str:
    """The IRI of the annotation with ``annotation_id``: its id as a URN."""
    return f"urn:uuid:{annotation_id}"


def annotation(doc: Doc, version_dates: dict[str, str]) -> dict[str, Any]:
    """One annotation in the W3C Web Annotation Data Model."""
    body: list[dict[str, Any]] = [{"type": "TextualBody", "purpose": "tagging", "value": doc["tag"]}]
    motivation = ["classifying"]
    note = doc["note"]
    if note is not None:  # an empty note too, so that an import gives back "" and not null
        body.append({"type": "TextualBody", "purpose": "commenting", "value": note, "format": "text/plain"})
        motivation.append("commenting")
    entity = doc.get("entity")
    if entity is not None:
        body.append({"type": "TextualBody", "purpose": "identifying", "value": entity})
        motivation.append("identifying")
    if any(doc.get(k) is not None for k in READING):  # a figure (on other tags all four are null)
        reading = orjson.dumps({k: doc.get(k) for k in READING}).decode()
        body.append({"type": "TextualBody", "purpose": "describing", "value": reading, "format": JSON_FORMAT})
        motivation.append("describing")
    linked = doc.get("attributed_to") or ()
    body += [{"type": "SpecificResource", "purpose": "linking", "source": iri(actor)} for actor in linked]
    if linked:
        motivation.append("linking")
    target: dict[str, Any] = {
        "type": "SpecificResource",
        "source": doc["url"],
        "selector": [
            {"type": "TextQuoteSelector", **doc["quote"]},
            {"type": "TextPositionSelector", **doc["position"]},
        ],
    }
    sha = doc["article_sha256"]
    if sha:
        # The version of the article the offsets refer to: named by its text's hash
        # (RFC 6920), so an import knows it, and dated by when it was first seen. A
        # version whose text is not stored (imported from W3C) is dated by the
        # annotation, which was made on it.
        target["state"] = {
            "type": "TimeState",
            "sourceDate": version_dates.get(sha, doc["created"]),
            "cached": version_iri(sha),
        }
    return {
        "@context": CONTEXT,
        "id": iri(doc["id"]),
        "type": "Annotation",
        "motivation": motivation if len(motivation) > 1 else motivation[0],
        "creator": {"type": "Person", "name": doc["annotator"]},
        "created": doc["created"],
        "modified": doc["updated"],
        "body": body,
        "target": target,
    }


# -- reading ---------------------------------------------------------------------------

TYPES = {"AnnotationCollection", "AnnotationPage", "Annotation"}
_URN_UUID = re.compile(r"urn:uuid:(.*)", re.IGNORECASE)


def types(node: dict[str, Any]) -> set[str]:
    """The node's ``type`` values (one or a list), the strings among them."""
    kind = node.get("type")
    values = kind if isinstance(kind, list) else [kind]
    return {v for v in values if isinstance(v, str)}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def check_pages(data: Any, count: int, report: Report) -> None:
    """Check the frame of a collection, a page or a list whose ``count`` annotations were read apart.

    The annotations are a collection's own ``items``, then those of its pages: the
    ``first`` page embedded in it, each next page embedded in the one before (by
    ``next``); a page's ``items`` and its next pages; or the elements of a list.
    The reader left each ``items`` list empty here (see :mod:`newsmark.jsonstream`).
    """
    if isinstance(data, list):
        return
    kinds = types(data)
    if "AnnotationCollection" in kinds:
        if "items" in data:
            _page_items(data, "collection", report)
        if isinstance(data.get("next"), dict):
            report("next", "belongs to a page, not to the collection: embed the first page as first.")
        page, path = data.get("first"), "first"
    else:
        if isinstance(data.get("first"), dict):
            report("first", "belongs to a collection, not to a page.")
        page, path = data, "page"
    pages = 0
    while page is not None:  # a loop, not recursion: older exports chain a page per 1,000 annotations
        if not isinstance(page, dict) or "AnnotationPage" not in types(page):
            report(path, "must be an AnnotationPage embedded in the file (linked pages are not fetched).")
            break
        pages += 1
        _page_items(page, path, report)
        page, path = page.get("next"), f"pages[{pages}]"
    total = data.get("total")
    if "AnnotationCollection" in kinds and isinstance(total, int) and total != count:
        report("total", f"is {total} but the pages hold {count} annotations: is the file cut short?")


def _page_items(page: dict[str, Any], path: str, report: Report) -> None:
    if not isinstance(page.get("items"), list):
        report(f"{path}.items", "must be a list of annotations.")


def _is(node: dict[str, Any], kind: str) -> bool:
    """Whether ``kind`` is among the node's types (as :func:`types`, without building the set)."""
    value = node.get("type")
    return value == kind if isinstance(value, str) else isinstance(value, list) and kind in value


def stored_form(item: Any, path: str, report: Report) -> dict[str, Any] | None:
    """A W3C Annotation as newsmark's stored form, for the stored-form schema to check.

    A value the mapping cannot find is left out, so that the schema names it missing; but
    the fields of schema v2 an annotation holds no body for, which the import fills as a
    create fills them. Its problems are reported in this order: id, body, creator, target.
    """
    if not isinstance(item, dict) or not _is(item, "Annotation"):
        report(path, "is not a W3C Annotation (an object whose type is Annotation).")
        return None
    out: dict[str, Any] = {}
    faults: list[tuple[str, str]] = []
    ident = item.get("id")
    match = _URN_UUID.fullmatch(ident) if isinstance(ident, str) else None
    if match is None:
        faults.append((f"{path}.id", "must be urn:uuid:<UUID> (newsmark's annotation ids are UUIDs)."))
    else:
        out["id"] = match.group(1)
    bodies = _Bodies()
    fault = bodies.read(item.get("body"))
    if fault:
        faults.append((f"{path}.body", fault))
    creator = item.get("creator")
    if isinstance(creator, dict) and "name" in creator:
        out["annotator"] = creator["name"]
    else:
        faults.append((f"{path}.creator", "must be an agent with a name (the coder)."))
    if "created" in item:
        out["created"] = item["created"]
    if "modified" in item:
        out["updated"] = item["modified"]
    target: dict[str, Any] = {}
    faults += _map_target(item.get("target"), f"{path}.target", target)
    for where, reason in faults:
        report(where, reason)
    if faults:
        return None
    return _in_stored_order({**out, **target, **bodies.fields()})


#: The stored form's keys in the order the service writes them (schema v2).
_STORED_ORDER = (
    "id", "url", "tag", "quote", "position", "note", "annotator", "attributed_to", "entity",
    *READING, "article_sha256", "created", "updated", "schema_version",
)  # fmt: skip


def _in_stored_order(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in _STORED_ORDER if k in doc}


_READING_FORM = "JSON text of an object with value, value_high, unit, qualifier (the figure's reading)"


class _Bodies:
    """An annotation's bodies, sorted by purpose."""

    def __init__(self) -> None:
        self.textual: dict[str, list[dict[str, Any]]] = {
            "tagging": [],  # the tag
            "commenting": [],  # the note
            "identifying": [],  # the entity
            "describing": [],  # the figure's reading
        }
        self.actors: list[str] = []  # linking: the actors a claim is attributed to
        self.reading: dict[str, Any] | None = None

    def read(self, body: Any) -> str | None:
        """Sort the bodies; what is wrong with them, if anything."""
        for one in _as_list(body):
            purpose = one.get("purpose") if isinstance(one, dict) else None
            if purpose in self.textual:
                self.textual[purpose].append(one)
            elif purpose == "linking":
                source = one.get("source")
                match = _URN_UUID.fullmatch(source) if isinstance(source, str) else None
                if not _is(one, "SpecificResource") or match is None:
                    return "holds a linking body that is no SpecificResource whose source is urn:uuid:<UUID>."
                self.actors.append(match.group(1))
            else:
                return (
                    "holds a body newsmark cannot keep: only TextualBody with purpose tagging, commenting, "
                    "identifying or describing, and SpecificResource with purpose linking."
                )
        counts = {purpose: len(found) for purpose, found in self.textual.items()}
        if counts["tagging"] != 1 or max(counts.values()) > 1:
            return (
                "must hold exactly one tagging body (the tag) and at most one each of commenting (the "
                "note), identifying (the entity) and describing (the figure's reading)."
            )
        entity, reading = self.textual["identifying"], self.textual["describing"]
        if entity and "value" not in entity[0]:
            return "holds an identifying body without a value (the entity)."
        if reading:
            return self._read_figure(reading[0])
        return None

    def _read_figure(self, body: dict[str, Any]) -> str | None:
        text = body.get("value")
        reading = None
        if body.get("format", JSON_FORMAT) == JSON_FORMAT and isinstance(text, str):
            with contextlib.suppress(orjson.JSONDecodeError):
                reading = orjson.loads(text)
        if not isinstance(reading, dict) or not set(reading) <= set(READING):
            return f"holds a describing body that is not {_READING_FORM}."
        # As in a change through the API: the reading is given whole, what it lacks is null.
        self.reading = {k: reading.get(k) for k in READING}
        if self.reading["qualifier"] is None:
            self.reading["qualifier"] = "exact"
        return None

    def fields(self) -> dict[str, Any]:
        """Tag and note, and the fields of schema v2 the bodies give (the import fills the others)."""
        out: dict[str, Any] = {"schema_version": contract.SCHEMA_VERSION}
        tag, note, entity = (self.textual[p] for p in ("tagging", "commenting", "identifying"))
        if "value" in tag[0]:
            out["tag"] = tag[0]["value"]
        if not note:
            out["note"] = None
        elif "value" in note[0]:  # else left out: the schema names the note missing
            out["note"] = note[0]["value"]
        if self.actors:
            out["attributed_to"] = self.actors
        if entity:
            out["entity"] = entity[0]["value"]
        if self.reading is not None:
            out.update(self.reading)
        return out


def _map_target(target: Any, path: str, out: dict[str, Any]) -> list[tuple[str, str]]:
    """URL, quote, position and version from the target into ``out``; what is wrong, by path."""
    out["article_sha256"] = None
    targets = _as_list(target)
    if len(targets) != 1 or not isinstance(targets[0], dict):
        return [(path, "must be exactly one SpecificResource (the article).")]
    target = targets[0]
    if "source" in target:
        out["url"] = target["source"]
    selectors = {}
    for selector in _as_list(target.get("selector")):
        if isinstance(selector, dict) and isinstance(selector.get("type"), str):
            selectors[selector["type"]] = selector
    quote, position = selectors.get("TextQuoteSelector"), selectors.get("TextPositionSelector")
    if quote is None or position is None:
        return [(f"{path}.selector", "must hold a TextQuoteSelector and a TextPositionSelector.")]
    # Prefix and suffix are optional in the W3C model and always present (maybe empty) in newsmark.
    out["quote"] = {"prefix": "", "suffix": "", **quote}
    del out["quote"]["type"]
    out["position"] = {**position}
    del out["position"]["type"]
    cached = [s["cached"] for s in _as_list(target.get("state")) if isinstance(s, dict) and "cached" in s]
    if len(cached) > 1:
        return [(f"{path}.state", "names more than one article version (cached).")]
    if cached:
        sha = sha256_of_version_iri(cached[0]) if isinstance(cached[0], str) else None
        out["article_sha256"] = sha
        if sha is None:
            return [(f"{path}.state.cached", "must name the article version as ni:///sha-256;<base64url>.")]
    return []
