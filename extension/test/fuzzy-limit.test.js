// The edit limit of fuzzy anchoring, at its edges: a coded sentence replaced by a merely similar
// one must leave the annotation an orphan, while one edited just within the limit still anchors.
// Each edited sentence's least edit distance to the quote (what the search sees) is checked too,
// so the cases stay where they claim to be if the sentences are ever changed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { anchor, describe } from "../src/anchoring.js";
import { matchEnds } from "../src/match.js";
import { articleText } from "../src/text.js";

const BEFORE = "The US conducted major airstrikes on 85 targets across seven locations in Iraq and Syria on Friday.";
const AFTER = "President Joe Biden said the response would continue at times and places of his choosing.";
const QUOTE =
  "Defense Secretary Lloyd Austin said in a statement on Friday evening that the strikes against the militia " +
  "groups were only the start of the American response to the deadly drone attack in Jordan.";

const TEXT = articleText([BEFORE, QUOTE, AFTER]);
// Long enough that the context rule (for quotes under 30 characters) plays no part: the limit decides.
const LIMIT = 0.2; // of the quote's length, as the README says
const CODED = describe(TEXT, TEXT.indexOf(QUOTE), TEXT.indexOf(QUOTE) + QUOTE.length);

/** The page with the coded sentence replaced by `sentence`, and the share of the quote it differs in. */
function replaced(sentence) {
  assert.ok(QUOTE.length > 150);
  const text = articleText([BEFORE, sentence, AFTER]);
  const least = Math.min(...matchEnds(text, QUOTE, QUOTE.length).map((e) => e.errors));
  return { text, share: least / QUOTE.length };
}

test("a sentence replaced by a similar one (about 30 % of its characters differ) leaves an orphan", () => {
  for (const sentence of [
    "Defence Secretary Lloyd Austin told reporters late on Friday that the raids against the armed groups " +
      "were merely the start of the US reply to the deadly drone strike in Jordan.",
    "Defence Secretary Lloyd Austin told reporters late on Friday that the raids on these armed groups " +
      "were merely the start of the US reply to the deadly drone strike in Jordan.",
    "Defense Secretary Lloyd Austin told reporters on Friday evening that the raids against the armed groups " +
      "were merely the start of the US reply to the deadly drone strike in Jordan.",
  ]) {
    const { text, share } = replaced(sentence);
    assert.ok(share >= 0.25 && share <= 0.35, `${share} of the quote differs: ${sentence}`);
    assert.equal(anchor(text, CODED), null, sentence);
  }
});

test("just past the limit (21 %) is an orphan too", () => {
  const { text, share } = replaced(
    "Defense Secretary Lloyd Austin said in a written statement on Friday night that the strikes on militia " +
      "groups were just the start of the US response to the deadly drone strike in Jordan.",
  );
  assert.ok(share > LIMIT && share < 0.22, String(share));
  assert.equal(anchor(text, CODED), null);
});

test("just within the limit (19 %) the edited sentence anchors, on that sentence", () => {
  const sentence =
    "Defense Secretary Lloyd Austin said in a written statement on Friday night that the strikes on the " +
    "militia groups were just the start of the US response to the deadly drone strike in Jordan.";
  const { text, share } = replaced(sentence);
  assert.ok(share > 0.18 && share <= LIMIT, String(share));
  const found = anchor(text, CODED);
  assert.equal(found?.method, "fuzzy");
  const at = text.indexOf(sentence);
  assert.ok(found.start >= at && found.end <= at + sentence.length, text.slice(found.start, found.end));
  assert.ok(found.end - found.start >= 0.9 * sentence.length, text.slice(found.start, found.end));
});
