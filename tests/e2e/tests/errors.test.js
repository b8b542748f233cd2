// What a person meets when something goes wrong is said on the page, in words.
import assert from "node:assert/strict";
import { chromiumArgs } from "../lib/browser.js";
import * as P from "../lib/mediapeer-page.js";
import { waitFor } from "../lib/poll.js";
import { startSignal } from "../lib/processes.js";

export default [
  {
    name: "RefusedName_ThePageSaysWhy_AndAnotherNameWorks",
    async run(t) {
      const signal = await t.signal();
      const browser = await t.browser();
      await P.openAndLogin(browser, signal.url, "alice");
      const second = await P.openPage(browser, signal.url);
      await P.tryLogin(second, "alice");

      const shown = await P.waitError(second, "login-refused");
      assert.equal(shown.code, "name_taken");
      assert.match(shown.text, /The name "alice" is taken: someone is logged in with it\. Choose another name\./);
      await P.waitPhase(second, "login");
      await P.login(second, "alice2");
      assert.equal(await P.errorShown(second), null, "the error is gone once logged in");
    },
  },
  {
    name: "CallingAUserWhoIsOffline_ThePageSaysSo",
    async run(t) {
      const signal = await t.signal();
      const browser = await t.browser();
      const page = await P.openAndLogin(browser, signal.url, "alice");
      await page.fill("#callee", "nobody");
      await page.click("#call-button");

      const shown = await P.waitError(page, "user-offline");
      assert.equal(shown.code, "not_online");
      assert.equal(shown.text, "nobody is not online.");
      await P.waitPhase(page, "idle");
      assert.equal(await page.getAttribute("#call-state", "data-state"), "failed");
    },
  },
  {
    name: "ServerDown_ThePageSaysSo_AndLogsInAgainWhenItIsBack",
    async run(t) {
      const signal = await t.signal();
      const browser = await t.browser();
      const page = await P.openAndLogin(browser, signal.url, "alice");

      await signal.stop();
      const shown = await P.waitError(page, "server-unreachable");
      assert.match(shown.text, /signaling server/);
      await P.waitPhase(page, "offline");

      // Back on the same port: the page reconnects and takes its name again.
      const address = new URL(signal.url).host;
      const again = await startSignal({ extraArgs: ["--listen", address] });
      t.track(again);
      await P.waitPhase(page, "idle", 20000);
      assert.equal(await page.evaluate(() => window.mediapeer.myName), "alice");
    },
  },
  {
    name: "CameraDenied_ThePageSaysSo",
    async run(t) {
      const signal = await t.signal();
      // The same browser, but the permission prompt is answered "no".
      const denyingArgs = chromiumArgs.filter((a) => a !== "--use-fake-ui-for-media-stream");
      const browser = await t.browser({ args: [...denyingArgs, "--deny-permission-prompts"] });
      const page = await P.openAndLogin(browser, signal.url, "alice");
      await page.fill("#callee", "anyone");
      await page.click("#call-button");

      const shown = await P.waitError(page, "camera");
      assert.match(shown.text, /camera and microphone were denied/);
      await P.waitPhase(page, "idle");
    },
  },
  {
    name: "RelayOnlyWithoutTurn_ThePageWarns_AndTheCallFailsInWords",
    async run(t) {
      const signal = await t.signal();
      await t.peer(signal, { extraArgs: ["--media-timeout", "0"] });
      const browser = await t.browser();
      const page = await P.openAndLogin(browser, `${signal.url}?relay=1&connect-timeout=3`, "alice");
      const warning = await P.waitError(page, "relay");
      assert.match(warning.text, /no TURN server/);

      await P.callFromList(page, "server");
      const policy = await waitFor("the call's RTCPeerConnection", () =>
        page.evaluate(() => window.mediapeer.pc?.getConfiguration().iceTransportPolicy));
      assert.equal(policy, "relay");
      const shown = await P.waitError(page, "call-failed");
      assert.match(shown.text, /The call with server failed: no media connection after 3 s/);
      await P.waitPhase(page, "idle");
      assert.equal(await page.getAttribute("#call-state", "data-state"), "failed");
    },
  },
];
