#include "peer/peer_metrics.hpp"

#include "common/prometheus_text.hpp"

#include <cstdio>

namespace mp::peer {

namespace {

// The peer's figures have always gone out as doubles (%.17g).
double as_sample(const std::atomic<std::uint64_t>& count) { return static_cast<double>(count.load()); }
double as_sample(std::uint64_t count) { return static_cast<double>(count); }

void add_setup_histogram(PrometheusText& out, const CallMetrics& m) {
    const std::string name = "mediapeer_call_setup_seconds";
    const std::string bucket = name + "_bucket";
    out.family(name, MetricType::histogram, "Time from the offer to the call being connected (ICE and DTLS).");
    for (std::size_t i = 0; i < m.kSetupBuckets.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", m.kSetupBuckets[i]);
        out.sample(bucket, {{"le", le}}, as_sample(m.setup_le[i]));
    }
    out.sample(bucket, {{"le", "+Inf"}}, as_sample(m.setup_count));
    out.sample(name + "_sum", static_cast<double>(m.setup_sum_us.load()) / 1e6);
    out.sample(name + "_count", as_sample(m.setup_count));
}

void add_recording_families(PrometheusText& out, const media::MediaMetrics& m) {
    out.single("mediapeer_recordings_total", MetricType::counter, "Recordings finalized.", as_sample(m.recordings));
    out.single("mediapeer_recording_bytes_total", MetricType::counter, "Bytes of the recordings finalized.",
               as_sample(m.recording_bytes));
    out.family("mediapeer_recordings_refused_total", MetricType::counter,
               "Recordings not started, by why: low_disk (less free than --record-min-free-mib).");
    out.sample("mediapeer_recordings_refused_total", {{"reason", "low_disk"}},
               as_sample(m.recordings_refused_low_disk));
    out.family("mediapeer_recordings_stopped_total", MetricType::counter,
               "Recordings finalized before their call ended, by why: max_seconds (--record-max-seconds), "
               "low_disk (less free than --record-min-free-mib).");
    out.sample("mediapeer_recordings_stopped_total", {{"reason", "max_seconds"}},
               as_sample(m.recordings_stopped_max_seconds));
    out.sample("mediapeer_recordings_stopped_total", {{"reason", "low_disk"}},
               as_sample(m.recordings_stopped_low_disk));
}

}  // namespace

std::string render_peer_metrics(const PeerSnapshot& peer, const CallMetrics& c, const media::MediaMetrics& m) {
    PrometheusText out;
    out.single("mediapeer_up", MetricType::gauge, "1 while logged in to the signaling server, else 0.",
               peer.logged_in ? 1.0 : 0.0);
    out.single("mediapeer_active_calls", MetricType::gauge, "Calls going on now.",
               static_cast<double>(peer.active_calls));
    out.single("mediapeer_draining", MetricType::gauge,
               "1 while draining (SIGTERM with --drain-seconds): no new call, the calls going on end, then exit.",
               peer.draining ? 1.0 : 0.0);
    const char* calls = "mediapeer_calls_total";
    out.family(calls, MetricType::counter,
               "Calls by how they ended: answered (ended as calls do), busy (refused: --max-calls), "
               "failed (ICE, DTLS, a refused offer, a pipeline error), media_timeout (the caller went silent).");
    out.sample(calls, {{"outcome", "answered"}}, as_sample(peer.calls.answered));
    out.sample(calls, {{"outcome", "busy"}}, as_sample(peer.calls.busy));
    out.sample(calls, {{"outcome", "failed"}}, as_sample(peer.calls.failed));
    out.sample(calls, {{"outcome", "media_timeout"}}, as_sample(peer.calls.media_timeout));
    out.single("mediapeer_rtp_packets_received_total", MetricType::counter,
               "RTP packets received from callers (decrypted).", as_sample(c.rtp_packets_in));
    out.single("mediapeer_rtp_bytes_received_total", MetricType::counter, "Bytes of those RTP packets.",
               as_sample(c.rtp_bytes_in));
    out.single("mediapeer_rtp_packets_sent_total", MetricType::counter,
               "RTP packets sent to callers (before encryption).", as_sample(c.rtp_packets_out));
    out.single("mediapeer_rtp_bytes_sent_total", MetricType::counter, "Bytes of those RTP packets.",
               as_sample(c.rtp_bytes_out));
    out.single("mediapeer_packets_lost_total", MetricType::counter,
               "Packets from callers lost, as each call's receiver stats said at its end.", as_sample(c.packets_lost));
    out.single("mediapeer_key_frame_requests_total", MetricType::counter, "Key-frame requests (PLI/FIR) from callers.",
               as_sample(m.key_frame_requests));
    add_recording_families(out, m);
    add_setup_histogram(out, c);
    out.single("mediapeer_signaling_reconnects_total", MetricType::counter,
               "Times the server peer logged in again after losing signaling.", as_sample(peer.signaling_reconnects));
    return out.take();
}

}  // namespace mp::peer
