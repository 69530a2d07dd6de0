"""The rules of coding a passage: creating, changing and deleting annotations.

Every check runs before the first write, so a refused request changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from . import articles, contract
from .errors import Conflict, Invalid, NotFound
from .store import TRASH_DAYS, AnnotationFilter, Doc, Store
from .text import quote_mismatches

#: The fields a client chooses; same id with the same values is a retry, not a conflict.
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
    with store.transaction():
        existing = store.get_annotation(annotation_id)
        if existing is not None:
            return _retry_or_conflict(existing, data), False
        snapshot = data["article"]
        plan = articles.plan_snapshot(store, data["url"], snapshot) if snapshot else None
        reference = plan.text if plan else articles.latest_text(store, data["url"])
        if reference is not None:
            _check_quote(reference.text, data)
        now = contract.utc_now()
        doc: Doc = {  # id and url first: the store reads them off the data file (store.TABLES)
            "id": annotation_id,
            "url": data["url"],
            "tag": data["tag"],
            "quote": dict(data["quote"]),
            "position": dict(data["position"]),
            "note": data["note"],
            "annotator": data["annotator"],
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
    """Change the tag and/or the note.

    :raise NotFound: if there is no annotation with that id.
    """
    with store.transaction():
        doc = get(store, annotation_id)
        if any(doc[key] != value for key, value in changes.items()):
            doc.update(changes)
            doc["updated"] = contract.utc_now()
            store.replace_annotation(doc)
    return doc


def delete(store: Store, annotation_id: str) -> None:
    """Move the annotation into the trash, from where :func:`restore` brings it back.

    :raise NotFound: if there is no annotation with that id.
    """
    if not store.delete_annotation(annotation_id, deleted=contract.utc_now()):
        raise NotFound(f"No annotation with id {annotation_id}.")


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
        doc = {key: value for key, value in trashed.items() if key != "deleted"}
        store.restore_annotation(doc)
    return doc


def page(store: Store, flt: AnnotationFilter, limit: int, cursor: str | None) -> dict[str, Any]:
    items, next_id, total = store.page_annotations(flt, limit=limit, after=int(cursor) if cursor else None)
    return {"items": items, "next": str(next_id) if next_id is not None else None, "total": total}


def _retry_or_conflict(existing: Doc, data: dict[str, Any]) -> Doc:
    differing = [key for key in CLIENT_FIELDS if existing[key] != data[key]]
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


def _new_id() -> str:
    return str(uuid.uuid4())
