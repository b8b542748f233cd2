// What the calls of this process add up to, counted by the peer layer as it
// runs them (on streaming threads: atomics) and read by whoever exports them
// (the server peer's /metrics). The media behaviours count their own
// (media/media_metrics.hpp).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mp::peer {

struct CallMetrics {
    std::atomic<std::uint64_t> rtp_packets_in{0}, rtp_bytes_in{0};    // out of webrtcbin, decrypted
    std::atomic<std::uint64_t> rtp_packets_out{0}, rtp_bytes_out{0};  // into webrtcbin
    std::atomic<std::uint64_t> packets_lost{0};  // reported lost at the end of each call

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

}  // namespace mp::peer
