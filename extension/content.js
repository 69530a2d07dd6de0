// newsmark's content script on lite.cnn.com article pages: the tag bar, the
// highlights, and anchoring saved annotations when the page opens. It talks to
// the service only through the background worker (a page on a public site may
// not reach 127.0.0.1). Its logic lives in the modules under src/, loaded as ES
// modules; this file wires them to the page.

(async () => {
  const started = performance.now(); // the page is idle (run_at document_idle): badges are timed from here
  const api = globalThis.browser ?? globalThis.chrome;
  const load = (name) => import(api.runtime.getURL(`src/${name}.js`));
  // The home page and section pages (article cards, no article body) get badges, no bar. They need
  // none of the article modules (an import costs 30-50 ms): the badges come soon after the page is idle.
  if (document.querySelector(".card--lite") && !document.querySelector("p.paragraph--lite")) {
    const send = (message) => api.runtime.sendMessage(message);
    const listing = globalThis.newsmarkListingPage; // src/listing-page.js, loaded before this script
    await listing.markListing({ doc: document, pageUrl: location.href, send, began: started });
    return;
  }
  const [dom, textRule, anchoring, hl] = await Promise.all(["dom", "text", "anchoring", "highlighter"].map(load));

  const article = dom.findArticle(document);
  if (!article) return; // pages other than articles and listings are left alone

  const TAGS = ["actor", "claim", "figure"];
  const KEYS = { a: "actor", c: "claim", f: "figure" };
  const pageUrl = location.origin + location.pathname;
  const known = new Map(); // id → the annotation as last stored or sent
  const pending = new Set(); // ids not yet acknowledged by the service
  let orphans = [];
  let selection = null; // {start, end} of the selection the tag bar is for

  const send = (message) => api.runtime.sendMessage(message);
  // The article text mapped onto the page's text nodes. Kept between selections (it is
  // read on every mouseup), and dropped whenever highlighting splits or joins text nodes.
  let textMap = null;
  const currentText = () => (textMap ??= dom.readText(article));
  const highlight = (map, items) => {
    hl.highlight(map, items);
    textMap = null;
  };
  const unhighlight = (id) => {
    hl.unhighlight(document, id);
    textMap = null;
  };

  // -- small UI pieces, built with textContent only (page text is never HTML) --

  function element(tag, attrs = {}, text = "") {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
    if (text) el.textContent = text;
    return el;
  }

  const hintBox = element("div", { class: "newsmark-hint", role: "status", "data-newsmark-hint": "" });
  hintBox.hidden = true;
  document.body.append(hintBox);
  let hintTimer = 0;
  function hint(message) {
    hintBox.textContent = message;
    hintBox.hidden = false;
    clearTimeout(hintTimer);
    hintTimer = setTimeout(() => (hintBox.hidden = true), 4000);
  }

  // -- the tag bar --

  const bar = element("div", { class: "newsmark-bar", role: "toolbar", "aria-label": "Code the selection" });
  for (const tag of TAGS) {
    const button = element("button", { type: "button", "data-newsmark-tag": tag }, `${tag[0].toUpperCase()}${tag.slice(1)}`);
    button.append(element("kbd", {}, tag[0]));
    bar.append(button);
  }
  const noteInput = element("input", { type: "text", placeholder: "Note (n)", "data-newsmark-note": "", "aria-label": "Note" });
  bar.append(noteInput);
  bar.hidden = true;
  document.body.append(bar);
  // Keep the page's selection: a click on the bar must not clear it.
  bar.addEventListener("mousedown", (event) => {
    if (event.target !== noteInput) event.preventDefault();
  });
  bar.addEventListener("click", (event) => {
    const button = event.target.closest("[data-newsmark-tag]");
    if (button) save(button.dataset.newsmarkTag);
  });

  function showBar(range) {
    const rect = range.getBoundingClientRect();
    bar.style.top = `${window.scrollY + rect.bottom + 6}px`;
    bar.style.left = `${window.scrollX + Math.max(4, rect.left)}px`;
    noteInput.value = "";
    bar.hidden = false;
  }

  function hideBar() {
    bar.hidden = true;
    selection = null;
  }

  function onSelectionChange() {
    const sel = document.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) {
      if (!bar.contains(document.activeElement)) hideBar();
      return;
    }
    const range = sel.getRangeAt(0);
    const offsets = dom.rangeToOffsets(article, currentText(), range);
    if (offsets.refused) {
      hideBar();
      hint(offsets.refused === "empty" ? "Select some words to code." : "Select text inside the article body to code it.");
      return;
    }
    selection = offsets;
    showBar(range);
  }

  document.addEventListener("mouseup", (event) => {
    if (!bar.contains(event.target) && !event.target.closest?.(".newsmark-pop")) setTimeout(onSelectionChange, 0);
  });
  document.addEventListener("keyup", (event) => {
    if (event.shiftKey && !bar.contains(event.target)) onSelectionChange();
  });
  document.addEventListener(
    "keydown",
    (event) => {
      if (bar.hidden) return;
      if (event.key === "Escape") {
        hideBar();
        event.preventDefault();
        return;
      }
      if (event.target === noteInput || event.ctrlKey || event.metaKey || event.altKey) return;
      if (KEYS[event.key]) {
        event.preventDefault();
        save(KEYS[event.key]);
      } else if (event.key === "n") {
        event.preventDefault();
        noteInput.focus();
      }
    },
    true,
  );

  // -- coding a passage --

  async function settings() {
    const { settings: stored } = await api.storage.local.get("settings");
    return stored ?? {};
  }

  async function save(tag, offsets = selection) {
    if (!offsets) return;
    const note = noteInput.value.trim() || null;
    hideBar();
    const { annotator } = await settings();
    if (!annotator) {
      hint("Set your coder name in newsmark's options first.");
      return;
    }
    const map = currentText();
    const described = anchoring.describe(map.text, offsets.start, offsets.end);
    const annotation = {
      id: crypto.randomUUID(),
      url: pageUrl,
      tag,
      quote: { exact: described.exact, prefix: described.prefix, suffix: described.suffix },
      position: { start: textRule.toCodePoints(map.text, offsets.start), end: textRule.toCodePoints(map.text, offsets.end) },
      note,
      annotator,
      article: snapshotOf(map),
    };
    // Shown at once, as pending until the service has it.
    highlight(map, [{ id: annotation.id, tag, start: offsets.start, end: offsets.end, pending: true }]);
    document.getSelection()?.removeAllRanges();
    known.set(annotation.id, { ...annotation, created: new Date().toISOString() });
    pending.add(annotation.id);
    updateCounts();
    const answer = await send({ type: "create", annotation });
    if (answer?.ok && answer.annotation) acknowledged(answer.annotation);
    else if (!answer?.ok) refused(annotation.id, answer);
    else if (answer.message) hint(`Kept, not sent yet: ${answer.message}.`);
  }

  function snapshotOf(map) {
    return { title: article.title, byline: article.byline, timestamp_text: article.timestampText, text: map.text };
  }

  function acknowledged(stored) {
    known.set(stored.id, stored);
    pending.delete(stored.id);
    hl.setPending(document, stored.id, false);
    updateCounts();
  }

  function refused(id, answer) {
    unhighlight(id);
    known.delete(id);
    pending.delete(id);
    updateCounts();
    hint(`Not saved: ${answer?.message ?? "the newsmark service refused it."}`);
  }

  // -- the popover of a highlight: tag, note, coder, time; change, delete --

  let popover = null;
  function closePopover() {
    popover?.remove();
    popover = null;
  }

  function describeAnnotation(a) {
    const section = element("section", { "data-newsmark-annotation": a.id });
    section.append(element("strong", { "data-newsmark-field": "tag" }, a.tag));
    section.append(element("p", { "data-newsmark-field": "note" }, a.note ?? ""));
    const when = a.created ? new Date(a.created).toLocaleString() : "";
    section.append(element("p", { class: "newsmark-meta", "data-newsmark-field": "meta" }, `${a.annotator ?? ""} · ${when}`));
    const tags = element("div", { class: "newsmark-tags" });
    for (const tag of TAGS) {
      const button = element("button", { type: "button", "data-newsmark-set-tag": tag }, tag);
      if (tag === a.tag) button.setAttribute("aria-pressed", "true");
      tags.append(button);
    }
    section.append(tags);
    const noteEdit = element("textarea", { rows: "2", "data-newsmark-note-edit": "", "aria-label": "Note" });
    noteEdit.value = a.note ?? "";
    section.append(noteEdit);
    section.append(element("button", { type: "button", "data-newsmark-action": "save-note" }, "Save note"));
    section.append(element("button", { type: "button", "data-newsmark-action": "delete" }, "Delete"));
    return section;
  }

  function openPopover(mark) {
    closePopover();
    // Every highlight under the click: overlapping and nested ones can each be reached.
    const ids = [];
    for (let m = mark; m; m = m.parentElement?.closest("mark.newsmark-mark")) {
      if (!ids.includes(m.dataset.newsmarkId)) ids.push(m.dataset.newsmarkId);
    }
    popover = element("div", { class: "newsmark-pop", role: "dialog", "data-newsmark-popover": "" });
    for (const id of ids) if (known.has(id)) popover.append(describeAnnotation(known.get(id)));
    const rect = mark.getBoundingClientRect();
    popover.style.top = `${window.scrollY + rect.bottom + 6}px`;
    popover.style.left = `${window.scrollX + Math.max(4, rect.left)}px`;
    document.body.append(popover);
  }

  document.addEventListener("click", async (event) => {
    const mark = event.target.closest?.("mark.newsmark-mark");
    if (mark && document.getSelection()?.isCollapsed) {
      openPopover(mark);
      return;
    }
    if (!popover || !popover.contains(event.target)) {
      if (popover && !mark) closePopover();
      return;
    }
    const section = event.target.closest("[data-newsmark-annotation]");
    const id = section?.dataset.newsmarkAnnotation;
    if (!id) return;
    const newTag = event.target.closest("[data-newsmark-set-tag]")?.dataset.newsmarkSetTag;
    const action = event.target.closest("[data-newsmark-action]")?.dataset.newsmarkAction;
    if (newTag) await change(id, { tag: newTag });
    else if (action === "save-note") await change(id, { note: section.querySelector("textarea").value.trim() || null });
    else if (action === "delete") await remove(id);
  });

  async function change(id, changes) {
    const answer = await send({ type: "update", id, changes });
    if (!answer?.ok) {
      hint(`Not changed: ${answer?.message ?? "the newsmark service refused it."}`);
      return;
    }
    known.set(id, answer.annotation ?? { ...known.get(id), ...changes });
    if (changes.tag) hl.setTag(document, id, changes.tag);
    if (answer.pending) hl.setPending(document, id, true);
    closePopover();
    updateCounts();
  }

  async function remove(id) {
    const answer = await send({ type: "delete", id });
    if (!answer?.ok) {
      hint(`Not deleted: ${answer?.message ?? "the newsmark service refused it."}`);
      return;
    }
    unhighlight(id);
    known.delete(id);
    pending.delete(id);
    closePopover();
    updateCounts();
  }

  // -- coming back to the page --

  function counts() {
    const result = { actor: 0, claim: 0, figure: 0 };
    for (const a of known.values()) result[a.tag] = (result[a.tag] ?? 0) + 1;
    return result;
  }

  function updateCounts() {
    send({ type: "badge", count: known.size }).catch(() => {});
  }

  function selectorFor(a, offsets, sameVersion) {
    // Offsets are code points into the version the annotation was made on; on
    // another version they are only a hint of where to look.
    const start = offsets.toUtf16(a.position.start);
    const end = sameVersion ? offsets.toUtf16(a.position.end) : start + a.quote.exact.length;
    return { exact: a.quote.exact, prefix: a.quote.prefix, suffix: a.quote.suffix, start, end };
  }

  async function sha256(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function anchorSaved() {
    const answer = await send({ type: "list", url: pageUrl });
    const root = document.documentElement;
    if (!answer?.ok) root.dataset.newsmarkError = answer?.state ?? "error";
    const stored = answer?.ok ? answer.items : [];
    // Coded earlier but not delivered yet (the service was down): shown, as pending.
    const storedIds = new Set(stored.map((a) => a.id));
    const queued = (answer?.queued ?? []).filter((a) => !storedIds.has(a.id));
    const began = performance.now();
    const first = currentText();
    const version = await sha256(first.text);
    const offsets = textRule.offsetConverter(first.text);
    const placed = [];
    for (const a of [...stored, ...queued]) {
      const queuedHere = !storedIds.has(a.id);
      const sameVersion = queuedHere ? a.article?.text === first.text : a.article_sha256 === version;
      const found = anchoring.anchor(first.text, selectorFor(a, offsets, sameVersion));
      if (!found) {
        orphans.push({ id: a.id, quote: a.quote.exact, tag: a.tag, note: a.note ?? null });
        continue;
      }
      known.set(a.id, a);
      if (queuedHere) pending.add(a.id);
      placed.push({ id: a.id, tag: a.tag, start: found.start, end: found.end, pending: queuedHere });
    }
    highlight(first, placed);
    // The service keeps this version unless an annotation shows it has it: the article changed
    // since it was coded, or it was never coded (opened counts as seen: the home page's dots).
    // The service answers 200 for a version it knows, so a repeat costs no new version.
    if (answer?.ok && !stored.some((a) => a.article_sha256 === version)) {
      const snapshot = { url: pageUrl, ...snapshotOf(first) };
      send({ type: "snapshot", article: snapshot }).catch(() => {});
    }
    // How long reading the text, anchoring and highlighting took (scripts/bench_anchoring.py).
    root.dataset.newsmarkAnchorMs = (performance.now() - began).toFixed(1);
    root.dataset.newsmarkAnchored = String(known.size);
    root.dataset.newsmarkOrphans = String(orphans.length);
    root.dataset.newsmarkReady = "";
    updateCounts();
  }

  api.runtime.onMessage.addListener((message, _sender, respond) => {
    if (message.type === "delivered") delivered(message);
    else if (message.type === "failed" && message.op === "create") refused(message.id, message);
    else if (message.type === "failed") {
      // An edit the service refused after all: the page shows it, the service does not have it.
      hint(`Not changed on the service: ${message.message ?? "refused"}. Reload to see what is stored.`);
    } else if (message.type === "code-selection") {
      const range = document.getSelection()?.rangeCount ? document.getSelection().getRangeAt(0) : null;
      const offsets = range ? dom.rangeToOffsets(article, currentText(), range) : { refused: "empty" };
      if (offsets.refused) hint("Select text inside the article body to code it.");
      else save(message.tag, offsets);
    } else if (message.type === "page-state") {
      respond({ url: pageUrl, articleId: null, counts: counts(), anchored: known.size, orphans, pending: pending.size });
    }
  });

  function delivered(message) {
    if (message.annotation) known.set(message.id, message.annotation);
    pending.delete(message.id);
    hl.setPending(document, message.id, false);
    updateCounts();
  }

  await anchorSaved();
})();
