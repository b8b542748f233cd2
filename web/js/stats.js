// What getStats() says of a call, summed up for people: the received video's
// codec, size and frame rate, bitrates both ways, packets lost, round trip.

// Counters from one getStats() report.
export async function readCounters(pc) {
  const report = await pc.getStats();
  const counters = { at: performance.now(), bytesIn: 0, bytesOut: 0, packetsLost: 0 };
  let selectedPairId = null;
  report.forEach((s) => {
    if (s.type === "inbound-rtp") {
      counters.bytesIn += s.bytesReceived ?? 0;
      counters.packetsLost += s.packetsLost ?? 0;
      if (s.kind === "video") counters.video = s;
    } else if (s.type === "outbound-rtp") {
      counters.bytesOut += s.bytesSent ?? 0;
    } else if (s.type === "transport" && s.selectedCandidatePairId) {
      selectedPairId = s.selectedCandidatePairId;
    }
  });
  const pair = selectedPairId && report.get(selectedPairId);
  counters.rttMs = pair?.currentRoundTripTime != null ? pair.currentRoundTripTime * 1000 : null;
  counters.codec = counters.video?.codecId ? report.get(counters.video.codecId)?.mimeType : null;
  return counters;
}

function kbps(bytesNow, bytesBefore, ms) {
  return ms > 0 ? ((bytesNow - bytesBefore) * 8) / ms : null;
}

// The figures shown on the page, from two readings a moment apart.
export function summarize(now, before) {
  const video = now.video;
  const ms = before ? now.at - before.at : 0;
  return {
    codec: now.codec ? now.codec.replace(/^video\//, "") : null,
    resolution: video?.frameWidth ? `${video.frameWidth}×${video.frameHeight}` : null,
    fps: video?.framesPerSecond ?? null,
    kbpsIn: before ? kbps(now.bytesIn, before.bytesIn, ms) : null,
    kbpsOut: before ? kbps(now.bytesOut, before.bytesOut, ms) : null,
    packetsLost: now.packetsLost,
    rttMs: now.rttMs,
  };
}

export function formatSummary(s) {
  const number = (value, unit, digits = 0) => (value == null ? "–" : `${value.toFixed(digits)} ${unit}`);
  return {
    codec: s.codec ?? "–",
    resolution: s.resolution ?? "–",
    fps: s.fps == null ? "–" : String(Math.round(s.fps)),
    "bitrate-in": number(s.kbpsIn, "kbit/s"),
    "bitrate-out": number(s.kbpsOut, "kbit/s"),
    "packets-lost": String(s.packetsLost),
    rtt: number(s.rttMs, "ms", 1),
  };
}
