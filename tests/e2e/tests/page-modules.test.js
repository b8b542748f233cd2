// The page's own modules, run in the real browser on a page served by
// mediapeer-signal: what the calls rely on but a call does not show alone.
import assert from "node:assert/strict";
import * as P from "../lib/mediapeer-page.js";

async function pageOnSignal(t) {
  const signal = await t.signal();
  const browser = await t.browser();
  return P.openPage(browser, signal.url);
}

export default [
  {
    name: "Signaling_PayloadsReadAsStringOrObject_UrlFollowsThePagesOrigin",
    async run(t) {
      const page = await pageOnSignal(t);
      const seen = await page.evaluate(async () => {
        const m = await import("/js/signaling.js");
        return {
          fromString: m.readPayload('{"type":"answer","sdp":"v=0"}'),
          fromObject: m.readPayload({ type: "answer", sdp: "v=0" }),
          http: m.signalingUrl({ protocol: "http:", host: "example.org:8090" }),
          https: m.signalingUrl({ protocol: "https:", host: "example.org" }),
          own: m.signalingUrl(),
          ownHost: location.host,
        };
      });
      assert.deepEqual(seen.fromString, { type: "answer", sdp: "v=0" });
      assert.deepEqual(seen.fromObject, { type: "answer", sdp: "v=0" });
      assert.equal(seen.http, "ws://example.org:8090/ws");
      assert.equal(seen.https, "wss://example.org/ws");
      assert.equal(seen.own, `ws://${seen.ownHost}/ws`);
    },
  },
  {
    name: "PreferH264_TheOffersFirstVideoCodecIsConstrainedBaselinePacketizationMode1",
    async run(t) {
      const page = await pageOnSignal(t);
      const first = await page.evaluate(async () => {
        const { preferCodec } = await import("/js/call.js");
        const pc = new RTCPeerConnection();
        const transceiver = pc.addTransceiver("video");
        const available = preferCodec(transceiver, "h264");
        const { sdp } = await pc.createOffer();
        pc.close();
        const payloadType = sdp.match(/^m=video \d+ \S+ (\d+)/m)[1];
        const rtpmap = sdp.match(new RegExp(`^a=rtpmap:${payloadType} (\\S+)`, "m"))[1];
        const fmtp = sdp.match(new RegExp(`^a=fmtp:${payloadType} (.+)$`, "m"))?.[1].trim();
        return { available, rtpmap, fmtp };
      });
      assert.equal(first.available, true);
      assert.equal(first.rtpmap, "H264/90000");
      assert.match(first.fmtp, /profile-level-id=42e01f/);
      assert.match(first.fmtp, /packetization-mode=1/);
    },
  },
  {
    name: "LoginRefusals_EachCodeHasItsOwnWords_AnUnknownOneShowsTheServersMessage",
    async run(t) {
      const page = await pageOnSignal(t);
      const codes = ["name_taken", "reserved_name", "token_required", "unauthorized",
        "token_expired", "token_not_yet_valid", "wrong_name"];
      const shown = await page.evaluate(async (codes) => {
        const { loginRefusalText } = await import("/js/refusals.js");
        const message = "THE SERVER'S WORDS";
        return {
          byCode: codes.map((code) => loginRefusalText({ code, message }, "bob")),
          invalid: loginRefusalText({ code: "invalid_name", message: "name is empty" }, ""),
          noCode: loginRefusalText({ message: "name taken" }, "bob"), // a server without codes
        };
      }, codes);
      assert.equal(new Set(shown.byCode).size, codes.length, "one text per code");
      for (const text of shown.byCode) assert.doesNotMatch(text, /THE SERVER'S WORDS/);
      assert.equal(shown.invalid, 'The name "" was refused: name is empty.');
      assert.equal(shown.noCode, 'The name "bob" was refused: name taken.');
    },
  },
];
