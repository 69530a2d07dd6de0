"""Read a large JSON document a piece at a time: its big lists go element by element to a callback.

An import file is mostly one or two long lists (a JSON export's ``annotations``,
a W3C page's ``items``). Parsed whole, a file takes two to three times its size in
Python objects on top of its bytes; read here, memory holds one element at a time.

The bytes are parsed by ijson's C backend (yajl) into events, a chunk at a time.
Python walks only the *skeleton*, the few objects the caller names (the top
object, a W3C collection's pages); every other value, and every element of a list
the caller wants *spread*, is built from its events by ijson's C builder, handed
a whole slice of events at once. Where a value ends is found from the nesting
depth after each event, computed for the chunk by C functions too, so the cost
per event stays in C and the whole read is linear in the file's size.

A document nested deeper than :data:`MAX_DEPTH` is refused before any of it is
built (as orjson does), and an object of the skeleton may not repeat a key (a
JSON reader would keep the last value; an import must not guess).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from itertools import accumulate, repeat
from operator import itemgetter
from typing import IO, Any

import ijson
from ijson.utils import sendable_list

#: Deeper than this, a document is refused: orjson's limit, which the import had before.
MAX_DEPTH = 1024
#: Bytes read at a time.
CHUNK = 1 << 16

Path = tuple[str, ...]

_backend = ijson.get_backend(ijson.backend)  # the C backend where the wheel has it (it usually does)
_DEPTH_CHANGE = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}
_event_name = itemgetter(0)
_STARTS = ("start_map", "start_array")


class NotJson(ValueError):
    """The bytes are not one JSON document (the message says where and why)."""


class _Builder:
    """Builds values from slices of basic events in C: the value itself, or each element of a list."""

    def __init__(self, elements: bool) -> None:
        self.out = sendable_list()
        # "item" picks the elements of the list the events start with; "" the value itself.
        self.send = _backend.parse_basecoro(
            _backend.items_basecoro(self.out, "item" if elements else "")
        ).send

    def feed(self, events: list[tuple[str, Any]]) -> list[Any]:
        deque(map(self.send, events), maxlen=0)
        done = list(self.out)
        self.out.clear()
        return done


class _Frame:
    """An object (or the top-level list) of the skeleton, being read event by event."""

    __slots__ = ("key", "path", "value")

    def __init__(self, path: Path, value: dict[str, Any]) -> None:
        self.path = path
        self.value = value
        self.key: str | None = None


class _Reader:
    def __init__(
        self,
        skeleton: Callable[[Path], bool],
        spread: Callable[[Path], bool],
        element: Callable[[Path, Any], None],
    ) -> None:
        self.skeleton = skeleton
        self.spread = spread
        self.element = element
        self.depth = 0
        self.frames: list[_Frame] = []
        self.result: list[Any] = []  # the top-level value, once known
        # The value being built from slices (until depth falls back to ``base``).
        self.builder: _Builder | None = None
        self.building: Path = ()
        self.spreading = False
        self.base = 0

    def consume(self, events: list[tuple[str, Any]]) -> None:
        # depths[i]: the depth before event i; depths[i + 1], after it.
        depths = list(
            accumulate(map(_DEPTH_CHANGE.get, map(_event_name, events), repeat(0)), initial=self.depth)
        )
        if max(depths) > MAX_DEPTH:
            raise NotJson(f"it is nested deeper than {MAX_DEPTH} levels")
        self.depth = depths[-1]
        i, count = 0, len(events)
        while i < count:
            if self.builder is not None:
                try:
                    end = depths.index(self.base, i + 1)
                except ValueError:
                    end = count
                self._build(events[i:end], finished=end < count or depths[-1] == self.base)
                i = end
                continue
            self._skeleton_event(*events[i], depth=depths[i])
            i += 1

    def _build(self, events: list[tuple[str, Any]], *, finished: bool) -> None:
        assert self.builder is not None
        built = self.builder.feed(events)
        if self.spreading:
            for value in built:
                self.element(self.building, value)
        elif built:
            self._place(built[0])
        if finished:
            self.builder = None

    def _skeleton_event(self, event: str, value: Any, *, depth: int) -> None:
        frame = self.frames[-1] if self.frames else None
        if event == "map_key":
            assert frame is not None
            if value in frame.value:
                raise NotJson(f"the key {value!r} appears twice in one object")
            frame.key = value
            return
        if event == "end_map":
            self.frames.pop()
            return
        path = (*frame.path, frame.key) if frame is not None and frame.key is not None else ()
        if event == "start_map" and self.skeleton(path):
            child: dict[str, Any] = {}
            self._place(child)
            self.frames.append(_Frame(path, child))
        elif event in _STARTS:
            self.spreading = event == "start_array" and self.spread(path)
            if self.spreading:
                self._place([])  # a placeholder: the elements went to the callback
            self.builder = _Builder(self.spreading)
            self.building = path
            self.base = depth
            self.builder.feed([(event, value)])
        else:
            self._place(value)

    def _place(self, value: Any) -> None:
        if not self.frames:
            self.result.append(value)
            return
        frame = self.frames[-1]
        assert frame.key is not None
        frame.value[frame.key] = value
        frame.key = None


def read(
    source: IO[bytes],
    *,
    skeleton: Callable[[Path], bool],
    spread: Callable[[Path], bool],
    element: Callable[[Path, Any], None],
) -> Any:
    """Parse the JSON document in ``source`` (bytes, read to its end).

    :param skeleton: whether the object at a path (a tuple of keys from the top, ``()``
        the top itself) is walked key by key, so that lists in it can be spread.
    :param spread: whether the list at a path (the top-level list at ``()``, or a
        value in a skeleton object) is spread: ``element(path, value)`` is called
        for each of its elements in order, and the list is left empty in the result.
    :returns: the document, as ``orjson.loads`` would give it but for the spread lists
        (and numbers with a fraction, which come as ``decimal.Decimal``).
    :raise NotJson: if the bytes are not one JSON document.
    """
    reader = _Reader(skeleton, spread, element)
    events = sendable_list()
    parser = _backend.basic_parse_basecoro(events)
    try:
        while chunk := source.read(CHUNK):
            parser.send(chunk)
            reader.consume(events)
            events.clear()
        parser.close()
        reader.consume(events)
    except ijson.JSONError as exc:
        raise NotJson(str(exc).strip().splitlines()[0]) from None
    if not reader.result:
        raise NotJson("it is empty")
    return reader.result[0]
