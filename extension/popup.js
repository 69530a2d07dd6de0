// newsmark toolbar popup: the service connection, the active article's codes and what still waits
// for delivery. Every value from the page or the service is set with textContent, never as HTML.

import { deliveryStatus } from "./src/status.js";

const api = globalThis.browser ?? globalThis.chrome;
const $ = (selector) => document.querySelector(selector);

const CONNECTION_TEXT = {
  ok: (c) => `connected (newsmark ${c.version})`,
  unreachable: () => "unreachable: is the newsmark service running?",
  unauthorized: () => "wrong token: see Settings",
  error: (c) => `error: ${c.message || "unexpected answer"}`,
};

const OP_TEXT = { create: "new", update: "change", delete: "removal" };

function li(parts) {
  const item = document.createElement("li");
  for (const [cls, text] of parts) {
    if (!text) continue;
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    item.append(span, " ");
  }
  return item;
}

let settings = {}; // the saved settings, read when the popup opens

function showStatus(status) {
  const c = status.connection || { state: "error", message: "no answer" };
  const el = $("[data-newsmark-connection]");
  el.textContent = (CONNECTION_TEXT[c.state] || CONNECTION_TEXT.error)(c);
  el.dataset.newsmarkConnection = c.state;
  showDelivery(status);
}

// The heading says in one line where the coder's work stands: delivered, on its way, or kept
// because the service is down or refuses the token (then the fix is in Settings).
function showDelivery(status) {
  const shown = deliveryStatus(status, settings);
  const section = $("[data-newsmark-delivery]");
  section.dataset.newsmarkDelivery = shown.state;
  section.dataset.newsmarkPending = String(status.pending || 0);
  $("[data-newsmark-heading]").textContent = shown.heading;
  $("[data-newsmark-detail]").hidden = !shown.detail;
  $("[data-newsmark-detail-text]").textContent = shown.detail;
  $("[data-newsmark-settings-link]").hidden = !shown.settingsLink;
  $("[data-newsmark-waiting]").hidden = !shown.showWaiting;
  const list = $("[data-newsmark-outbox]");
  list.replaceChildren(
    ...(status.outbox || []).map((e) =>
      li([
        ["tag", `${OP_TEXT[e.op] || e.op}${e.tag ? " · " + e.tag : ""}`],
        ["quote", e.exact ? `“${e.exact}”` : ""],
        ["note muted", e.lastError ? `${e.lastError} (tried ${e.attempts}×)` : ""],
      ]),
    ),
  );
}

// Which tab to describe: the active one, or ?tab=<id> (lets a test or a pinned popup window name it).
async function targetTabId() {
  const fromQuery = new URLSearchParams(location.search).get("tab");
  if (fromQuery) return Number(fromQuery);
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  return tab && tab.id;
}

async function showPage(serviceUrl) {
  const pageEl = $("[data-newsmark-page]");
  let state = null;
  try {
    const tabId = await targetTabId();
    if (typeof tabId === "number") state = await api.tabs.sendMessage(tabId, { type: "page-state" });
  } catch {
    state = null; // no content script in that tab: not an article page
  }
  if (!state || !state.counts) {
    pageEl.textContent = "Not a lite.cnn.com article.";
    return;
  }
  pageEl.textContent = state.url || "";
  $("[data-newsmark-article]").hidden = false;
  for (const tag of ["actor", "claim", "figure"]) {
    $(`[data-newsmark-count="${tag}"]`).textContent = String(state.counts[tag] || 0);
  }
  const orphans = Array.isArray(state.orphans) ? state.orphans : [];
  $("[data-newsmark-orphans-section]").hidden = !orphans.length;
  $("[data-newsmark-orphan-count]").textContent = String(orphans.length);
  $("[data-newsmark-orphans]").replaceChildren(
    ...orphans.map((o) =>
      li([
        ["tag", o.tag || ""],
        ["quote", `“${typeof o.quote === "string" ? o.quote : (o.quote && o.quote.exact) || ""}”`],
        ["note", o.note || ""],
      ]),
    ),
  );
  if (state.articleId || state.url) {
    // The viewer finds an article by its id or by its URL.
    const link = $("[data-newsmark-viewer]");
    link.href = `${serviceUrl}/articles/${encodeURIComponent(state.articleId || state.url)}`;
    link.hidden = false;
  }
}

async function readSettings() {
  const stored = await api.storage.local.get("settings");
  settings = stored.settings || {};
  return settings;
}

async function refreshStatus() {
  await readSettings(); // the user may have fixed them in Settings since the popup opened
  return api.runtime.sendMessage({ type: "status" }).then(showStatus, (err) =>
    showStatus({ connection: { state: "error", message: String(err.message || err) } }),
  );
}

async function refresh() {
  const { serviceUrl } = await readSettings();
  await Promise.all([refreshStatus(), showPage((serviceUrl || "http://127.0.0.1:7767").replace(/\/+$/, ""))]);
}

$('[data-newsmark-action="retry"]').addEventListener("click", async (event) => {
  event.target.disabled = true;
  await api.runtime.sendMessage({ type: "retry" }).catch(() => {});
  event.target.disabled = false;
  await refresh();
});

for (const link of document.querySelectorAll('[data-newsmark-action="options"]')) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    api.runtime.openOptionsPage();
  });
}

refresh();
// While the popup is open, keep the connection and the pending count current: deliveries happen
// in the background (alarm, settings change) and the user watches for them here. One interval for
// the popup's life (set here, not per click, or every Retry would add another).
setInterval(refreshStatus, 3000);
