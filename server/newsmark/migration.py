"""What an earlier version stored, brought up to this version's rules when a store opens.

**URLs** are normalised as :func:`newsmark.contract.normalize_url` does now: the path's
characters that RFC 3986/3987 do not allow (``" < > \\ ^ ` { | }``, non-ASCII, a stray
``%``) percent-encoded, so that every export holds valid IRIs. An article's id is derived
from its URL, so an article whose URL changes gets the new URL's id and its versions
follow it; where the new URL is already stored (the same page saved once as ``a|b`` and
once as ``a%7Cb``), the two merge: versions by SHA-256, numbered in the order they were
first seen, the latest state of the one seen last. Annotations name their article by URL
and keep their own ids, ``created`` and ``updated``.

It reads only the indexes (every stored URL), so opening a large store costs nothing
more. Everything is one transaction; when there is nothing to change, nothing is written
(a read-only copy of a data folder opens as it is).

Left as they are, because finding them would read every document at every open, or
because no rewriting would be right: notes stored with CR line breaks (the import
compares them as LF; see :func:`newsmark.importing.plan`), and names and titles holding
control characters refused now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from . import contract
from .schemas import time_key
from .store import AnnotationFilter, Store

log = logging.getLogger(__name__)


@dataclass
class Upgrade:
    """What opening the store changed (or would have, for ``kept``)."""

    urls: dict[str, str] = field(default_factory=dict)  # old URL -> new URL
    merged: list[str] = field(default_factory=list)  # new URLs two stored articles merged into
    kept: dict[str, str] = field(default_factory=dict)  # URL left as it is -> why

    def __bool__(self) -> bool:
        return bool(self.urls)


def upgrade(store: Store) -> Upgrade:
    """Rewrite what earlier versions stored and this one would store otherwise; see the module."""
    done = Upgrade()
    stored_urls = set(store.annotation_urls()) | set(store.article_urls())
    for url in sorted(stored_urls):
        try:
            new = contract.normalize_url(url)
        except contract.UrlError as exc:
            done.kept[url] = f"URL {exc}"
            continue
        if len(new) > contract.MAX_URL:
            done.kept[url] = f"URL is {len(new)} characters once percent-encoded, over {contract.MAX_URL}"
        elif new != url:
            done.urls[url] = new
    for url, why in done.kept.items():
        log.warning("left a stored URL as it is (%s): %s", why, url)
    if not done:
        return done
    with store.transaction():
        for old, new in done.urls.items():
            for doc in store.annotations_matching(AnnotationFilter(url=old)):
                store.replace_annotation({**doc, "url": new})
        for old, new in done.urls.items():
            if _move_article(store, old, new):
                done.merged.append(new)
    log.info(
        "brought the store up to date: %d URL(s) percent-encoded (%d article(s) merged)",
        len(done.urls),
        len(done.merged),
    )
    return done


def _move_article(store: Store, old: str, new: str) -> bool:
    """Give the article at ``old`` the URL ``new`` and its id; :returns: True if it merged into one there."""
    article = store.get_article(url=old)
    if article is None:
        return False  # only annotations name that URL (their article's text was never stored)
    versions = store.versions_of(article["id"])
    store.remove_article(article["id"])
    new_id = contract.article_id(new)
    moved = {"id": new_id, "url": new, **{k: v for k, v in article.items() if k not in ("id", "url")}}
    there = store.get_article(url=new)
    if there is None:
        store.put_article(moved)
        store.set_versions(new_id, [{**v, "article_id": new_id} for v in versions])
        return False
    merged = {v["sha256"]: v for v in store.versions_of(new_id)}
    for version in versions:  # one text seen under both spellings: first seen when first seen under either
        same = merged.get(version["sha256"])
        if same is None or time_key(version["first_seen"]) < time_key(same["first_seen"]):
            merged[version["sha256"]] = {**version, "article_id": new_id}
    # Stable: versions first seen at the same time keep the order they had.
    store.set_versions(new_id, sorted(merged.values(), key=lambda v: time_key(v["first_seen"])))
    latest = moved if time_key(moved["last_seen"]) > time_key(there["last_seen"]) else there
    store.put_article(
        {
            "id": new_id,
            "url": new,
            **{k: latest[k] for k in ("title", "byline", "timestamp_text", "sha256")},
            "first_seen": min(there["first_seen"], moved["first_seen"], key=time_key),
            "last_seen": latest["last_seen"],
        }
    )
    return True
