// What the media behaviours of every call in this process add up to,
// counted where it happens (streaming threads: atomics) and read by whoever
// exports it. What the calls themselves count is the peer layer's
// (peer/call_metrics.hpp).
#pragma once

#include <atomic>
#include <cstdint>

namespace mp::media {

struct MediaMetrics {
    std::atomic<std::uint64_t> key_frame_requests{0};  // PLI/FIR from the other side
    std::atomic<std::uint64_t> recordings{0}, recording_bytes{0};  // finalized files
    std::atomic<std::uint64_t> recordings_refused_low_disk{0};     // not started: --record-min-free-mib
    std::atomic<std::uint64_t> recordings_stopped_max_seconds{0};  // finalized early: --record-max-seconds
    std::atomic<std::uint64_t> recordings_stopped_low_disk{0};     // finalized early: --record-min-free-mib
};

// The process's one set.
inline MediaMetrics& media_metrics() {
    static MediaMetrics metrics;
    return metrics;
}

}  // namespace mp::media
