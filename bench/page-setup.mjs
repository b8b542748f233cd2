// Page call set-up: how long from the click on "Call" (server) to the first
// echoed frame the page shows, over N calls from one page in headless
// Chromium to mediapeer (echo), all on 127.0.0.1. Run through
// bench/page-setup.sh, which builds and installs what this needs.
//
// Times are the page's own performance.now() readings:
//   click          the Call button's click handler starts (before getUserMedia)
//   connected      RTCPeerConnection.connectionState becomes "connected"
//   first frame    requestVideoFrameCallback fires for the first remote frame
//                  on the page's <video> (the frame is on its way to the screen)
//   decoded        getStats() inbound video framesDecoded > 0, polled in the
//                  page every 10 ms (a cross-check of the above)
import { launchChromium } from "../tests/e2e/lib/browser.js";
import * as P from "../tests/e2e/lib/mediapeer-page.js";
import { startPeer, startSignal } from "../tests/e2e/lib/processes.js";
import { waitFor } from "../tests/e2e/lib/poll.js";

const calls = Number(process.argv[2] ?? 20);

// In the page: click Call, then poll getStats until a frame is decoded.
// Returns the page's marks for the call, the polled time added.
async function oneCall(page) {
  const decodedAt = page.evaluate(async () => {
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    for (;;) {
      const pc = window.mediapeer.pc;
      if (pc) {
        let decoded = 0;
        (await pc.getStats()).forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "video") decoded = s.framesDecoded ?? 0;
        });
        if (decoded > 0) return performance.now();
      }
      await sleep(10);
    }
  });
  await P.callFromList(page, "server");
  const decoded = await decodedAt;
  const marks = await waitFor("the first remote frame mark", () =>
    page.evaluate(() => (window.mediapeer.marks.firstRemoteFrame ? { ...window.mediapeer.marks } : null)));
  await page.click("#hangup");
  await P.waitPhase(page, "idle");
  return { ...marks, decoded };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))];
}

function report(name, values) {
  const f = (v) => v.toFixed(1).padStart(6);
  console.log(`${name.padEnd(50)} p50 ${f(percentile(values, 50))} ms   p99 ${f(percentile(values, 99))} ms   max ${f(Math.max(...values))} ms`);
}

const signal = await startSignal();
const bot = await startPeer(signal);
const browser = await launchChromium();
try {
  const page = await P.openAndLogin(browser, signal.url, "bench");
  await oneCall(page); // warm-up, not counted: the fake camera's first start
  const rows = [];
  for (let i = 1; i <= calls; i++) {
    // One call at a time: the server peer has ended the previous one.
    await bot.waitForOutput(new RegExp(`\\[call bench#${i}\\] ended`), `call ${i} to end at the server`);
    rows.push(await oneCall(page));
  }
  console.log(`${rows.length} calls from one page to mediapeer (echo) on 127.0.0.1, Chromium ${browser.version()}, after one warm-up call`);
  report("click -> connected", rows.map((r) => r.connected - r.callClicked));
  report("click -> first frame (requestVideoFrameCallback)", rows.map((r) => r.firstRemoteFrame - r.callClicked));
  report("click -> framesDecoded > 0 (getStats, 10 ms)", rows.map((r) => r.decoded - r.callClicked));
} finally {
  await browser.close();
  await bot.stop();
  await signal.stop();
}
