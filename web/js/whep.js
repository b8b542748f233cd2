// whep.html: watch a user (e.g. `mediapeer --pipeline test`) over WHEP. A
// recvonly RTCPeerConnection, video and audio; ?name=NAME plays at once,
// ?token=TOKEN is sent as its Bearer token.
import { httpClientPage } from "./http-page.js";

const video = document.getElementById("video");

function showStream(stream) {
  if (video.srcObject !== stream) video.srcObject = stream;
  // Without a click on this page the browser may refuse to play sound: play
  // muted and say so.
  video.play().catch(() => {
    video.muted = true;
    document.getElementById("muted-note").hidden = false;
    video.play().catch(() => {});
  });
}

document.getElementById("unmute").addEventListener("click", () => {
  video.muted = false;
  document.getElementById("muted-note").hidden = true;
});

httpClientPage({
  kind: "whep",
  autostart: true,
  words: {
    connecting: (name) => `Asking ${name} for its stream…`,
    live: (name) => `Playing ${name}.`,
    stopped: (name) => `Stopped playing ${name}.`,
  },
  setUp(pc) {
    const stream = new MediaStream();
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.ontrack = ({ track }) => {
      stream.addTrack(track);
      showStream(stream);
    };
    return () => (video.srcObject = null);
  },
});
