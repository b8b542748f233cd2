// The server peer's /metrics, in Prometheus text format: its calls (call
// manager, call metrics) and their media (media metrics).
#pragma once

#include "media/media_metrics.hpp"
#include "peer/call_manager.hpp"
#include "peer/call_metrics.hpp"

#include <string>

namespace mp::peer {

struct PeerSnapshot {
    std::size_t active_calls = 0;
    CallCounters calls;
    bool logged_in = false;
    std::uint64_t signaling_reconnects = 0;
    bool draining = false;  // taking no new call, on the way out
};

std::string render_peer_metrics(const PeerSnapshot& peer, const CallMetrics& calls, const media::MediaMetrics& media);

}  // namespace mp::peer
