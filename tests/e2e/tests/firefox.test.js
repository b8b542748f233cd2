// The page in Firefox ESR: it calls the server peer (echo, chat, record) and
// a page in Chromium. Each call runs in a private network (lib/netns.js):
// Firefox gathers no ICE candidates on loopback.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findFirefox, launchFirefox, openFirefoxPage } from "../lib/firefox.js";
import * as P from "../lib/mediapeer-page.js";
import { inPrivateNet, privateAddress } from "../lib/netns.js";
import { waitFor } from "../lib/poll.js";
import { discover, finalizedMatroska, recordingsIn } from "../lib/recording.js";

const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), "../run.js");

// mediapeer-signal on the namespace's loopback (TCP there is fine) and the
// bot, whose ICE also offers the one address Firefox gathers.
async function signalAndBot(t, botOptions = {}) {
  const signal = await t.signal();
  const bot = await t.peer(signal, { ...botOptions, extraArgs: ["--ice-address", privateAddress] });
  return { signal, bot };
}

// Starts them at once; waits until all have settled, so that nothing is
// still starting when the test's cleanup runs, then fails with the first failure.
async function together(...promises) {
  const results = await Promise.allSettled(promises);
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
  return results.map((result) => result.value);
}

// A Firefox page logged in as alice, in a connected call with `server`.
async function firefoxCallsServer(t, botOptions) {
  const [{ signal, bot }, firefox] = await together(signalAndBot(t, botOptions), launchFirefox(t));
  const page = await openFirefoxPage(firefox, `${signal.url}?codec=vp8`);
  await P.login(page, "alice");
  await P.callFromList(page, "server");
  await P.waitPhase(page, "connected");
  return { page, bot };
}

// alice in Firefox calls bob in Chromium, who sees who calls and accepts.
async function firefoxCallsChromium(t) {
  const signal = await t.signal();
  const [firefox, chromium] = await together(launchFirefox(t), t.browser());
  const alice = await openFirefoxPage(firefox, signal.url);
  await P.login(alice, "alice");
  const bob = await P.openAndLogin(chromium, signal.url, "bob");

  await P.callAndAccept(alice, "alice", bob, "bob");
  return { alice, bob };
}

// Mean colour [r, g, b] of what the page's <video id=`videoId`> shows now.
function meanColour(page, videoId) {
  return page.evaluate((id) => {
    const video = document.getElementById(id);
    const canvas = document.createElement("canvas");
    canvas.width = 32;
    canvas.height = 24;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const sum = [0, 0, 0];
    for (let i = 0; i < pixels.length; i += 4) for (let c = 0; c < 3; c++) sum[c] += pixels[i + c];
    return sum.map((total) => total / (pixels.length / 4));
  }, videoId);
}

// Firefox's fake camera shows one flat colour that drifts slowly through
// the hues; the echo brings back that colour, a test pattern would not.
async function waitOwnPictureBack(page) {
  await waitFor("the remote picture to show Firefox's own camera", async () => {
    const [own, back] = await Promise.all([meanColour(page, "local-video"), meanColour(page, "remote-video")]);
    const off = Math.max(...own.map((value, c) => Math.abs(value - back[c])));
    if (off < 24) return true;
    throw new Error(`own ${own.map(Math.round)}, back ${back.map(Math.round)}`);
  });
}

// Chromium's fake camera, not black: it is bright.
async function waitBrightPicture(page) {
  await waitFor("a bright remote picture", async () => {
    const colour = await meanColour(page, "remote-video");
    const brightness = colour.reduce((sum, value) => sum + value) / 3;
    if (brightness > 30) return true;
    throw new Error(`brightness ${Math.round(brightness)}`);
  });
}

// Firefox's live camera, not a still: its colour drifts. (A Firefox sender
// whose track is gone repeats its last frame once a second, which keeps
// framesDecoded rising.)
async function waitPictureDrifts(page) {
  const first = await meanColour(page, "remote-video");
  await waitFor("the remote picture's colour to drift", async () => {
    const now = await meanColour(page, "remote-video");
    if (Math.max(...now.map((value, c) => Math.abs(value - first[c]))) > 20) return true;
    throw new Error(`first ${first.map(Math.round)}, now ${now.map(Math.round)}`);
  });
}

// The one recording in `dir`, once the bot says it is finalized.
async function finishedRecording(bot, dir) {
  await bot.waitForOutput(/recording finalized/, "the recording to be finalized");
  const files = recordingsIn(dir);
  assert.equal(files.length, 1, `one recording in ${dir}: ${files}`);
  assert.ok(files[0].endsWith("-alice.webm"), files[0]);
  assert.ok(finalizedMatroska(files[0]), `${files[0]} has no Cues: the muxer never finished`);
  return discover(files[0]);
}

const tests = [
  {
    name: "Firefox_CallsServer_OwnVideoComesBackDecodedAsVp8",
    async run(t) {
      const { page } = await firefoxCallsServer(t);
      const stats = await P.waitVideoDecoded(page);
      assert.equal(stats.sentCodec, "video/VP8", "codec Firefox sends");
      assert.equal(stats.codec, "video/VP8", "codec Firefox decodes");
      assert.ok(stats.framesEncoded > 0, "Firefox sends video");
      await waitOwnPictureBack(page);
    },
  },
  {
    name: "Firefox_ChatsWithServerPeer_GetsTheEcho",
    async run(t) {
      const { page } = await firefoxCallsServer(t);
      await P.sendChat(page, "hello from firefox");
      await P.waitChatFromPeer(page, "echo: hello from firefox");
    },
  },
  {
    name: "Firefox_CallsChromium_VideoAndChatBothWays",
    async run(t) {
      const { alice, bob } = await firefoxCallsChromium(t);
      const atAlice = await P.waitVideoDecoded(alice);
      const atBob = await P.waitVideoDecoded(bob);
      assert.ok(atAlice.framesEncoded > 0 && atBob.framesEncoded > 0, "both pages send video");
      assert.equal(atAlice.codec, atBob.codec, "one codec both ways");
      await waitBrightPicture(alice);
      await waitPictureDrifts(bob);

      await P.sendChat(alice, "hello chromium");
      await P.waitChatFromPeer(bob, "hello chromium");
      await P.sendChat(bob, "hello firefox");
      await P.waitChatFromPeer(alice, "hello firefox");
    },
  },
  {
    name: "Firefox_RecordBotCall_HangUpLeavesAPlayableWebmWithBothStreams",
    async run(t) {
      const recordDir = t.tempDir();
      const { page, bot } = await firefoxCallsServer(t, { recordDir });
      await P.waitVideoDecoded(page, { moreFrames: 75 });
      await page.click("#hangup");
      await P.waitPhase(page, "idle");

      const found = await finishedRecording(bot, recordDir);
      assert.equal(found.video, "VP8", found.text);
      assert.equal(found.audio, "Opus", found.text);
      assert.ok(found.seconds > 1.5, `a recording of ${found.seconds} s:\n${found.text}`);
    },
  },
];

export default [
  {
    // A run that skipped them would look green.
    name: "WithoutFirefox_AFirefoxTestFailsWithTheInstallCommand",
    async run(t) {
      assert.throws(() => findFirefox("/nonexistent/firefox-esr"), /install it with: apt-get install -y firefox-esr/);

      const xml = path.join(t.tempDir(), "e2e.xml");
      const child = spawnSync(process.execPath, [runner, "--filter", tests[1].name, "--xml", xml],
        { env: { ...process.env, MEDIAPEER_FIREFOX: "/nonexistent/firefox-esr" }, encoding: "utf8", timeout: 60000 });
      assert.notEqual(child.status, 0, `the run fails:\n${child.stdout}`);
      assert.match(child.stdout, /FAILED: .*install it with: apt-get install -y firefox-esr/);
      assert.match(readFileSync(xml, "utf8"), /<testsuites name="AllTests" tests="1" failures="1"/);
    },
  },
  ...tests.map(inPrivateNet),
];
