// Driving web/index.html as a person would (clicks and typing), and reading
// what the browser itself received from its RTCPeerConnection's getStats().
import assert from "node:assert/strict";
import { waitFor } from "./poll.js";

// A page of its own (own browser context: own storage, own tab) on `url`.
// contextOptions: Playwright's, e.g. {viewport: {width, height}}.
export async function openPage(browser, url, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  page.consoleLines = [];
  page.on("console", (message) => page.consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => page.consoleLines.push(`pageerror: ${error.message}`));
  page.framesSent = []; // the text of every WebSocket frame the page sent, as the browser saw it
  page.on("websocket", (socket) => socket.on("framesent", ({ payload }) => page.framesSent.push(String(payload))));
  await page.goto(url);
  return page;
}

export async function waitPhase(page, phase, timeoutMs = 15000) {
  try {
    await page.waitForSelector(`body[data-phase="${phase}"]`, { state: "attached", timeout: timeoutMs });
  } catch {
    const now = await page.evaluate(() => ({
      phase: document.body.dataset.phase,
      callState: document.getElementById("call-state").textContent,
      error: document.getElementById("error").textContent,
    }));
    throw new Error(`page never reached phase "${phase}": ${JSON.stringify(now)}`);
  }
}

export async function login(page, name) {
  await tryLogin(page, name);
  await waitPhase(page, "idle");
}

// Types `name` and presses Log in; the server may refuse it.
export async function tryLogin(page, name) {
  await waitPhase(page, "login");
  await page.fill("#name", name);
  await page.click("#login-button");
}

// Opens `url`, logs in as `name`.
export async function openAndLogin(browser, url, name, contextOptions) {
  const page = await openPage(browser, url, contextOptions);
  await login(page, name);
  return page;
}

// Clicks the Call button next to `name` in the list of who is online.
export async function callFromList(page, name) {
  const button = `#users button[data-call="${name}"]`;
  await page.waitForSelector(`${button}:enabled`, { timeout: 15000 });
  await page.click(button);
}

// `caller` clicks `callee` (by name) in the list; the callee's page sees who
// calls, accepts, and both are connected.
export async function callAndAccept(caller, callerName, callee, calleeName) {
  await callFromList(caller, calleeName);
  await waitPhase(callee, "incoming");
  assert.equal(await callee.textContent("#incoming-caller"), callerName);
  await callee.click("#accept");
  await waitPhase(caller, "connected");
  await waitPhase(callee, "connected");
}

// The error box: its kind, the signaling server's code when it refused
// something, and the words a person reads. null: no error shown.
export async function errorShown(page) {
  return page.evaluate(() => {
    const box = document.getElementById("error");
    return box.hidden ? null : { kind: box.dataset.kind, code: box.dataset.code, text: box.textContent };
  });
}

export async function waitError(page, kind, timeoutMs = 15000) {
  return waitFor(`an error of kind "${kind}" on the page`, async () => {
    const shown = await errorShown(page);
    return shown?.kind === kind ? shown : null;
  }, { timeoutMs });
}

// The error shown for the signaling server's refusal `code` (one refusal
// replaces another in the box).
export async function waitErrorCode(page, code, timeoutMs = 15000) {
  return waitFor(`the page to show the refusal "${code}"`, async () => {
    const shown = await errorShown(page);
    if (shown?.code === code) return shown;
    throw new Error(`the page shows ${JSON.stringify(shown)}`);
  }, { timeoutMs });
}

// The browser's own figures for the call's video, both ways (null: no call).
// pcPath: where the page keeps its RTCPeerConnection, from window.
export async function videoStats(page, pcPath = "mediapeer.pc") {
  return page.evaluate(async (path) => {
    const pc = path.split(".").reduce((object, key) => object?.[key], window);
    if (!pc || pc.connectionState === "closed") return null;
    const report = await pc.getStats();
    const out = { framesDecoded: 0, framesEncoded: 0 };
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        out.framesDecoded = s.framesDecoded ?? 0;
        out.width = s.frameWidth;
        out.height = s.frameHeight;
        out.codec = report.get(s.codecId)?.mimeType;
      }
      if (s.type === "outbound-rtp" && s.kind === "video") {
        out.framesEncoded = s.framesEncoded ?? 0;
        out.sentCodec = report.get(s.codecId)?.mimeType;
        out.sentWidth = s.frameWidth;
      }
    });
    return out;
  }, pcPath);
}

// Video is arriving and being decoded: framesDecoded is above zero and
// still rising `moreFrames` later. Returns the last reading.
export async function waitVideoDecoded(page, { moreFrames = 15, timeoutMs = 20000, pcPath } = {}) {
  const first = await waitFor("the first decoded remote video frame", async () => {
    const stats = await videoStats(page, pcPath);
    return stats?.framesDecoded > 0 ? stats : null;
  }, { timeoutMs });
  return waitFor(`framesDecoded to rise past ${first.framesDecoded + moreFrames}`, async () => {
    const stats = await videoStats(page, pcPath);
    return stats?.framesDecoded >= first.framesDecoded + moreFrames ? stats : null;
  }, { timeoutMs });
}

export async function sendChat(page, text) {
  await page.waitForSelector("#chat-input:enabled", { timeout: 15000 });
  await page.fill("#chat-input", text);
  await page.click("#chat-send");
}

// A line the data channel brought in from the peer (not one this page sent).
export async function waitChatFromPeer(page, text, timeoutMs = 15000) {
  return waitFor(`chat line "${text}" from the peer`, () =>
    page.evaluate((wanted) =>
      [...document.querySelectorAll("#chat-log li.peer")].some((li) => li.textContent === wanted), text),
  { timeoutMs });
}
