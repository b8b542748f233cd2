// A page calls the server peer (mediapeer, echo): its own video comes back.
import assert from "node:assert/strict";
import path from "node:path";
import * as P from "../lib/mediapeer-page.js";
import { waitFor } from "../lib/poll.js";
import { buildDir } from "../lib/processes.js";

// A page logged in as alice, in a connected call with `server`.
async function callServer(t, query = "") {
  const signal = await t.signal();
  await t.peer(signal);
  const browser = await t.browser();
  const page = await P.openAndLogin(browser, signal.url + query, "alice");
  await P.callFromList(page, "server");
  await P.waitPhase(page, "connected");
  return page;
}

// The echo sends back what it got, in the same codec, never re-encoded.
async function expectOwnVideoBack(page, mimeType) {
  const stats = await P.waitVideoDecoded(page);
  assert.equal(stats.sentCodec, mimeType, "codec the page sends");
  assert.equal(stats.codec, mimeType, "codec the page decodes");
  assert.ok(stats.framesEncoded > 0, "the page sends video");
}

// The last line the server peer sent, once one matches `pattern`.
async function waitServerLine(page, pattern) {
  return waitFor(`a chat line from server matching ${pattern}`, () =>
    page.evaluate((source) => [...document.querySelectorAll("#chat-log li.peer")]
      .map((li) => li.textContent).find((text) => new RegExp(source).test(text)), pattern.source));
}

export default [
  {
    name: "PageCallsServer_Vp8_OwnVideoComesBackDecoded",
    async run(t) {
      const page = await callServer(t, "?codec=vp8");
      await expectOwnVideoBack(page, "video/VP8");
    },
  },
  {
    name: "PageCallsServer_CodecH264_OwnVideoComesBackAsH264",
    async run(t) {
      const page = await callServer(t, "?codec=h264");
      await expectOwnVideoBack(page, "video/H264");
    },
  },
  {
    name: "ChatWithServerPeer_GetsItsAnswers",
    async run(t) {
      const page = await callServer(t);
      await P.sendChat(page, "hello server");
      await P.waitChatFromPeer(page, "echo: hello server");
      await P.sendChat(page, "/help");
      await waitServerLine(page, /^commands: \/stats/);
      await P.sendChat(page, "/stats");
      await waitServerLine(page, /^codec .*; bitrate in \d+ kbit\/s/);

      // The picture for docs/browser.md: a call with the server, stats filled in.
      await waitFor("the page's stats to show a bitrate", async () =>
        /kbit/.test(await page.textContent('#stats dd[data-stat="bitrate-in"]')));
      await page.screenshot({ path: path.join(buildDir, "screenshot-call.png"), fullPage: true });
    },
  },
];
