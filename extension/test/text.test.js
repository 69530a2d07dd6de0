// The extension's article text rule against the shared vectors (the Python side reads the same file).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  articleText, toCodePoints, toUtf16, mapArticleText, articleOffset, rawRange, offsetConverter,
} from "../src/text.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../tests/vectors/article_text.json", import.meta.url), "utf8"),
);

for (const c of vectors.cases) {
  test(`article text: ${c.name}`, () => {
    assert.equal(articleText(c.paragraphs), c.text);
  });

  test(`offsets: ${c.name}`, () => {
    for (const q of c.quotes) {
      assert.equal(c.text.slice(q.start_utf16, q.end_utf16), q.exact);
      assert.equal(toCodePoints(c.text, q.start_utf16), q.start);
      assert.equal(toCodePoints(c.text, q.end_utf16), q.end);
      assert.equal(toUtf16(c.text, q.start), q.start_utf16);
      assert.equal(toUtf16(c.text, q.end), q.end_utf16);
    }
  });

  test(`mapped text equals the rule, split into chunks anywhere: ${c.name}`, () => {
    // The same paragraphs cut into text nodes at every third unit, as markup would.
    const chunked = c.paragraphs.map((p) => p.match(/[\s\S]{1,3}/g) ?? []);
    const map = mapArticleText(chunked);
    assert.equal(map.text, c.text);
    assert.equal(map.rawIndex.length, c.text.length);
  });
}

function pagePosition(chunks, chunk, offset) {
  // The global raw index of (chunk, offset), as a page selection would give it.
  return chunks.slice(0, chunk).reduce((n, s) => n + s.length, 0) + offset;
}

test("a range of the article maps to the page text it came from, and back", () => {
  const paragraphs = [["  The  US ", "said <b>", "85 targets</b>\n were hit. "], ["Biden ", " spoke."]];
  const chunks = paragraphs.flat();
  const map = mapArticleText(paragraphs);
  assert.equal(map.text, "The US said <b>85 targets</b> were hit.\n\nBiden spoke.");
  const start = map.text.indexOf("85 targets");
  const end = start + "85 targets".length;
  const range = rawRange(map, start, end);
  assert.deepEqual(range, { start: { chunk: 2, offset: 0 }, end: { chunk: 2, offset: 10 } });
  const from = pagePosition(chunks, range.start.chunk, range.start.offset);
  const to = pagePosition(chunks, range.end.chunk, range.end.offset);
  assert.equal(articleOffset(map, from, "start"), start);
  assert.equal(articleOffset(map, to, "end"), end);
});

test("a selection over paragraph edges leaves the separator and white space outside", () => {
  const paragraphs = [["First one. "], ["  Second one."]];
  const chunks = paragraphs.flat();
  const map = mapArticleText(paragraphs);
  // Selecting exactly the second paragraph, from its first raw character (leading spaces included).
  const from = pagePosition(chunks, 1, 0);
  const to = pagePosition(chunks, 1, chunks[1].length);
  const start = articleOffset(map, from, "start");
  const end = articleOffset(map, to, "end");
  assert.equal(map.text.slice(start, end), "Second one.");
  // Selecting the first paragraph up to the start of the second.
  assert.equal(map.text.slice(articleOffset(map, 0, "start"), articleOffset(map, from, "end")), "First one.");
  // Across the two.
  const across = map.text.slice(articleOffset(map, 6, "start"), articleOffset(map, pagePosition(chunks, 1, 8), "end"));
  assert.equal(across, "one.\n\nSecond");
});

test("astral characters are one code point but two UTF-16 units", () => {
  const text = "😀 85";
  assert.equal(toCodePoints(text, 3), 2);
  assert.equal(toUtf16(text, 2), 3);
  assert.equal(toCodePoints(text, text.length), 4);
});

test("the precomputed converter agrees with the direct conversions", () => {
  for (const c of vectors.cases) {
    const conv = offsetConverter(c.text);
    for (let cp = 0; cp <= toCodePoints(c.text, c.text.length); cp++) {
      assert.equal(conv.toUtf16(cp), toUtf16(c.text, cp));
    }
  }
});
