"""Cutting an article's text into paragraphs of pieces, each covered by the same annotations.

Pure logic, no markup: the viewer's template turns pieces into ``<mark>`` elements,
escaping the text. Offsets are code points into the article text form, whose
paragraphs are joined by a blank line (``"\\n\\n"``), as the annotations count them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

PARAGRAPH_BREAK = "\n\n"


@dataclass(frozen=True)
class Span:
    id: str
    tag: str
    start: int
    end: int


@dataclass(frozen=True)
class Piece:
    text: str
    ids: tuple[str, ...]  # the annotations covering it, innermost first
    tag: str | None  # the innermost annotation's tag: the colour it is drawn in
    starts: tuple[str, ...]  # the annotations that begin here (the page's jump targets)


def paragraphs(text: str, spans: list[Span]) -> list[list[Piece]]:
    """The text as paragraphs of pieces; a highlight across a paragraph break is cut in two."""
    cuts = {0, len(text)}
    for span in spans:
        cuts.update((span.start, span.end))
    in_break: dict[int, int] = {}  # each position inside a paragraph break -> where that break starts
    at = text.find(PARAGRAPH_BREAK)
    while at >= 0:
        in_break.update((at + n, at) for n in range(len(PARAGRAPH_BREAK)))
        cuts.update((at, at + len(PARAGRAPH_BREAK)))
        at = text.find(PARAGRAPH_BREAK, at + len(PARAGRAPH_BREAK))
    ordered = sorted(c for c in cuts if 0 <= c <= len(text))
    by_size = sorted(spans, key=lambda s: (s.end - s.start, s.start, s.id))
    started: set[str] = set()
    out: list[list[Piece]] = [[]]
    for a, b in itertools.pairwise(ordered):
        if a in in_break:  # the break itself is not drawn: it ends a paragraph
            if in_break[a] == a:
                out.append([])
            continue
        covering = [s for s in by_size if s.start <= a and b <= s.end]
        starts = tuple(s.id for s in covering if s.id not in started)
        started.update(starts)
        out[-1].append(
            Piece(text[a:b], tuple(s.id for s in covering), covering[0].tag if covering else None, starts)
        )
    return out
