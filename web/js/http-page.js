// The page around one WHIP or WHEP session (whip.html, whep.html): the form
// (a name, start, stop), the status line and the error box. The DOM shows the
// state so that people and tests read the same thing:
//   body[data-state]: idle | connecting | live | stopped | failed
//   #error[data-kind]: refused (with data-code, the server's) | unreachable | camera | media
import { Refusal, iceServersFor, openSession, refusalText } from "./http-session.js";
import { showError as showErrorIn, clearError as clearErrorIn } from "./error-box.js";

const $ = (id) => document.getElementById(id);
const connectDeadlineMs = 20000;

// kind: "whip" or "whep". setUp(pc): adds the tracks or transceivers to pc
// and returns what undoes it (an error it throws with a `kind` is shown as is).
// words: {connecting, live, stopped}, each (name) => text.
export function httpClientPage({ kind, setUp, words, autostart = false }) {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  let current = null; // {name, pc, session, undo, timer} of the last start

  function setState(state, text) {
    document.body.dataset.state = state;
    $("status").textContent = text;
    const busy = state === "connecting" || state === "live";
    $("start").disabled = busy;
    $("name").disabled = busy;
    $("stop").disabled = !busy;
  }

  const showError = (errorKind, text, code) => showErrorIn($("error"), errorKind, text, code);
  const clearError = () => clearErrorIn($("error"));

  // Idempotent: Stop, a failure, a new start and the page closing all end here.
  function end(attempt) {
    if (!attempt || attempt.ended) return;
    attempt.ended = true;
    clearTimeout(attempt.timer);
    attempt.session?.stop();
    attempt.pc?.close();
    attempt.undo?.();
  }

  function fail(attempt, errorKind, text, code) {
    end(attempt);
    showError(errorKind, text, code);
    setState("failed", `Not ${kind === "whip" ? "publishing" : "playing"}.`);
  }

  function onConnectionState(attempt) {
    if (attempt !== current || attempt.ended || !attempt.session) return;
    const state = attempt.pc.connectionState;
    if (state === "connected") {
      clearTimeout(attempt.timer);
      attempt.wasLive = true;
      setState("live", words.live(attempt.name));
    } else if (state === "disconnected" && attempt.wasLive) {
      $("status").textContent = `The connection to ${attempt.name} is interrupted: waiting for it to come back…`;
    } else if (state === "failed") {
      fail(attempt, "media", attempt.wasLive
        ? `The connection to ${attempt.name} was lost: it left, or the network went away.`
        : "The media connection failed (ICE or DTLS): a firewall, or no usable TURN server?");
    }
  }

  async function start(name) {
    end(current);
    clearError();
    const attempt = { name };
    current = attempt;
    setState("connecting", words.connecting(name));
    try {
      const iceServers = await iceServersFor(token);
      if (attempt.ended) return;
      attempt.pc = new RTCPeerConnection({ iceServers });
      attempt.pc.onconnectionstatechange = () => onConnectionState(attempt);
      attempt.undo = await setUp(attempt.pc);
      if (attempt.ended) return attempt.undo?.();
      const session = await openSession(attempt.pc, `/${kind}/${encodeURIComponent(name)}`, token);
      if (attempt.ended) return session.stop(); // stopped while the POST was out
      attempt.session = session;
      attempt.timer = setTimeout(() => fail(attempt, "media",
        `No media connection after ${connectDeadlineMs / 1000} s: a firewall, or no usable TURN server?`), connectDeadlineMs);
      onConnectionState(attempt); // ICE may have connected before the answer was applied
    } catch (error) {
      if (attempt.ended) return;
      if (error instanceof Refusal) fail(attempt, "refused", refusalText(error, name), error.code);
      else if (error.kind) fail(attempt, error.kind, error.message);
      else if (error instanceof TypeError) fail(attempt, "unreachable", refusalText(error, name));
      else fail(attempt, "media", `The answer could not be used: ${error.message}`);
    }
  }

  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("name").value.trim();
    if (name) start(name);
  });
  $("stop").addEventListener("click", () => {
    if (!current) return;
    end(current);
    setState("stopped", words.stopped(current.name));
  });
  // Closing the tab ends the session too (the DELETE is sent with keepalive).
  addEventListener("pagehide", () => end(current));

  // For tests and the console: the current connection and session.
  window.httpClient = {
    get pc() { return current?.pc ?? null; },
    get session() { return current?.session ?? null; },
  };

  $("name").value = params.get("name") ?? "";
  if (autostart && $("name").value) start($("name").value.trim());
}
