// What an article page says when the service cannot load its highlights, and when it retries.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bannerFor, retryDelay, RETRY_FIRST_MS, RETRY_MAX_MS } from "../src/service-state.js";

test("retries wait 2 s, doubling, never more than 30 s", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map(retryDelay), [2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(retryDelay(-3), RETRY_FIRST_MS);
  assert.equal(retryDelay(undefined), RETRY_FIRST_MS);
  assert.equal(retryDelay(1e9), RETRY_MAX_MS);
});

test("no banner when the service answered", () => {
  assert.equal(bannerFor({ ok: true, items: [] }), null);
});

test("unreachable: names the address and says the codes are kept", () => {
  const notice = bannerFor({ ok: false, state: "unreachable", serviceUrl: "http://127.0.0.1:7800" });
  assert.equal(notice.state, "unreachable");
  assert.equal(notice.action, null);
  assert.equal(
    notice.text,
    "newsmark service not reachable at http://127.0.0.1:7800 — your codes are kept and sent when it is back",
  );
});

test("a wrong token: says so and offers the options", () => {
  const notice = bannerFor({ ok: false, state: "unauthorized", status: 401, serviceUrl: "http://127.0.0.1:7800" });
  assert.equal(notice.state, "unauthorized");
  assert.equal(notice.action, "options");
  assert.match(notice.text, /did not accept the token/);
  assert.match(notice.text, /options/);
  assert.match(notice.text, /http:\/\/127\.0\.0\.1:7800/);
});

test("any other failure: the service's reason, and the default address when none is given", () => {
  const notice = bannerFor({ ok: false, state: "error", status: 503, message: "the store is closed" });
  assert.equal(notice.state, "error");
  assert.match(notice.text, /127\.0\.0\.1:7767/);
  assert.match(notice.text, /the store is closed/);
  assert.equal(bannerFor(undefined).state, "error"); // no answer at all (the worker was restarting)
});
