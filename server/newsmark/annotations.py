"""The rules of coding a passage: creating, changing and deleting annotations.

Every check runs before the first write, so a refused request changes nothing.

A claim names the actors it is attributed to by their ids. No id ever dangles: when an actor is
deleted or stops being an actor, its id leaves every claim in the same transaction (those claims'
``updated`` changes), and the trash entry of a deleted actor records them (``unlinked``), so that a
restore puts the links back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from . import articles, contract, tagfields
from .errors import Conflict, Invalid, NotFound
from .schemas import tag_field_problems
from .store import TRASH_DAYS, AnnotationFilter, Doc, Store
from .text import quote_mismatches

#: The fields a client chooses; same id with the same values is a retry, not a conflict. The fields of
#: the tag count when the client gave them (else the service filled them, and they may have changed since).
CLIENT_FIELDS = ("url", "tag", "quote", "position", "note", "annotator")


@dataclass(frozen=True)
class Rules:
    """The settings that decide what is accepted."""

    article_hosts: tuple[str, ...] = contract.DEFAULT_ARTICLE_HOSTS


def create(store: Store, data: dict[str, Any], rules: Rules) -> tuple[Doc, bool]:
    """Store a new annotation (``data`` as loaded by ``AnnotationCreateSchema``).

    :returns: (the stored annotation, True if it was created now; False for a retry).
    :raise Invalid: if the URL's host is not allowed or the quote does not fit the text.
    :raise Conflict: if the id is taken by an annotation with other content.
    """
    articles.check_url(data["url"], rules.article_hosts)
    annotation_id = data["id"] or _new_id()
    fields = tagfields.filled(data["tag"], data["quote"]["exact"], data)
    with store.transaction():
        existing = store.get_annotation(annotation_id)
        if existing is not None:
            return _retry_or_conflict(existing, data), False
        snapshot = data["article"]
        plan = articles.plan_snapshot(store, data["url"], snapshot) if snapshot else None
        reference = plan.text if plan else articles.latest_text(store, data["url"])
        if reference is not None:
            _check_quote(reference.text, data)
        _check_actors(store, data["url"], fields["attributed_to"], annotation_id)
        now = contract.utc_now()
        doc: Doc = {  # id, url and tag first: the store reads them off the data file (store.TABLES)
            "id": annotation_id,
            "url": data["url"],
            "tag": data["tag"],
            "quote": dict(data["quote"]),
            "position": dict(data["position"]),
            "note": data["note"],
            "annotator": data["annotator"],
            **fields,
            "article_sha256": reference.sha256 if reference else None,
            "created": now,
            "updated": now,
            "schema_version": contract.SCHEMA_VERSION,
        }
        if plan:
            articles.apply_snapshot(store, plan, now)
        store.insert_annotation(doc)
    return doc, True


def get(store: Store, annotation_id: str) -> Doc:
    """:raise NotFound: if there is no annotation with that id."""
    doc = store.get_annotation(annotation_id)
    if doc is None:
        raise NotFound(f"No annotation with id {annotation_id}.")
    return doc


def update(store: Store, annotation_id: str, changes: dict[str, Any]) -> Doc:
    """Change the tag, the note and the fields of the tag (``changes`` as ``AnnotationPatchSchema`` loads).

    A field of the tag given replaces the stored one (null included). A new tag drops the old tag's
    fields and fills its own: from ``changes``, else by default (see :func:`newsmark.tagfields.filled`).
    An actor that stops being one leaves every claim attributed to it.

    :raise NotFound: if there is no annotation with that id.
    :raise Invalid: naming the field, if a field does not apply to the tag or breaks its rules, or an
        attributed id is not an actor on the same article; nothing is changed.
    """
    with store.transaction():
        doc = get(store, annotation_id)
        old_tag, tag = doc["tag"], changes.get("tag", doc["tag"])
        given = {key: value for key, value in changes.items() if key in contract.NOT_APPLICABLE}
        if tag != old_tag:
            fields = tagfields.filled(tag, doc["quote"]["exact"], given)
        else:
            fields = {key: doc.get(key, empty) for key, empty in tagfields.empty_fields().items()}
            fields.update({key: value for key, value in given.items() if key in contract.TAG_FIELDS[tag]})
        misplaced = {key: value for key, value in given.items() if key not in contract.TAG_FIELDS[tag]}
        problems = tag_field_problems({"tag": tag, **fields, **misplaced}, complete=True)
        if problems:
            raise Invalid(f"The fields do not fit a {tag} annotation.", problems)
        if fields["attributed_to"] != doc.get("attributed_to"):
            _check_actors(store, doc["url"], fields["attributed_to"], annotation_id)
        changed = _in_order(
            {**doc, "tag": tag, "note": changes.get("note", doc["note"]), **fields},
            schema_version=contract.SCHEMA_VERSION,
        )
        if changed != doc:
            now = contract.utc_now()
            changed["updated"] = now
            if old_tag == "actor" and tag != "actor":
                _unlink(store, doc, now)
            store.replace_annotation(changed)
            doc = changed
    return doc


def delete(store: Store, annotation_id: str) -> None:
    """Move the annotation into the trash, from where :func:`restore` brings it back.

    An actor leaves the claims attributed to it, in the same transaction; its trash entry
    lists them (``unlinked``).

    :raise NotFound: if there is no annotation with that id.
    """
    with store.transaction():
        doc = get(store, annotation_id)
        now = contract.utc_now()
        unlinked = _unlink(store, doc, now) if doc["tag"] == "actor" else None
        store.delete_annotation(annotation_id, deleted=now, unlinked=unlinked)


def restore(store: Store, annotation_id: str) -> Doc:
    """Undo a delete: store the very annotation that was deleted again (same id, times and fields).

    :raise NotFound: if the trash holds no annotation with that id (never deleted, restored
        already, or purged after :data:`TRASH_DAYS` days).
    :raise Conflict: if an annotation with that id is stored again; nothing is changed.
    """
    with store.transaction():
        trashed = store.get_trashed(annotation_id)
        if trashed is None:
            raise NotFound(
                f"No deleted annotation with id {annotation_id} in the trash "
                f"(deleted annotations are kept {TRASH_DAYS} days)."
            )
        if store.get_annotation(annotation_id) is not None:
            raise Conflict(
                f"Annotation {annotation_id} is stored again since it was deleted; nothing was restored.",
                {"id": ["is in use by a stored annotation."]},
            )
        doc = {key: value for key, value in trashed.items() if key not in ("deleted", "unlinked")}
        if doc["tag"] == "claim":
            # Actors deleted (or retagged) while the claim was in the trash: their links are gone.
            gone = set(doc["attributed_to"]) - _actor_ids(store, doc["url"], doc["attributed_to"])
            doc["attributed_to"] = [key for key in doc["attributed_to"] if key not in gone]
        store.restore_annotation(doc)
        if doc["tag"] == "actor":
            _relink(store, doc, trashed.get("unlinked") or [])
    return doc


def page(store: Store, flt: AnnotationFilter, limit: int, cursor: str | None) -> dict[str, Any]:
    items, next_id, total = store.page_annotations(flt, limit=limit, after=int(cursor) if cursor else None)
    return {"items": items, "next": str(next_id) if next_id is not None else None, "total": total}


def _retry_or_conflict(existing: Doc, data: dict[str, Any]) -> Doc:
    given = [key for key in contract.NOT_APPLICABLE if data.get(key) is not None]
    differing = [key for key in (*CLIENT_FIELDS, *given) if existing.get(key) != data[key]]
    if differing:
        raise Conflict(
            f"Annotation {existing['id']} exists with other content (differs in: {', '.join(differing)}).",
            {key: ["differs from the stored annotation."] for key in differing},
        )
    return existing


def _check_quote(text: str, data: dict[str, Any]) -> None:
    quote, pos = data["quote"], data["position"]
    problems = quote_mismatches(
        text, quote["exact"], quote["prefix"], quote["suffix"], pos["start"], pos["end"]
    )
    if problems:
        raise Invalid(
            "The quote does not match the article text at the given position.",
            {field: [reason] for field, reason in problems.items()},
        )


def _check_actors(store: Store, url: str, ids: list[str], claim_id: str) -> None:
    """:raise Invalid: naming ``attributed_to``, if an id is not an actor annotation on ``url``
    (the claim ``claim_id`` itself is none: it is a claim)."""
    problems = []
    for ident in ids:
        actor = store.get_annotation(ident)
        if ident == claim_id:
            problems.append(f"{ident} is this claim itself, not an actor.")
        elif actor is None:
            problems.append(f"{ident} is no stored annotation.")
        elif actor["tag"] != "actor":
            problems.append(f"{ident} is a {actor['tag']}, not an actor.")
        elif actor["url"] != url:
            problems.append(f"{ident} is an actor on another article ({actor['url']}).")
    if problems:
        raise Invalid(
            "A claim is attributed to actor annotations on the same article only.",
            {"attributed_to": problems},
        )


def _actor_ids(store: Store, url: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` are actors on ``url``."""
    found = set()
    for ident in ids:
        actor = store.get_annotation(ident)
        if actor is not None and actor["tag"] == "actor" and actor["url"] == url:
            found.add(ident)
    return found


def _claims_of(store: Store, actor: Doc) -> list[Doc]:
    """The claims attributed to ``actor`` (on its article: no other may name it), as stored: read only."""
    claims = store.annotations_matching(AnnotationFilter(url=actor["url"], tag="claim"))
    return [claim for claim in claims if actor["id"] in claim.get("attributed_to", ())]


def _unlink(store: Store, actor: Doc, now: str) -> list[str]:
    """Take ``actor`` out of every claim attributed to it (inside a transaction); :returns: their ids."""
    unlinked = []
    for claim in _claims_of(store, actor):
        kept = [key for key in claim["attributed_to"] if key != actor["id"]]
        store.replace_annotation({**claim, "attributed_to": kept, "updated": now})
        unlinked.append(claim["id"])
    return unlinked


def _relink(store: Store, actor: Doc, claim_ids: list[str]) -> None:
    """Attribute the claims ``claim_ids`` to ``actor`` again, those still stored as claims on its article."""
    now = contract.utc_now()
    for ident in claim_ids:
        claim = store.get_annotation(ident)
        if claim is None or claim["tag"] != "claim" or claim["url"] != actor["url"]:
            continue
        linked = claim["attributed_to"]
        if actor["id"] in linked or len(linked) >= contract.MAX_ATTRIBUTED:
            continue
        store.replace_annotation({**claim, "attributed_to": [*linked, actor["id"]], "updated": now})


def _in_order(doc: Doc, **overrides: Any) -> Doc:
    """``doc`` with its keys in the stored order (:data:`newsmark.contract.ANNOTATION_KEYS`)."""
    merged = {**doc, **overrides}
    return {key: merged[key] for key in contract.ANNOTATION_KEYS}


def _new_id() -> str:
    return str(uuid.uuid4())
