// Anchoring: every passage comes back where it belongs, or is an orphan; never elsewhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { anchor, describe, CONTEXT } from "../src/anchoring.js";
import { articleText, toCodePoints, toUtf16 } from "../src/text.js";

const PARAGRAPHS = [
  "The US conducted major airstrikes on 85 targets across seven locations in Iraq and Syria on Friday.",
  "The retaliatory strikes – which lasted 30 minutes and were successful, according to the White House – came in response to a drone strike.",
  "President Joe Biden said in a statement that the US military response “will continue at times and places of our choosing.”",
  "Defense Secretary Lloyd Austin said in a statement that the strikes are “the start of our response.”",
  "The statement said the strikes were successful.",
];
const TEXT = articleText(PARAGRAPHS);

function coded(text, exact, occurrence = 0) {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) at = text.indexOf(exact, at + 1);
  return describe(text, at, at + exact.length);
}

test("describe keeps up to 32 units of context and never half an emoji", () => {
  const sel = coded(TEXT, "Joe Biden");
  assert.equal(sel.prefix.length, CONTEXT);
  assert.equal(TEXT.slice(sel.start - CONTEXT, sel.start), sel.prefix);
  const emoji = "😀".repeat(20) + "quote" + "😀".repeat(20);
  const s = describe(emoji, 40, 45);
  assert.equal(s.exact, "quote");
  assert.ok(s.prefix.length <= CONTEXT && s.suffix.length <= CONTEXT);
  assert.equal(s.prefix, "😀".repeat(16));
  assert.equal(s.suffix, "😀".repeat(16));
  assert.equal(describe(TEXT, 0, 3).prefix, "");
});

test("unchanged text: every passage anchors by position", () => {
  for (const exact of ["85 targets", "Joe Biden", "the start of our response.", "Iraq and Syria"]) {
    const sel = coded(TEXT, exact);
    assert.deepEqual(anchor(TEXT, sel), { start: sel.start, end: sel.end, method: "position" });
  }
});

const REVISED = articleText([
  "This story has been updated with additional developments.", // a paragraph inserted above
  PARAGRAPHS[0],
  // a coded sentence lightly reworded
  "The retaliatory strikes – which lasted about 30 minutes and were successful, according to White House officials – came in response to a drone strike.",
  // PARAGRAPHS[2], the one with Joe Biden, deleted
  PARAGRAPHS[3],
  PARAGRAPHS[4],
]);

test("revised page: moved passages anchor by quote at their new place", () => {
  for (const exact of ["85 targets", "Lloyd Austin", "the start of our response."]) {
    const found = anchor(REVISED, coded(TEXT, exact));
    assert.equal(found.method, "quote");
    assert.equal(REVISED.slice(found.start, found.end), exact);
  }
});

test("revised page: a lightly reworded passage anchors fuzzily on the reworded words", () => {
  const exact = "which lasted 30 minutes and were successful, according to the White House";
  const found = anchor(REVISED, coded(TEXT, exact));
  assert.equal(found.method, "fuzzy");
  const reworded = "which lasted about 30 minutes and were successful, according to White House officials";
  const at = REVISED.indexOf(reworded);
  assert.ok(found.start >= at - 2 && found.end <= at + reworded.length, REVISED.slice(found.start, found.end));
  assert.ok(found.end - found.start >= 0.8 * exact.length);
});

test("revised page: a passage of a deleted paragraph is an orphan, not placed on other words", () => {
  for (const exact of [
    "Joe Biden",
    "the US military response “will continue at times and places of our choosing.”",
    "said in a statement", // also in Austin's paragraph, but in another context
  ]) {
    assert.equal(anchor(REVISED, coded(TEXT, exact)), null, exact);
  }
});

test("a passage that occurs twice, coded at its second occurrence, comes back at the second", () => {
  const text = articleText([
    "Officials said the strikes were successful. Later, critics spoke.",
    "A new paragraph above the second one.",
    "The Pentagon said the strikes were successful. Then it went on.",
  ]);
  const sel = coded(text, "the strikes were successful", 1);
  const edited = "An inserted first paragraph.\n\n" + text;
  const found = anchor(edited, sel);
  assert.equal(found.start, edited.indexOf("the strikes were successful", edited.indexOf("Pentagon")));
  assert.equal(found.method, "quote");
});

test("a repeated phrase, the text shifted: the same (third) occurrence is found", () => {
  const text = "x said yes. x said yes. x said yes.";
  const sel = coded(text, "said yes", 2);
  const shifted = text.replace("x said", "xx said");
  const found = anchor(shifted, sel);
  assert.equal(found.start, shifted.lastIndexOf("said yes"));
});

test("emoji before the quote: the service's code points convert to the same place", () => {
  const text = articleText(["Reactions: 😀😀 and 👍🏽.", "The flag 🇺🇸 flew; 85 targets were hit."]);
  const sel = coded(text, "85 targets");
  // As stored by the service (code points), then read back (UTF-16).
  const stored = { start: toCodePoints(text, sel.start), end: toCodePoints(text, sel.end) };
  assert.deepEqual(stored, { start: 41, end: 51 });
  const back = { ...sel, start: toUtf16(text, stored.start), end: toUtf16(text, stored.end) };
  assert.equal(anchor(text, back).method, "position");
});
