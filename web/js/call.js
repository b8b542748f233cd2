// One call with one peer: the RTCPeerConnection, its chat data channel and
// the ICE candidates that arrive before there is a description to add them to.
// It knows nothing of the page; it reports through events:
//   "signal"  detail: a frame to send ({type, offer|answer|candidate}; the caller adds `name`)
//   "state"   detail: {state: "connecting" | "connected" | "failed", reason?}
//   "track"   detail: the remote MediaStream (one, holding every remote track)
//   "chat-open", "chat-close", "chat" (detail: text received)

// H.264 as mediapeer takes it: constrained baseline, packetization-mode 1, first.
function codecRank(codec, preferred) {
  const mime = codec.mimeType.toLowerCase();
  const fmtp = codec.sdpFmtpLine ?? "";
  if (preferred === "h264" && mime === "video/h264") {
    const baseline = /profile-level-id=42e0/i.test(fmtp) && /packetization-mode=1/.test(fmtp);
    return baseline ? 0 : 1;
  }
  if (preferred === "vp8" && mime === "video/vp8") return 0;
  return 2;
}

// Reorders the video codecs so the preferred one is offered (or answered)
// first. Returns false when this browser has no such codec.
export function preferCodec(transceiver, preferred) {
  if (!transceiver || !["h264", "vp8"].includes(preferred)) return true;
  const codecs = RTCRtpReceiver.getCapabilities("video")?.codecs ?? [];
  if (!codecs.some((c) => codecRank(c, preferred) < 2)) return false;
  const sorted = codecs
    .map((codec, index) => ({ codec, index }))
    .sort((a, b) => codecRank(a.codec, preferred) - codecRank(b.codec, preferred) || a.index - b.index)
    .map(({ codec }) => codec);
  transceiver.setCodecPreferences(sorted);
  return true;
}

export class Call extends EventTarget {
  // options: {peer, iceServers, relay (bool), codec ("auto" | "vp8" | "h264"),
  //           connectTimeoutMs (from the answer to "connected"; default 20 s)}
  constructor(options) {
    super();
    this.peer = options.peer;
    this.options = options;
    this.pc = null;
    this.channel = null;
    this.remoteStream = new MediaStream();
    this.pendingCandidates = [];
    this.codecAvailable = true;
    this.closed = false;
    this.state = "new";
  }

  // The caller's side: tracks, a chat channel, the offer.
  async start(localStream) {
    this.createConnection();
    for (const track of localStream.getTracks()) this.pc.addTrack(track, localStream);
    this.useChannel(this.pc.createDataChannel("chat"));
    this.preferVideoCodec();
    await this.pc.setLocalDescription();
    this.emitSignal({ type: "offer", offer: this.pc.localDescription.toJSON() });
  }

  // The callee's side: the caller's offer, our tracks on its transceivers, the answer.
  async accept(localStream, offer) {
    this.createConnection();
    await this.pc.setRemoteDescription(offer);
    for (const track of localStream.getTracks()) this.pc.addTrack(track, localStream);
    this.preferVideoCodec();
    await this.pc.setLocalDescription();
    this.emitSignal({ type: "answer", answer: this.pc.localDescription.toJSON() });
    this.emitState("connecting");
    await this.addPendingCandidates();
  }

  async acceptAnswer(answer) {
    if (!this.pc || this.pc.signalingState !== "have-local-offer") return;
    await this.pc.setRemoteDescription(answer);
    this.emitState("connecting");
    await this.addPendingCandidates();
  }

  async addCandidate(candidate) {
    if (!this.pc?.remoteDescription) {
      this.pendingCandidates.push(candidate);
      return;
    }
    try {
      await this.pc.addIceCandidate(new RTCIceCandidate(candidate));
    } catch (error) {
      // One unusable candidate (e.g. an mDNS name) does not end the call.
      console.warn("ignoring a remote candidate:", error.message, candidate);
    }
  }

  sendChat(text) {
    if (this.channel?.readyState !== "open") return false;
    this.channel.send(text);
    return true;
  }

  // Idempotent: safe from every path that ends a call.
  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    this.channel?.close();
    this.pc?.close();
  }

  createConnection() {
    const config = { iceServers: this.options.iceServers ?? [] };
    if (this.options.relay) config.iceTransportPolicy = "relay";
    const pc = new RTCPeerConnection(config);
    pc.onicecandidate = ({ candidate }) => {
      // null marks the end of gathering; the protocol has no frame for it.
      if (candidate?.candidate) this.emitSignal({ type: "candidate", candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      this.dispatchEvent(new CustomEvent("track", { detail: this.remoteStream }));
    };
    pc.ondatachannel = ({ channel }) => this.useChannel(channel);
    pc.onconnectionstatechange = () => this.onConnectionState(pc.connectionState);
    this.pc = pc;
  }

  onConnectionState(state) {
    if (this.closed) return;
    if (state === "connected") this.emitState("connected");
    if (state === "failed") {
      this.emitState("failed", "the media connection could not be established (ICE or DTLS failed)");
    }
  }

  // ICE does not always give up by itself: with no candidate pair at all
  // (relay only and no TURN server, say) it can check forever.
  startConnectDeadline() {
    const ms = this.options.connectTimeoutMs ?? 20000;
    this.connectTimer = setTimeout(() => {
      if (!this.closed && this.state === "connecting") {
        this.emitState("failed", `no media connection after ${ms / 1000} s (a firewall, or no usable TURN server?)`);
      }
    }, ms);
  }

  preferVideoCodec() {
    const video = this.pc.getTransceivers().find((t) => t.receiver.track.kind === "video");
    this.codecAvailable = preferCodec(video, this.options.codec);
  }

  async addPendingCandidates() {
    const pending = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of pending) await this.addCandidate(candidate);
  }

  useChannel(channel) {
    this.channel = channel;
    channel.onopen = () => this.dispatchEvent(new Event("chat-open"));
    channel.onclose = () => this.dispatchEvent(new Event("chat-close"));
    channel.onmessage = ({ data }) => {
      const text = typeof data === "string" ? data : new TextDecoder().decode(data);
      this.dispatchEvent(new CustomEvent("chat", { detail: text }));
    };
  }

  emitSignal(frame) {
    if (!this.closed) this.dispatchEvent(new CustomEvent("signal", { detail: frame }));
  }

  emitState(state, reason) {
    // ICE may connect before the code that set the description resumes.
    if (state === "connecting" && this.state === "connected") return;
    if (state === "connecting" && this.state !== "connecting") this.startConnectDeadline();
    if (state !== "connecting") clearTimeout(this.connectTimer);
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, reason } }));
  }
}
