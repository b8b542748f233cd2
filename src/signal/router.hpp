// The signaling server's logic as a pure state machine of users and calls:
// (connection, text frame or close, time) -> frames to send, connections to
// close. No I/O: the SoupServer glue in server.cpp only moves bytes.
#pragma once

#include "protocol/frames.hpp"
#include "signal/login_gate.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mp::signal {

using ConnectionId = std::uint64_t;

struct Outgoing {
    ConnectionId to;
    protocol::ServerFrame frame;
    bool operator==(const Outgoing&) const = default;
};

// WebSocket close codes the router asks for (RFC 6455 7.4.1).
inline constexpr std::uint16_t kClosePolicyViolation = 1008;

struct Closing {
    ConnectionId connection;
    std::uint16_t code;
    std::string reason;  // for the close frame
    std::string label;   // why, as /metrics counts closes ("rate_limited")
    bool operator==(const Closing&) const = default;
};

// What the glue must do, in order: every send, then every close. The router
// has already forgotten a connection it asks to close.
struct Effects {
    std::vector<Outgoing> sends;
    std::vector<Closing> closes;
};

struct RouterLimits {
    double frames_per_second = 50;  // sustained; 0 = no limit
    double frame_burst = 200;       // frames a connection may send at once
};

// Counters for /metrics, keyed by stable labels.
struct RouterCounters {
    std::map<std::string, std::uint64_t> frames_in;   // by type, "invalid" for unparsable
    std::map<std::string, std::uint64_t> frames_out;  // by type
    std::map<std::string, std::uint64_t> errors;      // by kind
    std::map<std::string, std::uint64_t> refusals;    // refused logins and error frames, by code
};

class Router {
public:
    // Without a gate, any free valid name may be taken (a token is ignored).
    explicit Router(RouterLimits limits = {}, const LoginGate* gate = nullptr)
        : limits_(limits), gate_(gate) {}

    void on_open(ConnectionId connection, std::int64_t now_us);
    // One text frame from a connection: parsed, rate limited, routed.
    Effects on_text(ConnectionId connection, std::string_view text, std::int64_t now_us);
    // A parsed frame, routed (no rate limit): the table tests' entry point.
    Effects on_frame(ConnectionId connection, const protocol::ClientFrame& frame);
    // A connection whose caller was proved outside this protocol (an HTTP
    // endpoint's request, checked there), logged in as `name` with no gate:
    // never in `users`, never offered to. False when the name is taken.
    bool admit_unlisted(ConnectionId connection, const std::string& name, std::int64_t now_us);
    // The connection is gone: its name is freed, its partners get `leave`.
    Effects on_close(ConnectionId connection);

    // The online list changed since some subscriber last saw it.
    bool users_dirty() const;
    // Sends the current list to every subscriber that has not seen it.
    Effects flush_users();

    // The protocol's own clients: connections admitted unlisted are not counted.
    std::size_t connection_count() const { return connections_.size() - unlisted_; }
    std::size_t user_count() const { return by_name_.size() - unlisted_ + pools_.size(); }
    // Connections serving a name as a pool member, in every pool.
    std::size_t pool_member_count() const { return pool_members_; }
    std::size_t call_count() const { return call_ends_ / 2; }
    const RouterCounters& counters() const { return counters_; }

private:
    struct Connection {
        std::string name;  // empty until logged in
        std::vector<ConnectionId> partners;  // most recent call last
        bool subscribed = false;
        bool listed = true;  // false: admitted by an HTTP endpoint
        bool pool_member = false;
        protocol::Load load;  // as the member last said
        std::uint64_t last_chosen = 0;  // when an offer last went to it (choices so far)
        std::uint64_t users_seen = 0;
        double tokens = 0;
        std::int64_t tokens_at_us = 0;
    };

    bool take_token(Connection& c, std::int64_t now_us);
    void login(Effects& fx, ConnectionId id, Connection& c, const protocol::Login& f);
    void join_pool(Effects& fx, ConnectionId id, Connection& c, const std::string& name);
    void offer(Effects& fx, ConnectionId id, Connection& c, const protocol::Offer& f);
    void load(Effects& fx, ConnectionId id, Connection& c, const protocol::Load& f);
    // The connection serving a new call to `name`: its holder, or the pool
    // member with the most free capacity. 0 when there is none (`busy` set
    // when a pool has members but every one is full or draining).
    ConnectionId callee_for(const std::string& name, bool& busy);
    ConnectionId least_loaded(const std::vector<ConnectionId>& members);
    bool online(const std::string& name) const;
    void users(Effects& fx, ConnectionId id, Connection& c);
    // Whom an answer/candidate/leave naming `name` goes to, or 0 after an error.
    ConnectionId peer_for(Effects& fx, ConnectionId id, const Connection& c,
                          const std::string& name);
    ConnectionId partner_named(const Connection& c, const std::string& name) const;
    void leave_pool(ConnectionId id, const std::string& name);
    void release_name(const Connection& c);
    void add_call(ConnectionId a, ConnectionId b);
    void end_call(ConnectionId a, ConnectionId b);
    std::vector<std::string> online_names() const;
    void send(Effects& fx, ConnectionId to, protocol::ServerFrame frame);
    void refuse_login(Effects& fx, ConnectionId to, const char* kind, const Refusal& refusal);
    void error(Effects& fx, ConnectionId to, const char* kind, const char* code, std::string message);

    RouterLimits limits_;
    const LoginGate* gate_;
    std::unordered_map<ConnectionId, Connection> connections_;
    std::map<std::string, ConnectionId> by_name_;  // ordered: the users list is sorted
    // Names served by pools; never also in by_name_. Members in join order.
    std::map<std::string, std::vector<ConnectionId>> pools_;
    std::size_t pool_members_ = 0;
    std::uint64_t choices_ = 0;
    std::size_t call_ends_ = 0;
    std::size_t unlisted_ = 0;
    std::uint64_t users_version_ = 1;
    std::uint64_t flushed_version_ = 1;
    std::size_t subscribers_ = 0;
    RouterCounters counters_;
};

}  // namespace mp::signal
