// Shortening a quote in the middle for the popover.
import { test } from "node:test";
import assert from "node:assert/strict";
import { shortenQuote } from "../src/quote.js";

const LONG =
  "President Joe Biden said in a statement that the US military response will continue at times and places of our choosing.";

test("a short quote is shown whole", () => {
  assert.equal(shortenQuote("Joe Biden"), "Joe Biden");
  assert.equal(shortenQuote("x".repeat(90)), "x".repeat(90));
});

test("white space, paragraph breaks too, becomes single spaces", () => {
  assert.equal(shortenQuote("choosing.”\n\nDefense  Secretary "), "choosing.” Defense Secretary");
});

test("a long quote keeps its first and last words around an ellipsis", () => {
  const short = shortenQuote(LONG);
  assert.equal(short, "President Joe Biden said in a statement … at times and places of our choosing.");
  const [head, tail] = short.split(" … ");
  assert.ok(LONG.startsWith(head) && LONG.endsWith(tail));
  assert.ok(head.length <= 40 && tail.length <= 40);
});

test("cuts fall between words", () => {
  const words = LONG.split(" ");
  const [head, tail] = shortenQuote(LONG).split(" … ");
  for (const w of head.split(" ")) assert.ok(words.includes(w), w);
  for (const w of tail.split(" ")) assert.ok(words.includes(w), w);
});

test("a cut right at a word's end keeps that word", () => {
  const quote = `${"a".repeat(40)} ${"b".repeat(30)} ${"c".repeat(40)}`; // 112 characters
  assert.equal(shortenQuote(quote), `${"a".repeat(40)} … ${"c".repeat(40)}`);
});

test("one word longer than the kept length is cut inside it", () => {
  const quote = "z".repeat(120);
  assert.equal(shortenQuote(quote), `${"z".repeat(40)} … ${"z".repeat(40)}`);
});

test("lengths count code points: no emoji is cut in half", () => {
  const quote = "😀".repeat(120);
  const short = shortenQuote(quote);
  assert.equal(short, `${"😀".repeat(40)} … ${"😀".repeat(40)}`);
  assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(short), "no lone high surrogate");
});

test("the kept length can be chosen", () => {
  assert.equal(shortenQuote(LONG, { keep: 10, slack: 0 }), "President … choosing.");
});
