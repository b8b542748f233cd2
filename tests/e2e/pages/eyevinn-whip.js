// The README's example of @eyevinn/whip-web-client, with this server's
// endpoint and no STUN server (loopback). The test serves the package's
// dist/whip-client.js and its dependencies under vendor/.
import { loadCommonJs } from "./cjs-loader.js";

const { WHIPClient } = await loadCommonJs("vendor/whip-web-client/whip-client.js", {
  events: "vendor/events/events.js",
  "sdp-transform": "vendor/sdp-transform/lib/index.js",
});

const name = new URLSearchParams(location.search).get("name");
const client = new WHIPClient({
  endpoint: new URL(`/whip/${encodeURIComponent(name)}`, location.href).href,
  opts: { debug: true, iceServers: [] },
});
window.whipClient = client;

const mediaStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
document.querySelector("#ingest").srcObject = mediaStream;
await client.ingest(mediaStream);
window.ingestStarted = true;
