// newsmark's content script on lite.cnn.com article pages: the tag bar, the
// highlights, and anchoring saved annotations when the page opens. It talks to
// the service only through the background worker (a page on a public site may
// not reach 127.0.0.1). Its logic lives in the modules under src/, loaded as ES
// modules; this file wires them to the page.

(async () => {
  const api = globalThis.browser ?? globalThis.chrome;
  const load = (name) => import(api.runtime.getURL(`src/${name}.js`));
  // The home page and section pages get badges and no bar: src/listing-page.js, run earlier
  // (document_end), draws them.
  if (globalThis.newsmarkListingPage?.isListing(document)) return;
  const [dom, textRule, anchoring, hl, placement, quotes] = await Promise.all(
    ["dom", "text", "anchoring", "highlighter", "placement", "quote"].map(load),
  );

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

  // -- floating boxes (the tag bar, the popover, the tag tooltip) stay inside the window --

  const MARGIN = 4; // px kept between a floating box and the window's edges

  /**
   * Put the shown box `box` next to `anchor` (a rectangle in viewport coordinates), inside
   * the visible window. It is measured at the top-left corner of its containing block
   * first: that reads its natural size, and where that corner lies on screen, so scrolling
   * or a positioned body cancel out. No box ever passes the right edge, so the page never
   * gets a horizontal scrollbar from one.
   */
  function placeBox(box, anchor, prefer = "below") {
    const root = document.documentElement;
    const viewport = { width: root.clientWidth, height: root.clientHeight };
    box.style.maxWidth = `${viewport.width - 2 * MARGIN}px`;
    box.style.maxHeight = `${viewport.height - 2 * MARGIN}px`;
    box.style.left = "0px";
    box.style.top = "0px";
    const origin = box.getBoundingClientRect();
    const size = { width: origin.width, height: origin.height };
    const at = placement.place(anchor, size, viewport, { prefer, margin: MARGIN });
    box.style.left = `${at.left - origin.left}px`;
    box.style.top = `${at.top - origin.top}px`;
    box.dataset.newsmarkSide = at.side;
  }

  /** A viewport rectangle that follows the page: the function returned gives it where it is now, after scrolling. */
  function pinned(rect) {
    const [x, y] = [window.scrollX, window.scrollY];
    return () => {
      const [dx, dy] = [window.scrollX - x, window.scrollY - y];
      return { left: rect.left - dx, right: rect.right - dx, top: rect.top - dy, bottom: rect.bottom - dy };
    };
  }

  // -- the tag bar --

  // The default tag, the one Enter saves with: the last tag used in this tab (kept in the
  // tab's session storage, so it carries over to the next article opened in the tab).
  const LAST_TAG = "newsmark.lastTag";
  let lastTagHere = null;
  function defaultTag() {
    try {
      const tag = sessionStorage.getItem(LAST_TAG);
      if (TAGS.includes(tag)) return tag;
    } catch {
      // storage refused (a sandboxed page): this page's memory only
    }
    return lastTagHere;
  }
  function rememberTag(tag) {
    lastTagHere = tag;
    try {
      sessionStorage.setItem(LAST_TAG, tag);
    } catch {
      // as above
    }
  }

  const barAttrs = { class: "newsmark-bar", role: "toolbar", "aria-label": "Code the selection", tabindex: "-1" };
  const bar = element("div", barAttrs);
  for (const tag of TAGS) {
    const label = `${tag[0].toUpperCase()}${tag.slice(1)}`;
    const button = element("button", { type: "button", "data-newsmark-tag": tag, "aria-pressed": "false" }, label);
    button.append(element("kbd", {}, tag[0]));
    bar.append(button);
  }
  // A textarea: Shift+Enter makes a new line, Enter saves.
  const noteInput = element("textarea", { rows: "1", placeholder: "Note (n)", "data-newsmark-note": "", "aria-label": "Note" });
  bar.append(noteInput);
  const barStatus = element("span", { class: "newsmark-bar-status", role: "status", "data-newsmark-bar-status": "" });
  bar.append(barStatus);
  bar.hidden = true;
  document.body.append(bar);
  let barAnchor = null; // the selection's rectangle, to place the bar again as the note grows
  // Keep the page's selection: a click on the bar must not clear it.
  bar.addEventListener("mousedown", (event) => {
    if (event.target !== noteInput) event.preventDefault();
  });
  bar.addEventListener("click", (event) => {
    const button = event.target.closest("[data-newsmark-tag]");
    if (button) save(button.dataset.newsmarkTag);
  });
  noteInput.addEventListener("input", () => {
    const before = noteInput.offsetHeight;
    grow(noteInput);
    if (noteInput.offsetHeight !== before && barAnchor) placeBox(bar, barAnchor());
  });

  /** A note field grows with its lines, up to the height its style allows (then it scrolls). */
  function grow(field) {
    field.style.height = "auto";
    field.style.height = `${field.scrollHeight + field.offsetHeight - field.clientHeight}px`;
  }

  function showBar(range) {
    noteInput.value = "";
    barStatus.textContent = "";
    const preset = defaultTag();
    for (const button of bar.querySelectorAll("[data-newsmark-tag]")) {
      const isDefault = button.dataset.newsmarkTag === preset;
      button.setAttribute("aria-pressed", String(isDefault));
      if (isDefault) button.title = "The default: Enter saves with this tag";
      else button.removeAttribute("title");
    }
    bar.hidden = false;
    grow(noteInput);
    barAnchor = pinned(range.getBoundingClientRect());
    placeBox(bar, barAnchor());
  }

  function hideBar() {
    bar.hidden = true;
    selection = null;
    barAnchor = null;
  }

  /** Enter: save with the default tag, or, with none yet, keep the note and ask for one. */
  function saveWithDefault() {
    const tag = defaultTag();
    if (tag) {
      save(tag);
      return;
    }
    barStatus.textContent = "Choose a tag: a, c or f";
    bar.focus({ preventScroll: true }); // out of the note, so that the next a, c or f picks the tag
    if (barAnchor) placeBox(bar, barAnchor());
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

  const modified = (event) => event.ctrlKey || event.metaKey || event.altKey;

  // Keys, in order: the popover's (while focus is in it), the bar's (while it is up), and
  // Enter or Space on a highlight (opens its popover); Escape also hides the tag tooltip.
  document.addEventListener(
    "keydown",
    (event) => {
      if (popover && popoverKey(event)) return;
      if (!bar.hidden) {
        barKey(event);
        return;
      }
      const mark = event.target.closest?.("mark.newsmark-mark");
      if (mark && (event.key === "Enter" || event.key === " ") && !modified(event)) {
        event.preventDefault();
        openPopover(mark);
      } else if (event.key === "Escape" && !tip.hidden) hideTip();
    },
    true,
  );

  // Highlights can be reached with Tab (each annotation at its first piece), but only while
  // the keyboard is in use: in Chromium a drag that starts on the first character of a
  // focusable element selects nothing, so a press of the mouse makes them plain text again.
  function tabbable(on) {
    for (const mark of document.querySelectorAll("mark.newsmark-mark[data-newsmark-first]")) {
      if (on) mark.tabIndex = 0;
      else mark.removeAttribute("tabindex");
    }
  }
  document.addEventListener("keydown", (event) => event.key === "Tab" && tabbable(true), true);
  document.addEventListener(
    "mousedown",
    () => {
      tabbable(false);
      hideTip();
    },
    true,
  );

  function barKey(event) {
    if (event.key === "Escape") {
      hideBar();
      event.preventDefault();
      return;
    }
    if (modified(event)) return;
    const inNote = event.target === noteInput;
    if (event.key === "Enter") {
      if (inNote && event.shiftKey) return; // a new line in the note
      if (!inNote && bar.contains(event.target) && event.target.closest("button")) return; // the button's own
      event.preventDefault();
      saveWithDefault();
      return;
    }
    if (inNote) return;
    if (KEYS[event.key]) {
      event.preventDefault();
      save(KEYS[event.key]);
    } else if (event.key === "n") {
      event.preventDefault();
      noteInput.focus();
    }
  }

  // -- the tag tooltip: a highlight's tag name on hover and on keyboard focus --

  // Out of the text flow (a box of its own at the end of the body), so no label ever sits
  // inside a sentence. Lists every tag under the pointer, innermost first.
  const tip = element("div", { class: "newsmark-tip", role: "tooltip", id: "newsmark-tip", "data-newsmark-tip": "" });
  tip.hidden = true;
  document.body.append(tip);
  let tipFor = null;

  function tagsAt(mark) {
    const seen = new Set();
    const names = [];
    for (let m = mark; m; m = m.parentElement?.closest("mark.newsmark-mark")) {
      if (seen.has(m.dataset.newsmarkId)) continue;
      seen.add(m.dataset.newsmarkId);
      const pendingHere = m.dataset.newsmarkState === "pending";
      names.push(pendingHere ? `${m.dataset.newsmarkTag} (not saved yet)` : m.dataset.newsmarkTag);
    }
    return names;
  }

  function showTip(mark, point = null) {
    tipFor = mark;
    tip.textContent = tagsAt(mark).join(" · ");
    tip.hidden = false;
    placeBox(tip, placement.anchorRect(mark.getClientRects(), point) ?? mark.getBoundingClientRect(), "above");
  }

  function hideTip() {
    tip.hidden = true;
    tipFor?.removeAttribute("aria-describedby");
    tipFor = null;
  }

  document.addEventListener("mouseover", (event) => {
    const mark = event.target.closest?.("mark.newsmark-mark");
    // Not while a button is held (a selection being dragged) nor over an open popover.
    if (mark && !popover && !event.buttons) showTip(mark, { x: event.clientX, y: event.clientY });
    else if (tipFor && tipFor !== document.activeElement) hideTip();
  });
  document.addEventListener("focusin", (event) => {
    const mark = event.target.closest?.("mark.newsmark-mark");
    if (mark?.matches(":focus-visible")) {
      showTip(mark);
      mark.setAttribute("aria-describedby", tip.id);
    }
  });
  document.addEventListener("focusout", (event) => {
    if (event.target === tipFor) hideTip();
  });

  // -- coding a passage --

  async function settings() {
    const { settings: stored } = await api.storage.local.get("settings");
    return stored ?? {};
  }

  async function save(tag, offsets = selection) {
    if (!offsets) return;
    rememberTag(tag);
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
    return {
      title: article.title,
      byline: article.byline,
      timestamp_text: article.timestampText,
      date_published: article.datePublished,
      text: map.text,
    };
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

  // -- the popover of a highlight: its quote, tag, note, coder, time; change, delete --

  let popover = null;
  let opener = null; // the highlight it was opened from, where focus goes back when it closes
  function closePopover() {
    if (!popover) return;
    const hadFocus = popover.contains(document.activeElement);
    popover.remove();
    popover = null;
    // Back to the page: the highlight it was opened from, or (that one gone) the document.
    const back = opener?.isConnected ? hl.marksOf(document, opener.dataset.newsmarkId)[0] : null;
    if (hadFocus && back) {
      back.tabIndex = 0;
      back.focus({ preventScroll: true });
    }
    opener = null;
  }

  function describeAnnotation(a) {
    const quote = a.quote?.exact ?? "";
    const short = quotes.shortenQuote(quote);
    const section = element("section", { "data-newsmark-annotation": a.id, tabindex: "-1", "aria-label": `${a.tag}: ${short}` });
    const head = element("div", { class: "newsmark-head" });
    head.append(element("strong", { class: `newsmark-tag-${a.tag}`, "data-newsmark-field": "tag" }, a.tag));
    const when = a.created ? new Date(a.created).toLocaleString() : "";
    head.append(element("span", { class: "newsmark-meta", "data-newsmark-field": "meta" }, `${a.annotator ?? ""} · ${when}`));
    section.append(head);
    // The passage itself, so that overlapping highlights can be told apart; whole on hover.
    section.append(element("q", { "data-newsmark-field": "quote", title: quote }, short));
    const noteRow = element("div", { class: "newsmark-row" });
    const noteAttrs = { rows: "1", "data-newsmark-note-edit": "", "aria-label": "Note", placeholder: "Note" };
    const noteEdit = element("textarea", noteAttrs);
    noteEdit.value = a.note ?? "";
    noteRow.append(noteEdit, element("button", { type: "button", "data-newsmark-action": "save-note" }, "Save note"));
    const tagRow = element("div", { class: "newsmark-row newsmark-tags" });
    for (const tag of TAGS) {
      const button = element("button", { type: "button", "data-newsmark-set-tag": tag }, tag);
      button.append(element("kbd", {}, tag[0]));
      button.setAttribute("aria-pressed", String(tag === a.tag));
      tagRow.append(button);
    }
    tagRow.append(element("button", { type: "button", class: "newsmark-delete", "data-newsmark-action": "delete" }, "Delete"));
    section.append(noteRow, tagRow);
    return section;
  }

  /** The popover of `mark`, next to the line at `point` (a click) or the whole mark (a key). */
  function openPopover(mark, point = null) {
    closePopover();
    hideTip();
    // Every highlight under the click: overlapping and nested ones can each be reached.
    const ids = [];
    for (let m = mark; m; m = m.parentElement?.closest("mark.newsmark-mark")) {
      if (!ids.includes(m.dataset.newsmarkId)) ids.push(m.dataset.newsmarkId);
    }
    const sections = ids.filter((id) => known.has(id)).map((id) => describeAnnotation(known.get(id)));
    if (sections.length === 0) return;
    const attrs = { class: "newsmark-pop", role: "dialog", "aria-label": "newsmark: the highlights here" };
    popover = element("div", { ...attrs, "data-newsmark-popover": "" });
    popover.append(...sections);
    popover.append(element("p", { class: "newsmark-keys" }, "a, c, f: tag · Enter in the note: save it · Esc: close"));
    document.body.append(popover);
    for (const field of popover.querySelectorAll("textarea")) grow(field);
    popover.addEventListener("input", (event) => event.target.matches("textarea") && grow(event.target));
    opener = mark;
    placeBox(popover, placement.anchorRect(mark.getClientRects(), point) ?? mark.getBoundingClientRect());
    // Keyboard users can act at once: the first (innermost) highlight's section has focus.
    sections[0].focus({ preventScroll: true });
  }

  /** A key while the popover is open; true when it was the popover's. */
  function popoverKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closePopover();
      return true;
    }
    if (!popover.contains(event.target)) return false;
    const here = "[data-newsmark-annotation]";
    const section = event.target.closest(here) ?? popover.querySelector(here);
    if (event.target.matches("textarea")) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        saveNote(section);
      }
      return true;
    }
    if (KEYS[event.key] && !modified(event)) {
      event.preventDefault();
      setTag(section.dataset.newsmarkAnnotation, KEYS[event.key]);
      return true;
    }
    return false;
  }

  document.addEventListener("click", async (event) => {
    const mark = event.target.closest?.("mark.newsmark-mark");
    if (mark && document.getSelection()?.isCollapsed) {
      openPopover(mark, { x: event.clientX, y: event.clientY });
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
    if (newTag) await setTag(id, newTag);
    else if (action === "save-note") await saveNote(section);
    else if (action === "delete") await remove(id);
  });

  async function setTag(id, tag) {
    if (known.get(id)?.tag === tag) closePopover();
    else await change(id, { tag });
  }

  /** Save the note of the popover's section, and say so (a note has no mark on the page to show it). */
  async function saveNote(section) {
    const note = section.querySelector("textarea").value.trim() || null;
    const answer = await change(section.dataset.newsmarkAnnotation, { note });
    if (!answer) return;
    if (answer.message) hint(`Note kept, not sent yet: ${answer.message}.`);
    else if (answer.pending) hint("Note kept; it is sent when the service answers.");
    else hint("Note saved.");
  }

  /** Change an annotation; its answer when accepted (sent or kept to send), null when refused. */
  async function change(id, changes) {
    const answer = await send({ type: "update", id, changes });
    if (!answer?.ok) {
      hint(`Not changed: ${answer?.message ?? "the newsmark service refused it."}`);
      return null;
    }
    known.set(id, answer.annotation ?? { ...known.get(id), ...changes });
    if (changes.tag) hl.setTag(document, id, changes.tag);
    if (answer.pending) hl.setPending(document, id, true);
    closePopover();
    updateCounts();
    return answer;
  }

  // Gone from the page at once, with an undo for a while (see undoDelete).
  async function remove(id) {
    const annotation = known.get(id);
    const place = placeOf(id);
    const wasPending = pending.has(id);
    unhighlight(id);
    known.delete(id);
    pending.delete(id);
    deletedHere.add(id);
    closePopover();
    updateCounts();
    const undo = () => undoDelete(annotation, place);
    if (annotation && place) undoToast.show(undoRules.deletedLabel(annotation.quote?.exact), undo, undoRules.UNDO_MS);
    const answer = await send({ type: "delete", id });
    if (!answer?.ok) {
      undoToast.hide();
      deletedHere.delete(id);
      if (annotation && place) redraw(annotation, place, wasPending);
      hint(`Not deleted: ${answer?.message ?? "the newsmark service refused it."}`);
    }
  }

  // The article offsets an annotation's highlight covers, to draw it there again.
  function placeOf(id) {
    const marks = hl.marksOf(document, id);
    if (marks.length === 0) return null;
    const textIn = (mark) => {
      const walker = document.createTreeWalker(mark, NodeFilter.SHOW_TEXT);
      const nodes = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
      return nodes;
    };
    const first = textIn(marks[0])[0];
    const last = textIn(marks[marks.length - 1]).at(-1);
    if (!first || !last) return null;
    const range = document.createRange();
    range.setStart(first, 0);
    range.setEnd(last, last.data.length);
    const offsets = dom.rangeToOffsets(article, currentText(), range);
    return offsets.refused ? null : offsets;
  }

  function redraw(annotation, place, isPending) {
    known.set(annotation.id, annotation);
    if (isPending) pending.add(annotation.id);
    highlight(currentText(), [{ id: annotation.id, tag: annotation.tag, start: place.start, end: place.end, pending: isPending }]);
    updateCounts();
  }

  // Undo: the very annotation back, on the page at once (pending until the service has it again).
  async function undoDelete(annotation, place) {
    const id = annotation.id;
    deletedHere.delete(id);
    redraw(annotation, place, true);
    const answer = await send({ type: "undo-delete", id, url: pageUrl });
    if (!answer?.ok) {
      unrestored(id, answer);
      return;
    }
    if (answer.annotation) known.set(id, answer.annotation);
    if (answer.pending) return;
    pending.delete(id);
    hl.setPending(document, id, false);
    updateCounts();
  }

  function unrestored(id, answer) {
    unhighlight(id);
    known.delete(id);
    pending.delete(id);
    deletedHere.add(id);
    updateCounts();
    hint(`Not restored: ${answer?.message ?? "the newsmark service refused it."}`);
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

  // Load and draw this page's saved annotations; :returns: whether the service answered. Called
  // again while it does not (see loadFromService): what is drawn already is not drawn twice.
  async function anchorSaved() {
    // The worker may be restarting: that is a failed try too, tried again like the others.
    const answer = await send({ type: "list", url: pageUrl }).catch((err) => ({ ok: false, state: "error", message: String(err?.message ?? err) }));
    const root = document.documentElement;
    showServiceState(answer);
    const stored = (answer?.ok ? answer.items : []).filter((a) => !deletedHere.has(a.id));
    // Coded earlier but not delivered yet (the service was down): shown, as pending.
    const storedIds = new Set(stored.map((a) => a.id));
    const queued = (answer?.queued ?? []).filter((a) => !storedIds.has(a.id));
    const began = performance.now();
    const first = currentText();
    const version = await sha256(first.text);
    const offsets = textRule.offsetConverter(first.text);
    const placed = [];
    const orphaned = new Set(orphans.map((o) => o.id));
    const drawn = new Set([...document.querySelectorAll("mark[data-newsmark-id]")].map((m) => m.dataset.newsmarkId));
    for (const a of [...stored, ...queued]) {
      const queuedHere = !storedIds.has(a.id);
      if (orphaned.has(a.id)) continue;
      if (drawn.has(a.id)) {
        // Drawn already (coded on this page, or pending since an earlier try): the service has it now.
        if (!queuedHere && pending.has(a.id)) acknowledged(a);
        continue;
      }
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
    return answer?.ok === true;
  }

  api.runtime.onMessage.addListener((message, _sender, respond) => {
    if (message.type === "delivered") delivered(message);
    else if (message.type === "failed" && message.op === "create") refused(message.id, message);
    else if (message.type === "failed" && message.op === "restore") unrestored(message.id, message);
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

  // -- the service's state, and undoing a delete (src/notices.js, service-state.js, undo.js) --

  const [notices, serviceState, undoRules] = await Promise.all(["notices", "service-state", "undo"].map(load));
  const deletedHere = new Set(); // deleted on this page (a delete may still wait to be sent)
  const undoToast = notices.createUndoToast(document);
  const banner = notices.createBanner(document, {
    onOptions: () => send({ type: "open-options" }).catch(() => {}),
  });

  document.addEventListener(
    "keydown",
    (event) => {
      if (!undoToast.visible || !undoRules.isUndoKey(event)) return;
      event.preventDefault();
      event.stopPropagation();
      undoToast.undo();
    },
    true,
  );

  function showServiceState(answer) {
    const root = document.documentElement;
    const notice = serviceState.bannerFor(answer);
    if (notice) {
      root.dataset.newsmarkError = answer?.state ?? "error";
      banner.show(notice);
    } else {
      delete root.dataset.newsmarkError;
      banner.hide();
    }
  }

  // Until the service answers once, try again: 2 s, doubling to 30 s; at once when the tab is
  // shown again or the settings change (the token fixed, say). Then draw without a reload.
  let serviceAnswered = false;
  let loading = false;
  let again = false; // asked for while a try was on its way (with settings since changed, say)
  let retries = 0;
  let retryTimer = 0;
  async function loadFromService() {
    if (serviceAnswered) return;
    if (loading) {
      again = true;
      return;
    }
    clearTimeout(retryTimer);
    loading = true;
    try {
      serviceAnswered = await anchorSaved();
    } finally {
      loading = false;
    }
    if (serviceAnswered) return;
    if (again) {
      again = false;
      await loadFromService();
    } else if (!document.hidden) {
      retryTimer = setTimeout(loadFromService, serviceState.retryDelay(retries++));
    }
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) loadFromService();
  });
  api.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && changes.settings) loadFromService();
  });

  await loadFromService();
})();
