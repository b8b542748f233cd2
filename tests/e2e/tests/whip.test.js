// WHIP and WHEP from Chromium: our pages (web/whip.html, web/whep.html) and
// Eyevinn's browser clients from npm (pages/eyevinn-whip.*, pages/eyevinn-whep.*)
// publish to a recording bot and play a test-source bot.
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as P from "../lib/mediapeer-page.js";
import { waitFor } from "../lib/poll.js";
import { sourceDir } from "../lib/processes.js";
import { discover, finalizedMatroska, recordingsIn } from "../lib/recording.js";
import { mintToken, writeSecret, writeTokenFile } from "../lib/tokens.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pagesDir = path.join(here, "../pages");
const nodeModules = path.join(here, "../node_modules");
const ourPc = "httpClient.pc"; // where whip.js and whep.js keep their RTCPeerConnection

// A signaling server whose web root holds web/, the test pages and, under
// vendor/, the npm files the Eyevinn pages load: all from the origin they call.
async function signalServingEyevinn(t) {
  const webRoot = t.tempDir();
  cpSync(path.join(sourceDir, "web"), webRoot, { recursive: true });
  cpSync(pagesDir, webRoot, { recursive: true });
  const vendor = {
    "whip-web-client/whip-client.js": "@eyevinn/whip-web-client/dist/whip-client.js",
    "webrtc-player/main.js": "@eyevinn/webrtc-player/dist/main.js",
    "events/events.js": "events/events.js",
    "sdp-transform/lib": "sdp-transform/lib",
  };
  for (const [to, from] of Object.entries(vendor)) {
    cpSync(path.join(nodeModules, from), path.join(webRoot, "vendor", to), { recursive: true });
  }
  return t.signal({ webRoot });
}

// Our pages' body[data-state]; a failure ends the wait for another state at once.
async function waitState(page, state, timeoutMs = 20000) {
  const selector = `body[data-state="${state}"], body[data-state="failed"]`;
  await page.waitForSelector(selector, { state: "attached", timeout: timeoutMs }).catch(() => {});
  const now = await page.evaluate(() => ({
    state: document.body.dataset.state,
    status: document.getElementById("status").textContent,
    error: document.getElementById("error").textContent,
  }));
  if (now.state !== state) throw new Error(`the page is not in state "${state}": ${JSON.stringify(now)}`);
}

// Packets the page's connection has sent or received, per kind.
async function rtpCounts(page, pcPath) {
  return page.evaluate(async (where) => {
    const pc = where.split(".").reduce((object, key) => object?.[key], window);
    const out = { sent: { audio: 0, video: 0 }, received: { audio: 0, video: 0 }, audioEnergy: 0 };
    if (!pc) return out;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp") out.sent[s.kind] += s.packetsSent ?? 0;
      if (s.type === "inbound-rtp") out.received[s.kind] += s.packetsReceived ?? 0;
      if (s.type === "inbound-rtp" && s.kind === "audio") out.audioEnergy += s.totalAudioEnergy ?? 0;
    });
    return out;
  }, pcPath);
}

// Both kinds of packets leave the page, and keep leaving.
async function waitSending(page, pcPath, { video = 150, audio = 100 } = {}) {
  return waitFor(`${video} video and ${audio} audio packets sent`, async () => {
    const n = await rtpCounts(page, pcPath);
    return n.sent.video >= video && n.sent.audio >= audio ? n : null;
  }, { timeoutMs: 20000 });
}

// Audio arrives and keeps arriving. energy: and it is sound (a test bot's
// tone, not silence); Chromium measures it only for audio it plays out.
async function waitAudioArriving(page, pcPath, { energy = true } = {}) {
  const first = await waitFor("the first audio packets", async () => {
    const n = await rtpCounts(page, pcPath);
    return n.received.audio > 0 ? n : null;
  });
  const what = energy ? "audio packets and energy to rise" : "audio packets to keep arriving";
  return waitFor(what, async () => {
    const n = await rtpCounts(page, pcPath);
    const louder = !energy || n.audioEnergy > first.audioEnergy;
    if (n.received.audio >= first.received.audio + 50 && louder) return n;
    throw new Error(JSON.stringify({ first, now: n }));
  });
}

// The one recording in `dir`, once the bot says it is finalized: a Matroska
// file the muxer finished, with a video and an audio stream.
async function recordingWithBothStreams(bot, dir) {
  await bot.waitForOutput(/recording finalized/, "the recording to be finalized", 20000);
  const files = recordingsIn(dir);
  assert.equal(files.length, 1, `one recording in ${dir}: ${files}`);
  assert.ok(files[0].endsWith(".webm"), files[0]);
  assert.ok(finalizedMatroska(files[0]), `${files[0]} has no Cues: the muxer never finished`);
  const found = await discover(files[0]);
  assert.equal(found.video, "VP8", found.text);
  assert.equal(found.audio, "Opus", found.text);
  assert.ok(found.seconds > 1, `a recording of ${found.seconds} s:\n${found.text}`);
  return found;
}

// The <video> shows frames: its own count of them rises.
async function waitFramesInVideo(page, selector, moreFrames = 15) {
  const count = () => page.evaluate((s) => document.querySelector(s).getVideoPlaybackQuality().totalVideoFrames, selector);
  const first = await waitFor(`frames in ${selector}`, async () => (await count()) > 0 && count());
  return waitFor(`more than ${first + moreFrames} frames in ${selector}`, async () => (await count()) >= first + moreFrames);
}

export default [
  {
    name: "WhipPage_PublishesToARecordingBot_StopLeavesAPlayableWebm",
    async run(t) {
      const signal = await t.signal();
      const recordDir = t.tempDir();
      const bot = await t.peer(signal, { name: "recorder", recordDir });
      const browser = await t.browser();
      const page = await P.openPage(browser, `${signal.url}whip.html?name=recorder`);
      await page.click("#start");
      await waitState(page, "live");
      await bot.waitForOutput(/recording to /, "the recording to start");
      await waitSending(page, ourPc);

      await page.click("#stop");
      await waitState(page, "stopped");
      await signal.waitForOutput(/whip-\d+: ended by its client/, "the page's DELETE");
      await recordingWithBothStreams(bot, recordDir);
      assert.equal(await page.evaluate(() => document.getElementById("video").srcObject), null, "the camera is released");
    },
  },
  {
    name: "WhepPage_PlaysATestSourceBot_VideoDecodedAndToneArriving",
    async run(t) {
      const signal = await t.signal();
      const bot = await t.peer(signal, { name: "testsrc", pipeline: "test" });
      const browser = await t.browser();
      const page = await P.openPage(browser, `${signal.url}whep.html?name=testsrc`);
      await waitState(page, "live");
      await P.waitVideoDecoded(page, { pcPath: ourPc });
      await waitAudioArriving(page, ourPc);
      const tracks = await page.evaluate(() => {
        const stream = document.getElementById("video").srcObject;
        return { video: stream.getVideoTracks().length, audio: stream.getAudioTracks().length };
      });
      assert.deepEqual(tracks, { video: 1, audio: 1 }, "the <video> plays both tracks");

      await page.click("#stop");
      await waitState(page, "stopped");
      await signal.waitForOutput(/whep-\d+: ended by its client/, "the page's DELETE");
      await bot.waitForOutput(/\[call whep-\d+#\d+\] ended/, "the bot to end the call");
    },
  },
  {
    name: "WhepPage_NobodyOfThatName_ShowsTheRefusal",
    async run(t) {
      const signal = await t.signal();
      const browser = await t.browser();
      const page = await P.openPage(browser, `${signal.url}whep.html?name=nobody`);
      await waitState(page, "failed");
      const error = await P.errorShown(page);
      assert.equal(error.kind, "refused", JSON.stringify(error));
      assert.equal(error.code, "not_online", JSON.stringify(error));
      assert.match(error.text, /Nobody is logged in as "nobody"/);
      assert.equal(await page.evaluate(() => window.httpClient.session), null);
      assert.equal(await page.evaluate(() => window.httpClient.pc.connectionState), "closed");
    },
  },
  {
    name: "WhepPage_TheBotStops_ThePageSaysTheConnectionIsLost",
    async run(t) {
      const signal = await t.signal();
      const bot = await t.peer(signal, { name: "testsrc", pipeline: "test" });
      const browser = await t.browser();
      const page = await P.openPage(browser, `${signal.url}whep.html?name=testsrc`);
      await waitState(page, "live");
      await bot.stop();
      // Chromium's ICE gives up on a silent peer by itself: no deadline of ours.
      await waitState(page, "failed", 40000);
      const error = await P.errorShown(page);
      assert.equal(error.kind, "media", JSON.stringify(error));
      assert.match(error.text, /The connection to testsrc was lost/);
    },
  },
  {
    name: "WhepPage_WithTokens_ItsTokenPlaysAndNoTokenIsRefused",
    async run(t) {
      const secret = writeSecret(t.tempDir());
      const signal = await t.signal({ extraArgs: ["--auth-secret-file", secret] });
      const botToken = writeTokenFile(t.tempDir(), "testsrc", mintToken(secret, "testsrc"));
      await t.peer(signal, { name: "testsrc", pipeline: "test", extraArgs: ["--token-file", botToken] });
      const browser = await t.browser();

      const without = await P.openPage(browser, `${signal.url}whep.html?name=testsrc`);
      await waitState(without, "failed");
      assert.equal((await P.errorShown(without)).code, "token_required");
      assert.match((await P.errorShown(without)).text, /needs a token/);

      const token = mintToken(secret, "viewer");
      const page = await P.openPage(browser, `${signal.url}whep.html?name=testsrc&token=${token}`);
      await waitState(page, "live");
      await P.waitVideoDecoded(page, { pcPath: ourPc });
      await page.click("#stop");
      await signal.waitForOutput(/whep-\d+: ended by its client/, "the DELETE, with the same token");
    },
  },
  {
    name: "EyevinnWhipClient_PublishesCameraAndMicToARecordingBot_TheRecordingPlays",
    async run(t) {
      const signal = await signalServingEyevinn(t);
      const recordDir = t.tempDir();
      const bot = await t.peer(signal, { name: "recorder", recordDir });
      const browser = await t.browser();
      const page = await P.openPage(browser, `${signal.url}eyevinn-whip.html?name=recorder`);
      await waitFor("the WHIP client to connect", () =>
        page.evaluate(() => window.whipClient?.peer?.connectionState === "connected"), { timeoutMs: 20000 });
      await bot.waitForOutput(/recording to /, "the recording to start");
      await waitSending(page, "whipClient.peer");

      await page.evaluate(() => window.whipClient.destroy());
      await signal.waitForOutput(/whip-\d+: ended by its client/, "the client's DELETE");
      await recordingWithBothStreams(bot, recordDir);
    },
  },
  {
    name: "EyevinnWebrtcPlayer_PlaysATestSourceBotOverWhep",
    async run(t) {
      const signal = await signalServingEyevinn(t);
      await t.peer(signal, { name: "testsrc", pipeline: "test" });
      const browser = await t.browser();
      const page = await P.openPage(browser, `${signal.url}eyevinn-whep.html?name=testsrc`);
      await P.waitVideoDecoded(page, { pcPath: "player.peer" });
      await waitFramesInVideo(page, "#player");
      await waitAudioArriving(page, "player.peer", { energy: false }); // its <video> is muted to autoplay

      await page.evaluate(() => window.player.unload());
      await signal.waitForOutput(/whep-\d+: ended by its client/, "the player's DELETE");
    },
  },
];
