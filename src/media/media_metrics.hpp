// What the media of every call in this process adds up to, counted where it
// happens (streaming threads: atomics) and read by whoever exports it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace mp::media {

struct MediaMetrics {
    std::atomic<std::uint64_t> rtp_packets_in{0}, rtp_bytes_in{0};    // out of webrtcbin, decrypted
    std::atomic<std::uint64_t> rtp_packets_out{0}, rtp_bytes_out{0};  // into webrtcbin
    std::atomic<std::uint64_t> packets_lost{0};        // reported lost at the end of each call
    std::atomic<std::uint64_t> key_frame_requests{0};  // PLI/FIR from the other side
    std::atomic<std::uint64_t> recordings{0}, recording_bytes{0};  // finalized files
    std::atomic<std::uint64_t> recordings_refused_low_disk{0};     // not started: --record-min-free-mib
    std::atomic<std::uint64_t> recordings_stopped_max_seconds{0};  // finalized early: --record-max-seconds
    std::atomic<std::uint64_t> recordings_stopped_low_disk{0};     // finalized early: --record-min-free-mib

    // Call set-up: offer received (or sent) to connected (ICE and DTLS).
    static constexpr std::array<double, 8> kSetupBuckets{0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5};
    std::array<std::atomic<std::uint64_t>, kSetupBuckets.size()> setup_le{};  // cumulative
    std::atomic<std::uint64_t> setup_count{0};
    std::atomic<std::uint64_t> setup_sum_us{0};

    void observe_setup(double seconds) {
        for (std::size_t i = 0; i < kSetupBuckets.size(); ++i)
            if (seconds <= kSetupBuckets[i]) ++setup_le[i];
        ++setup_count;
        setup_sum_us += static_cast<std::uint64_t>(seconds * 1e6);
    }
};

// The process's one set.
inline MediaMetrics& media_metrics() {
    static MediaMetrics metrics;
    return metrics;
}

}  // namespace mp::media
