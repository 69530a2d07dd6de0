"""Read a large JSON document a piece at a time: its big lists go element by element to a callback.

An import file is mostly one or two long lists (a JSON export's ``annotations``,
a W3C page's ``items``). Parsed whole, a file takes two to three times its size in
Python objects on top of its bytes; read here, memory holds about one element at a
time and the text of a chunk.

Python's own JSON decoder (its C scanner, through ``JSONDecoder.raw_decode``)
decodes each element and every other value; this module walks only the
*skeleton* around them, the few objects the caller names (the top object, a
W3C collection's pages): their keys, colons and commas. Reading is linear in the
file's size: a value cut by the end of a chunk is decoded again once more text
is in, and the text read each time grows while a value stays unfinished.

The decoding is as strict as orjson's (which reads the rest of newsmark's JSON):
no NaN or Infinity, no lone UTF-16 surrogate, valid UTF-8 without a byte order
mark, at most :data:`MAX_DEPTH` levels of skeleton (a value nested deeper than
Python's recursion limit is refused too); and an object of the skeleton may not
repeat a key (a JSON reader would keep the last value; an import must not guess).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import IO, Any

import orjson

#: Skeleton objects nested deeper than this are refused (orjson's limit for any value).
MAX_DEPTH = 1024
#: Bytes read at a time (more while one value is unfinished).
CHUNK = 1 << 20

Path = tuple[str, ...]

_SPACE = re.compile(r"[ \t\n\r]*")
#: A \uD800–\uDFFF escape: decoded, it may leave a lone surrogate (which is no text).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class NotJson(ValueError):
    """The bytes are not one JSON document (the message says where and why)."""


def _no_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON value")


_decode = json.JSONDecoder(parse_constant=_no_constant).raw_decode


class _Text:
    """The document's text, decoded from the bytes a chunk at a time; the text consumed is let go."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.text = ""
        self.pos = 0
        self.dropped = 0  # characters let go before ``text``
        self.ended = False
        self.want = CHUNK
        self.escapes = False  # a surrogate escape was seen: check decoded values

    def more(self) -> bool:
        """Read on (twice as much as last time if nothing was consumed since); False at the end."""
        if self.ended:
            return False
        data = self.source.read(self.want)
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise NotJson(f"it is not UTF-8 ({exc.reason})") from None
        self.ended = not data
        self.dropped += self.pos
        seen = max(0, len(self.text) - self.pos - 5)  # an escape may straddle the chunks
        self.text = self.text[self.pos :] + text
        self.pos = 0
        self.escapes = self.escapes or _SURROGATE_ESCAPE.search(self.text, seen) is not None
        self.want *= 2
        return True

    def where(self, pos: int | None = None) -> str:
        return f"at character {self.dropped + (self.pos if pos is None else pos):,}"

    def peek(self) -> str:
        """The next character that is not white space ("" at the end); not consumed."""
        while True:
            if self.pos < len(self.text) and self.text[self.pos] not in " \t\n\r":
                self.want = CHUNK
                return self.text[self.pos]  # the usual case: compact JSON has no white space
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                self.want = CHUNK
                return self.text[self.pos]
            if not self.more():
                return ""

    def expect(self, chars: str) -> str:
        """Consume the next character, one of ``chars``."""
        found = self.peek()
        if not found or found not in chars:
            wanted = " or ".join(repr(c) for c in chars)
            raise NotJson(f"expected {wanted} {self.where()}, found {found!r}" if found else "it ends early")
        self.pos += 1
        return found

    def value(self) -> Any:
        """Decode the value that starts at the next character that is not white space."""
        self.peek()
        while True:
            try:
                value, end = _decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                # Cut short by the end of the text read so far? Then read on and decode it again.
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.text) - 8
                if cut and self.more():
                    continue
                raise NotJson(f"{exc.msg} {self.where(exc.pos)}") from None
            except RecursionError:
                raise NotJson(f"a value is nested too deeply {self.where()}") from None
            except ValueError as exc:  # e.g. an integer of more than 4,300 digits
                raise NotJson(f"{exc} {self.where()}") from None
            if end == len(self.text) and self.more():
                continue  # a number may go on in the next chunk
            self.pos = end
            if self.escapes:
                try:
                    orjson.dumps(value)
                except orjson.JSONEncodeError as exc:
                    if "surrogate" in str(exc):
                        raise NotJson(f"a string holds a lone UTF-16 surrogate {self.where()}") from None
            return value

    def key(self) -> str:
        self.expect('"')
        self.pos -= 1
        key = self.value()
        assert isinstance(key, str)
        return key


class _Object:
    """An object of the skeleton, being read key by key."""

    __slots__ = ("key", "path", "value")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.value: dict[str, Any] = {}
        self.key = ""


def read(
    source: IO[bytes],
    *,
    skeleton: Callable[[Path], bool],
    spread: Callable[[Path], bool],
    element: Callable[[Path, Any], None],
) -> Any:
    """Parse the JSON document in ``source`` (bytes, read to its end).

    :param skeleton: whether the object at a path (a tuple of keys from the top, ``()``
        the top itself) is read key by key, so that lists in it can be spread.
    :param spread: whether the list at a path (the top-level list at ``()``, or a
        value in a skeleton object) is spread: ``element(path, value)`` is called
        for each of its elements in order, and the list is left empty in the result.
    :returns: the document, as ``json.loads`` would give it but for the spread lists.
    :raise NotJson: if the bytes are not one JSON document.
    """
    text = _Text(source)
    stack: list[_Object] = []
    top: list[Any] = []

    def place(value: Any) -> None:
        if stack:
            stack[-1].value[stack[-1].key] = value
        else:
            top.append(value)

    path: Path = ()
    while True:
        # A value at ``path``: an object of the skeleton, a spread list, or any other value.
        first = text.peek()
        if first == "{" and skeleton(path):
            if len(stack) >= MAX_DEPTH:
                raise NotJson(f"it is nested deeper than {MAX_DEPTH} levels")
            text.pos += 1
            frame = _Object(path)
            place(frame.value)
            stack.append(frame)
            closed = text.peek() == "}"
            if closed:
                text.pos += 1
                stack.pop()
        else:
            if first == "[" and spread(path):
                text.pos += 1
                place([])  # the elements go to the callback
                if text.peek() == "]":
                    text.pos += 1
                else:
                    while True:
                        element(path, text.value())
                        if text.expect(",]") == "]":
                            break
            else:
                place(text.value())
            closed = True
        # After a value: the next key of the object it is in, or the end of objects.
        while closed and stack and text.expect(",}") == "}":
            stack.pop()
        if not stack:
            break
        frame = stack[-1]
        key = text.key()
        if key in frame.value:
            raise NotJson(f"the key {key!r} appears twice in one object {text.where()}")
        text.expect(":")
        frame.key = key
        path = (*frame.path, key)
    if text.peek():
        raise NotJson(f"more follows the document {text.where()}")
    if not top:
        raise NotJson("it is empty")
    return top[0]
