// Where a floating box (the tag bar, a highlight's popover, the tag tooltip) goes next to
// the text it is about, so that it lies inside the visible window: on the preferred side
// of the text when it fits there, else on the other side, else clamped inside the window;
// shifted left when it would pass the right edge. Pure: rectangles in, a position out.

/**
 * The top-left corner, in viewport coordinates, of a box of `box` = {width, height} placed
 * by the anchor rectangle `anchor` = {left, top, right, bottom} inside a viewport of
 * `viewport` = {width, height}.
 *
 * `prefer` is the side tried first ("below" or "above"), `gap` the space between the
 * anchor and the box, `margin` the least space kept to the viewport's edges. The answer's
 * `side` says where it went: "below", "above", or "over" when neither side has room (the
 * box is then clamped inside the window and may cover the anchor).
 */
export function place(anchor, box, viewport, { prefer = "below", gap = 6, margin = 4 } = {}) {
  const below = anchor.bottom + gap;
  const above = anchor.top - gap - box.height;
  const fitsBelow = below + box.height <= viewport.height - margin;
  const fitsAbove = above >= margin;
  let side;
  let top;
  if (prefer === "above" ? fitsAbove : fitsBelow) {
    side = prefer;
    top = prefer === "above" ? above : below;
  } else if (prefer === "above" ? fitsBelow : fitsAbove) {
    side = prefer === "above" ? "below" : "above";
    top = side === "above" ? above : below;
  } else {
    // No room on either side: on the roomier one, pulled back inside the window.
    side = "over";
    const roomBelow = viewport.height - anchor.bottom;
    top = roomBelow >= anchor.top ? below : above;
  }
  return {
    left: clamp(anchor.left, box.width, viewport.width, margin),
    top: clamp(top, box.height, viewport.height, margin),
    side,
  };
}

/** `start` moved so that [start, start + size] lies in [margin, limit - margin] (at margin when it cannot). */
function clamp(start, size, limit, margin) {
  return Math.max(margin, Math.min(start, limit - margin - size));
}

/**
 * The rectangle to place a box by, out of the rectangles of the text's lines (a range's or
 * an element's getClientRects()): the line holding `point` = {x, y} when given (where the
 * user clicked), else the whole text's bounding rectangle. Null when there are none.
 */
export function anchorRect(rects, point = null) {
  const list = [...rects].filter((r) => r.right > r.left || r.bottom > r.top);
  if (list.length === 0) return null;
  if (point) {
    const hit = list.find((r) => point.x >= r.left && point.x <= r.right && point.y >= r.top && point.y <= r.bottom);
    if (hit) return { left: hit.left, top: hit.top, right: hit.right, bottom: hit.bottom };
  }
  return {
    left: Math.min(...list.map((r) => r.left)),
    top: Math.min(...list.map((r) => r.top)),
    right: Math.max(...list.map((r) => r.right)),
    bottom: Math.max(...list.map((r) => r.bottom)),
  };
}
