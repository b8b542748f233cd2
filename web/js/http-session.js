// One WHIP or WHEP session with mediapeer-signal (docs/protocol.md, "WHIP and
// WHEP"), for whip.js and whep.js: the offer POSTed once ICE gathering is
// complete, the 201's answer applied, a DELETE to end it.
//
// Why no trickle: the server answers only when the callee has sent all of its
// candidates, so a trickling client would save just its own gathering, which on
// host candidates takes milliseconds. One POST with every candidate inside is
// the simplest client RFC 9725 allows; gathering has a deadline all the same
// (a STUN or TURN server that never answers), and the offer then carries the
// candidates found by then.

const gatheringDeadlineMs = 3000;

// A refusal of the server: its status and, from the JSON body, its `code`
// and `message` (no code: the server or a proxy sent something else).
export class Refusal extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

function authorization(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// The ICE servers of /config.json (with auth on, only for a token); none
// when it gives none.
export async function iceServersFor(token) {
  try {
    const response = await fetch("/config.json", { headers: authorization(token) });
    if (!response.ok) return [];
    return (await response.json()).iceServers ?? [];
  } catch (error) {
    console.warn("no ICE servers from /config.json:", error);
    return [];
  }
}

function gatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, gatheringDeadlineMs);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", onChange);
      resolve();
    }
    function onChange() {
      if (pc.iceGatheringState === "complete") done();
    }
    pc.addEventListener("icegatheringstatechange", onChange);
  });
}

async function refusalOf(response) {
  const text = await response.text();
  try {
    const { code, message } = JSON.parse(text);
    return new Refusal(response.status, code, message);
  } catch {
    return new Refusal(response.status, undefined, text.trim() || response.statusText);
  }
}

// POSTs pc's offer to `endpoint` ("/whip/NAME" or "/whep/NAME") and applies
// the answer. Resolves to the session; throws a Refusal, or a TypeError when
// the server cannot be reached.
export async function openSession(pc, endpoint, token) {
  await pc.setLocalDescription();
  await gatheringComplete(pc);
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/sdp", ...authorization(token) },
    body: pc.localDescription.sdp,
  });
  if (response.status !== 201) throw await refusalOf(response);
  const url = new URL(response.headers.get("Location"), new URL(endpoint, location.href)).href;
  const answer = await response.text();
  const session = new Session(url, token);
  try {
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
  } catch (error) {
    session.stop();
    throw error;
  }
  return session;
}

export class Session {
  constructor(url, token) {
    this.url = url;
    this.token = token;
    this.stopped = false;
  }

  // DELETE, once. keepalive: it still goes out when the page is closing.
  stop() {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    return fetch(this.url, { method: "DELETE", headers: authorization(this.token), keepalive: true })
      .catch((error) => console.warn("the session's DELETE failed:", error));
  }
}

// What a person reads for a failed POST. It goes by the code, never by the
// English message (docs/protocol.md: programs match the code).
export function refusalText(error, name) {
  if (!(error instanceof Refusal)) return `The server could not be reached (${error.message}).`;
  switch (error.code) {
    case "not_online":
      return `Nobody is logged in as "${name}" on this server: check the name, or start that bot.`;
    case "busy":
      return `"${name}" is busy: it has as many calls as it takes. Try again in a few seconds.`;
    case "too_many_sessions":
      return "The server has as many WHIP and WHEP sessions open as it allows. Try again in a few seconds.";
    case "no_answer":
      return `"${name}" did not answer in time.`;
    case "offer_refused":
      return `"${name}" did not take the offer: ${error.message}`;
    case "token_required":
      return "This server needs a token: open the page with ?token=….";
    case "unauthorized":
      return "This server does not accept that token: get a new one.";
    case "token_expired":
      return "The token has expired: get a new one.";
    case "token_not_yet_valid":
      return "The token is not valid yet: wait a little, or check this computer's clock.";
    case "bad_sdp":
    case "unsupported_media_type":
      return `The server could not read this browser's offer: ${error.message}`;
    default:
      return `The server refused (${error.status}${error.code ? ` ${error.code}` : ""}): ${error.message}`;
  }
}
