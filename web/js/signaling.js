// The WebSocket to mediapeer-signal (docs/protocol.md): JSON frames in and
// out. It reconnects by itself, because a page left open should come back
// when the server does.

// The signaling server is the one that served this page: ws on http, wss on https.
export function signalingUrl(loc = location) {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws`;
}

// The server forwards offer/answer/candidate payloads as JSON strings; other
// servers may send objects. Both are read.
export function readPayload(payload) {
  return typeof payload === "string" ? JSON.parse(payload) : payload;
}

// Events: "open"; "close" (detail: {everOpened}); "frame" (detail: the frame object).
export class Signaling extends EventTarget {
  constructor(url, retryMs = 3000) {
    super();
    this.url = url;
    this.retryMs = retryMs;
    this.socket = null;
  }

  connect() {
    const socket = new WebSocket(this.url);
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.dispatchEvent(new Event("open"));
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => {
      this.socket = null;
      this.dispatchEvent(new CustomEvent("close", { detail: { everOpened: opened } }));
      setTimeout(() => this.connect(), this.retryMs);
    };
    this.socket = socket;
  }

  get isOpen() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  // False when there is no open connection to send it on.
  send(frame) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      console.warn("ignoring a frame that is not JSON:", text);
      return;
    }
    if (frame && typeof frame.type === "string") {
      this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
    }
  }
}
