// The article text rule and offset conversions: the extension's copy of
// server/newsmark/text.py, tested against the same vectors (tests/vectors/).
//
// The article text is the body paragraphs' text, each paragraph with every run
// of white space collapsed to one space and trimmed, empty paragraphs dropped,
// paragraphs joined by a blank line. "White space" is what `\s` matches here;
// the Python side spells the same set out. Pure functions, no DOM.

export const PARAGRAPH_SEPARATOR = "\n\n";

const WHITESPACE_RUN = /\s+/g;

/** Whether a UTF-16 unit is white space: exactly the units `\s` matches, without a regex call per unit. */
export function isWhitespace(unit) {
  return (
    (unit >= 0x09 && unit <= 0x0d) ||
    unit === 0x20 ||
    unit === 0xa0 ||
    unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) ||
    unit === 0x2028 ||
    unit === 0x2029 ||
    unit === 0x202f ||
    unit === 0x205f ||
    unit === 0x3000 ||
    unit === 0xfeff
  );
}

/** Collapse every run of white space to one space and trim the ends. */
export function normalizeParagraph(raw) {
  return raw.replace(WHITESPACE_RUN, " ").trim();
}

/** The article text from the body paragraphs' raw text. */
export function articleText(paragraphs) {
  return paragraphs.map(normalizeParagraph).filter((p) => p.length > 0).join(PARAGRAPH_SEPARATOR);
}

/** UTF-16 index (JavaScript's) → code point index (the service's). */
export function toCodePoints(text, utf16Index) {
  let points = 0;
  for (let i = 0; i < utf16Index; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point: count it once.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < utf16Index) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    points++;
  }
  return points;
}

/** Code point index (the service's) → UTF-16 index (JavaScript's). */
export function toUtf16(text, codePointIndex) {
  let i = 0;
  for (let points = 0; points < codePointIndex && i < text.length; points++) {
    const unit = text.charCodeAt(i);
    const pair = unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length;
    i += pair && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff ? 2 : 1;
  }
  return i;
}

/**
 * Conversions for one text, in O(1) each after one pass: code point offsets (the
 * service's) to UTF-16 offsets (JavaScript's) and back. Identity where the text
 * has no astral characters, which is most text.
 */
export function offsetConverter(text) {
  if (!/[\ud800-\udbff]/.test(text)) {
    const clamp = (i) => Math.max(0, Math.min(i, text.length));
    return { toUtf16: clamp, toCodePoints: clamp };
  }
  const utf16Of = [0]; // code point index → UTF-16 index
  for (let i = 0; i < text.length; ) {
    const pair = isHigh(text.charCodeAt(i)) && i + 1 < text.length && isLow(text.charCodeAt(i + 1));
    i += pair ? 2 : 1;
    utf16Of.push(i);
  }
  return {
    toUtf16: (cp) => utf16Of[Math.max(0, Math.min(cp, utf16Of.length - 1))],
    toCodePoints: (u16) => toCodePoints(text, u16),
  };
}

const isHigh = (unit) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * Build the article text from paragraphs given as chunks of raw text (a page's
 * text nodes, in document order), remembering where each character came from.
 *
 * `paragraphs` is a list of lists of strings. Every chunk gets a global raw index
 * range: chunk k of all chunks starts at `chunkStart[k]`. The result maps each
 * UTF-16 unit of the article text to the raw index it came from (`rawIndex`), so
 * that a range of the article text can be turned back into page positions and a
 * page selection into article offsets, while the text itself follows the rule.
 */
export function mapArticleText(paragraphs) {
  const chunkStart = [];
  const parts = [];
  const rawIndex = [];
  let raw = 0;
  let length = 0;
  for (const chunks of paragraphs) {
    let paragraph = "";
    const origin = [];
    let pendingSpace = -1; // raw index of the first white space of a run not yet written
    for (const chunk of chunks) {
      chunkStart.push(raw);
      let runStart = 0; // start of the current stretch of non-space units in this chunk
      for (let i = 0; i <= chunk.length; i++, raw++) {
        if (i < chunk.length && !isWhitespace(chunk.charCodeAt(i))) {
          if (pendingSpace >= 0) {
            if (paragraph.length > 0) {
              paragraph += " ";
              origin.push(pendingSpace);
            }
            pendingSpace = -1;
          }
          continue;
        }
        // A stretch of non-space units ends here: copy it whole.
        const stretch = i - runStart;
        if (stretch > 0) {
          paragraph += chunk.slice(runStart, i);
          for (let r = raw - stretch; r < raw; r++) origin.push(r);
        }
        if (i < chunk.length && pendingSpace < 0) pendingSpace = raw;
        runStart = i + 1;
      }
      raw--; // the loop counted one past the chunk's end
    }
    if (paragraph.length === 0) continue;
    if (length > 0) {
      // The separator belongs to no page position; it maps to just after the paragraph before.
      const end = rawIndex[rawIndex.length - 1] + 1;
      parts.push(PARAGRAPH_SEPARATOR);
      rawIndex.push(end, end);
      length += PARAGRAPH_SEPARATOR.length;
    }
    parts.push(paragraph);
    for (const r of origin) rawIndex.push(r);
    length += paragraph.length;
  }
  return { text: parts.join(""), rawIndex: Int32Array.from(rawIndex), chunkStart };
}

/**
 * Article offset (UTF-16) of a page position given as a raw index.
 *
 * A selection's start maps to the first article character at or after it, its
 * end to just after the last one before it; either way a paragraph separator is
 * left outside, so a selection from the very start of a paragraph does not begin
 * with a blank line. `edge` is "start" or "end".
 */
export function articleOffset(map, rawPosition, edge) {
  const idx = map.rawIndex;
  let lo = 0;
  let hi = idx.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (idx[mid] < rawPosition) lo = mid + 1;
    else hi = mid;
  }
  // lo: the number of article characters that come from before rawPosition.
  // Newlines occur in the article text only as paragraph separators.
  if (edge === "start") {
    while (lo < map.text.length && map.text[lo] === "\n") lo++;
  } else {
    while (lo > 0 && map.text[lo - 1] === "\n") lo--;
  }
  return lo;
}

/** The chunk and offset in it where the article character at `offset` came from. */
export function rawPosition(map, offset) {
  const raw = map.rawIndex[offset];
  let lo = 0;
  let hi = map.chunkStart.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (map.chunkStart[mid] <= raw) lo = mid;
    else hi = mid - 1;
  }
  return { chunk: lo, offset: raw - map.chunkStart[lo] };
}

/** Page positions of the article range [start, end): chunk and offset of each end, end exclusive. */
export function rawRange(map, start, end) {
  const last = rawPosition(map, end - 1);
  return { start: rawPosition(map, start), end: { chunk: last.chunk, offset: last.offset + 1 } };
}
