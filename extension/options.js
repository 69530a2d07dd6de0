// newsmark options page: edit the settings in storage.local and test them against the service.
// The HTTP check runs in the background worker, the one place that talks to the service.
// A test that passes saves what it tested: otherwise the user leaves with "OK" on screen and
// settings that were never stored, and coding fails.

import { testOutcome } from "./src/status.js";

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

async function store(settings) {
  await api.storage.local.set({ settings });
  fields.serviceUrl.value = settings.serviceUrl;
}

async function save(event) {
  event.preventDefault();
  await store(formValues());
  savedEl.textContent = "Saved.";
  setTimeout(() => (savedEl.textContent = ""), 3000);
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
  }
  result = result || { state: "error", message: "No answer from the extension's background." };
  let saveError = "";
  if (result.state === "ok") {
    try {
      await store(settings);
    } catch (err) {
      saveError = String((err && err.message) || err);
    }
  }
  testButton.disabled = false;
  const outcome = testOutcome(result, settings, saveError);
  statusEl.textContent = outcome.text;
  statusEl.dataset.newsmarkStatus = outcome.state;
}

document.getElementById("settings").addEventListener("submit", save);
testButton.addEventListener("click", test);
load();
