// The article's publication time as its page states it: the datePublished of the page's
// schema.org JSON-LD (<script type="application/ld+json">). Pure: it reads script texts, no DOM.
// The service keeps the string raw (as date_published) and parses it; the same rule is
// server/newsmark/metadata.py's date_published_from_jsonld, and both are tested against
// tests/vectors/article_metadata.json.

/** The service's limit on date_published, and the characters it refuses in one line of text. */
export const MAX_DATE_PUBLISHED = 100;
const NOT_IN_ONE_LINE = /[\u0000-\u001f\u007f\u2028\u2029]/;

/**
 * The NewsArticle's datePublished from the texts of a page's ld+json scripts, or null.
 * Each text may hold an object, a list, or an object with @graph, nested anywhere (a WebPage's
 * mainEntity); malformed JSON is skipped. The first object whose @type (a string or a list;
 * "schema:" or IRI prefixes allowed) is a kind of NewsArticle wins; failing that, the first other
 * kind of Article.
 */
export function datePublishedFromJsonLd(texts) {
  let article = null;
  for (const text of Array.isArray(texts) ? texts : []) {
    if (typeof text !== "string") continue;
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      continue;
    }
    let news = null;
    for (const obj of objects(data)) {
      const stated = statedDate(obj.datePublished);
      if (stated === null) continue;
      const types = asList(obj["@type"]).map(typeName);
      if (news === null && types.some((t) => t.endsWith("NewsArticle"))) news = stated;
      else if (article === null && types.some((t) => t.endsWith("Article"))) article = stated;
    }
    if (news !== null) return news;
  }
  return article;
}

/** What the extension sends as date_published: the stated string if the service takes it, else null. */
export function sendableDatePublished(stated) {
  if (typeof stated !== "string") return null;
  if (stated.length > MAX_DATE_PUBLISHED || NOT_IN_ONE_LINE.test(stated)) return null;
  return stated;
}

/** Every JSON object in data, in document order (iterative: a hostile nesting cannot overflow). */
function* objects(data) {
  const stack = [data];
  while (stack.length) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    } else if (item !== null && typeof item === "object") {
      yield item;
      const values = Object.values(item);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
}

function asList(value) {
  return Array.isArray(value) ? value : [value];
}

/** "NewsArticle" from "NewsArticle", "schema:NewsArticle" or "https://schema.org/NewsArticle". */
function typeName(value) {
  if (typeof value !== "string") return "";
  const parts = value.trim().split(/[/:#]/);
  return parts[parts.length - 1];
}

/** A datePublished value: a string, or the first string of a list. */
function statedDate(value) {
  for (const item of asList(value)) {
    if (typeof item === "string" && item.trim()) return item;
  }
  return null;
}
