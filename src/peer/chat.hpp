// What the server peer says on a call's data channel. Pure.
#pragma once

#include "peer/call_stats.hpp"

#include <optional>
#include <string>

namespace mp::peer {

inline constexpr const char* kStatsCommand = "/stats";

// The answer to a chat message; nullopt for /stats, which waits for the stats.
std::optional<std::string> chat_reply(const std::string& text);
std::string format_stats(const CallStats& stats);

}  // namespace mp::peer
