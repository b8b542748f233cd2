// whip.html: send the camera and microphone to a user (e.g. a recording bot,
// `mediapeer --record-dir DIR`) over WHIP: sendonly, ?name=NAME fills in the
// name, ?token=TOKEN is sent as its Bearer token.
import { httpClientPage } from "./http-page.js";

const video = document.getElementById("video");

async function openCamera() {
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 640 }, height: { ideal: 480 } },
    });
  } catch (error) {
    throw Object.assign(new Error(`The camera and microphone could not be opened: ${error.name}: ${error.message}`),
      { kind: "camera" });
  }
}

httpClientPage({
  kind: "whip",
  words: {
    connecting: (name) => `Sending to ${name}…`,
    live: (name) => `Publishing to ${name}.`,
    stopped: (name) => `Stopped publishing to ${name}.`,
  },
  async setUp(pc) {
    const stream = await openCamera();
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    video.srcObject = stream;
    // The camera light goes off when the session ends.
    return () => {
      stream.getTracks().forEach((track) => track.stop());
      video.srcObject = null;
    };
  },
});
