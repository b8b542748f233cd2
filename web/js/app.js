// The page: log in, see who is online, call or be called, chat, hang up.
// State lives in `page`; the DOM shows it (body[data-phase], #call-state[data-state],
// #error[data-kind]) so people and tests read the same thing.
import { Signaling, signalingUrl, readPayload } from "./signaling.js";
import { Call } from "./call.js";
import { readCounters, summarize, formatSummary } from "./stats.js";
import { loginRefusalText } from "./refusals.js";
import { showError as showErrorIn, clearError as clearErrorIn } from "./error-box.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const settings = {
  codec: ["vp8", "h264"].includes(params.get("codec")) ? params.get("codec") : "auto",
  relay: params.get("relay") === "1",
  autoanswer: params.get("autoanswer") === "1",
  connectTimeoutMs: 1000 * (Number(params.get("connect-timeout")) || 20),
};

const page = {
  phase: "offline", // offline | login | idle | calling | incoming | connecting | connected
  myName: null,
  wantedName: null, // logged in again after the server comes back
  wantedToken: null, // the token that login carries, if any; never logged or shown
  users: [],
  call: null, // the Call being placed, ringing or running
  incomingOffer: null,
  localStream: null,
  micMuted: false,
  cameraOff: false,
  iceServers: [],
  iceServersToken: undefined, // the token /config.json was last asked with
  statsTimer: null,
  lastCounters: null,
  lastSummary: null,
  marks: {}, // performance.now() of this call's steps, read by bench/page-setup
};

const signaling = new Signaling(signalingUrl());

// ---- what the page shows ----

function setPhase(phase) {
  page.phase = phase;
  document.body.dataset.phase = phase;
  const loggedIn = !["offline", "login"].includes(phase);
  const inCall = ["calling", "connecting", "connected"].includes(phase);
  $("login-form").hidden = loggedIn;
  $("app").hidden = !loggedIn;
  $("login-button").disabled = phase !== "login";
  $("incoming").hidden = phase !== "incoming";
  $("hangup").disabled = !inCall;
  $("call-button").disabled = phase !== "idle";
  $("codec").disabled = phase !== "idle";
  renderUsers();
  renderToggles();
}

function setCallState(state, text) {
  $("call-state").dataset.state = state;
  $("call-state").textContent = text;
}

// kind: server-unreachable | login-refused | camera | user-offline | call-failed | codec | relay | server
// code: the signaling server's code, when it refused something.
function showError(kind, text, code) {
  showErrorIn($("error"), kind, text, code);
}

function clearError(kind) {
  clearErrorIn($("error"), kind);
}

function renderUsers() {
  const others = page.users.filter((name) => name !== page.myName);
  const items = others.map((name) => {
    const item = document.createElement("li");
    item.dataset.user = name;
    const label = document.createElement("span");
    label.textContent = name;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Call";
    button.dataset.call = name;
    button.disabled = page.phase !== "idle";
    button.onclick = () => callUser(name);
    item.append(label, button);
    return item;
  });
  if (items.length === 0) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.textContent = "Nobody else is online.";
    items.push(empty);
  }
  $("users").replaceChildren(...items);
}

function renderToggles() {
  const hasMedia = Boolean(page.localStream);
  $("mute").disabled = !hasMedia;
  $("camera").disabled = !hasMedia;
  $("mute").setAttribute("aria-pressed", String(page.micMuted));
  $("camera").setAttribute("aria-pressed", String(page.cameraOff));
  $("mute").textContent = page.micMuted ? "Unmute microphone" : "Mute microphone";
  $("camera").textContent = page.cameraOff ? "Turn camera on" : "Turn camera off";
}

function appendChat(kind, text, from) {
  const item = document.createElement("li");
  item.className = kind; // me | peer | system
  if (from) item.dataset.from = from;
  item.textContent = text;
  $("chat-log").append(item);
  $("chat-log").scrollTop = $("chat-log").scrollHeight;
}

function setChatOpen(open) {
  $("chat-input").disabled = !open;
  $("chat-send").disabled = !open;
}

// ---- the connection to the signaling server ----

signaling.addEventListener("open", () => {
  $("server-status").dataset.state = "open";
  $("server-status").textContent = "connected to the signaling server";
  clearError("server-unreachable");
  signaling.send({ type: "users" });
  setPhase("login");
  if (page.wantedName) signaling.send(loginFrame(page.wantedName, page.wantedToken));
});

signaling.addEventListener("close", ({ detail }) => {
  $("server-status").dataset.state = "closed";
  $("server-status").textContent = "not connected";
  if (page.call) endCall("failed", "the connection to the signaling server was lost");
  const retry = `Trying again every ${signaling.retryMs / 1000} s…`;
  showError(
    "server-unreachable",
    detail.everOpened
      ? `Lost the connection to the signaling server (${signaling.url}). ${retry}`
      : `Cannot reach the signaling server at ${signaling.url}: is mediapeer-signal running? ${retry}`,
  );
  page.myName = null;
  setPhase("offline");
});

signaling.addEventListener("frame", ({ detail: frame }) => {
  const handlers = { login: onLogin, users: onUsers, offer: onOffer, answer: onAnswer,
                     candidate: onCandidate, leave: onLeave, error: onServerError };
  const handler = handlers[frame.type];
  if (handler) handler(frame);
  else console.log("ignoring a frame of unknown type", frame);
});

function loginFrame(name, token) {
  return token ? { type: "login", name, token } : { type: "login", name };
}

function onLogin(frame) {
  if (!frame.success) {
    showError("login-refused", loginRefusalText(frame, page.wantedName), frame.code);
    page.wantedName = null;
    page.wantedToken = null;
    setPhase("login");
    return;
  }
  clearError("login-refused");
  page.myName = frame.myName;
  // Asked again: a server with tokens tells who is online only after a login.
  signaling.send({ type: "users" });
  $("whoami").textContent = `Logged in as ${page.myName}`;
  setPhase("idle");
}

function onUsers(frame) {
  page.users = Array.isArray(frame.users) ? frame.users : [];
  renderUsers();
}

// Frames about a call name the peer; those from anyone else are stale.
function fromPeer(frame) {
  return page.call && frame.name === page.call.peer;
}

function onOffer(frame) {
  const caller = frame.name;
  if (page.phase !== "idle") {
    if (!page.call || caller !== page.call.peer) {
      signaling.send({ type: "leave", name: caller, reason: "busy" });
    }
    return;
  }
  let offer;
  try {
    offer = readPayload(frame.offer);
  } catch {
    signaling.send({ type: "leave", name: caller, reason: "unreadable offer" });
    return;
  }
  page.call = newCall(caller);
  page.incomingOffer = offer;
  $("incoming-caller").textContent = caller;
  setCallState("incoming", `${caller} is calling you.`);
  setPhase("incoming");
  if (settings.autoanswer) acceptCall();
}

async function onAnswer(frame) {
  if (!fromPeer(frame)) return;
  const call = page.call;
  try {
    await call.acceptAnswer(readPayload(frame.answer));
  } catch (error) {
    if (isCurrent(call)) failCall(`the answer could not be used (${error.message})`);
  }
}

function onCandidate(frame) {
  if (!fromPeer(frame)) return;
  try {
    page.call.addCandidate(readPayload(frame.candidate));
  } catch (error) {
    console.warn("ignoring an unreadable candidate", frame.candidate, error);
  }
}

function onLeave(frame) {
  if (!fromPeer(frame)) return;
  const peer = page.call.peer;
  if (frame.reason === "busy") {
    showError("call-failed", `${peer} is busy in another call.`);
    endCall("failed", `${peer} is busy.`);
  } else if (page.phase === "incoming") {
    endCall("ended", `${peer} cancelled the call.`);
  } else {
    endCall("ended", frame.reason ? `${peer} ended the call: ${frame.reason}.` : `${peer} hung up.`);
  }
}

// Matched by code (refusals.js says why); the message is only shown.
function onServerError(frame) {
  const { code } = frame;
  const message = frame.message ?? "unknown error";
  if (code === "not_in_call" || code === "not_logged_in") {
    // A candidate or leave that crossed the peer's hang-up, or who is online
    // asked before logging in (answered after it): nothing anyone can act on.
    console.log("signaling:", code, message);
  } else if (page.phase === "calling") {
    const peer = page.call.peer;
    if (code === "not_online") {
      showError("user-offline", `${peer} is not online.`, code);
      endCall("failed", `${peer} is not online.`);
    } else {
      showError("call-failed", `Cannot call ${peer}: ${message}.`, code);
      endCall("failed", `The call failed: ${message}.`);
    }
  } else if (page.phase === "login" || !page.call) {
    showError("server", `The signaling server refused a request: ${message}.`, code);
  } else {
    console.warn("signaling server error during a call:", code, message);
  }
}

// ---- calls ----

function isCurrent(call) {
  return page.call === call && !call.closed;
}

function newCall(peer) {
  const call = new Call({ peer, iceServers: page.iceServers, relay: settings.relay, codec: settings.codec,
                          connectTimeoutMs: settings.connectTimeoutMs });
  call.addEventListener("signal", ({ detail }) => signaling.send({ ...detail, name: peer }));
  call.addEventListener("state", ({ detail }) => isCurrent(call) && onCallState(detail));
  call.addEventListener("track", ({ detail }) => isCurrent(call) && showRemote(detail));
  call.addEventListener("chat-open", () => {
    if (!isCurrent(call)) return;
    setChatOpen(true);
    appendChat("system", `Chat with ${peer} is open.`);
  });
  call.addEventListener("chat-close", () => isCurrent(call) && setChatOpen(false));
  call.addEventListener("chat", ({ detail }) => isCurrent(call) && appendChat("peer", detail, peer));
  return call;
}

async function callUser(name) {
  if (page.phase !== "idle" || !name) return;
  clearError();
  page.marks = { callClicked: performance.now() };
  const call = newCall(name);
  page.call = call;
  setCallState("calling", `Calling ${name}…`);
  setPhase("calling");
  const stream = await openCamera();
  if (!isCurrent(call)) return;
  if (!stream) return endCall("failed", "No call: the camera could not be opened.");
  try {
    await call.start(stream);
    if (!call.codecAvailable) showError("codec", `This browser has no ${settings.codec.toUpperCase()}: it offers other codecs.`);
  } catch (error) {
    if (isCurrent(call)) failCall(`the offer could not be made (${error.message})`);
  }
}

async function acceptCall() {
  if (page.phase !== "incoming") return;
  const call = page.call;
  page.marks = { acceptClicked: performance.now() };
  setCallState("connecting", `Connecting to ${call.peer}…`);
  setPhase("connecting");
  const stream = await openCamera();
  if (!isCurrent(call)) return;
  if (!stream) return endCall("failed", "The call was refused: the camera could not be opened.", "no camera");
  try {
    await call.accept(stream, page.incomingOffer);
  } catch (error) {
    if (isCurrent(call)) failCall(`the call could not be answered (${error.message})`);
  }
}

function onCallState({ state, reason }) {
  const peer = page.call.peer;
  if (state === "connecting" && page.phase !== "connected") {
    setCallState("connecting", `Connecting to ${peer}…`);
    setPhase("connecting");
  } else if (state === "connected") {
    page.marks.connected = performance.now();
    setCallState("connected", `In a call with ${peer}.`);
    setPhase("connected");
    startStats();
  } else if (state === "failed") {
    failCall(reason);
  }
}

function failCall(reason) {
  showError("call-failed", `The call with ${page.call.peer} failed: ${reason}.`);
  endCall("failed", `Call failed: ${reason}.`, "failed");
}

// Ends the call in every way a call ends. leaveReason: tell the peer (with
// that reason, or "" for a plain hang-up); undefined: the peer already knows.
function endCall(outcome, text, leaveReason) {
  const call = page.call;
  if (call && leaveReason !== undefined) {
    signaling.send(leaveReason ? { type: "leave", name: call.peer, reason: leaveReason }
                               : { type: "leave", name: call.peer });
  }
  call?.close();
  page.call = null;
  page.incomingOffer = null;
  stopStats();
  releaseCamera();
  $("remote-video").srcObject = null;
  $("remote-muted").hidden = true;
  setChatOpen(false);
  if (call) appendChat("system", text);
  setCallState(outcome, text);
  setPhase(page.myName && signaling.isOpen ? "idle" : page.phase === "login" ? "login" : "offline");
}

function hangUp() {
  if (page.call) endCall("ended", `You ended the call with ${page.call.peer}.`, "");
}

function declineCall() {
  if (page.phase === "incoming") endCall("ended", `You declined ${page.call.peer}'s call.`, "declined");
}

// ---- camera and microphone ----

function cameraErrorText(error) {
  if (!navigator.mediaDevices) {
    return "This browser gives pages the camera only on https:// or localhost: open the page that way.";
  }
  switch (error.name) {
    case "NotAllowedError":
      return "The camera and microphone were denied to this page. Allow them in the browser's site settings, then call again.";
    case "NotFoundError":
      return "No camera or microphone was found on this device.";
    case "NotReadableError":
      return "The camera or microphone is in use by another program.";
    default:
      return `The camera and microphone could not be opened: ${error.name}: ${error.message}`;
  }
}

async function openCamera() {
  if (page.localStream) return page.localStream;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 640 }, height: { ideal: 480 } },
    });
    page.localStream = stream;
    applyToggles();
    $("local-video").srcObject = stream;
    renderToggles();
    return stream;
  } catch (error) {
    showError("camera", cameraErrorText(error));
    return null;
  }
}

// The camera light goes off when no call needs it.
function releaseCamera() {
  page.localStream?.getTracks().forEach((track) => track.stop());
  page.localStream = null;
  $("local-video").srcObject = null;
  renderToggles();
}

function applyToggles() {
  page.localStream?.getAudioTracks().forEach((track) => (track.enabled = !page.micMuted));
  page.localStream?.getVideoTracks().forEach((track) => (track.enabled = !page.cameraOff));
  renderToggles();
}

function showRemote(stream) {
  const video = $("remote-video");
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    markFirstFrame(video, page.call);
  }
  // Without a click on this page (e.g. ?autoanswer=1) the browser may refuse
  // to play sound: play muted and say so.
  video.play().catch(() => {
    video.muted = true;
    $("remote-muted").hidden = false;
    video.play().catch(() => {});
  });
}

function markFirstFrame(video, call) {
  if (!("requestVideoFrameCallback" in video)) return;
  video.requestVideoFrameCallback((now) => {
    if (isCurrent(call)) page.marks.firstRemoteFrame = now;
  });
}

// ---- statistics ----

function startStats() {
  if (page.statsTimer) return;
  page.lastCounters = null;
  const update = async () => {
    const pc = page.call?.pc;
    if (!pc) return;
    const counters = await readCounters(pc);
    if (page.call?.pc !== pc) return;
    page.lastSummary = summarize(counters, page.lastCounters);
    page.lastCounters = counters;
    const shown = formatSummary(page.lastSummary);
    for (const cell of $("stats").querySelectorAll("dd[data-stat]")) {
      cell.textContent = shown[cell.dataset.stat];
    }
  };
  update();
  page.statsTimer = setInterval(update, 1000);
}

function stopStats() {
  clearInterval(page.statsTimer);
  page.statsTimer = null;
}

// ---- wiring ----

// A server with tokens hands its ICE servers (TURN credentials) only to a
// valid one: asked again whenever the token changes. Without one, such a
// server answers 401 and the page calls with none.
async function loadIceServers(token) {
  page.iceServersToken = token;
  try {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const response = await fetch("/config.json", { headers });
    if (response.status === 401 && !token) {
      console.log("no ICE servers from /config.json: this server gives them to a token only");
      return [];
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()).iceServers ?? [];
  } catch (error) {
    console.warn("no ICE servers from /config.json:", error);
    return [];
  }
}

async function refreshIceServers(token) {
  page.iceServers = await loadIceServers(token);
  warnIfNoRelay();
}

function warnIfNoRelay() {
  const urls = page.iceServers.flatMap((server) => [].concat(server.urls ?? server.url ?? []));
  if (settings.relay && !urls.some((url) => /^turns?:/.test(url))) {
    showError("relay", "Relay only (?relay=1), but the signaling server offers no TURN server: calls cannot connect.");
  } else {
    clearError("relay");
  }
}

function wireControls() {
  $("name").value = params.get("name") ?? "";
  $("token").value = params.get("token") ?? "";
  $("codec").value = settings.codec;
  $("relay-note").hidden = !settings.relay;
  $("login-form").onsubmit = async (event) => {
    event.preventDefault();
    const name = $("name").value;
    const token = $("token").value.trim() || null;
    if (name === "") return showError("login-refused", "Type a name to log in with.");
    page.wantedName = name;
    page.wantedToken = token;
    if (token !== page.iceServersToken) await refreshIceServers(token);
    signaling.send(loginFrame(name, token));
  };
  $("call-form").onsubmit = (event) => {
    event.preventDefault();
    callUser($("callee").value.trim());
  };
  $("codec").onchange = () => (settings.codec = $("codec").value);
  $("accept").onclick = acceptCall;
  $("decline").onclick = declineCall;
  $("hangup").onclick = hangUp;
  $("mute").onclick = () => {
    page.micMuted = !page.micMuted;
    applyToggles();
  };
  $("camera").onclick = () => {
    page.cameraOff = !page.cameraOff;
    applyToggles();
  };
  $("remote-video").onclick = () => {
    $("remote-video").muted = false;
    $("remote-muted").hidden = true;
  };
  $("chat-form").onsubmit = (event) => {
    event.preventDefault();
    const text = $("chat-input").value;
    if (text && page.call?.sendChat(text)) {
      appendChat("me", text);
      $("chat-input").value = "";
    }
  };
}

// For tests and the bench: the live objects. Tests read the browser's own
// getStats() through `pc`, not the figures this page prints.
window.mediapeer = {
  get phase() { return page.phase; },
  get myName() { return page.myName; },
  get call() { return page.call; },
  get pc() { return page.call?.pc ?? null; },
  get localStream() { return page.localStream; },
  get marks() { return page.marks; },
  get stats() { return page.lastSummary; },
  get iceServers() { return page.iceServers; }, // what the next call gets; pc.getConfiguration() shows them too
  settings,
};

wireControls();
setPhase("offline");
await refreshIceServers($("token").value.trim() || null);
signaling.connect();
