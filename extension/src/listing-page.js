// The badges on a lite.cnn.com listing page (the home page, a section page): each linked article
// this data folder has coded gets its counts per tag, each one opened but not coded a dot. The page's
// own layout never moves: a badge hangs, absolutely positioned, from an empty inline span placed
// after its link, so no line, link or word changes place. Built with textContent only.
// A classic script, run with listing.js when the page's markup is parsed (document_end, before
// content.js; see listing.js for why not a module): it defines globalThis.newsmarkListingPage and,
// on a listing page, starts at once.

"use strict";

(() => {
  const { articleUrl, badgeFor, batches } = globalThis.newsmarkListing;

  /** The links of the page's article cards (each card holds one link, its headline). */
  const CARD_LINKS = ".card--lite a[href]";

  /**
   * Ask the service (through the background) about every article the page links to, and draw the
   * badges. Marks `html` when done: `data-newsmark-ready`, `data-newsmark-badges` (how many were
   * drawn), `data-newsmark-badges-ms` (from `began`, the content script's start, to drawn) and
   * `data-newsmark-lookup-ms` (of that, waiting for the service's answer through the background).
   * A service that is down or refuses the token leaves the page as it was, with
   * `data-newsmark-error` saying why.
   */
  async function markListing({ doc, pageUrl, send, began }) {
    const linksByUrl = new Map(); // article URL → the page's links to it (a story may be linked twice)
    for (const link of doc.querySelectorAll(CARD_LINKS)) {
      const url = articleUrl(link.getAttribute("href"), pageUrl);
      if (!url) continue;
      if (!linksByUrl.has(url)) linksByUrl.set(url, []);
      linksByUrl.get(url).push(link);
    }
    const asked = performance.now();
    const answers = await Promise.all(
      batches([...linksByUrl.keys()]).map((urls) =>
        // A reloaded extension's old script throws at once: treated as a failed answer.
        Promise.resolve()
          .then(() => send({ type: "lookup", urls }))
          .catch((err) => ({ ok: false, message: String(err) })),
      ),
    );
    const lookupMs = performance.now() - asked;
    const root = doc.documentElement;
    const failed = answers.find((answer) => !answer?.ok);
    if (failed) root.dataset.newsmarkError = failed.state ?? "error";
    const drawn = [];
    for (const answer of answers) {
      if (!answer?.ok) continue;
      for (const [url, entry] of Object.entries(answer.articles ?? {})) {
        const badge = badgeFor(entry);
        if (!badge) continue;
        for (const link of linksByUrl.get(url) ?? []) drawn.push(draw(doc, link, url, badge));
      }
    }
    keepInside(doc, drawn);
    root.dataset.newsmarkBadges = String(drawn.length);
    root.dataset.newsmarkBadgesMs = (performance.now() - began).toFixed(1);
    root.dataset.newsmarkLookupMs = lookupMs.toFixed(1); // of which the service's answer, via the background
    root.dataset.newsmarkReady = "";
    performance.mark("newsmark-badges"); // on the page's timeline too: scripts/bench_listing.py reads it
  }

  function element(doc, tag, attrs, text = "") {
    const el = doc.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
    if (text) el.textContent = text;
    return el;
  }

  function draw(doc, link, url, badge) {
    const hook = element(doc, "span", { class: "newsmark-badge-hook", "data-newsmark-badge-for": url });
    const mark = element(doc, "span", {
      class: "newsmark-badge",
      "data-newsmark-badge": badge.kind,
      title: badge.title,
      role: "img",
      "aria-label": badge.title,
    });
    if (badge.kind === "coded") {
      for (const part of badge.parts) mark.append(element(doc, "span", { "data-newsmark-badge-tag": part.tag }, part.text));
    }
    hook.append(mark);
    link.after(hook);
    return mark;
  }

  // A badge after a headline that ends at the window's right edge would stick out of the page (and
  // give it a horizontal scrollbar): such a badge hangs to the left of its hook instead.
  function keepInside(doc, marks) {
    const width = doc.documentElement.clientWidth;
    const outside = marks.filter((mark) => mark.getBoundingClientRect().right > width);
    for (const mark of outside) mark.dataset.newsmarkFlip = "";
  }

  /** A listing page: article cards and no article body. */
  function isListing(doc) {
    return doc.querySelector(".card--lite") !== null && doc.querySelector("p.paragraph--lite") === null;
  }

  globalThis.newsmarkListingPage = Object.freeze({ markListing, isListing });

  // Run as soon as the page's markup is parsed (document_end): the lookup's round trip through the
  // background then overlaps the page's own first layout and paint instead of following them.
  if (isListing(document)) {
    const api = globalThis.browser ?? globalThis.chrome;
    const send = (message) => api.runtime.sendMessage(message);
    markListing({ doc: document, pageUrl: location.href, send, began: performance.now() });
  }
})();
