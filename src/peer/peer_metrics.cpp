#include "peer/peer_metrics.hpp"

#include <cstdio>

namespace mp::peer {

namespace {

class Exposition {
public:
    Exposition& metric(const char* name, const char* type, const char* help) {
        text_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
        return *this;
    }
    Exposition& sample(const std::string& name_and_labels, double value) {
        char number[32];
        std::snprintf(number, sizeof number, "%.17g", value);
        text_ += name_and_labels + " " + number + "\n";
        return *this;
    }
    Exposition& counter(const char* name, const char* help, std::uint64_t value) {
        return metric(name, "counter", help).sample(name, static_cast<double>(value));
    }
    Exposition& gauge(const char* name, const char* help, double value) {
        return metric(name, "gauge", help).sample(name, value);
    }
    std::string take() { return std::move(text_); }

private:
    std::string text_;
};

void add_setup_histogram(Exposition& out, const CallMetrics& m) {
    const char* name = "mediapeer_call_setup_seconds";
    out.metric(name, "histogram", "Time from the offer to the call being connected (ICE and DTLS).");
    for (std::size_t i = 0; i < m.kSetupBuckets.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", m.kSetupBuckets[i]);
        out.sample(std::string(name) + "_bucket{le=\"" + le + "\"}", static_cast<double>(m.setup_le[i].load()));
    }
    out.sample(std::string(name) + "_bucket{le=\"+Inf\"}", static_cast<double>(m.setup_count.load()));
    out.sample(std::string(name) + "_sum", static_cast<double>(m.setup_sum_us.load()) / 1e6);
    out.sample(std::string(name) + "_count", static_cast<double>(m.setup_count.load()));
}

}  // namespace

std::string render_peer_metrics(const PeerSnapshot& peer, const CallMetrics& c, const media::MediaMetrics& m) {
    Exposition out;
    out.gauge("mediapeer_up", "1 while logged in to the signaling server, else 0.", peer.logged_in ? 1 : 0);
    out.gauge("mediapeer_active_calls", "Calls going on now.", static_cast<double>(peer.active_calls));
    out.metric("mediapeer_calls_total", "counter",
               "Calls by how they ended: answered (ended as calls do), busy (refused: --max-calls), "
               "failed (ICE, DTLS, a refused offer, a pipeline error), media_timeout (the caller went silent).");
    out.sample("mediapeer_calls_total{outcome=\"answered\"}", static_cast<double>(peer.calls.answered));
    out.sample("mediapeer_calls_total{outcome=\"busy\"}", static_cast<double>(peer.calls.busy));
    out.sample("mediapeer_calls_total{outcome=\"failed\"}", static_cast<double>(peer.calls.failed));
    out.sample("mediapeer_calls_total{outcome=\"media_timeout\"}", static_cast<double>(peer.calls.media_timeout));
    out.counter("mediapeer_rtp_packets_received_total", "RTP packets received from callers (decrypted).",
                c.rtp_packets_in.load());
    out.counter("mediapeer_rtp_bytes_received_total", "Bytes of those RTP packets.", c.rtp_bytes_in.load());
    out.counter("mediapeer_rtp_packets_sent_total", "RTP packets sent to callers (before encryption).",
                c.rtp_packets_out.load());
    out.counter("mediapeer_rtp_bytes_sent_total", "Bytes of those RTP packets.", c.rtp_bytes_out.load());
    out.counter("mediapeer_packets_lost_total", "Packets from callers lost, as each call's receiver stats said at its end.",
                c.packets_lost.load());
    out.counter("mediapeer_key_frame_requests_total", "Key-frame requests (PLI/FIR) from callers.",
                m.key_frame_requests.load());
    out.counter("mediapeer_recordings_total", "Recordings finalized.", m.recordings.load());
    out.counter("mediapeer_recording_bytes_total", "Bytes of the recordings finalized.", m.recording_bytes.load());
    out.metric("mediapeer_recordings_refused_total", "counter",
               "Recordings not started, by why: low_disk (less free than --record-min-free-mib).");
    out.sample("mediapeer_recordings_refused_total{reason=\"low_disk\"}",
               static_cast<double>(m.recordings_refused_low_disk.load()));
    out.metric("mediapeer_recordings_stopped_total", "counter",
               "Recordings finalized before their call ended, by why: max_seconds (--record-max-seconds), "
               "low_disk (less free than --record-min-free-mib).");
    out.sample("mediapeer_recordings_stopped_total{reason=\"max_seconds\"}",
               static_cast<double>(m.recordings_stopped_max_seconds.load()));
    out.sample("mediapeer_recordings_stopped_total{reason=\"low_disk\"}",
               static_cast<double>(m.recordings_stopped_low_disk.load()));
    add_setup_histogram(out, c);
    out.counter("mediapeer_signaling_reconnects_total", "Times the server peer logged in again after losing signaling.",
                peer.signaling_reconnects);
    return out.take();
}

}  // namespace mp::peer
