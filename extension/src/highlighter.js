// Highlights: each annotation is one or more `mark` elements around the text it
// covers. Wrapping never changes the page's text; removing a highlight puts the
// text nodes back as they were. The only module that changes the page.

const MARK_CLASS = "newsmark-mark";

import { rawRange } from "./text.js";

/** Each annotation's pieces per text node: node index → [{id, from, to}] in node offsets. */
function piecesByNode(map, items) {
  const byNode = new Map();
  for (const item of items) {
    const { start, end } = rawRange(map, item.start, item.end);
    for (let k = start.chunk; k <= end.chunk; k++) {
      const from = k === start.chunk ? start.offset : 0;
      const to = k === end.chunk ? end.offset : map.nodes[k].data.length;
      if (to <= from) continue;
      if (!byNode.has(k)) byNode.set(k, []);
      byNode.get(k).push({ item, from, to });
    }
  }
  return byNode;
}

function wrap(node, item, first) {
  const mark = node.ownerDocument.createElement("mark");
  mark.className = MARK_CLASS;
  mark.dataset.newsmarkId = item.id;
  mark.dataset.newsmarkTag = item.tag;
  if (item.pending) mark.dataset.newsmarkState = "pending";
  if (first) mark.dataset.newsmarkFirst = "";
  node.parentNode.insertBefore(mark, node);
  mark.appendChild(node);
  return mark;
}

/**
 * Highlight many annotations at once: `items` are {id, tag, start, end, pending?}
 * with article offsets of `map` (from dom.readText). Each text node is split once,
 * at every boundary that falls in it, and each piece is wrapped in one mark per
 * annotation covering it (nested where they overlap), so the page's text nodes
 * are walked once however many annotations there are.
 */
export function highlight(map, items) {
  const firstPiece = new Set();
  const byNode = piecesByNode(map, items);
  for (const [k, pieces] of [...byNode].sort((a, b) => a[0] - b[0])) {
    let node = map.nodes[k];
    const cuts = [...new Set(pieces.flatMap((p) => [p.from, p.to]))].sort((a, b) => a - b);
    let at = 0;
    for (const cut of cuts) {
      if (cut > at && cut < at + node.data.length) {
        const rest = node.splitText(cut - at);
        cover(node, at, cut, pieces, firstPiece);
        node = rest;
        at = cut;
      }
    }
    cover(node, at, at + node.data.length, pieces, firstPiece);
  }
}

function cover(node, from, to, pieces, firstPiece) {
  let target = node;
  for (const { item, from: pf, to: pt } of pieces) {
    if (pf <= from && pt >= to) {
      target = wrap(target, item, !firstPiece.has(item.id));
      firstPiece.add(item.id);
    }
  }
}

export function marksOf(doc, id) {
  return [...doc.querySelectorAll(`mark.${MARK_CLASS}`)].filter((m) => m.dataset.newsmarkId === id);
}

/** Remove an annotation's marks, keeping their text where it was. */
export function unhighlight(doc, id) {
  for (const mark of marksOf(doc, id)) {
    const parent = mark.parentNode;
    while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
    parent.removeChild(mark);
    parent.normalize();
  }
}

export function setTag(doc, id, tag) {
  for (const mark of marksOf(doc, id)) mark.dataset.newsmarkTag = tag;
}

export function setPending(doc, id, pending) {
  for (const mark of marksOf(doc, id)) {
    if (pending) mark.dataset.newsmarkState = "pending";
    else delete mark.dataset.newsmarkState;
  }
}
