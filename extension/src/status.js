// What the popup and the options page say about the service and the work waiting for it.
// Pure functions from the background's answers to words, no DOM: the pages set the text.

/** "1 change", "2 changes", "0 changes". */
export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The popup's delivery heading for the background's "status" answer and the saved settings.
 * Returns { state, heading, detail, settingsLink, showWaiting }: `detail` is a sentence under the
 * heading (or ""), `settingsLink` whether a link to Settings belongs after it (the fix is there),
 * `showWaiting` whether the list of undelivered changes and "Retry now" are worth showing.
 */
export function deliveryStatus(status, settings = {}) {
  const connection = (status && status.connection) || { state: "checking" };
  const pending = Math.max(0, Number((status && status.pending) || 0));
  const changes = plural(pending, "change");
  const noCoder = !String(settings.annotator || "").trim();
  const waiting = pending > 0;
  switch (connection.state) {
    case "checking":
      return result("checking", "Checking the service…", "", false, false);
    case "ok":
      if (waiting) {
        return result("delivering", `${changes} waiting — delivering`, "", false, true);
      }
      if (noCoder) {
        const detail = "No coder name is set, so nothing can be coded yet: enter one in";
        return result("no-coder", "All codes delivered", detail, true, false);
      }
      return result("delivered", "All codes delivered", "", false, false);
    case "unreachable":
      return result(
        "unreachable",
        waiting
          ? `Service not reachable — ${changes} kept, sent when it is back`
          : "Service not reachable — what you code is kept and sent when it is back",
        "Is the newsmark service running (scripts/serve)? Its address is in",
        true,
        waiting,
      );
    case "unauthorized":
      return result(
        "unauthorized",
        waiting ? `Wrong token — ${changes} kept until it is fixed` : "Wrong token — the service refuses it",
        'Paste what "newsmark token" prints into',
        true,
        waiting,
      );
    default:
      return result(
        "error",
        waiting ? `Service error — ${changes} kept` : "Service error",
        connection.message || "The service gave an unexpected answer.",
        false,
        waiting,
      );
  }
}

function result(state, heading, detail, settingsLink, showWaiting) {
  return { state, heading, detail, settingsLink, showWaiting };
}

/**
 * What the options page says after "Test connection": the background's check `result` for the
 * form's values `settings`. A passing check saves them, so `saveError` is the message of a failed
 * save (or ""). Returns { state, text }: state is the check's state, "no-coder" when the connection
 * is fine but coding still needs a coder name, or "error" when saving failed.
 */
export function testOutcome(result, settings, saveError = "") {
  const url = settings.serviceUrl;
  const unchanged = " Nothing was saved: the extension keeps using the settings it had.";
  if (result.state === "ok") {
    const answers = `newsmark ${result.version} answers at ${url} and accepts the token.`;
    if (saveError) return { state: "error", text: `Connection OK, but saving failed: ${sentence(saveError)}` };
    if (!String(settings.annotator || "").trim()) {
      const blocked = "Coding still needs your coder name: enter it above and Save.";
      return { state: "no-coder", text: `Connection OK: ${answers} Saved. ${blocked}` };
    }
    return { state: "ok", text: `OK: ${answers} Saved.` };
  }
  if (result.state === "unreachable") {
    const text = `Unreachable: nothing answers at ${url}. Is the service running (scripts/serve)?`;
    return { state: "unreachable", text: text + unchanged };
  }
  if (result.state === "unauthorized") {
    const text = `Wrong token: the service at ${url} refuses it. Paste what "newsmark token" prints.`;
    return { state: "unauthorized", text: text + unchanged };
  }
  const why = sentence(result.message || "unexpected answer from the service");
  return { state: "error", text: `Error: ${why}${unchanged}` };
}

// A message as a sentence: ending with a full stop unless it already ends with punctuation.
function sentence(message) {
  const text = String(message).trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
