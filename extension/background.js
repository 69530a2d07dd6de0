// newsmark background: the only part of the extension that talks to the local service.
//
// Chromium blocks a content script's fetch to 127.0.0.1 (local network access), so content scripts,
// the popup and the options page send messages here and this worker makes the HTTP requests.
// It runs as Chromium's MV3 service worker and as Firefox's background script, so it is a classic
// script (no import) and keeps no state in memory that matters: settings and the outbox of
// undelivered changes live in storage.local, because the worker may be stopped at any moment.

"use strict";

const api = globalThis.browser ?? globalThis.chrome;

const DEFAULT_SETTINGS = { serviceUrl: "http://127.0.0.1:7767", token: "", annotator: "" };
const REQUEST_TIMEOUT_MS = 8000;
const BACKOFF_FIRST_MS = 2000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
const OUTBOX_ALARM = "newsmark-outbox";
const TAGS = [
  ["actor", "Actor"],
  ["claim", "Claim"],
  ["figure", "Figure"],
];

// ---------------------------------------------------------------------------------------------
// Settings

// Read once per worker life and dropped when they change (storage.onChanged below): every request
// needs them, and a storage read costs a few ms on the home page's badge lookup.
let settingsCache = null;

function getSettings() {
  settingsCache ??= api.storage.local.get("settings").then(({ settings }) => normalizeSettings(settings));
  return settingsCache;
}

function normalizeSettings(raw) {
  const s = { ...DEFAULT_SETTINGS, ...(raw || {}) };
  // A trailing slash would make "//api/..." paths, which the service does not route.
  s.serviceUrl = String(s.serviceUrl || DEFAULT_SETTINGS.serviceUrl)
    .trim()
    .replace(/\/+$/, "");
  s.token = String(s.token || "").trim();
  s.annotator = String(s.annotator || "").trim();
  return s;
}

// ---------------------------------------------------------------------------------------------
// HTTP to the service

// One request. Never throws: a network error or timeout comes back as status 0, so every caller
// can sort outcomes by status alone (0 unreachable, 401 wrong token, 4xx refused, 5xx retry).
async function callService(settings, method, path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const headers = { Authorization: `Bearer ${settings.token}` };
  const init = { method, headers, signal: controller.signal, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(settings.serviceUrl + path, init);
  } catch (err) {
    const message = controller.signal.aborted
      ? `No answer from ${settings.serviceUrl} within ${REQUEST_TIMEOUT_MS / 1000} s`
      : `Cannot reach the newsmark service at ${settings.serviceUrl} (${err.message || err})`;
    return { status: 0, data: null, message };
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    const text = await response.text();
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null; // not JSON (e.g. a proxy's error page): the status still says what happened
  }
  const error = data && data.error;
  const message = response.ok
    ? ""
    : (error && error.message) || `The service answered ${response.status} ${response.statusText}`.trim();
  return { status: response.status, data, message, fields: (error && error.fields) || undefined };
}

function stateOf(status) {
  if (status === 0) return "unreachable";
  if (status === 401) return "unauthorized";
  return status >= 200 && status < 300 ? "ok" : "error";
}

// Worth trying again later: the service was down, slow or temporarily unable to write.
function isTransient(status) {
  return status === 0 || status >= 500;
}

// ---------------------------------------------------------------------------------------------
// Connection check (popup status and the options page's "Test connection")

// Health needs no token and gives the version; a one-item list then proves the token, so the
// user learns which of the two is wrong.
async function checkConnection(settings) {
  try {
    new URL(settings.serviceUrl);
  } catch {
    return { state: "error", message: `Not a valid URL: ${settings.serviceUrl}` };
  }
  const health = await callService(settings, "GET", "/api/health");
  if (health.status === 0) return { state: "unreachable", message: health.message };
  if (health.status !== 200 || !health.data || health.data.status !== "ok") {
    const why = health.message || "unexpected answer";
    return { state: "error", message: `Not a newsmark service, or it is unwell: ${why}` };
  }
  const version = health.data.version;
  const probe = await callService(settings, "GET", "/api/annotations?limit=1");
  if (probe.status === 401) {
    return { state: "unauthorized", version, message: "The service refused the token." };
  }
  if (probe.status === 0) return { state: "unreachable", message: probe.message };
  if (probe.status !== 200) return { state: "error", version, message: probe.message };
  return { state: "ok", version };
}

// ---------------------------------------------------------------------------------------------
// Outbox: changes the service has not acknowledged yet, in storage.local so they survive a restart.

// Every read-modify-write of the outbox goes through this chain, so two messages handled at once
// cannot overwrite each other's entries.
let outboxLock = Promise.resolve();

function withOutbox(fn) {
  const run = outboxLock.then(async () => {
    const { outbox } = await api.storage.local.get("outbox");
    const entries = Array.isArray(outbox) ? outbox : [];
    const result = await fn(entries);
    await api.storage.local.set({ outbox: entries });
    return result;
  });
  outboxLock = run.catch(() => {});
  return run;
}

async function readOutbox() {
  const { outbox } = await api.storage.local.get("outbox");
  return Array.isArray(outbox) ? outbox : [];
}

function backoffMs(attempts) {
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS);
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

// `attempted`: the first try already failed (attempts 1, first backoff); otherwise the entry
// waits behind an earlier one for the same annotation.
async function enqueue(entry, { attempted, lastError }) {
  const now = Date.now();
  const full = {
    key: newKey(),
    attempts: attempted ? 1 : 0,
    nextAttemptAt: attempted ? now + backoffMs(1) : now,
    lastError: lastError || "",
    ...entry,
  };
  await withOutbox((entries) => {
    entries.push(full);
  });
  await scheduleRetry();
  return full;
}

async function hasQueued(id) {
  return (await readOutbox()).some((e) => e.id === id);
}

// Operations on one annotation must reach the service in the order they were made, and a change
// must not overtake a queued create. Each id gets its own promise chain for direct sends.
const idChains = new Map();

function serializeById(id, fn) {
  const prev = idChains.get(id) || Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => {});
  idChains.set(id, tail);
  tail.then(() => {
    if (idChains.get(id) === tail) idChains.delete(id);
  });
  return run;
}

function requestFor(entry) {
  const path = `/api/annotations/${encodeURIComponent(entry.id)}`;
  if (entry.op === "create") return ["POST", "/api/annotations", entry.body];
  if (entry.op === "update") return ["PATCH", path, entry.changes];
  if (entry.op === "restore") return ["POST", `${path}/restore`, undefined];
  return ["DELETE", path, undefined];
}

function delivered(entry, result) {
  if (result.status >= 200 && result.status < 300) return true;
  if (entry.op === "delete") return result.status === 404; // already gone is what we wanted
  // Stored again already: a restore whose answer was lost, then retried.
  return entry.op === "restore" && result.status === 409;
}

// The annotation as the service answered it, when the answer is one (not a 204, not an error body).
function answered(result) {
  const ok = result.status >= 200 && result.status < 300;
  return ok && result.data && typeof result.data.id === "string" ? result.data : undefined;
}

function notifyTab(tabId, message) {
  if (typeof tabId !== "number") return;
  try {
    Promise.resolve(api.tabs.sendMessage(tabId, message)).catch(() => {}); // the tab may be gone
  } catch {
    // Firefox throws synchronously for some closed tabs; nothing to tell then.
  }
}

let flushing = null;
let flushAgainForced = false;
// Keys of the outbox entries whose request is on its way now (an undo must not drop one of those).
const sending = new Set();

// Deliver what is queued. `force` ignores each entry's backoff time (the service just answered,
// the worker started, or the user asked); the alarm runs unforced. Only one flush runs at a time,
// which with the client-made ids keeps delivery exactly once.
function flushOutbox({ force = false } = {}) {
  if (flushing) {
    if (force) flushAgainForced = true;
    return flushing;
  }
  flushing = (async () => {
    try {
      let forced = force;
      do {
        flushAgainForced = false;
        await flushOnce(forced);
        forced = true;
      } while (flushAgainForced);
    } finally {
      flushing = null;
      await scheduleRetry().catch(() => {});
    }
  })();
  return flushing;
}

async function flushOnce(force) {
  const entries = await readOutbox();
  if (!entries.length) return;
  const settings = await getSettings();
  const waitUntil = new Map(); // annotation id -> time its later entries must wait for
  const refusedCreate = new Map(); // annotation id -> the refusal of its create
  for (const entry of entries) {
    const now = Date.now();
    if (refusedCreate.has(entry.id)) {
      // A change to an annotation the service never took would land on whatever holds that id.
      await withOutbox((list) => removeByKey(list, entry.key));
      notifyTab(entry.tabId, { type: "failed", op: entry.op, id: entry.id, ...refusedCreate.get(entry.id) });
      continue;
    }
    if (waitUntil.has(entry.id)) {
      await deferEntry(entry.key, waitUntil.get(entry.id));
      continue;
    }
    if (!force && entry.nextAttemptAt > now) {
      waitUntil.set(entry.id, entry.nextAttemptAt);
      continue;
    }
    const [method, path, body] = requestFor(entry);
    // Marked as on its way under the outbox's lock, so an undo either drops it first or sees it going.
    const stillThere = await withOutbox((list) => {
      const found = list.some((e) => e.key === entry.key);
      if (found) sending.add(entry.key);
      return found;
    });
    if (!stillThere) continue; // dropped by an undo meanwhile
    let result;
    try {
      result = await callService(settings, method, path, body);
    } finally {
      sending.delete(entry.key);
    }
    if (delivered(entry, result)) {
      await withOutbox((list) => removeByKey(list, entry.key));
      const annotation = answered(result);
      notifyTab(entry.tabId, { type: "delivered", op: entry.op, id: entry.id, annotation });
      continue;
    }
    // A wrong token or an unreachable service is not this entry's fault: keep everything and stop,
    // rather than drop work because the settings are wrong for a moment.
    const wholeServiceDown = result.status === 0 || result.status === 401 || result.status === 403;
    if (isTransient(result.status) || wholeServiceDown) {
      const next = Date.now() + backoffMs(entry.attempts + 1);
      await withOutbox((list) => {
        const e = list.find((x) => x.key === entry.key);
        if (e) Object.assign(e, { attempts: e.attempts + 1, nextAttemptAt: next, lastError: result.message });
      });
      if (wholeServiceDown) {
        // Everything else waits for the same time, so the alarm does not fire at once for them.
        await withOutbox((list) => {
          for (const e of list) if (e.nextAttemptAt < next) e.nextAttemptAt = next;
        });
        return;
      }
      waitUntil.set(entry.id, next);
      continue;
    }
    // The service refused it (409, 422, …): retrying cannot help. Tell the tab so the user sees it.
    await withOutbox((list) => removeByKey(list, entry.key));
    const { status, message } = result;
    notifyTab(entry.tabId, { type: "failed", op: entry.op, id: entry.id, status, message });
    if (entry.op === "create") refusedCreate.set(entry.id, { status, message });
  }
}

function removeByKey(list, key) {
  const i = list.findIndex((e) => e.key === key);
  if (i >= 0) list.splice(i, 1);
}

async function deferEntry(key, until) {
  await withOutbox((list) => {
    const e = list.find((x) => x.key === key);
    if (e && e.nextAttemptAt < until) e.nextAttemptAt = until;
  });
}

// One alarm for the earliest due entry. Unpacked Chromium extensions and Firefox allow short
// alarms; packed Chromium rounds up to 30 s, which is fine since we also retry on every success.
async function scheduleRetry() {
  const entries = await readOutbox();
  updateTitle(entries.length);
  if (!entries.length) {
    await api.alarms.clear(OUTBOX_ALARM);
    return;
  }
  const earliest = Math.min(...entries.map((e) => e.nextAttemptAt || 0));
  await api.alarms.create(OUTBOX_ALARM, { when: Math.max(earliest, Date.now() + 1000) });
}

function updateTitle(pending) {
  const changes = pending === 1 ? "1 change" : `${pending} changes`;
  const title = pending ? `newsmark: ${changes} waiting for the service` : "newsmark";
  try {
    Promise.resolve(api.action.setTitle({ title })).catch(() => {});
  } catch {
    // no action API in this context; the title is only a hint
  }
}

// What the outbox would add to the service's list for one URL, so a reloaded page still shows
// highlights that are not delivered yet.
function queuedFor(entries, url) {
  const byId = new Map();
  for (const e of entries) {
    if (e.op === "create" && e.body && e.body.url === url) byId.set(e.id, { ...e.body });
    else if (e.op === "update" && byId.has(e.id)) Object.assign(byId.get(e.id), e.changes);
    else if (e.op === "delete") byId.delete(e.id);
  }
  return [...byId.values()];
}

function summarize(entry, entries) {
  const create = entries.find((e) => e.op === "create" && e.id === entry.id);
  const body = entry.body || (create && create.body) || {};
  return {
    op: entry.op,
    id: entry.id,
    url: entry.url || body.url || "",
    tag: (entry.changes && entry.changes.tag) || body.tag || "",
    exact: (body.quote && body.quote.exact) || "",
    lastError: entry.lastError || "",
    attempts: entry.attempts || 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Message handlers

async function handleList(msg) {
  if (typeof msg.url !== "string" || !msg.url) {
    return { ok: false, state: "error", message: "The message names no url." };
  }
  const settings = await getSettings();
  const items = [];
  let cursor = null;
  let result;
  const queued = queuedFor(await readOutbox(), msg.url);
  for (let page = 0; page < 1000; page++) {
    let path = `/api/annotations?url=${encodeURIComponent(msg.url)}&limit=1000`;
    if (cursor) path += `&cursor=${encodeURIComponent(cursor)}`;
    result = await callService(settings, "GET", path);
    if (result.status !== 200 || !result.data) {
      const status = result.status || undefined;
      const { serviceUrl } = settings;
      return { ok: false, state: stateOf(result.status), status, message: result.message, queued, serviceUrl };
    }
    items.push(...(result.data.items || []));
    cursor = result.data.next;
    if (!cursor) break;
  }
  flushOutbox({ force: true }); // the service answers: a good moment to deliver what waits
  return { ok: true, items, queued };
}

// create, update and delete share one shape: send now unless earlier work for the same id waits;
// queue on a transient failure; report a refusal (4xx) without queueing it.
function handleChange(msg, sender) {
  const id = msg.op === "create" ? msg.annotation && msg.annotation.id : msg.id;
  if (!id) return Promise.resolve({ ok: false, message: "The message names no annotation id." });
  return serializeById(id, () => sendChange({ ...msg, id }, sender));
}

// The body of handleChange, for a caller that already holds the annotation's turn (serializeById).
async function sendChange(msg, sender) {
  const id = msg.id;
  const entries = await readOutbox();
  const create = entries.find((e) => e.op === "create" && e.id === id);
  const entry = {
    op: msg.op,
    id,
    tabId: sender.tab && sender.tab.id,
    url: (msg.annotation && msg.annotation.url) || msg.url || (create && create.body.url) || sender.url,
  };
  if (msg.op === "create") entry.body = msg.annotation;
  if (msg.op === "update") entry.changes = msg.changes || {};
  if (entries.some((e) => e.id === id)) {
    const lastError = "Waiting for an earlier change to this annotation";
    await enqueue(entry, { attempted: false, lastError });
    flushOutbox({ force: true });
    return { ok: true, pending: true };
  }
  const settings = await getSettings();
  const [method, path, body] = requestFor(entry);
  const result = await callService(settings, method, path, body);
  if (delivered(entry, result)) {
    flushOutbox({ force: true });
    return msg.op === "delete" ? { ok: true } : { ok: true, annotation: answered(result) };
  }
  if (isTransient(result.status)) {
    await enqueue(entry, { attempted: true, lastError: result.message });
    return { ok: true, pending: true };
  }
  if (result.status === 401 || result.status === 403) {
    // A wrong token or address is a settings problem, not the coder's work being wrong:
    // keep the work, and send it once the settings are fixed (saving them retries).
    await enqueue(entry, { attempted: true, lastError: result.message });
    const message = "the service did not accept the token; fix it in newsmark's options (this is kept until then)";
    return { ok: true, pending: true, message };
  }
  return { ok: false, status: result.status, message: result.message, fields: result.fields };
}

// Undo a delete made from a page. While the delete still waits in the outbox (the service was
// down), it is dropped and never sent; once it has reached the service, a restore is sent (and
// queued like any change if the service is down now). Either way the service ends up holding
// the very annotation that was deleted.
async function handleUndoDelete(msg, sender) {
  const id = msg.id;
  if (!id) return { ok: false, message: "The message names no annotation id." };
  // After the direct send of the delete, if it is still on its way (see handleChange).
  return serializeById(id, async () => {
    for (let turn = 0; turn < 10; turn++) {
      const outcome = await withOutbox((entries) => {
        const i = entries.findLastIndex((e) => e.id === id && e.op === "delete");
        if (i < 0) return "sent";
        if (sending.has(entries[i].key)) return "on its way";
        entries.splice(i, 1);
        return "dropped";
      });
      if (outcome === "dropped") {
        await scheduleRetry();
        // Still pending if its create has not reached the service either.
        return { ok: true, dropped: true, pending: await hasQueued(id) };
      }
      if (outcome === "sent") break;
      await (flushing ?? Promise.resolve()); // a flush is sending that delete: let it end, then look again
    }
    return sendChange({ op: "restore", id, url: msg.url }, sender);
  });
}

function handleOpenOptions() {
  return Promise.resolve(api.runtime.openOptionsPage()).then(() => ({ ok: true }));
}

async function handleBadge(msg, sender) {
  if (!sender.tab) return { ok: false, message: "badge comes from a tab" };
  const text = msg.count ? String(msg.count) : "";
  await api.action.setBadgeText({ tabId: sender.tab.id, text });
  return { ok: true };
}

async function handleStatus() {
  const [connection, entries] = await Promise.all([getSettings().then(checkConnection), readOutbox()]);
  if (connection.state === "ok" && entries.length) flushOutbox({ force: true });
  return { connection, pending: entries.length, outbox: entries.map((e) => summarize(e, entries)) };
}

// The article as a page shows it now, when its text differs from what the service has seen: the
// service keeps it as a new version. Not queued: the next visit sends it again.
async function handleSnapshot(msg) {
  const result = await callService(await getSettings(), "POST", "/api/articles", msg.article);
  if (result.status === 200 || result.status === 201) return { ok: true, added: result.status === 201 };
  return { ok: false, status: result.status, message: result.message };
}

// A listing page's article URLs (at most 200, the service's limit): whether each was seen and its
// counts per tag, for the page's badges. One request; nothing is queued (the next visit asks again).
async function handleLookup(msg) {
  if (!Array.isArray(msg.urls) || msg.urls.length === 0) {
    return { ok: false, state: "error", message: "The message names no urls." };
  }
  const result = await callService(await getSettings(), "POST", "/api/articles/lookup", { urls: msg.urls });
  if (result.status !== 200 || !result.data) {
    const status = result.status || undefined;
    return { ok: false, state: stateOf(result.status), status, message: result.message };
  }
  flushOutbox({ force: true }); // the service answers: a good moment to deliver what waits
  return { ok: true, articles: result.data.articles };
}

async function handleRetry() {
  await flushOutbox({ force: true });
  return { pending: (await readOutbox()).length };
}

// Only the extension's own pages may test arbitrary settings; a content script lives in the page's
// process and has no business probing other addresses.
async function handleTest(msg, sender) {
  if (!isExtensionPage(sender)) {
    return { state: "error", message: "Only the options page may test settings." };
  }
  return checkConnection(normalizeSettings(msg.settings));
}

function isExtensionPage(sender) {
  const origin = api.runtime.getURL("");
  return sender.id === api.runtime.id && typeof sender.url === "string" && sender.url.startsWith(origin);
}

const HANDLERS = {
  list: handleList,
  create: (msg, sender) => handleChange({ ...msg, op: "create" }, sender),
  update: (msg, sender) => handleChange({ ...msg, op: "update" }, sender),
  delete: (msg, sender) => handleChange({ ...msg, op: "delete" }, sender),
  "undo-delete": handleUndoDelete,
  "open-options": handleOpenOptions,
  badge: handleBadge,
  status: handleStatus,
  test: handleTest,
  retry: handleRetry,
  snapshot: handleSnapshot,
  lookup: handleLookup,
};

api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  const handler = msg && HANDLERS[msg.type];
  if (!handler) return false; // not ours (e.g. a message between other parts): let others answer
  Promise.resolve()
    .then(() => handler(msg, sender))
    .then(sendResponse, (err) => {
      sendResponse({ ok: false, state: "error", message: String((err && err.message) || err) });
    });
  return true; // we answer asynchronously
});

// ---------------------------------------------------------------------------------------------
// Context menu

// removeAll first: menu items outlive the worker, so creating them again would fail "duplicate id".
async function setUpContextMenu() {
  await api.contextMenus.removeAll();
  for (const [tag, label] of TAGS) {
    api.contextMenus.create(
      {
        id: `newsmark-${tag}`,
        title: `Code selection as ${label}`,
        contexts: ["selection"],
        documentUrlPatterns: ["https://lite.cnn.com/*"],
      },
      () => void api.runtime.lastError, // read it so a race with another setup is not logged as unchecked
    );
  }
}

api.contextMenus.onClicked.addListener((info, tab) => {
  const tag = String(info.menuItemId).replace(/^newsmark-/, "");
  if (!tab || !TAGS.some(([t]) => t === tag)) return;
  notifyTab(tab.id, { type: "code-selection", tag });
});

// ---------------------------------------------------------------------------------------------
// Start-up: deliver what an earlier run left behind, whenever the worker wakes.

api.runtime.onInstalled.addListener(() => {
  setUpContextMenu().catch(() => {});
});

api.runtime.onStartup.addListener(() => {
  setUpContextMenu().catch(() => {});
  flushOutbox({ force: true });
});

api.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === OUTBOX_ALARM) flushOutbox();
});

// New settings (the user fixed the URL or token) may make queued work deliverable right away.
api.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && changes.settings) settingsCache = null;
  if (area === "local" && changes.settings) flushOutbox({ force: true });
});

flushOutbox({ force: true });
