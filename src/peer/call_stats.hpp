// A call's statistics as the server peer tells them on its chat. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mp::peer {

struct CallStats {
    std::string codecs;  // "VP8, OPUS"
    std::uint64_t packets_received = 0;
    std::int64_t packets_lost = 0;
    std::uint64_t bytes_received = 0;
    double seconds = 0;                 // since the call started
    std::optional<double> rtt_ms;       // from the caller's receiver reports
};

}  // namespace mp::peer
