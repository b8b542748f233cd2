// The signaling server's logic as a pure state machine of users and calls:
// (connection, text frame or close, time) -> frames to send, connections to
// close. No I/O: the SoupServer glue in server.cpp only moves bytes.
#pragma once

#include "protocol/frames.hpp"
#include "signal/login_gate.hpp"

#include <cstdint>
#include <map>
#include <optional>
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

// A frame for a user on another signaling node (a remote connection): the
// cluster carries it there, where it is routed as a frame from `from`.
struct Relay {
    ConnectionId from;
    ConnectionId to;
    protocol::ServerFrame frame;
    bool operator==(const Relay&) const = default;
};

// What other nodes must hear of this node's users (in a cluster only).
struct Presence {
    enum class Kind { online, offline, load };
    Kind kind;
    ConnectionId connection;
    std::string name;
    bool pool = false;
    bool listed = true;
    protocol::Load load;
    bool operator==(const Presence&) const = default;
};

// A login waiting for the cluster to grant its name (in a cluster only):
// answer it with Router::on_claimed.
struct Claim {
    ConnectionId connection;
    std::string name;
    bool pool = false;
    bool operator==(const Claim&) const = default;
};

// What the glue must do, in order: every send, then every close; in a
// cluster also every relay, presence and claim. The router has already
// forgotten a connection it asks to close.
struct Effects {
    std::vector<Outgoing> sends;
    std::vector<Closing> closes;
    std::vector<Relay> relays;
    std::vector<Presence> presence;
    std::vector<Claim> claims;
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
    // In a cluster, `fx` (if given) gets the Presence other nodes must hear.
    bool admit_unlisted(ConnectionId connection, const std::string& name, std::int64_t now_us,
                        Effects* fx = nullptr);
    // The connection is gone: its name is freed, its partners get `leave`.
    Effects on_close(ConnectionId connection);

    // --- In a cluster of signaling nodes (docs/cluster.md). The glue mirrors
    // every other node's users here as remote connections (ids it chooses,
    // never a local one's); frames to them come out as relays.
    // From now on a login's name is granted by the cluster (a Claim), and
    // local users' comings and goings are told (Presence).
    void enable_cluster() { clustered_ = true; }
    // The cluster's answer to a Claim: nothing, or why the name is refused.
    Effects on_claimed(ConnectionId connection, const std::optional<Refusal>& refusal);
    // Another node's user. False when the name clashes with one here.
    bool add_remote(ConnectionId remote, const std::string& name, bool pool, bool listed);
    void set_remote_load(ConnectionId remote, const protocol::Load& load);
    // The remote user is gone: its partners here get `leave`.
    Effects remove_remote(ConnectionId remote);
    // A relay from the remote connection `from` to the local `to`.
    Effects on_relayed(ConnectionId from, ConnectionId to, const protocol::ServerFrame& frame);
    // A relay could not leave this node: its sender hears why, an offer's call
    // is forgotten.
    Effects on_relay_failed(const Relay& relay, const Refusal& why);
    // Every local user as other nodes must know them (a resync).
    std::vector<Presence> local_presence() const;
    // A local connection holds `name` or is a member of its pool.
    bool holds_locally(const std::string& name) const;

    // The online list changed since some subscriber last saw it.
    bool users_dirty() const;
    // Sends the current list to every subscriber that has not seen it.
    Effects flush_users();

    // This node's clients of the protocol: neither connections admitted
    // unlisted nor other nodes' users are counted.
    std::size_t connection_count() const { return connections_.size() - unlisted_ - remotes_; }
    // Names held here: a pool's name once, if a member is here.
    std::size_t user_count() const;
    // Connections here serving a name as pool members, in every pool.
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
        bool remote = false;  // another node's user
        protocol::Load load;  // as the member last said
        // A login waiting for the cluster (Claim): the name and kind asked for.
        std::optional<std::pair<std::string, bool>> claiming;
        std::uint64_t last_chosen = 0;  // when an offer last went to it (choices so far)
        std::uint64_t users_seen = 0;
        double tokens = 0;
        std::int64_t tokens_at_us = 0;
    };

    bool take_token(Connection& c, std::int64_t now_us);
    void login(Effects& fx, ConnectionId id, Connection& c, const protocol::Login& f);
    void finish_login(Effects& fx, ConnectionId id, Connection& c, const std::string& name, bool pool);
    std::optional<Refusal> local_clash(const std::string& name, bool pool) const;
    void claim(Effects& fx, ConnectionId id, Connection& c, const std::string& name, bool pool);
    void unclaim(const std::pair<std::string, bool>& asked);
    void forward(Effects& fx, ConnectionId from, ConnectionId to, protocol::ServerFrame frame);
    void tell(Effects& fx, Presence::Kind kind, ConnectionId id, const Connection& c);
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
    void leave_pool(ConnectionId id, const Connection& c);
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
    std::size_t pool_members_ = 0;  // local ones
    std::uint64_t choices_ = 0;
    bool clustered_ = false;
    std::size_t remotes_ = 0;        // remote connections
    std::size_t remote_named_ = 0;   // of them, those in by_name_
    // Names of logins waiting for the cluster: (solo, pool) claims of each.
    std::map<std::string, std::pair<unsigned, unsigned>> claimed_;
    // Claims whose connection closed before the answer: granted, the name is
    // given back (Presence offline).
    std::unordered_map<ConnectionId, std::pair<std::string, bool>> abandoned_claims_;
    std::size_t call_ends_ = 0;
    std::size_t unlisted_ = 0;
    std::uint64_t users_version_ = 1;
    std::uint64_t flushed_version_ = 1;
    std::size_t subscribers_ = 0;
    RouterCounters counters_;
};

}  // namespace mp::signal
