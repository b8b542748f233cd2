// A signaling node among others (mediapeer-signal --redis, docs/cluster.md):
// the glue between this node's router and the nodes that share one Redis.
// It mirrors every other node's users in the router, carries the router's
// relays to the node of their receiver, grants names cluster-wide, and
// forgets a node that stops heart-beating.
#pragma once

#include "signal/redis_link.hpp"
#include "signal/router.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace mp::signal {

struct ClusterOptions {
    RedisAddress redis;
    std::string node_id;  // unique among the nodes
    unsigned heartbeat_ms = 1000;
};

struct ClusterCounters {
    std::uint64_t relays_out = 0, relays_in = 0, relays_refused = 0;
    std::uint64_t messages_dropped = 0;  // not ours, or for users we do not know
    std::uint64_t nodes_lost = 0;        // silent for 3 heartbeats, or restarted
    std::uint64_t redis_outages = 0;
};

class Cluster {
public:
    // Connects (and reconnects) by itself. `apply` carries out the router's
    // effects of what other nodes said (sends to local users, and more relays).
    static std::unique_ptr<Cluster> start(ClusterOptions options, Router& router,
                                          std::function<void(const Effects&)> apply);
    ~Cluster();

    // The router's relays, presence and claims, out to the cluster.
    void carry(const Effects& fx);
    // Redis is reachable: logins and cross-node frames work.
    bool up() const;
    std::size_t remote_nodes() const;
    std::size_t remote_users() const;
    const ClusterCounters& counters() const;
    const std::string& node_id() const;

    struct Impl;

private:
    explicit Cluster(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mp::signal
