// Describing a selection as selectors, and finding it again in a (possibly
// edited) article text: the position first, then the exact quote, then the
// quote with a few edits. Offsets here are JavaScript string (UTF-16) indexes;
// text.js converts them to and from the service's code points. Pure, no DOM.
//
// The scoring follows the Hypothesis client (annotator/anchoring/match-quote);
// the acceptance rules go further, because a coder's highlight must never land
// on other words: a passage that is not found well enough is an orphan.

import { editDistance, search } from "./match.js";

/** How far around the old position an edited quote is looked for first (UTF-16 units). */
export const NEAR = 2048;

/** Characters of context kept on each side (the service allows 32 code points). */
export const CONTEXT = 32;

// Weights of a candidate's score.
const QUOTE_WEIGHT = 50; // how closely the text matches the quote matters most,
const PREFIX_WEIGHT = 20; // then whether the text just before it is as it was,
const SUFFIX_WEIGHT = 20; // and the text just after it,
const POSITION_WEIGHT = 2; // and, between otherwise equal places, nearness to the old one.
const MAX_SCORE = QUOTE_WEIGHT + PREFIX_WEIGHT + SUFFIX_WEIGHT + POSITION_WEIGHT;

/** A quote found with edits may differ from the saved one in at most this share of its length. */
export const MAX_EDIT_SHARE = 0.2;
/** Below this length a quote is common enough to occur by chance, so its context must agree. */
export const SHORT_QUOTE = 30;
/** How well prefix and suffix must agree, on average (0 to 1), where context is needed. */
export const MIN_CONTEXT = 0.5;

const isHigh = (unit) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit) => unit >= 0xdc00 && unit <= 0xdfff;

/** The selectors of `text.slice(start, end)`: exact, prefix, suffix (never half a character), start, end. */
export function describe(text, start, end) {
  let from = Math.max(0, start - CONTEXT);
  if (from > 0 && isLow(text.charCodeAt(from))) from++;
  let to = Math.min(text.length, end + CONTEXT);
  if (to < text.length && isHigh(text.charCodeAt(to - 1))) to--;
  return { exact: text.slice(start, end), prefix: text.slice(from, start), suffix: text.slice(end, to), start, end };
}

/** How alike (0 to 1) the saved context is to the text now in its place; 1 when none was saved. */
function contextScore(actual, saved) {
  if (!saved) return 1;
  return Math.max(0, 1 - editDistance(actual, saved) / saved.length);
}

function scored(text, quote, match, context) {
  const prefix = contextScore(text.slice(Math.max(0, match.start - (context.prefix ?? "").length), match.start), context.prefix);
  const suffix = contextScore(text.slice(match.end, match.end + (context.suffix ?? "").length), context.suffix);
  const quoteScore = 1 - match.errors / quote.length;
  const position = typeof context.hint === "number" ? 1 - Math.abs(match.start - context.hint) / Math.max(1, text.length) : 1;
  const score =
    (QUOTE_WEIGHT * quoteScore + PREFIX_WEIGHT * prefix + SUFFIX_WEIGHT * suffix + POSITION_WEIGHT * position) / MAX_SCORE;
  return { ...match, score, context: (prefix + suffix) / 2 };
}

/** Whether a found place is trustworthy, beyond being the best one. */
function acceptable(quote, best, candidates) {
  // Short quotes and repeated ones occur by chance: only their context tells the place.
  const needsContext = quote.length < SHORT_QUOTE || candidates > 1;
  return !needsContext || best.context >= MIN_CONTEXT;
}

/**
 * The best place of `quote` in `text`, or null.
 * `context`: {prefix, suffix, hint}, hint being the old start offset.
 * Returns {start, end, errors, score}.
 */
export function matchQuote(text, quote, context = {}) {
  if (!quote) return null;
  let candidates = [];
  for (let at = text.indexOf(quote); at >= 0; at = text.indexOf(quote, at + 1)) {
    candidates.push({ start: at, end: at + quote.length, errors: 0 });
  }
  if (candidates.length > 0) return best(text, quote, candidates, context);
  // Edited: near the old position first (edits rarely move a passage far, and the
  // search costs time in proportion to the text searched), then everywhere.
  const maxErrors = Math.floor(quote.length * MAX_EDIT_SHARE);
  if (typeof context.hint === "number") {
    const from = Math.max(0, context.hint - NEAR);
    const near = search(text.slice(from, context.hint + quote.length + NEAR), quote, maxErrors).map((m) => ({
      ...m,
      start: m.start + from,
      end: m.end + from,
    }));
    const found = near.length ? best(text, quote, near, context) : null;
    if (found) return found;
  }
  const everywhere = search(text, quote, maxErrors);
  return everywhere.length ? best(text, quote, everywhere, context) : null;
}

function best(text, quote, candidates, context) {
  const ranked = candidates.map((m) => scored(text, quote, m, context)).sort((a, b) => b.score - a.score);
  const top = ranked[0];
  if (!acceptable(quote, top, candidates.length)) return null;
  return { start: top.start, end: top.end, errors: top.errors, score: top.score };
}

/**
 * Find a saved annotation's passage in `text`: {start, end, method} or null (an orphan).
 * `selector`: {exact, prefix, suffix, start, end} in UTF-16 offsets of this text's version.
 * method: "position" (still at its offsets), "quote" (the exact words elsewhere),
 * "fuzzy" (words slightly edited).
 */
export function anchor(text, selector) {
  const { exact, prefix, suffix, start, end } = selector;
  if (text.slice(start, end) === exact) {
    const here = scored(text, exact, { start, end, errors: 0 }, { prefix, suffix });
    if (acceptable(exact, here, 1)) return { start, end, method: "position" };
  }
  const found = matchQuote(text, exact, { prefix, suffix, hint: start });
  if (!found) return null;
  return { start: found.start, end: found.end, method: found.errors ? "fuzzy" : "quote" };
}
