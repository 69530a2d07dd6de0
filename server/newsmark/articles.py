"""Articles and their versions.

An article is stored once per URL. Each distinct text (by SHA-256) it was seen
with is a version; an annotation records the version its offsets refer to.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from . import contract
from .errors import Invalid, NotFound
from .store import Doc, Store
from .text import is_article_text, text_sha256

TEXT_FORM = (
    "is not in the article text form: paragraphs with runs of white space collapsed to one "
    "space and trimmed, joined by one blank line (\\n\\n), nothing before or after."
)

_VERSION_NUMBER = re.compile(contract.VERSION_NUMBER)


@dataclass(frozen=True)
class Reference:
    """The text an annotation's offsets are checked against, and its version id."""

    text: str
    sha256: str


@dataclass(frozen=True)
class SnapshotPlan:
    """What storing a snapshot will write; made before any write, so it can be refused."""

    url: str
    snapshot: dict[str, str]
    text: Reference
    existing: Doc | None
    new_version: bool


def plan_snapshot(
    store: Store, url: str, snapshot: dict[str, str], text_field: str = "article.text"
) -> SnapshotPlan:
    """:raise Invalid: if the text is not in the article text form (named ``text_field`` in the error)."""
    text = snapshot["text"]
    if not is_article_text(text):
        raise Invalid("The article text is not in the article text form.", {text_field: [TEXT_FORM]})
    sha = text_sha256(text)
    existing = store.get_article(url=url)
    known = existing is not None and any(v["sha256"] == sha for v in store.versions_of(existing["id"]))
    return SnapshotPlan(url, snapshot, Reference(text, sha), existing, new_version=not known)


def metadata(url: str, byline: str, timestamp_text: str, date_published: str | None) -> dict[str, Any]:
    """What the page states about the article, parsed (see :mod:`newsmark.metadata`), with the raw
    ``date_published`` it was parsed from: the keys :data:`newsmark.contract.ARTICLE_METADATA_KEYS`."""
    published, updated, section, authors = _parsed_metadata(url, byline, timestamp_text, date_published)
    return {
        "published": published,
        "updated": updated,
        "section": section,
        "authors": list(authors),
        "date_published": date_published,
    }


@functools.lru_cache(maxsize=4096)
def _parsed_metadata(
    url: str, byline: str, timestamp_text: str, date_published: str | None
) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
    """Remembered: an article and its version state the same, and a migration or an import parses
    thousands (a timestamp line takes dateutil a fifth of a millisecond)."""
    from .metadata import article_metadata  # here: it loads its time zone tables when first needed

    found = article_metadata(url, date_published=date_published, timestamp_text=timestamp_text, byline=byline)
    return found.published, found.updated, found.section, tuple(found.authors)


def apply_snapshot(store: Store, plan: SnapshotPlan, now: str) -> None:
    """Record the snapshot: a new version if the text is new, and the article's latest state."""
    snap = plan.snapshot
    aid = contract.article_id(plan.url)
    fields = {k: snap[k] for k in ("title", "byline", "timestamp_text")}
    about = metadata(plan.url, snap["byline"], snap["timestamp_text"], snap.get("date_published"))
    with store.transaction():
        if plan.new_version:
            store.add_version(
                {
                    "article_id": aid,
                    "sha256": plan.text.sha256,
                    "text": plan.text.text,
                    "first_seen": now,
                    **fields,
                    **about,
                }
            )
        store.put_article(
            {
                "id": aid,
                "url": plan.url,
                **fields,
                "sha256": plan.text.sha256,
                "first_seen": plan.existing["first_seen"] if plan.existing else now,
                "last_seen": now,
                **about,
            }
        )


def check_url(url: str, article_hosts: tuple[str, ...]) -> None:
    """:raise Invalid: if ``url`` is not an article URL on an allowed host."""
    try:
        contract.check_article_url(url, article_hosts)
    except contract.UrlError as exc:
        raise Invalid("The URL is not accepted.", {"url": [f"URL {exc}."]}) from None


def record(
    store: Store, url: str, snapshot: dict[str, str], article_hosts: tuple[str, ...]
) -> tuple[dict[str, Any], bool]:
    """Keep a snapshot of the article at ``url`` (a new version if its text is new).

    :returns: (the article as :func:`view` shows it, True if a version was added).
    :raise Invalid: if the URL is not accepted or the text is not in the article text form.
    """
    check_url(url, article_hosts)
    with store.transaction():
        plan = plan_snapshot(store, url, snapshot, text_field="text")
        apply_snapshot(store, plan, contract.utc_now())
    return view(store, url), plan.new_version


def latest_text(store: Store, url: str) -> Reference | None:
    """The text of the article's latest version, if the article is known."""
    article = store.get_article(url=url)
    if article is None:
        return None
    version = _find_version(store.versions_of(article["id"]), article["sha256"])
    return Reference(version["text"], version["sha256"])


def view(store: Store, key: str, version: str | None = None) -> dict[str, Any]:
    """One version of an article (the latest unless ``version`` names one).

    ``key`` is the article id or its URL; ``version`` a number (1 is the first) or a SHA-256.

    :raise NotFound: for an unknown article or version.
    """
    article = _find_article(store, key)
    versions = store.versions_of(article["id"])
    if version is None:
        chosen = _find_version(versions, article["sha256"])
    elif _VERSION_NUMBER.fullmatch(version):  # not str.isdigit: it takes "²", which int() refuses
        if not 1 <= int(version) <= len(versions):
            raise NotFound(f"Article {article['id']} has {len(versions)} version(s), not {version}.")
        chosen = versions[int(version) - 1]
    else:
        chosen = _find_version(versions, version)
    return {
        "id": article["id"],
        "url": article["url"],
        **{k: chosen[k] for k in ("title", "byline", "timestamp_text", "text", "sha256")},
        "version": versions.index(chosen) + 1,
        "first_seen": chosen["first_seen"],
        "last_seen": article["last_seen"],
        **_metadata_of(chosen, article["url"]),
        "versions": [
            {"version": n, "sha256": v["sha256"], "first_seen": v["first_seen"]}
            for n, v in enumerate(versions, 1)
        ],
        "counts": counts(store, article["url"]),
    }


def page(store: Store, limit: int, cursor: str | None) -> dict[str, Any]:
    docs, next_id, total = store.page_articles(limit=limit, after=int(cursor) if cursor else None)
    items = [summary(store, doc) for doc in docs]
    return {"items": items, "next": str(next_id) if next_id is not None else None, "total": total}


def summary(store: Store, article: Doc) -> dict[str, Any]:
    """An article as listed: its latest state, number of versions and counts per tag."""
    return {
        **article,
        **_metadata_of(article, article["url"]),
        "versions": len(store.versions_of(article["id"])),
        "counts": counts(store, article["url"]),
    }


def counts(store: Store, url: str) -> dict[str, int]:
    """Annotations per tag (every tag present, zero included) and their total."""
    found = store.tag_counts(url)
    result = {tag: found.get(tag, 0) for tag in contract.TAGS}
    result["total"] = sum(found.values())
    return result


def lookup(store: Store, urls: list[tuple[str, str]]) -> dict[str, Any]:
    """Which articles this data folder has seen, and how far each is coded (a listing page's badges).

    ``urls``: (the URL as the client sent it, its normalised form) pairs. An article is seen when
    its text is stored (the extension sends it when the article is opened) or it has annotations
    (an import may bring annotations without the text). Answered from the URL indexes: only
    the annotations of the URLs asked about are read, never the whole table.

    :returns: ``{"articles": {sent URL: {"url", "id", "seen", "counts"}}}``.
    """
    answers: dict[str, dict[str, Any]] = {}
    with store.reading():  # one moment for every URL of the page
        stored = store.stored_article_urls({url for _, url in urls})
        for url in {url for _, url in urls}:
            found = counts(store, url)
            answers[url] = {
                "url": url,
                "id": contract.article_id(url),
                "seen": url in stored or found["total"] > 0,
                "counts": found,
            }
    return {"articles": {sent: answers[url] for sent, url in urls}}


def export_form(store: Store, article: Doc, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """An article with every version's text, as the JSON export holds it (but versions in ``skip``)."""
    versions = store.versions_of(article["id"], skip=skip)
    return {
        **article,
        **_metadata_of(article, article["url"]),
        "versions": [
            {
                "version": n,
                **{k: v[k] for k in ("sha256", "title", "byline", "timestamp_text", "text", "first_seen")},
                **_metadata_of(v, article["url"]),
            }
            for n, v in enumerate(versions, 1)
        ],
    }


def _metadata_of(doc: Doc, url: str) -> dict[str, Any]:
    """The metadata an article or version document keeps; parsed now for one stored before it kept
    them (a data folder the migration could not bring up to date: read as it is)."""
    if all(key in doc for key in contract.ARTICLE_METADATA_KEYS):
        return {key: doc[key] for key in contract.ARTICLE_METADATA_KEYS}
    return metadata(url, doc["byline"], doc["timestamp_text"], doc.get("date_published"))


def find_url(store: Store, key: str) -> str:
    """The URL of the article ``key`` names (its id or its URL): stored, or only coded.

    Annotations can exist without the article's text (imported from a W3C file,
    say), so an article is also found through the URLs annotations were made on.

    :raise NotFound: if no article and no annotation has that id or URL.
    """
    try:
        wanted = str(uuid.UUID(key))
    except ValueError:
        wanted = None
    if wanted is not None:
        article = store.get_article(article_id=wanted)
        if article is not None:
            return article["url"]
        for url in store.annotation_urls():
            if contract.article_id(url) == wanted:
                return url
        raise NotFound(f"No article {key!r}.")
    try:
        url = contract.normalize_url(_restore_slashes(key))
    except contract.UrlError:
        raise NotFound(f"No article {key!r}: give an article id or its URL.") from None
    if store.get_article(url=url) is None and url not in store.annotation_urls():
        raise NotFound(f"No article {key!r}.")
    return url


def _find_article(store: Store, key: str) -> Doc:
    try:
        article = store.get_article(article_id=str(uuid.UUID(key)))
    except ValueError:
        try:
            url = contract.normalize_url(_restore_slashes(key))
        except contract.UrlError:
            raise NotFound(f"No article {key!r}: give an article id or its URL.") from None
        article = store.get_article(url=url)
    if article is None:
        raise NotFound(f"No article {key!r}.")
    return article


def _restore_slashes(key: str) -> str:
    # Some clients and proxies merge the "//" of a URL placed in a path.
    for scheme in ("https:/", "http:/"):
        if key.startswith(scheme) and not key.startswith(scheme + "/"):
            return scheme + "/" + key[len(scheme) :]
    return key


def _find_version(versions: list[Doc], sha256: str) -> Doc:
    for version in versions:
        if version["sha256"] == sha256:
            return version
    raise NotFound(f"No article version with SHA-256 {sha256}.")
