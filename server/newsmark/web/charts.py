"""Charts drawn as SVG on the server: no script, nothing fetched, every label escaped.

Colours come from the stylesheet through classes (``bar``, ``tag-claim``), since the
Content Security Policy allows no inline style.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup

Row = tuple[str, int, dict[str, str]]  # label, count, the filter that shows those annotations

LABEL_WIDTH = 230
BAR_WIDTH = 420
ROW_HEIGHT = 24
MAX_COLUMN = 36  # the widest column over time, in pixels
MAX_LABEL = 34  # characters; the full label is in the bar's tooltip
LABEL_CHAR_WIDTH = 7  # pixels a character of a 12 px date label takes, at most (digits are about 6.7)
LABEL_GAP = 8  # pixels kept free between two date labels


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bars(
    rows: Sequence[Row],
    *,
    title: str,
    link: Callable[[dict[str, str]], str],
    bar_class: Callable[[Row], str] = lambda row: "",
) -> Markup:
    """A horizontal bar for each row, longest first as given; each bar links to its annotations."""
    if not rows:
        return Markup('<p class="empty">Nothing to chart.</p>')
    top = max(count for _, count, _ in rows) or 1
    height = ROW_HEIGHT * len(rows) + 8
    width = LABEL_WIDTH + BAR_WIDTH + 70
    parts = [
        Markup('<svg class="chart" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}">').format(
            w=width, h=height
        ),
        Markup("<title>{}</title>").format(title),
    ]
    for n, row in enumerate(rows):
        label, count, flt = row
        y = 4 + n * ROW_HEIGHT
        length = round(BAR_WIDTH * count / top)
        tip = f"{label}: {count}"
        item = Markup(
            '<g class="row"><title>{tip}</title>'
            '<text class="label" x="{lx}" y="{ty}" text-anchor="end">{short}</text>'
            '<rect class="bar {cls}" x="{bx}" y="{y}" width="{len}" height="{bh}"></rect>'
            '<text class="count" x="{cx}" y="{ty}">{count}</text></g>'
        ).format(
            tip=tip,
            lx=LABEL_WIDTH - 8,
            ty=y + 16,
            short=_short(label),
            cls=bar_class(row),
            bx=LABEL_WIDTH,
            y=y + 3,
            len=length,
            bh=ROW_HEIGHT - 6,
            cx=LABEL_WIDTH + length + 6,
            count=count,
        )
        parts.append(Markup('<a href="{}">{}</a>').format(link(flt), item) if flt else item)
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def columns(rows: Sequence[Row], *, title: str, link: Callable[[dict[str, str]], str]) -> Markup:
    """A column for each period in order (days or months, the empty ones too), its date centred under it.

    When the columns are too narrow for every date, every k-th column is labelled (and the last),
    so labels never overlap; each label sits in its column's group, under that column.
    """
    if not rows:
        return Markup('<p class="empty">Nothing to chart.</p>')
    top = max(count for _, count, _ in rows) or 1
    plot_w, plot_h, left, right, bottom = 650, 160, 40, 40, 36
    step = plot_w / len(rows)
    gap = 1 if step >= 3 else 0
    width = min(max(step - gap, 0.5), MAX_COLUMN)  # a few days make narrow columns, not slabs
    labelled = _labelled(len(rows), step, max(len(label) for label, _, _ in rows))
    parts = [
        Markup('<svg class="chart" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}">').format(
            w=left + plot_w + right, h=plot_h + bottom + 10
        ),
        Markup("<title>{}</title>").format(title),
        Markup('<line class="axis" x1="{x}" y1="{y}" x2="{x2}" y2="{y}"></line>').format(
            x=left, y=plot_h + 5, x2=left + plot_w
        ),
        Markup('<text class="tick" x="{x}" y="14" text-anchor="end">{top}</text>').format(
            x=left - 6, top=top
        ),
        Markup('<text class="tick" x="{x}" y="{y}" text-anchor="end">0</text>').format(
            x=left - 6, y=plot_h + 5
        ),
    ]
    for n, (label, count, flt) in enumerate(rows):
        height = round(plot_h * count / top)
        centre = left + n * step + step / 2
        date = (
            Markup('<text class="tick date" x="{x:.1f}" y="{y}" text-anchor="middle">{label}</text>').format(
                x=centre, y=plot_h + 24, label=label
            )
            if n in labelled
            else Markup("")
        )
        column = Markup(
            '<g class="row"><title>{label}: {count}</title>'
            '<rect class="bar" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h}"></rect>{date}</g>'
        ).format(
            label=label,
            count=count,
            x=centre - width / 2,
            y=plot_h + 5 - height,
            w=width,
            h=height,
            date=date,
        )
        parts.append(Markup('<a href="{}">{}</a>').format(link(flt), column) if count else column)
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _labelled(count: int, step: float, longest: int) -> set[int]:
    """Which of ``count`` columns ``step`` pixels apart get their date: every k-th, k the fewest
    columns a label of ``longest`` characters needs, and the last one in place of the k-th before
    it when they would be closer than that."""
    every = max(1, math.ceil((longest * LABEL_CHAR_WIDTH + LABEL_GAP) / step))
    chosen = set(range(0, count, every))
    last = count - 1
    if last not in chosen:
        chosen.discard(last - last % every)  # too close to the last one, which matters more
        chosen.add(last)
    return chosen if chosen else {0}
