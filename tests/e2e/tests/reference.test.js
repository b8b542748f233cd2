// A client in the reference notes' style (pages/reference.js) calls through
// mediapeer-signal: the server peer, another such client, and our page.
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as P from "../lib/mediapeer-page.js";
import { waitFor } from "../lib/poll.js";
import { sourceDir } from "../lib/processes.js";

const pagesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "../pages");
const referencePc = "yourConnection"; // the reference page's global RTCPeerConnection

// A signaling server whose web root holds web/ and the reference page, so
// both load from the origin they call through.
async function signalServingBoth(t) {
  const webRoot = t.tempDir();
  cpSync(path.join(sourceDir, "web"), webRoot, { recursive: true });
  cpSync(pagesDir, webRoot, { recursive: true });
  return t.signal({ webRoot });
}

// A reference page logged in as `name`, its camera open and its
// RTCPeerConnection made (the notes' page makes it on login).
async function openReference(browser, signal, name) {
  const page = await P.openPage(browser, `${signal.url}reference.html`);
  page.alerts = [];
  page.on("dialog", (dialog) => {
    page.alerts.push(dialog.message());
    dialog.dismiss();
  });
  await page.waitForFunction(() => window.connection?.readyState === WebSocket.OPEN);
  await page.fill("#username", name);
  await page.click("#login");
  await page.waitForFunction(() => window.yourConnection instanceof RTCPeerConnection);
  return page;
}

async function referenceCalls(page, name) {
  await page.fill("#their-username", name);
  await page.click("#call");
}

function waitReceived(page, text) {
  return waitFor(`"${text}" in the reference page's #received`, () =>
    page.evaluate((wanted) => document.querySelector("#received").innerHTML.split("<br>").includes(wanted), text));
}

// The remote video reached the <video> through onaddstream (or ontrack
// where the browser has dropped onaddstream).
async function assertTheirVideoShown(page) {
  const tracks = await page.evaluate(() => document.querySelector("#theirs").srcObject?.getVideoTracks().length);
  assert.equal(tracks, 1, "#theirs shows the remote stream");
}

export default [
  {
    name: "ReferenceStylePage_CallsServer_VideoAndChatComeBack",
    async run(t) {
      const signal = await signalServingBoth(t);
      const bot = await t.peer(signal);
      const browser = await t.browser();
      const page = await openReference(browser, signal, "refalice");
      await referenceCalls(page, "server");

      await P.waitVideoDecoded(page, { pcPath: referencePc });
      await assertTheirVideoShown(page);
      await waitReceived(page, "echo: datachannel has connected.");

      await page.click("#hang-up");
      await bot.waitForOutput(/\[call refalice#1\] ended/, "the server peer to end the call");
      assert.deepEqual(page.alerts, []);
    },
  },
  {
    name: "ReferenceStylePage_CallsAnotherWhosePeerBoxIsEmpty",
    async run(t) {
      const signal = await signalServingBoth(t);
      const browser = await t.browser();
      const caller = await openReference(browser, signal, "refalice");
      const callee = await openReference(browser, signal, "refbob");
      await referenceCalls(caller, "refbob");

      await P.waitVideoDecoded(caller, { pcPath: referencePc });
      await P.waitVideoDecoded(callee, { pcPath: referencePc });
      await assertTheirVideoShown(caller);
      await waitReceived(caller, "datachannel has connected.");
      await waitReceived(callee, "datachannel has connected.");

      // The callee's frames carry its empty peer box as `name`; its leave
      // still reaches the caller, which closes its connection.
      await caller.evaluate(() => (window.heldPc = window.yourConnection));
      await callee.click("#hang-up");
      await waitFor("the caller's connection to close", () =>
        caller.evaluate(() => window.heldPc.connectionState === "closed"));
      assert.deepEqual([...caller.alerts, ...callee.alerts], []);
    },
  },
  {
    name: "ReferenceStylePage_CallsTheMediapeerPage",
    async run(t) {
      const signal = await signalServingBoth(t);
      const browser = await t.browser();
      const bob = await P.openAndLogin(browser, signal.url, "bob");
      const caller = await openReference(browser, signal, "refalice");
      await referenceCalls(caller, "bob");

      await P.waitPhase(bob, "incoming");
      assert.equal(await bob.textContent("#incoming-caller"), "refalice");
      await bob.click("#accept");
      await P.waitVideoDecoded(bob);
      await P.waitVideoDecoded(caller, { pcPath: referencePc });
      await P.waitChatFromPeer(bob, "datachannel has connected.");
      await P.sendChat(bob, "hello from the new page");
      await waitReceived(caller, "hello from the new page");

      await caller.click("#hang-up");
      await P.waitPhase(bob, "idle");
      assert.match(await bob.textContent("#call-state"), /refalice hung up/);
    },
  },
];
