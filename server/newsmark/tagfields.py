"""The fields each tag carries (schema_version 2): their defaults, and a version 1 annotation brought to 2.

An ``actor`` names its ``entity`` (by default its quote in one line), a ``claim`` the actors it is
``attributed_to``, a ``figure`` its reading (``value``, ``value_high``, ``unit``, ``qualifier``; by
default parsed from the quote by :func:`newsmark.figures.parse_figure`). On the other tags these
fields hold null (``attributed_to``: an empty list): see :data:`newsmark.contract.TAG_FIELDS`.

Creating, changing the tag, importing a version 1 file and opening a version 1 data folder all
fill them here, so that they fill them alike.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from . import contract

log = logging.getLogger(__name__)

FIGURE_FIELDS = contract.TAG_FIELDS["figure"]


def empty_fields() -> dict[str, Any]:
    """The fields of no tag: each as it is on a tag it does not apply to (a new list each time)."""
    return {name: [] if name == "attributed_to" else None for name in contract.NOT_APPLICABLE}


def filled(tag: str, exact: str, given: dict[str, Any]) -> dict[str, Any]:
    """The tag fields of an annotation tagged ``tag`` with quote ``exact``, in their stored order.

    ``given``: what the client sent (a field left out or null is not given). An actor without an
    entity gets its quote in one line; a figure for which none of its fields is given gets the
    parse of its quote; if some are given they are the figure's reading, the others null and the
    qualifier ``exact``. A field of another tag is left at its empty value (the schema refused it).
    """
    out = empty_fields()
    if tag == "actor":
        entity = given.get("entity")
        out["entity"] = entity if entity is not None else contract.default_entity(exact)
    elif tag == "claim":
        out["attributed_to"] = list(given.get("attributed_to") or [])
    else:
        sent = {name: given[name] for name in FIGURE_FIELDS if given.get(name) is not None}
        if sent:
            out.update(sent)
            out["qualifier"] = sent.get("qualifier", "exact")
        else:
            out.update(figure_reading(exact))
    return out


def figure_given(given: dict[str, Any]) -> bool:
    """Whether the client sent a figure's reading (any of its fields, not null)."""
    return any(given.get(name) is not None for name in FIGURE_FIELDS)


Reading = tuple[float | None, float | None, str | None, str]

#: Figure readings by quote: a study codes the same phrases again and again ("at least 16 people"),
#: and a parse takes quantulum3 1 to 2 ms. Emptied when it grows past :data:`_MAX_REMEMBERED`.
_readings: dict[str, Reading] = {}
_readings_lock = threading.Lock()
_MAX_REMEMBERED = 200_000
#: From this many quotes to parse at once (a migration, an import), they are parsed in parallel.
PARALLEL_FROM = 1_000


def _parsed(exact: str) -> Reading:
    found = _readings.get(exact)
    if found is None:
        found = _parse(exact)
        with _readings_lock:
            if len(_readings) >= _MAX_REMEMBERED:
                _readings.clear()
            _readings[exact] = found
    return found


def _parse(exact: str) -> Reading:
    from .figures import parse_figure  # here: the parser loads its tables once, when first needed

    reading = parse_figure(exact).as_dict()
    return _sound(
        reading.get("value"), reading.get("value_high"), reading.get("unit"), reading.get("qualifier")
    )


def _parse_all(quotes: list[str]) -> list[Reading]:
    return [_parse(exact) for exact in quotes]


def parse_figures(quotes: Iterable[str]) -> None:
    """Parse the figure quotes not read yet, ahead of :func:`figure_reading` (which then finds them)."""
    start_parsing(quotes)()


def start_parsing(quotes: Iterable[str]) -> Callable[[], None]:
    """Start parsing the figure quotes not read yet; :returns: the function that waits for the end.

    Many at once (a version 1 data folder of 100,000 annotations holds thousands of distinct figure
    quotes, each taking the parser 1 to 2 ms) are spread over the machine's processors: worker
    processes forked from this one, which has the parser's tables loaded already, while this one
    goes on with other work until it waits. Where processes cannot be forked (not Linux), or a
    worker fails, the quotes are parsed here, one after the other, when it waits.
    """
    todo = list(dict.fromkeys(q for q in quotes if q not in _readings))
    workers = min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_FROM or workers < 2 or sys.platform != "linux":
        return lambda: _parse_here(todo)
    _parsed(todo.pop())  # the parser's tables loaded before the fork, so no worker loads them again
    chunks = [todo[start : start + 250] for start in range(0, len(todo), 250)]
    try:
        pool = multiprocessing.get_context("fork").Pool(workers)
        pending = pool.map_async(_parse_all, chunks)
    except Exception:  # no fork here, or no resources for it: parsed here when waited for
        log.warning("parsing figures in parallel failed; parsing them one by one", exc_info=True)
        return lambda: _parse_here(todo)

    def finish() -> None:
        try:
            for chunk, readings in zip(chunks, pending.get(), strict=True):
                with _readings_lock:
                    _readings.update(zip(chunk, readings, strict=True))
        except Exception:  # a worker that died: what is left is parsed below
            log.warning("parsing figures in parallel failed; parsing them one by one", exc_info=True)
        finally:
            pool.terminate()
            pool.join()
        _parse_here(todo)

    return finish


def _parse_here(quotes: list[str]) -> None:
    for exact in quotes:
        _parsed(exact)


def figure_reading(exact: str) -> dict[str, Any]:
    """The figure fields parsed from ``exact`` (remembered by quote)."""
    value, high, unit, qualifier = _parsed(exact)
    return {"value": value, "value_high": high, "unit": unit, "qualifier": qualifier}


def _sound(
    value: Any, high: Any, unit: Any, qualifier: Any
) -> tuple[float | None, float | None, str | None, str]:
    """A parse as the contract takes it: finite floats, a unit of one line within the limit, a
    known qualifier, and a high end only for a range at or above its low end (else the parse's
    low end stands alone)."""
    value = _number(value)
    high = _number(high)
    if qualifier not in contract.QUALIFIERS:
        qualifier = "exact"
    if high is not None and (qualifier != "range" or value is None or high < value):
        high = None
    if isinstance(unit, str):
        unit = contract.collapse_space(unit)[: contract.MAX_UNIT].rstrip() or None
    else:
        unit = None
    return value, high, unit, qualifier


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def upgraded(doc: dict[str, Any]) -> dict[str, Any]:
    """An annotation of schema_version 1 as version 2 (its own fields as they were, the tag's filled).

    Its ``updated`` stays: nothing the coder did changed, and an import of the same annotation from
    a version 1 file then finds it unchanged. Keys it has beyond the annotation's (a trash entry's
    ``deleted``) follow.
    """
    fields = filled(doc["tag"], doc["quote"]["exact"], {})
    out = {key: fields[key] if key in fields else doc[key] for key in contract.ANNOTATION_KEYS[:-1]}
    out["schema_version"] = contract.SCHEMA_VERSION
    for key, value in doc.items():
        if key not in out:
            out[key] = value
    return out


def is_current(doc: dict[str, Any]) -> bool:
    """Whether a stored annotation is of this schema version (has every key of it)."""
    return doc.get("schema_version") == contract.SCHEMA_VERSION and all(
        key in doc for key in contract.NOT_APPLICABLE
    )
