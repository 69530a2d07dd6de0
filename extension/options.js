// newsmark options page: edit the settings in storage.local and test them against the service.
// The HTTP check runs in the background worker, the one place that talks to the service.

"use strict";

const api = globalThis.browser ?? globalThis.chrome;
const DEFAULTS = { serviceUrl: "http://127.0.0.1:7767", token: "", annotator: "" };

const fields = Object.fromEntries(
  [...document.querySelectorAll("[data-newsmark-setting]")].map((el) => [el.dataset.newsmarkSetting, el]),
);
const statusEl = document.querySelector("[data-newsmark-status]");
const savedEl = document.querySelector("[data-newsmark-saved]");
const testButton = document.querySelector('[data-newsmark-action="test"]');

function formValues() {
  return {
    serviceUrl: fields.serviceUrl.value.trim().replace(/\/+$/, "") || DEFAULTS.serviceUrl,
    token: fields.token.value.trim(),
    annotator: fields.annotator.value.trim(),
  };
}

async function load() {
  const { settings } = await api.storage.local.get("settings");
  const values = { ...DEFAULTS, ...(settings || {}) };
  for (const [name, el] of Object.entries(fields)) el.value = values[name] ?? "";
}

async function save(event) {
  event.preventDefault();
  const settings = formValues();
  await api.storage.local.set({ settings });
  fields.serviceUrl.value = settings.serviceUrl;
  savedEl.textContent = "Saved.";
  setTimeout(() => (savedEl.textContent = ""), 3000);
}

// Plain words for each outcome, so the user knows whether to start the service or fix the token.
function describe(result, serviceUrl) {
  switch (result.state) {
    case "ok":
      return `OK: newsmark ${result.version} answers at ${serviceUrl} and accepts the token.`;
    case "unreachable":
      return `Unreachable: nothing answers at ${serviceUrl}. Is the service running (scripts/serve)?`;
    case "unauthorized":
      return `Wrong token: the service at ${serviceUrl} refuses it. Paste what "newsmark token" prints.`;
    default:
      return `Error: ${result.message || "unexpected answer from the service"}`;
  }
}

async function test() {
  const settings = formValues(); // what is in the form now, saved or not
  statusEl.dataset.newsmarkStatus = "testing";
  statusEl.textContent = `Testing ${settings.serviceUrl} …`;
  testButton.disabled = true;
  let result;
  try {
    result = await api.runtime.sendMessage({ type: "test", settings });
  } catch (err) {
    result = { state: "error", message: `The extension's background did not answer: ${err.message || err}` };
  } finally {
    testButton.disabled = false;
  }
  result = result || { state: "error", message: "No answer from the extension's background." };
  statusEl.textContent = describe(result, settings.serviceUrl);
  statusEl.dataset.newsmarkStatus = result.state;
}

document.getElementById("settings").addEventListener("submit", save);
testButton.addEventListener("click", test);
load();
