// The viewer's only script (the Content Security Policy allows no inline script).
// Table: change a tag or a note in place (its "edited" time shows at once); delete with a
// confirmation, and undo while the page is open.
// Article page: jump from highlight to highlight.
// Text only ever goes into the page through textContent, never parsed as HTML.

const csrf = document.querySelector('meta[name="newsmark-csrf"]')?.content ?? "";

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(data?.error?.message ?? `The service answered ${response.status}.`);
  }
  return data;
}

function el(tag, props = {}, text = "") {
  const node = document.createElement(tag);
  Object.assign(node, props);
  if (text) node.textContent = text;
  return node;
}

function say(row, message, isError = false) {
  const status = row.querySelector(".status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

function bumpCount(tag, by) {
  const count = document.querySelector(`[data-count="${tag}"] .n`);
  if (count) count.textContent = String(Number(count.textContent) + by);
}

function bumpTotal(by) {
  const total = document.querySelector("[data-total]");
  if (total) total.textContent = String(Number(total.textContent) + by);
}

// "2024-02-03T08:43:12.345Z" as the table shows times: "2024-02-03 08:43" (UTC, as stored).
function minute(iso) {
  return iso.slice(0, 16).replace("T", " ");
}

// The row's "edited" line, from the service's answer to the edit: shown at once, in the same form
// the page renders it, without reloading (which would lose the place in the list).
function showEdited(row, updated) {
  if (!updated) return;
  const cell = row.querySelector("td.time");
  let edited = cell.querySelector(".edited");
  if (!edited) {
    edited = el("small", { className: "edited" });
    cell.append(edited);
  }
  edited.replaceChildren("edited ", el("time", { dateTime: updated }, minute(updated)));
}

function setupTag(row, id) {
  const select = row.querySelector("select.edit-tag");
  select.addEventListener("change", async () => {
    const before = select.dataset.value;
    const tag = select.value;
    say(row, "saving…");
    try {
      const saved = await api("PATCH", `/api/annotations/${id}`, { tag });
      select.dataset.value = tag;
      showEdited(row, saved?.updated);
      row.querySelector("td.quote mark")?.setAttribute("class", `hl tag-${tag}`);
      bumpCount(before, -1);
      bumpCount(tag, 1);
      say(row, `tag saved: ${tag}`);
    } catch (error) {
      select.value = before;
      say(row, error.message, true);
    }
  });
}

function setupNote(row, id) {
  const box = row.querySelector("textarea.edit-note");
  const save = async () => {
    const note = box.value.trim() === "" ? null : box.value;
    if ((note ?? "") === box.dataset.value) return;
    say(row, "saving…");
    try {
      const saved = await api("PATCH", `/api/annotations/${id}`, { note });
      box.dataset.value = note ?? "";
      showEdited(row, saved?.updated);
      say(row, "note saved");
    } catch (error) {
      say(row, error.message, true);
    }
  };
  box.addEventListener("change", save); // on leaving the box after a change
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      save();
    } else if (event.key === "Escape") {
      box.value = box.dataset.value;
      say(row, "");
    }
  });
}

function setupDelete(row, id) {
  const cell = row.querySelector("td.actions");
  const button = cell.querySelector("button.delete");
  let kept = null; // the deleted annotation, for undo

  const controls = (...buttons) => {
    for (const node of cell.querySelectorAll("button")) node.remove();
    cell.prepend(...buttons);
  };
  const editing = (on) => {
    for (const node of row.querySelectorAll("select, textarea")) node.disabled = !on;
  };

  const confirmDelete = async () => {
    say(row, "deleting…");
    try {
      kept = await api("GET", `/api/annotations/${id}`);
      await api("DELETE", `/api/annotations/${id}`);
    } catch (error) {
      controls(button);
      say(row, error.message, true);
      return;
    }
    row.classList.add("deleted");
    editing(false);
    bumpCount(kept.tag, -1);
    bumpTotal(-1);
    const undo = el("button", { type: "button", className: "undo" }, "Undo");
    undo.addEventListener("click", restore);
    controls(undo);
    say(row, "deleted");
  };

  const restore = async () => {
    say(row, "restoring…");
    try {
      // Put back exactly what was deleted (same id, times and version) through the import.
      await api("POST", "/api/import", {
        schema_version: kept.schema_version,
        exported_at: new Date().toISOString(),
        generator: { name: "newsmark", version: "viewer-undo" },
        articles: [],
        annotations: [kept],
      });
    } catch (error) {
      say(row, error.message, true);
      return;
    }
    row.classList.remove("deleted");
    editing(true);
    bumpCount(kept.tag, 1);
    bumpTotal(1);
    controls(button);
    say(row, "restored");
  };

  button.addEventListener("click", () => {
    const yes = el("button", { type: "button", className: "confirm-delete" }, "Yes, delete");
    const no = el("button", { type: "button", className: "cancel-delete" }, "Keep");
    yes.addEventListener("click", confirmDelete);
    no.addEventListener("click", () => {
      controls(button);
      say(row, "");
    });
    controls(yes, no);
    say(row, "Delete this annotation?");
    no.focus();
  });
}

function setupTable() {
  for (const row of document.querySelectorAll("table.annotations tr[data-id]")) {
    const id = row.dataset.id;
    setupTag(row, id);
    setupNote(row, id);
    setupDelete(row, id);
  }
}

function setupJumps() {
  const anchors = [...document.querySelectorAll("article.text .anchor")];
  if (!anchors.length) return;
  let current = -1;
  const show = (index) => {
    current = (index + anchors.length) % anchors.length;
    const id = anchors[current].id.slice(2);
    for (const mark of document.querySelectorAll("mark.current")) mark.classList.remove("current");
    for (const mark of document.querySelectorAll("article.text mark")) {
      if (mark.dataset.ids.split(" ").includes(id)) mark.classList.add("current");
    }
    anchors[current].scrollIntoView({ block: "center" });
    history.replaceState(null, "", `#${anchors[current].id}`);
    document.querySelector(`li.note-item[data-id="${id}"]`)?.scrollIntoView({ block: "nearest" });
  };
  for (const button of document.querySelectorAll("[data-jump]")) {
    button.addEventListener("click", () => show(current + Number(button.dataset.jump)));
  }
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") show(current + 1);
    if (event.key === "k") show(current - 1);
  });
  const fromHash = anchors.findIndex((a) => `#${a.id}` === location.hash);
  if (fromHash >= 0) show(fromHash);
  window.addEventListener("hashchange", () => {
    const index = anchors.findIndex((a) => `#${a.id}` === location.hash);
    if (index >= 0 && index !== current) show(index);
  });
}

setupTable();
setupJumps();
