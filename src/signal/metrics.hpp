// Prometheus text exposition of the signaling server's counters.
#pragma once

#include "signal/router.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace mp::signal {

// What the SoupServer glue counts (the router counts frames and errors).
struct ServerCounters {
    std::uint64_t connections_opened = 0;
    std::map<std::string, std::uint64_t> closes;      // by reason
    std::map<std::string, std::uint64_t> limit_hits;  // by limit
    std::map<std::string, std::uint64_t> refusals;    // refused upgrades and requests, by code
};

// The WHIP/WHEP sessions (signal/http_sessions): each is also an unlisted
// router connection, counted here and not as a WebSocket or a user.
struct HttpSessionCounts {
    std::size_t open = 0;
    std::map<std::string, std::uint64_t> answers;  // by HTTP status
};

std::string render_metrics(const Router& router, const ServerCounters& server, const HttpSessionCounts& sessions);

class Cluster;
// A cluster node's own families (mediapeer-signal --redis).
std::string render_cluster_metrics(const Cluster& cluster);

}  // namespace mp::signal
