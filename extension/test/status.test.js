// The popup's delivery heading and the options page's test outcome, state by state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { plural, deliveryStatus, testOutcome } from "../src/status.js";

const coder = { annotator: "coder-a" };
const status = (state, pending, extra = {}) => ({ connection: { state, ...extra }, pending });

test("plural: one change, several changes, no changes", () => {
  assert.equal(plural(1, "change"), "1 change");
  assert.equal(plural(2, "change"), "2 changes");
  assert.equal(plural(0, "change"), "0 changes");
});

test("connected, nothing waiting: all delivered, no waiting list", () => {
  const shown = deliveryStatus(status("ok", 0), coder);
  assert.equal(shown.heading, "All codes delivered");
  assert.equal(shown.state, "delivered");
  assert.equal(shown.showWaiting, false);
  assert.equal(shown.detail, "");
});

test("connected with changes waiting: they are on their way", () => {
  assert.equal(deliveryStatus(status("ok", 1), coder).heading, "1 change waiting — delivering");
  const shown = deliveryStatus(status("ok", 3), coder);
  assert.equal(shown.heading, "3 changes waiting — delivering");
  assert.equal(shown.showWaiting, true);
});

test("unreachable: the changes are kept until the service is back", () => {
  const one = deliveryStatus(status("unreachable", 1), coder);
  assert.equal(one.heading, "Service not reachable — 1 change kept, sent when it is back");
  assert.equal(one.showWaiting, true);
  assert.equal(one.settingsLink, true);
  assert.equal(
    deliveryStatus(status("unreachable", 2), coder).heading,
    "Service not reachable — 2 changes kept, sent when it is back",
  );
  const none = deliveryStatus(status("unreachable", 0), coder);
  assert.match(none.heading, /^Service not reachable — /);
  assert.doesNotMatch(none.heading, /0 change/);
  assert.equal(none.showWaiting, false);
});

test("wrong token: says so and points to Settings", () => {
  const shown = deliveryStatus(status("unauthorized", 2), coder);
  assert.equal(shown.heading, "Wrong token — 2 changes kept until it is fixed");
  assert.equal(shown.settingsLink, true);
  assert.match(shown.detail, /newsmark token/);
  assert.equal(deliveryStatus(status("unauthorized", 0), coder).heading, "Wrong token — the service refuses it");
});

test("an error names the service's message", () => {
  const shown = deliveryStatus(status("error", 1, { message: "Not a newsmark service" }), coder);
  assert.equal(shown.heading, "Service error — 1 change kept");
  assert.equal(shown.detail, "Not a newsmark service");
});

test("no answer yet: checking", () => {
  assert.equal(deliveryStatus(undefined, coder).heading, "Checking the service…");
});

test("connected but no coder name: delivered, and coding is blocked until one is set", () => {
  const shown = deliveryStatus(status("ok", 0), { annotator: "  " });
  assert.equal(shown.state, "no-coder");
  assert.match(shown.detail, /No coder name/);
  assert.equal(shown.settingsLink, true);
});

const form = { serviceUrl: "http://127.0.0.1:7767", token: "t", annotator: "coder-a" };

test("a passing test says OK and Saved", () => {
  const out = testOutcome({ state: "ok", version: "0.1.0" }, form);
  assert.equal(out.state, "ok");
  assert.equal(out.text, "OK: newsmark 0.1.0 answers at http://127.0.0.1:7767 and accepts the token. Saved.");
});

test("a passing test without a coder name says what still blocks coding", () => {
  const out = testOutcome({ state: "ok", version: "0.1.0" }, { ...form, annotator: "" });
  assert.equal(out.state, "no-coder");
  assert.match(out.text, /^Connection OK: .* Saved\. Coding still needs your coder name/);
});

test("a failing test says plainly that nothing was saved", () => {
  for (const result of [
    { state: "unreachable" },
    { state: "unauthorized" },
    { state: "error", message: "Not a valid URL: x" },
  ]) {
    const out = testOutcome(result, form);
    assert.equal(out.state, result.state);
    assert.match(out.text, /Nothing was saved/);
    assert.doesNotMatch(out.text, /\.\./);
  }
});

test("a passing test whose save failed is an error", () => {
  const out = testOutcome({ state: "ok", version: "0.1.0" }, form, "QUOTA_BYTES quota exceeded");
  assert.equal(out.state, "error");
  assert.equal(out.text, "Connection OK, but saving failed: QUOTA_BYTES quota exceeded.");
});
