// A lite.cnn.com listing page (the home page, a section page): which of its links are articles,
// in the form the service keeps their URLs, and what each article's badge says. Pure: no DOM.
//
// A classic script, unlike the article modules: the manifest loads it (and listing-page.js) before
// content.js, because a dynamic import costs 30-50 ms on every page load in Chromium, most of the
// badges' budget of 50 ms after the page is idle. It defines globalThis.newsmarkListing (in the
// extension's isolated world: the page cannot see it); node tests import it and read that.

"use strict";

(() => {

  /** The most URLs one lookup request takes (the service's limit, contract.MAX_LOOKUP_URLS). */
  const MAX_LOOKUP_URLS = 200;

  const TAGS = [
    ["actor", "A"],
    ["claim", "C"],
    ["figure", "F"],
  ];

  // An article's path: /YYYY/MM/DD/<section>/<slug>, with /index.html on older articles.
  const ARTICLE_PATH = /^\/\d{4}\/\d{2}\/\d{2}\/[^/]+\/[^/]+(?:\/index\.html)?$/;

  // What the service percent-encodes in a path (contract._NOT_IN_PATH): anything RFC 3986 does not
  // allow there, and a "%" that begins no percent-encoded byte. The URL parser already encodes
  // most of it (spaces, non-ASCII, quotes, angle brackets); "|", "^" and a lone "%" it leaves.
  const NOT_IN_PATH = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu;

  /**
   * The article URL an href points to, normalised as the service normalises it (no query, no
   * fragment, lowercase host, no default port, the path percent-encoded), or null when the link
   * is not an article on the page's own site (a section, another site, a non-http link).
   */
  function articleUrl(href, pageUrl) {
    let url;
    try {
      url = new URL(href, pageUrl);
    } catch {
      return null;
    }
    const page = new URL(pageUrl);
    if (url.protocol !== "https:" || url.host !== page.host) return null;
    if (url.username || url.password) return null;
    if (!ARTICLE_PATH.test(url.pathname)) return null;
    const path = url.pathname.replace(NOT_IN_PATH, (ch) => encodeURIComponent(ch));
    return `${url.protocol}//${url.host}${path}`;
  }

  /** The article URLs of `hrefs`, each once, in the page's order. */
  function articleUrls(hrefs, pageUrl) {
    const seen = new Set();
    for (const href of hrefs) {
      const url = articleUrl(href, pageUrl);
      if (url) seen.add(url);
    }
    return [...seen];
  }

  /** `items` in requests of at most `size` (one request for a home page's hundred links). */
  function batches(items, size = MAX_LOOKUP_URLS) {
    const out = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
  }

  /**
   * What an article's mark says, from the service's lookup entry: coded (counts per tag, each with
   * its letter, so colour is not the only cue), seen (opened, not coded), or nothing.
   *
   * @returns {{kind: "coded", parts: {tag: string, text: string}[], title: string}
   *   | {kind: "seen", title: string} | null}
   */
  function badgeFor(entry) {
    if (!entry || !entry.seen) return null;
    const counts = entry.counts ?? {};
    const parts = TAGS.filter(([tag]) => counts[tag] > 0).map(([tag, letter]) => ({
      tag,
      text: `${letter}${counts[tag]}`,
    }));
    if (parts.length === 0) return { kind: "seen", title: "opened, not coded" };
    const words = TAGS.filter(([tag]) => counts[tag] > 0).map(([tag]) => `${counts[tag]} ${tag}`);
    return { kind: "coded", parts, title: `coded: ${words.join(", ")}` };
  }

  globalThis.newsmarkListing = Object.freeze({ MAX_LOOKUP_URLS, articleUrl, articleUrls, batches, badgeFor });
})();
