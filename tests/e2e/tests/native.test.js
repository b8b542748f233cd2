// The native caller (mediapeer-call, webrtcbin) calls the page.
import assert from "node:assert/strict";
import path from "node:path";
import * as P from "../lib/mediapeer-page.js";
import { Program, buildDir } from "../lib/processes.js";

export default [
  {
    name: "NativeCallerCallsThePage_VideoAndChatBothWays_ItsHangUpReturnsThePageToIdle",
    async run(t) {
      const signal = await t.signal();
      const browser = await t.browser();
      const page = await P.openAndLogin(browser, `${signal.url}?autoanswer=1`, "bob");
      const caller = new Program("mediapeer-call", path.join(buildDir, "src/mediapeer-call"), [
        "--signal", signal.wsUrl, "--name", "native", "--call", "bob", "--ice-address", "127.0.0.1",
        "--duration", "4", "--chat", "hello from native"]);
      t.track(caller);

      await P.waitVideoDecoded(page);
      await P.waitChatFromPeer(page, "hello from native");
      await P.waitPhase(page, "idle", 30000);
      assert.match(await page.textContent("#call-state"), /native hung up/);

      assert.equal(await caller.exited, 0, caller.output);
      const video = caller.output.match(/received: video (\d+) frames/);
      assert.ok(video && Number(video[1]) > 0, `the native caller got the page's video:\n${caller.output}`);
    },
  },
];
