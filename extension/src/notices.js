// Two small notices on an article page, outside the article's flow (one fixed corner for both,
// stacked, never over each other; see notices.css): the banner saying the service cannot be used,
// and the toast offering to undo a delete. Every text is set with textContent. The page's wiring (what they say, what their
// buttons do) is in content.js; the words and timings are in service-state.js and undo.js.

function element(doc, tag, attrs = {}, text = "") {
  const el = doc.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  if (text) el.textContent = text;
  return el;
}

/** The fixed corner the notices stack in (made once per page). */
function noticeArea(doc) {
  let area = doc.querySelector("body > .newsmark-notices");
  if (!area) {
    area = element(doc, "div", { class: "newsmark-notices" });
    doc.body.append(area);
  }
  return area;
}

/**
 * The service banner: show({state, text, action}) and hide(). Its close button hides it until a
 * notice of another state comes (the page keeps retrying meanwhile); `onOptions` runs for the
 * "Open options" button, shown when the notice's action is "options".
 */
export function createBanner(doc, { onOptions }) {
  const box = element(doc, "div", { class: "newsmark-banner", role: "status", "data-newsmark-banner": "" });
  const text = element(doc, "span", { "data-newsmark-banner-text": "" });
  const options = element(doc, "button", { type: "button", "data-newsmark-action": "open-options" }, "Open options");
  const close = element(doc, "button", {
    type: "button",
    class: "newsmark-close",
    "data-newsmark-action": "dismiss-banner",
    "aria-label": "Dismiss",
    title: "Dismiss",
  }, "×");
  box.append(text, options, close);
  box.hidden = true;
  noticeArea(doc).prepend(box); // above the toast
  let dismissed = null; // the state whose notice the user closed
  options.addEventListener("click", () => onOptions());
  close.addEventListener("click", () => {
    dismissed = box.dataset.newsmarkBannerState ?? null;
    box.hidden = true;
  });
  return {
    element: box,
    show(notice) {
      box.dataset.newsmarkBannerState = notice.state;
      text.textContent = notice.text;
      options.hidden = notice.action !== "options";
      if (dismissed !== notice.state) box.hidden = false;
    },
    hide() {
      box.hidden = true;
      dismissed = null;
      delete box.dataset.newsmarkBannerState;
    },
  };
}

/**
 * The undo toast: show(label, onUndo, ms) puts up "label · Undo" for `ms` (the time stops while
 * the pointer is on it or focus is in it); a new show replaces the one before. undo() acts as
 * the button does, if the toast is up.
 */
export function createUndoToast(doc) {
  const box = element(doc, "div", { class: "newsmark-toast", role: "status", "data-newsmark-toast": "" });
  const text = element(doc, "span", { "data-newsmark-toast-text": "" });
  const button = element(doc, "button", { type: "button", "data-newsmark-action": "undo" }, "Undo");
  button.append(element(doc, "kbd", {}, "z"));
  box.append(text, element(doc, "span", { "aria-hidden": "true" }, " · "), button);
  box.hidden = true;
  noticeArea(doc).append(box);
  let action = null;
  let timer = 0;
  let left = 0;
  let since = 0;
  let held = 0; // pointer over it and/or focus inside it

  const view = doc.defaultView;
  const hide = () => {
    view.clearTimeout(timer);
    box.hidden = true;
    action = null;
  };
  const run = () => {
    since = Date.now();
    view.clearTimeout(timer);
    timer = view.setTimeout(hide, left);
  };
  const hold = () => {
    if (held++ === 0 && !box.hidden) {
      view.clearTimeout(timer);
      left = Math.max(0, left - (Date.now() - since));
    }
  };
  const release = () => {
    if (--held === 0 && !box.hidden) run();
  };
  box.addEventListener("mouseenter", hold);
  box.addEventListener("mouseleave", release);
  box.addEventListener("focusin", hold);
  box.addEventListener("focusout", release);
  const undo = () => {
    const pending = action;
    hide();
    pending?.();
  };
  button.addEventListener("click", undo);

  return {
    element: box,
    get visible() {
      return !box.hidden;
    },
    show(label, onUndo, ms) {
      text.textContent = label;
      action = onUndo;
      left = ms;
      box.hidden = false;
      if (held === 0) run();
    },
    hide,
    undo() {
      if (!box.hidden) undo();
    },
  };
}
