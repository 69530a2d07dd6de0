// Which links of a listing page are articles, their URLs as the service keeps them, and the badges.
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/listing.js"; // a classic script (see there): it defines globalThis.newsmarkListing

const { articleUrl, articleUrls, badgeFor, batches, MAX_LOOKUP_URLS } = globalThis.newsmarkListing;

const HOME = "https://lite.cnn.com/";

test("site-relative article links resolve against the page", () => {
  assert.equal(
    articleUrl("/2024/02/02/politics/us-strikes-iraq-syria/index.html", HOME),
    "https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria/index.html",
  );
  assert.equal(articleUrl("/2025/06/30/world/new-style-slug", HOME), "https://lite.cnn.com/2025/06/30/world/new-style-slug");
  // Relative to a section page, and absolute on the same site.
  assert.equal(
    articleUrl("../2024/02/03/us/story", "https://lite.cnn.com/politics/index.html"),
    "https://lite.cnn.com/2024/02/03/us/story",
  );
  assert.equal(articleUrl("https://lite.cnn.com/2024/02/03/us/story", HOME), "https://lite.cnn.com/2024/02/03/us/story");
});

test("query, fragment, host case and default port go, as the service normalises", () => {
  const want = "https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria/index.html";
  assert.equal(articleUrl("/2024/02/02/politics/us-strikes-iraq-syria/index.html?x=1#y", HOME), want);
  assert.equal(articleUrl("HTTPS://Lite.CNN.com:443/2024/02/02/politics/us-strikes-iraq-syria/index.html", HOME), want);
});

test("path characters the service percent-encodes are encoded the same way", () => {
  // The URL parser encodes spaces and non-ASCII; the service also "|", "^" and a "%" that begins no byte.
  assert.equal(articleUrl("/2024/02/02/world/caf\u00e9 news", HOME), "https://lite.cnn.com/2024/02/02/world/caf%C3%A9%20news");
  assert.equal(articleUrl("/2024/02/02/world/a|b^c", HOME), "https://lite.cnn.com/2024/02/02/world/a%7Cb%5Ec");
  assert.equal(articleUrl("/2024/02/02/world/100%-true", HOME), "https://lite.cnn.com/2024/02/02/world/100%25-true");
  assert.equal(articleUrl("/2024/02/02/world/already%20encoded", HOME), "https://lite.cnn.com/2024/02/02/world/already%20encoded");
});

test("links that are not articles are left out", () => {
  for (const href of [
    "/",
    "/politics",
    "/politics/index.html",
    "/2024/02/02/politics",
    "/2024/02/02/politics/",
    "/2024/02/02/politics/slug/extra/page",
    "/2024/02/02/politics/slug/index.htm",
    "/24/02/02/politics/slug",
    "/videos/2024/02/02/politics/slug",
    "https://www.cnn.com/2024/02/02/politics/slug",
    "http://lite.cnn.com/2024/02/02/politics/slug",
    "https://user:pw@lite.cnn.com/2024/02/02/politics/slug",
    "mailto:tips@cnn.com",
    "javascript:void(0)",
    "#top",
    "",
    "http://[bad",
  ]) {
    assert.equal(articleUrl(href, HOME), null, href);
  }
});

test("each article once, in the page's order", () => {
  const urls = articleUrls(
    ["/2024/01/01/a/one", "/politics", "/2024/01/01/a/two?ref=top", "/2024/01/01/a/one#again", "/2024/01/01/a/three"],
    HOME,
  );
  assert.deepEqual(urls, [
    "https://lite.cnn.com/2024/01/01/a/one",
    "https://lite.cnn.com/2024/01/01/a/two",
    "https://lite.cnn.com/2024/01/01/a/three",
  ]);
});

test("a hundred links are one request; more than 200 are split", () => {
  const list = (n) => Array.from({ length: n }, (_, i) => i);
  assert.equal(MAX_LOOKUP_URLS, 200);
  assert.deepEqual(batches(list(100)).map((b) => b.length), [100]);
  assert.deepEqual(batches(list(200)).map((b) => b.length), [200]);
  assert.deepEqual(batches(list(450)).map((b) => b.length), [200, 200, 50]);
  assert.deepEqual(batches([]), []);
});

test("a coded article's badge: a letter and a count per tag, and a title in words", () => {
  const badge = badgeFor({ seen: true, counts: { actor: 2, claim: 5, figure: 1, total: 8 } });
  assert.equal(badge.kind, "coded");
  assert.deepEqual(
    badge.parts.map((p) => [p.tag, p.text]),
    [
      ["actor", "A2"],
      ["claim", "C5"],
      ["figure", "F1"],
    ],
  );
  assert.equal(badge.title, "coded: 2 actor, 5 claim, 1 figure");
  const some = badgeFor({ seen: true, counts: { actor: 0, claim: 3, figure: 0, total: 3 } });
  assert.deepEqual(some.parts.map((p) => p.text), ["C3"]);
  assert.equal(some.title, "coded: 3 claim");
});

test("opened but not coded is a dot; never seen is nothing", () => {
  assert.deepEqual(badgeFor({ seen: true, counts: { actor: 0, claim: 0, figure: 0, total: 0 } }), {
    kind: "seen",
    title: "opened, not coded",
  });
  assert.equal(badgeFor({ seen: false, counts: { actor: 0, claim: 0, figure: 0, total: 0 } }), null);
  assert.equal(badgeFor(undefined), null);
});
