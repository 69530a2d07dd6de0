// Approximate string search: where does `pattern` occur in `text` with at most k
// edits (insertions, deletions, substitutions)? Myers' bit-parallel algorithm
// (Myers 1999), in Hyyrö's form for patterns longer than one 32-bit word, as the
// Hypothesis client uses it to re-anchor quotes in edited pages. O(n·m/32).
// Pure functions, no DOM.

const WORD = 32;

/** Bit masks per pattern character: bit i of block b is set where pattern[32b + i] is that character. */
function patternMasks(pattern, blocks) {
  const masks = new Map();
  for (let i = 0; i < pattern.length; i++) {
    const code = pattern.charCodeAt(i);
    let mask = masks.get(code);
    if (!mask) {
      mask = new Uint32Array(blocks);
      masks.set(code, mask);
    }
    mask[(i / WORD) | 0] |= 1 << i % WORD;
  }
  return masks;
}

/**
 * Every end position (exclusive) in `text` where some substring ending there is
 * within `maxErrors` edits of `pattern`, with that least number of edits.
 * Column j of the edit-distance table, its first row all zeros (a match may start
 * anywhere), is kept as vertical deltas: one bit vector pair per 32 rows.
 * `anchored`: matches must start at 0 instead (first row j, not 0), so each end's
 * edits are those between `pattern` and `text.slice(0, end)`.
 */
export function matchEnds(text, pattern, maxErrors, anchored = false) {
  const m = pattern.length;
  if (m === 0) return [];
  const blocks = Math.ceil(m / WORD);
  const masks = patternMasks(pattern, blocks);
  const none = new Uint32Array(blocks);
  const pv = new Uint32Array(blocks).fill(0xffffffff); // +1 down every column at first: D[i][0] = i
  const mv = new Uint32Array(blocks);
  const score = new Int32Array(blocks); // D at the last row of each block
  const lastRow = new Uint32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    score[b] = Math.min((b + 1) * WORD, m);
    lastRow[b] = b === blocks - 1 ? 1 << (m - 1) % WORD : 1 << (WORD - 1);
  }
  const ends = [];
  for (let j = 0; j < text.length; j++) {
    const eqs = masks.get(text.charCodeAt(j)) || none;
    // The horizontal delta entering the first block from row 0: 0 where a match may
    // start anywhere, +1 per column where it must start at 0.
    let carry = anchored ? 1 : 0;
    for (let b = 0; b < blocks; b++) {
      const negIn = carry < 0 ? 1 : 0;
      const eq = eqs[b] | negIn;
      const p = pv[b];
      const mm = mv[b];
      const xv = eq | mm;
      const xh = (((eq & p) + p) ^ p) | eq;
      let ph = mm | ~(xh | p);
      let mh = p & xh;
      const out = (ph & lastRow[b] ? 1 : 0) - (mh & lastRow[b] ? 1 : 0);
      ph = (ph << 1) | (carry > 0 ? 1 : 0);
      mh = (mh << 1) | negIn;
      pv[b] = mh | ~(xv | ph);
      mv[b] = ph & xv;
      score[b] += out;
      carry = out;
    }
    if (score[blocks - 1] <= maxErrors) ends.push({ end: j + 1, errors: score[blocks - 1] });
  }
  return ends;
}

function reversed(s) {
  return Array.from({ length: s.length }, (_, i) => s[s.length - 1 - i]).join("");
}

/**
 * Approximate occurrences of `pattern` in `text`, each `{start, end, errors}`
 * (end exclusive). Of a run of adjacent end positions only the best is kept, and
 * its start is found by searching backwards from it for the longest match with
 * the same number of edits.
 */
export function search(text, pattern, maxErrors) {
  const best = [];
  let previousEnd = -1;
  for (const e of matchEnds(text, pattern, maxErrors)) {
    const last = best[best.length - 1];
    if (last && e.end === previousEnd + 1) {
      if (e.errors < last.errors) best[best.length - 1] = e; // same run: keep its best end
    } else {
      best.push(e);
    }
    previousEnd = e.end;
  }
  const patternBack = reversed(pattern);
  return best.map(({ end, errors }) => {
    // The start: the longest span ending here with these few edits, found by an
    // anchored search backwards from the end.
    const from = Math.max(0, end - pattern.length - errors);
    const back = matchEnds(reversed(text.slice(from, end)), patternBack, errors, true);
    const longest = back.reduce((n, r) => Math.max(n, r.end), 0);
    return { start: end - longest, end, errors };
  });
}

/** The Levenshtein distance between two short strings (plain dynamic programming). */
export function editDistance(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1), row[j] + 1, next[j - 1] + 1);
    }
    row = next;
  }
  return row[b.length];
}
