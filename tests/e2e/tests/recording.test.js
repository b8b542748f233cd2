// A page calls the record bot (mediapeer --record-dir): however the call
// ends, the file is finalized and plays.
import assert from "node:assert/strict";
import * as P from "../lib/mediapeer-page.js";
import { discover, finalizedMatroska, recordingsIn } from "../lib/recording.js";

// A page in a connected call with a recording `server`, video flowing for
// at least `frames` frames. Returns the page, the bot, the directory and
// when the call connected.
async function recordedCall(t, { query = "", frames = 75 } = {}) {
  const signal = await t.signal();
  const recordDir = t.tempDir();
  const bot = await t.peer(signal, { recordDir });
  const browser = await t.browser();
  const page = await P.openAndLogin(browser, signal.url + query, "alice");
  await P.callFromList(page, "server");
  await P.waitPhase(page, "connected");
  const connectedAt = Date.now();
  await P.waitVideoDecoded(page, { moreFrames: frames });
  return { page, bot, recordDir, connectedAt };
}

// The one recording in `dir`, once the bot says it is finalized.
async function finishedRecording(bot, dir, extension) {
  await bot.waitForOutput(/recording finalized/, "the recording to be finalized");
  const files = recordingsIn(dir);
  assert.equal(files.length, 1, `one recording in ${dir}: ${files}`);
  assert.ok(files[0].endsWith(`-alice.${extension}`), files[0]);
  assert.ok(finalizedMatroska(files[0]), `${files[0]} has no Cues: the muxer never finished`);
  return discover(files[0]);
}

// The recording lasts about as long as the call: it starts on the first key
// frame after ICE connects and ends at the hang-up.
function assertLength(found, callSeconds) {
  assert.ok(found.seconds > 1.5, `recording of ${found.seconds} s from a ${callSeconds} s call:\n${found.text}`);
  assert.ok(found.seconds <= callSeconds + 1, `recording of ${found.seconds} s from a ${callSeconds} s call`);
}

export default [
  {
    name: "RecordBotCall_Vp8_HangUpLeavesAPlayableWebmOfTheCallsLength",
    async run(t) {
      const { page, bot, recordDir, connectedAt } = await recordedCall(t, { query: "?codec=vp8" });
      await page.click("#hangup");
      const callSeconds = (Date.now() - connectedAt) / 1000;
      await P.waitPhase(page, "idle");

      const found = await finishedRecording(bot, recordDir, "webm");
      assert.equal(found.video, "VP8", found.text);
      assert.equal(found.audio, "Opus", found.text);
      assertLength(found, callSeconds);
    },
  },
  {
    name: "RecordBotCall_H264_HangUpLeavesAPlayableMkv",
    async run(t) {
      const { page, bot, recordDir, connectedAt } = await recordedCall(t, { query: "?codec=h264" });
      await page.click("#hangup");
      const callSeconds = (Date.now() - connectedAt) / 1000;

      const found = await finishedRecording(bot, recordDir, "mkv");
      assert.match(found.video, /H\.264/, found.text);
      assertLength(found, callSeconds);
    },
  },
  {
    name: "ClosingATabMidCall_TheRecordingIsFinalized",
    async run(t) {
      const { page, bot, recordDir, connectedAt } = await recordedCall(t);
      await page.close();
      const callSeconds = (Date.now() - connectedAt) / 1000;

      const found = await finishedRecording(bot, recordDir, "webm");
      assert.equal(found.video, "VP8", found.text);
      assertLength(found, callSeconds);
    },
  },
];
