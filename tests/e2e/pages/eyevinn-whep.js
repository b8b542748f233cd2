// The README's example of @eyevinn/webrtc-player with its WHEP adapter, this
// server's endpoint and no STUN server (loopback). The test serves the
// package's dist/main.js and `events` under vendor/. Its two other
// dependencies are for what this page does not use (ads: csai-manager; the
// WHPP adapter: whpp-client): empty modules stand in for them.
import { loadCommonJs } from "./cjs-loader.js";

const { WebRTCPlayer } = await loadCommonJs("vendor/webrtc-player/main.js", {
  events: "vendor/events/events.js",
  "@eyevinn/csai-manager": null,
  "@eyevinn/whpp-client": null,
});

const name = new URLSearchParams(location.search).get("name");
const player = new WebRTCPlayer({
  video: document.querySelector("#player"),
  type: "whep",
  iceServers: [],
  debug: true,
});
window.player = player;
await player.load(new URL(`/whep/${encodeURIComponent(name)}`, location.href));
