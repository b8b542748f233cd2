// How a call runs its webrtcbin: ICE servers and addresses, the jitterbuffer,
// the media timeout, and where it counts what it does.
#pragma once

#include "peer/call_metrics.hpp"

#include <memory>
#include <string>
#include <vector>

namespace mp::peer {

struct CallOptions {
    std::vector<std::string> ice_addresses;  // libnice uses only these (tests: 127.0.0.1)
    std::string stun_server;                 // stun://host:port
    std::vector<std::string> turn_servers;   // turn(s)://user:password@host:port
    bool relay_only = false;                 // ICE through TURN relays only
    unsigned jitterbuffer_latency_ms = 50;   // low: an echo adds it to the caller's delay
    unsigned media_timeout_s = 10;           // end a call silent this long (0: never)
    std::shared_ptr<CallMetrics> metrics;    // what the calls add up to (none: not counted)
};

}  // namespace mp::peer
