// What an article page says about the newsmark service when it cannot load the page's
// highlights, and when it tries again. Pure functions, no DOM (src/notices.js shows them).

/** Retries after a failed load: 2 s, doubling, at most 30 s apart. */
export const RETRY_FIRST_MS = 2000;
export const RETRY_MAX_MS = 30000;

/** The pause before retry number `attempt` (0 for the first retry). */
export function retryDelay(attempt) {
  const n = Math.max(0, Math.floor(Number(attempt) || 0));
  return Math.min(RETRY_FIRST_MS * 2 ** Math.min(n, 30), RETRY_MAX_MS);
}

const DEFAULT_URL = "http://127.0.0.1:7767";
const KEPT = "your codes are kept and sent when it is back";

/**
 * The banner for the background's answer to a page's "list" request: null when the service
 * answered, else {state, text, action} where `action` is "options" when only a change of the
 * settings can help (a wrong token), or null.
 */
export function bannerFor(answer) {
  if (!answer || answer.ok) return answer ? null : bannerFor({ ok: false, state: "error" });
  const url = answer.serviceUrl || DEFAULT_URL;
  const state = answer.state === "unreachable" || answer.state === "unauthorized" ? answer.state : "error";
  if (state === "unreachable") {
    return { state, action: null, text: `newsmark service not reachable at ${url} — ${KEPT}` };
  }
  if (state === "unauthorized") {
    const text =
      `newsmark service at ${url} did not accept the token — set the right one in newsmark's options ` +
      "(newsmark token prints it); your codes are kept and sent once it is right";
    return { state, action: "options", text };
  }
  const why = answer.message ? `: ${answer.message}` : "";
  return { state, action: null, text: `newsmark service at ${url} could not list this page's codes${why} — ${KEPT}` };
}
