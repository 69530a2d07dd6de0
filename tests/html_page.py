"""Reading the viewer's HTML as a browser's parser does: elements, their attributes and their text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "link", "input", "br", "img", "hr", "source", "area", "base", "col", "embed", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)

    @property
    def content(self) -> str:
        return "".join(self.text)

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


class Page(HTMLParser):
    """Every element of a page, in document order, each with the text inside it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for n in range(len(self._open) - 1, -1, -1):
            if self._open[n].tag == tag:
                del self._open[n:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        """Elements with this tag whose attributes have these values (``class_`` for a class)."""
        found = []
        for element in self.elements:
            if element.tag != tag:
                continue
            wanted_class = attrs.get("class_")
            if wanted_class and not element.has_class(wanted_class):
                continue
            if all(element.attrs.get(k) == v for k, v in attrs.items() if k != "class_"):
                found.append(element)
        return found

    def text(self) -> str:
        body = self.find("body")
        return body[0].content if body else ""
