// Undoing a delete made on the page: how long it stays possible, what the toast says, and which
// key press undoes it. Pure functions, no DOM (src/notices.js shows the toast).

/** How long the toast, and so the undo, stays up after a delete (paused while pointed at or focused). */
export const UNDO_MS = 10000;

/** The key that undoes while the toast is up (with no modifier, and never while typing in a field). */
export const UNDO_KEY = "z";

const QUOTE_CHARS = 40;

/** "Deleted “quote”", the quote cut to its first 40 characters (at a word when one ends near). */
export function deletedLabel(quote) {
  const text = String(quote ?? "").replace(/\s+/g, " ").trim();
  if ([...text].length <= QUOTE_CHARS) return `Deleted “${text}”`;
  const head = [...text].slice(0, QUOTE_CHARS).join("");
  const space = head.lastIndexOf(" ");
  const cut = space >= QUOTE_CHARS * 0.6 ? head.slice(0, space) : head;
  return `Deleted “${cut.trimEnd()}…”`;
}

/**
 * Whether a keydown undoes: `event` is {key, ctrlKey, metaKey, altKey, target} where `target`
 * may be null or an element-like {tagName, type, isContentEditable}.
 */
export function isUndoKey(event) {
  if (event.key !== UNDO_KEY || event.ctrlKey || event.metaKey || event.altKey) return false;
  return !isTypingIn(event.target);
}

const TEXT_INPUTS = new Set(["", "text", "search", "email", "url", "tel", "password", "number"]);

/** Whether key presses on `target` type text (an input field, a text area, an editable element). */
export function isTypingIn(target) {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = String(target.tagName ?? "").toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  return tag === "INPUT" && TEXT_INPUTS.has(String(target.type ?? "").toLowerCase());
}
