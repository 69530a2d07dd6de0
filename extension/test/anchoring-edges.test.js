// Edges of anchoring and page offsets that a planted bug showed no other test looks at:
// each test here failed with one small change to src/ (named in the test) and passes without it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { anchor, describe, SHORT_QUOTE } from "../src/anchoring.js";
import { editDistance, search } from "../src/match.js";
import { articleOffset, articleText, mapArticleText } from "../src/text.js";

function coded(text, exact, occurrence = 0) {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) at = text.indexOf(exact, at + 1);
  assert.ok(at >= 0, exact);
  return describe(text, at, at + exact.length);
}

// Planted: the short-quote threshold lowered (30 → 20).
test("a quote just under 30 characters, its paragraph gone, is not placed on the same words elsewhere", () => {
  const biden = "President Joe Biden said in a statement that the US military response will continue.";
  const austin = "Defense Secretary Lloyd Austin said in a statement that the strikes are the start of our response.";
  const text = articleText(["The US struck 85 targets on Friday.", biden, austin]);
  const exact = "said in a statement that the";
  assert.ok(exact.length < SHORT_QUOTE && exact.length > 20);
  const edited = articleText(["The US struck 85 targets on Friday.", austin]); // Biden's paragraph deleted
  assert.equal(anchor(edited, coded(text, exact, 0)), null);
  assert.notEqual(anchor(text, coded(text, exact, 1)), null); // Austin's own stays where it is
});

// Planted: a long quote found more than once accepted without its context.
test("a long quote now found twice, in other contexts, is an orphan rather than a guess", () => {
  const claim = "the strikes were successful and there were no casualties";
  assert.ok(claim.length >= SHORT_QUOTE);
  const text = articleText([`A Pentagon spokesperson said ${claim} among the US forces.`, "Other news followed."]);
  const edited = articleText([
    "The spokesperson's paragraph was removed.",
    `Officials in Baghdad later claimed that ${claim}, a view others disputed.`,
    `Some commentators repeated that ${claim}; few agreed with them.`,
  ]);
  assert.equal(anchor(edited, coded(text, claim)), null);
});

// Planted: the position check accepting a short quote whose surroundings changed.
test("a short quote still at its offsets, but amid other words, is not anchored by position", () => {
  const text = articleText(["Officials said Joe Biden will speak about the strikes on Friday."]);
  const sel = coded(text, "Joe Biden");
  const edited = articleText(["Guards who met Joe Biden as he left the White House said nothing."]);
  assert.equal(edited.slice(sel.start, sel.end), "Joe Biden"); // same place, same words
  assert.equal(anchor(edited, sel), null);
});

// Planted: nearness to the old position counted the wrong way round.
test("between two places equal in every other way, the one nearest the old position wins", () => {
  // The quote sits deep inside a repeated paragraph: its 32 characters of context are the same in both.
  const repeated =
    "At the briefing the spokesperson said that the statement was read twice at the briefing, word for word, " +
    "to all of the reporters who were present there.";
  const text = articleText(["Opening.", repeated, "Between the two readings.", repeated, "Closing."]);
  const sel = coded(text, "read twice at the briefing", 1); // the second reading
  const edited = articleText(["A new first paragraph.", "Opening.", repeated, "Between the two readings.", repeated, "Closing."]);
  const found = anchor(edited, sel);
  const second = edited.indexOf("read twice at the briefing", edited.indexOf("Between the two readings."));
  assert.deepEqual([found.start, found.method], [second, "quote"]);
});

// Planted: of a run of adjacent match ends, one that is better by a single edit not kept.
test("the approximate search reports the fewest edits any substring needs", () => {
  let seed = 5;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = (n) => Array.from({ length: n }, () => "abc"[Math.floor(rnd() * 3)]).join("");
  for (let round = 0; round < 150; round++) {
    const pattern = pick(4 + Math.floor(rnd() * 8));
    const text = pick(10 + Math.floor(rnd() * 20));
    const k = Math.floor(pattern.length / 2);
    let least = Infinity;
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) least = Math.min(least, editDistance(text.slice(i, j), pattern));
    }
    const found = search(text, pattern, k);
    const best = Math.min(...found.map((m) => m.errors));
    assert.equal(found.length ? best : Infinity, least <= k ? least : Infinity, `${pattern} in ${text}`);
  }
});

// Planted: the start of a selection not moved past the paragraph separator.
test("a selection starting at the white space that ends a paragraph starts at the next paragraph", () => {
  const paragraphs = [["First one. "], ["Second one."]];
  const map = mapArticleText(paragraphs);
  assert.equal(map.text, "First one.\n\nSecond one.");
  const trailingSpace = "First one.".length; // raw position of the space after "First one."
  const start = articleOffset(map, trailingSpace, "start");
  assert.equal(map.text.slice(start, start + 6), "Second");
});
