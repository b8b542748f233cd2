// The page on a phone-sized screen.
import assert from "node:assert/strict";
import path from "node:path";
import * as P from "../lib/mediapeer-page.js";
import { buildDir } from "../lib/processes.js";

const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// Boxes of the elements a person needs during a call, and the page's width.
function layout(page) {
  return page.evaluate(() => {
    const ids = ["remote-video", "hangup", "mute", "camera", "chat-input", "chat-send", "call-state"];
    const boxes = Object.fromEntries(ids.map((id) => {
      const r = document.getElementById(id).getBoundingClientRect();
      return [id, { left: r.left, right: r.right, width: r.width, height: r.height }];
    }));
    return { boxes, viewport: innerWidth, scrollWidth: document.documentElement.scrollWidth };
  });
}

export default [
  {
    name: "PhoneSizedScreen_InACall_NothingScrollsSideways_EveryControlFits",
    async run(t) {
      const signal = await t.signal();
      await t.peer(signal);
      const browser = await t.browser();
      const page = await P.openAndLogin(browser, signal.url, "alice", phone);
      await P.callFromList(page, "server");
      await P.waitPhase(page, "connected");
      await P.waitVideoDecoded(page);

      const { boxes, viewport, scrollWidth } = await layout(page);
      assert.ok(scrollWidth <= viewport, `page is ${scrollWidth} px wide on a ${viewport} px screen`);
      for (const [id, box] of Object.entries(boxes)) {
        assert.ok(box.width > 0 && box.height > 0, `#${id} is shown`);
        assert.ok(box.left >= 0 && box.right <= viewport, `#${id} fits across: ${JSON.stringify(box)}`);
      }
      assert.ok(boxes["remote-video"].width >= viewport * 0.9, "the remote video takes the screen's width");
      await page.screenshot({ path: path.join(buildDir, "screenshot-phone.png"), fullPage: true });
    },
  },
];
