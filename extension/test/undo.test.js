// Undoing a delete on the page: the toast's words and the key that undoes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deletedLabel, isUndoKey, isTypingIn, UNDO_MS } from "../src/undo.js";

test("the undo lasts 10 s", () => {
  assert.equal(UNDO_MS, 10000);
});

test("the toast names a short quote whole", () => {
  assert.equal(deletedLabel("Joe Biden"), "Deleted “Joe Biden”");
  assert.equal(deletedLabel("  two\n\nparagraphs "), "Deleted “two paragraphs”");
  assert.equal(deletedLabel(undefined), "Deleted “”");
});

test("a long quote is cut at a word, with an ellipsis", () => {
  const label = deletedLabel("The retaliatory strikes – which lasted 30 minutes – came in response to a drone strike.");
  assert.equal(label, "Deleted “The retaliatory strikes – which lasted…”");
});

test("a long word is cut inside, never splitting an emoji", () => {
  const label = deletedLabel("😀".repeat(50));
  assert.equal(label, `Deleted “${"😀".repeat(40)}…”`);
});

test("z undoes, but not with a modifier, and never while typing in a field", () => {
  const on = (target, extra = {}) => ({ key: "z", ctrlKey: false, metaKey: false, altKey: false, target, ...extra });
  assert.equal(isUndoKey(on(null)), true);
  assert.equal(isUndoKey(on({ tagName: "BODY" })), true);
  assert.equal(isUndoKey(on({ tagName: "BUTTON", type: "submit" })), true);
  assert.equal(isUndoKey(on({ tagName: "INPUT", type: "text" })), false);
  assert.equal(isUndoKey(on({ tagName: "TEXTAREA" })), false);
  assert.equal(isUndoKey(on({ tagName: "DIV", isContentEditable: true })), false);
  assert.equal(isUndoKey(on(null, { ctrlKey: true })), false); // the browser's own undo
  assert.equal(isUndoKey(on(null, { metaKey: true })), false);
  assert.equal(isUndoKey(on(null, { key: "Z" })), false);
  assert.equal(isUndoKey(on(null, { key: "a" })), false);
  assert.equal(isTypingIn({ tagName: "INPUT", type: "checkbox" }), false);
});
