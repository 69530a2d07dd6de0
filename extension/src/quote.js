// How a passage's quote is shown in small places (a highlight's popover): on one line of
// white space, and shortened in the middle when long, so that its beginning and its end
// (which tell overlapping passages apart) both stay readable. Pure: text in, text out.

const ELLIPSIS = "…";

/**
 * `quote` with each run of white space (line and paragraph breaks too) made one space and,
 * when it is longer than 2 × `keep` + `slack` characters, shortened to its first and last
 * `keep` or so characters around " … ". The cuts fall between words: the beginning ends
 * before the word that would pass `keep`, the end starts after one; a single word longer
 * than that is cut inside it. Lengths count code points, so no emoji is cut in half.
 */
export function shortenQuote(quote, { keep = 40, slack = 10 } = {}) {
  const chars = Array.from(quote.replace(/\s+/g, " ").trim());
  if (chars.length <= 2 * keep + slack) return chars.join("");
  const head = headWords(chars, keep);
  const tail = headWords([...chars].reverse(), keep).reverse();
  return `${head.join("")} ${ELLIPSIS} ${tail.join("")}`;
}

/** The first `keep` characters of `chars`, cut back to the last space inside them when there is one. */
function headWords(chars, keep) {
  // A space right after the cut means the cut already falls between words.
  if (chars[keep] === " ") return trimSpaces(chars.slice(0, keep));
  const lastSpace = chars.lastIndexOf(" ", keep - 1);
  const cut = lastSpace > 0 ? lastSpace : keep;
  return trimSpaces(chars.slice(0, cut));
}

function trimSpaces(chars) {
  let from = 0;
  let to = chars.length;
  while (from < to && chars[from] === " ") from++;
  while (to > from && chars[to - 1] === " ") to--;
  return chars.slice(from, to);
}
