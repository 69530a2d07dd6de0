// datePublished from a page's JSON-LD, against the vectors the service's parser is tested with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { datePublishedFromJsonLd, sendableDatePublished, MAX_DATE_PUBLISHED } from "../src/jsonld.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../tests/vectors/article_metadata.json", import.meta.url), "utf8"),
);

for (const c of vectors.jsonld) {
  test(`datePublished: ${c.name}`, () => {
    assert.equal(datePublishedFromJsonLd(c.texts), c.expected);
  });
}

test("what is not a list of texts gives null", () => {
  for (const value of [undefined, null, "{}", 3, [null, 4, {}]]) {
    assert.equal(datePublishedFromJsonLd(value), null);
  }
});

test("a deep nesting neither throws nor overflows", () => {
  const deep = "[".repeat(5000) + '{"@type":"NewsArticle","datePublished":"2024-02-02"}' + "]".repeat(5000);
  assert.equal(datePublishedFromJsonLd([deep]), "2024-02-02");
});

test("only what the service takes is sent", () => {
  assert.equal(sendableDatePublished("2024-02-02T23:13:00Z"), "2024-02-02T23:13:00Z");
  assert.equal(sendableDatePublished("x".repeat(MAX_DATE_PUBLISHED)), "x".repeat(MAX_DATE_PUBLISHED));
  assert.equal(sendableDatePublished("x".repeat(MAX_DATE_PUBLISHED + 1)), null);
  assert.equal(sendableDatePublished("2024-02-02\n"), null);
  assert.equal(sendableDatePublished("2024\u2028"), null);
  assert.equal(sendableDatePublished(null), null);
  assert.equal(sendableDatePublished(20240202), null);
});
