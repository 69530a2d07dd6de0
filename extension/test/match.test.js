// Myers' bit-parallel search against the plain dynamic-programming definition.
import { test } from "node:test";
import assert from "node:assert/strict";
import { editDistance, matchEnds, search } from "../src/match.js";

/** Least edits between `pattern` and any substring of `text` ending at each position (semi-global DP). */
function bruteEnds(text, pattern) {
  const m = pattern.length;
  let col = Array.from({ length: m + 1 }, (_, i) => i);
  const out = [];
  for (let j = 0; j < text.length; j++) {
    const next = [0];
    for (let i = 1; i <= m; i++) {
      const cost = pattern[i - 1] === text[j] ? 0 : 1;
      next[i] = Math.min(col[i - 1] + cost, col[i] + 1, next[i - 1] + 1);
    }
    col = next;
    out.push(col[m]);
  }
  return out;
}

function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomText(rnd, n, alphabet) {
  return Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
}

test("match ends and their edits equal the dynamic-programming table, short and multi-block patterns", () => {
  const rnd = random(7);
  for (let round = 0; round < 300; round++) {
    const alphabet = round % 2 ? "ab" : "abcde ";
    const pattern = randomText(rnd, 1 + Math.floor(rnd() * (round % 3 === 0 ? 90 : 30)), alphabet);
    const text = randomText(rnd, Math.floor(rnd() * 200), alphabet);
    const k = Math.floor(rnd() * (pattern.length / 2 + 1));
    const expected = bruteEnds(text, pattern)
      .map((errors, j) => ({ end: j + 1, errors }))
      .filter((e) => e.errors <= k);
    assert.deepEqual(matchEnds(text, pattern, k), expected, `pattern ${pattern.length} long, k=${k}`);
  }
});

test("an anchored search counts the edits to each prefix of the text", () => {
  const rnd = random(3);
  for (let round = 0; round < 200; round++) {
    const pattern = randomText(rnd, 1 + Math.floor(rnd() * 70), "abc");
    const text = randomText(rnd, Math.floor(rnd() * 90), "abc");
    const k = Math.floor(rnd() * 10);
    const expected = [];
    for (let end = 1; end <= text.length; end++) {
      const errors = editDistance(text.slice(0, end), pattern);
      if (errors <= k) expected.push({ end, errors });
    }
    assert.deepEqual(matchEnds(text, pattern, k, true), expected);
  }
});

test("each match's span is within its edits of the pattern", () => {
  const rnd = random(11);
  for (let round = 0; round < 200; round++) {
    const pattern = randomText(rnd, 5 + Math.floor(rnd() * 70), "abcd");
    const text = randomText(rnd, 150, "abcd");
    const k = Math.floor(pattern.length / 3);
    for (const m of search(text, pattern, k)) {
      assert.ok(m.errors <= k);
      assert.equal(editDistance(text.slice(m.start, m.end), pattern), m.errors);
    }
  }
});

test("a lightly reworded sentence is found where it is, with its edits counted", () => {
  const sentence = "The retaliatory strikes lasted 30 minutes and were successful, the White House said.";
  const edited = "The retaliatory strikes lasted about 30 minutes and were successful, White House officials said.";
  const text = `An opening paragraph.\n\n${edited}\n\nA closing paragraph.`;
  const [found] = search(text, sentence, Math.floor(sentence.length / 5));
  const start = text.indexOf(edited);
  // The least-edits span starts with the sentence and covers most of it (it may
  // stop short where the edited ending costs more than leaving it out).
  assert.equal(found.start, start);
  assert.ok(found.end <= start + edited.length && found.end - found.start >= 0.8 * edited.length);
  assert.equal(found.errors, editDistance(text.slice(found.start, found.end), sentence));
});

test("edit distance of known pairs", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("flaw", "lawn"), 2);
  assert.equal(editDistance("same", "same"), 0);
});

test("exact occurrences are found with no edits", () => {
  const text = "one two three two one";
  assert.deepEqual(
    search(text, "two", 0).map((m) => [m.start, m.end, m.errors]),
    [
      [4, 7, 0],
      [14, 17, 0],
    ],
  );
});
