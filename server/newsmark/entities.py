"""Entities: the study's list of actors, by the canonical name (``entity``) their annotations carry.

"Kirby", "John Kirby" and "National Security Council spokesman John Kirby" coded as actors are one
entity once they carry the same ``entity``; the quotes coded under it are its aliases. Renaming
entities (a merge, when the new name exists) changes every actor annotation that carries them in
one transaction: all of them, durably, or none.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from . import contract
from .errors import NotFound
from .store import AnnotationFilter, Doc, Store


@dataclass
class _Entity:
    name: str
    actors: int = 0
    aliases: Counter[str] = field(default_factory=Counter)
    claims: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.name,
            "actors": self.actors,
            "aliases": [alias for alias, _ in sorted(self.aliases.items(), key=lambda a: (-a[1], a[0]))],
            "claims": len(self.claims),
            "articles": len(self.urls),
        }


#: Each open store's entities as of one store generation: typing a name asks for them at each key.
_cache: weakref.WeakKeyDictionary[Store, tuple[tuple[int, int], list[dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)
_cache_lock = threading.Lock()


def listing(store: Store, q: str | None = None) -> dict[str, Any]:
    """``{"entities": [...]}``, the most frequent (most actor annotations) first.

    Each: ``entity``, ``actors`` (how many actor annotations carry it), ``aliases`` (the distinct
    quotes coded under it, in one line, most frequent first), ``claims`` (claims attributed to any
    of those actors), ``articles`` (distinct URLs of those actors). ``q``: only entities whose name
    or an alias holds it, in any case.
    """
    listed = _all(store)
    if q:
        needle = q.casefold()
        listed = [
            e
            for e in listed
            if needle in e["entity"].casefold() or any(needle in a.casefold() for a in e["aliases"])
        ]
    return {"entities": listed}


def _all(store: Store) -> list[dict[str, Any]]:
    with store.reading():
        generation = store.generation
        with _cache_lock:
            cached = _cache.get(store)
        if cached is not None and cached[0] == generation:
            return cached[1]
        actors, claims = [], []
        for doc in store.all_annotations():  # one pass; the stored documents, read only
            tag = doc["tag"]
            if tag == "actor":
                actors.append(doc)
            elif tag == "claim" and doc.get("attributed_to"):
                claims.append(doc)
        found: dict[str, _Entity] = {}
        entity_of: dict[str, _Entity] = {}
        for actor in actors:
            name = actor.get("entity") or contract.default_entity(actor["quote"]["exact"])
            entity = found.get(name)
            if entity is None:
                entity = found[name] = _Entity(name)
            entity.actors += 1
            entity.aliases[_alias(actor["quote"]["exact"])] += 1
            entity.urls.add(actor["url"])
            entity_of[actor["id"]] = entity
        for claim in claims:
            for ident in claim.get("attributed_to") or ():
                if ident in entity_of:
                    entity_of[ident].claims.add(claim["id"])
        listed = [
            e.as_dict() for e in sorted(found.values(), key=lambda e: (-e.actors, e.name.casefold(), e.name))
        ]
        with _cache_lock:
            _cache[store] = (generation, listed)
        return listed


@functools.lru_cache(maxsize=65_536)
def _alias(exact: str) -> str:
    """A quote as an alias: in one line (a study codes the same names again and again)."""
    return contract.collapse_space(exact)


def rename(store: Store, names: list[str], to: str, *, dry_run: bool = False) -> dict[str, Any]:
    """Give every actor whose entity is one of ``names`` the entity ``to``, in one transaction.

    A merge when ``to`` is an entity already. Actors whose entity is ``to`` already are left as they
    are; the others' ``updated`` changes.

    :returns: ``{"changed", "entity", "dry_run", "merged", "from", "annotations"}``: how many actor
        annotations change (would change, in a dry run), the new name, whether it existed, the
        annotations per name given, and the ids of those that change.
    :raise NotFound: naming ``from``, if no actor carries any of ``names``; nothing is written.
    """
    wanted = dict.fromkeys(names)
    with store.reading() if dry_run else store.transaction():
        actors = store.annotations_matching(AnnotationFilter(tag="actor"))
        carrying = [actor for actor in actors if actor.get("entity") in wanted]
        if not carrying:
            raise NotFound(
                "No actor carries any of those entities; nothing was renamed.",
                {"from": [f"No entity named {', '.join(repr(n) for n in wanted)}."]},
            )
        merged = any(actor.get("entity") == to for actor in actors)
        changing: list[Doc] = [actor for actor in carrying if actor["entity"] != to]
        if not dry_run and changing:
            now = contract.utc_now()
            for actor in changing:
                store.replace_annotation({**actor, "entity": to, "updated": now})
    per_name = Counter(actor["entity"] for actor in carrying)
    return {
        "changed": len(changing),
        "entity": to,
        "dry_run": dry_run,
        "merged": merged,
        "from": {name: per_name.get(name, 0) for name in wanted},
        "annotations": [actor["id"] for actor in changing],
    }
