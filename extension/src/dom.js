// Reading a lite.cnn.com article page: which elements are the body, their text
// nodes, and conversions between page ranges and article text offsets. Reads the
// DOM, never changes it (the highlighter does that).

import { mapArticleText, articleOffset, normalizeParagraph } from "./text.js";
import { datePublishedFromJsonLd, sendableDatePublished } from "./jsonld.js";

const FULL_ARTICLE_LINK = "See Full Web Article";

/** The article on the page, or null where there is none (the home page, other pages). */
export function findArticle(doc) {
  // Tolerate small drift: a missing wrapper or byline still leaves the body paragraphs.
  const root = doc.querySelector("article.article--lite") ?? doc.querySelector(".layout-article-elevate__lite");
  const scope = root ?? doc;
  const paragraphs = [...scope.querySelectorAll("p.paragraph--lite")].filter(
    (p) => normalizeParagraph(p.textContent) !== FULL_ARTICLE_LINK,
  );
  if (paragraphs.length === 0) return null;
  const text = (selector) => normalizeParagraph(scope.querySelector(selector)?.textContent ?? "");
  return {
    root: root ?? paragraphs[0].parentElement,
    paragraphs,
    title: text("h2.headline") || text("h1") || doc.title,
    byline: text(".byline--lite"),
    timestampText: text(".timestamp--lite"),
    // When the page says it was published (its schema.org JSON-LD), as it says it; null if it does not.
    datePublished: sendableDatePublished(
      datePublishedFromJsonLd(
        [...doc.querySelectorAll('script[type="application/ld+json"]')].map((s) => s.textContent),
      ),
    ),
  };
}

/** The body's text nodes, paragraph by paragraph, and the article text mapped onto them. */
export function readText(article) {
  const nodes = [];
  const strings = article.paragraphs.map((p) => {
    const walker = p.ownerDocument.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    const chunks = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      nodes.push(n);
      chunks.push(n.data);
    }
    return chunks;
  });
  return { ...mapArticleText(strings), nodes };
}

/** Whether a range boundary lies in the article body (a body paragraph, or between two). */
function inBody(article, node) {
  const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  if (article.paragraphs.some((p) => p.contains(element))) return true;
  return element === article.root || element === article.paragraphs[0].parentElement;
}

/** The raw index of a boundary point: where it falls among the body's text nodes. */
function rawIndexOf(map, container, offset) {
  const k = map.nodes.indexOf(container);
  if (k >= 0) return map.chunkStart[k] + offset;
  // An element boundary: before the first text node that follows it.
  const point = container.ownerDocument.createRange();
  point.setStart(container, offset);
  for (let i = 0; i < map.nodes.length; i++) {
    if (point.comparePoint(map.nodes[i], 0) >= 0) return map.chunkStart[i];
  }
  const last = map.nodes.length - 1;
  return last < 0 ? 0 : map.chunkStart[last] + map.nodes[last].data.length;
}

/**
 * Article offsets (UTF-16, end exclusive) of a page range, or a reason it cannot be coded:
 * {start, end} or {refused: "outside" | "empty"}.
 */
export function rangeToOffsets(article, map, range) {
  if (!inBody(article, range.startContainer) || !inBody(article, range.endContainer)) {
    return { refused: "outside" };
  }
  const start = articleOffset(map, rawIndexOf(map, range.startContainer, range.startOffset), "start");
  const end = articleOffset(map, rawIndexOf(map, range.endContainer, range.endOffset), "end");
  if (end <= start || map.text.slice(start, end).trim() === "") return { refused: "empty" };
  return { start, end };
}
