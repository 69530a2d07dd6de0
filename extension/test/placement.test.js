// Placing the tag bar and the popover inside the window: flips, shifts and clamps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { place, anchorRect } from "../src/placement.js";

const rect = (left, top, width, height) => ({ left, top, right: left + width, bottom: top + height });
const WINDOW = { width: 1200, height: 850 };
const BAR = { width: 400, height: 34 };

function inside(pos, box, viewport, margin = 4) {
  return (
    pos.left >= margin &&
    pos.top >= margin &&
    pos.left + box.width <= viewport.width - margin &&
    pos.top + box.height <= viewport.height - margin
  );
}

test("below the text, at its left, when there is room", () => {
  const word = rect(300, 200, 60, 20);
  assert.deepEqual(place(word, BAR, WINDOW), { left: 300, top: 226, side: "below" });
});

test("a word at the end of a line at the right edge: shifted left, still below", () => {
  // The case the issue reports: bar at x 886–1286 in a 1200 px window.
  const word = rect(886, 300, 60, 20);
  const pos = place(word, BAR, WINDOW);
  assert.equal(pos.side, "below");
  assert.equal(pos.left, 1200 - 4 - 400);
  assert.ok(inside(pos, BAR, WINDOW));
});

test("a selection in the last line at the bottom: flipped above it", () => {
  const word = rect(100, 820, 80, 24);
  const pos = place(word, BAR, WINDOW);
  assert.deepEqual(pos, { left: 100, top: 820 - 6 - 34, side: "above" });
  assert.ok(pos.top + BAR.height <= word.top, "does not cover the selection");
});

test("bottom right corner: flipped and shifted", () => {
  const word = rect(1150, 826, 45, 20);
  const pos = place(word, BAR, WINDOW);
  assert.equal(pos.side, "above");
  assert.equal(pos.left, 796);
  assert.ok(inside(pos, BAR, WINDOW));
});

test("top corners: below, and shifted at the right", () => {
  const left = place(rect(8, 2, 40, 20), BAR, WINDOW);
  assert.deepEqual(left, { left: 8, top: 28, side: "below" });
  const right = place(rect(1160, 2, 32, 20), BAR, WINDOW);
  assert.equal(right.side, "below");
  assert.ok(inside(right, BAR, WINDOW));
});

test("a word partly left of the window is clamped to the margin", () => {
  assert.equal(place(rect(-30, 300, 60, 20), BAR, WINDOW).left, 4);
});

test("preferring above: above when it fits, below when it does not", () => {
  const tip = { width: 60, height: 18 };
  assert.deepEqual(place(rect(300, 200, 60, 20), tip, WINDOW, { prefer: "above" }), {
    left: 300,
    top: 176,
    side: "above",
  });
  assert.equal(place(rect(300, 5, 60, 20), tip, WINDOW, { prefer: "above" }).side, "below");
});

test("no room on either side: clamped inside, on the roomier side", () => {
  const small = { width: 600, height: 425 }; // 1200 × 850 at zoom 200 %
  const tall = { width: 300, height: 260 };
  const pos = place(rect(200, 190, 60, 20), tall, small);
  assert.equal(pos.side, "over");
  assert.ok(inside(pos, tall, small));
  // Higher up there is more room below: the box starts below the word's top half.
  assert.ok(place(rect(200, 150, 60, 20), tall, small).top > 150);
});

test("a box larger than the window starts at the margin", () => {
  const pos = place(rect(10, 10, 50, 20), { width: 2000, height: 2000 }, WINDOW);
  assert.deepEqual([pos.left, pos.top], [4, 4]);
});

test("every placement of a bar that fits lies inside the window", () => {
  for (const viewport of [
    { width: 800, height: 600 },
    { width: 1200, height: 850 },
    { width: 600, height: 425 },
  ]) {
    for (let x = -20; x <= viewport.width + 20; x += 37) {
      for (let y = -20; y <= viewport.height + 20; y += 23) {
        const pos = place(rect(x, y, 50, 20), BAR, viewport);
        assert.ok(inside(pos, BAR, viewport), JSON.stringify({ viewport, x, y, pos }));
      }
    }
  }
});

test("anchorRect: the clicked line, else the bounding rectangle of all lines", () => {
  const lines = [rect(900, 100, 290, 20), rect(8, 124, 200, 20)];
  assert.deepEqual(anchorRect(lines, { x: 50, y: 130 }), lines[1]);
  assert.deepEqual(anchorRect(lines), { left: 8, top: 100, right: 1190, bottom: 144 });
  assert.deepEqual(anchorRect(lines, { x: 600, y: 500 }), { left: 8, top: 100, right: 1190, bottom: 144 });
  assert.equal(anchorRect([]), null);
  assert.equal(anchorRect([rect(5, 5, 0, 0)]), null);
});
