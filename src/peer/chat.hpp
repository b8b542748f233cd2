// What the server peer says on a call's data channel. Pure.
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

inline constexpr const char* kStatsCommand = "/stats";

// The answer to a chat message; nullopt for /stats, which waits for the stats.
std::optional<std::string> chat_reply(const std::string& text);
std::string format_stats(const CallStats& stats);

}  // namespace mp::peer
