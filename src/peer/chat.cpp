#include "peer/chat.hpp"

#include <cstdio>

namespace mp::peer {

std::optional<std::string> chat_reply(const std::string& text) {
    if (text == kStatsCommand) return std::nullopt;
    if (text == "/help")
        return "commands: /stats (codec, bitrate, packets lost, round-trip time of this call), "
               "/help; anything else is echoed back";
    return "echo: " + text;
}

std::string format_stats(const CallStats& s) {
    double kbps = s.seconds > 0 ? static_cast<double>(s.bytes_received) * 8 / 1000 / s.seconds : 0;
    char rtt[32] = "unknown";
    if (s.rtt_ms) std::snprintf(rtt, sizeof rtt, "%.1f ms", *s.rtt_ms);
    char line[256];
    std::snprintf(line, sizeof line,
                  "codec %s; bitrate in %.0f kbit/s; packets received %llu, lost %lld; rtt %s",
                  s.codecs.c_str(), kbps, static_cast<unsigned long long>(s.packets_received),
                  static_cast<long long>(s.packets_lost), rtt);
    return line;
}

}  // namespace mp::peer
