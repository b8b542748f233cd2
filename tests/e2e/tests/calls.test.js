// Two mediapeer pages calling each other through mediapeer-signal.
import assert from "node:assert/strict";
import * as P from "../lib/mediapeer-page.js";
import { waitFor } from "../lib/poll.js";

async function twoPages(t) {
  const signal = await t.signal();
  const browser = await t.browser();
  const alice = await P.openAndLogin(browser, signal.url, "alice");
  const bob = await P.openAndLogin(browser, signal.url, "bob");
  return { alice, bob };
}


// Keeps the page's current RTCPeerConnection reachable after the page drops it.
async function holdPeerConnection(page) {
  await page.evaluate(() => (window.heldPc = window.mediapeer.pc));
}

async function waitPeerConnectionClosed(page) {
  await waitFor("the held RTCPeerConnection to be closed", () =>
    page.evaluate(() => window.heldPc.connectionState === "closed"));
}

// Mean brightness (0..255) of what the page's remote <video> shows now.
function remoteBrightness(page) {
  return page.evaluate(() => {
    const video = document.getElementById("remote-video");
    const canvas = document.createElement("canvas");
    canvas.width = 64;
    canvas.height = 48;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) sum += (pixels[i] + pixels[i + 1] + pixels[i + 2]) / 3;
    return sum / (pixels.length / 4);
  });
}

// Audio energy the page received over about `ms` (inbound-rtp totalAudioEnergy).
async function audioEnergyOver(page, ms) {
  const energy = () => page.evaluate(async () => {
    let total = 0;
    (await window.mediapeer.pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") total = s.totalAudioEnergy ?? 0;
    });
    return total;
  });
  const before = await energy();
  await page.waitForTimeout(ms);
  return (await energy()) - before;
}

export default [
  {
    name: "TwoPagesCallEachOther_VideoAndChatBothWays_HangUpEndsBoth",
    async run(t) {
      const { alice, bob } = await twoPages(t);
      await P.callAndAccept(alice, "alice", bob, "bob");

      const atAlice = await P.waitVideoDecoded(alice);
      const atBob = await P.waitVideoDecoded(bob);
      assert.ok(atAlice.framesEncoded > 0 && atBob.framesEncoded > 0, "both pages send video");

      await P.sendChat(alice, "hello bob");
      await P.waitChatFromPeer(bob, "hello bob");
      await P.sendChat(bob, "hello alice");
      await P.waitChatFromPeer(alice, "hello alice");

      await holdPeerConnection(alice);
      await holdPeerConnection(bob);
      await bob.click("#hangup");
      await P.waitPhase(bob, "idle");
      await P.waitPhase(alice, "idle");
      await waitPeerConnectionClosed(alice);
      await waitPeerConnectionClosed(bob);
      assert.equal(await alice.getAttribute("#call-state", "data-state"), "ended");
      assert.match(await alice.textContent("#call-state"), /bob hung up/);
    },
  },
  {
    name: "DecliningACall_ReturnsBothPagesToIdle_AndTheCallerIsTold",
    async run(t) {
      const { alice, bob } = await twoPages(t);
      await P.callFromList(alice, "bob");
      await P.waitPhase(bob, "incoming");
      await bob.click("#decline");
      await P.waitPhase(bob, "idle");
      await P.waitPhase(alice, "idle");
      assert.match(await alice.textContent("#call-state"), /bob ended the call: declined/);
      assert.equal(await alice.evaluate(() => window.mediapeer.pc), null);
    },
  },
  {
    name: "ClosingATabMidCall_ReturnsTheOtherPageToIdle",
    async run(t) {
      const { alice, bob } = await twoPages(t);
      await P.callAndAccept(alice, "alice", bob, "bob");
      await P.waitVideoDecoded(bob);
      await holdPeerConnection(bob);

      await alice.close();
      await P.waitPhase(bob, "idle");
      await waitPeerConnectionClosed(bob);
      assert.match(await bob.textContent("#call-state"), /alice hung up/);
    },
  },
  {
    name: "CameraOffSendsBlack_MuteSendsSilence_AsTheOtherPageReceives",
    async run(t) {
      const { alice, bob } = await twoPages(t);
      await P.callAndAccept(alice, "alice", bob, "bob");
      await P.waitVideoDecoded(bob);

      await waitFor("bob to see alice's (bright) fake camera", async () => (await remoteBrightness(bob)) > 30);
      await alice.click("#camera");
      assert.equal(await alice.getAttribute("#camera", "aria-pressed"), "true");
      await waitFor("bob's picture of alice to go black", async () => (await remoteBrightness(bob)) < 5);

      await waitFor("sound from alice at bob", async () => (await audioEnergyOver(bob, 1000)) > 1e-4);
      await alice.click("#mute");
      assert.equal(await alice.getAttribute("#mute", "aria-pressed"), "true");
      await waitFor("silence from alice at bob", async () => (await audioEnergyOver(bob, 1000)) < 1e-6);
    },
  },
];
