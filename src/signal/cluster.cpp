#include "signal/cluster.hpp"

#include "common/gobj.hpp"
#include "protocol/codes.hpp"
#include "signal/cluster_wire.hpp"

#include <glib.h>

#include <set>
#include <unordered_map>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-signal"

namespace mp::signal {

namespace {

using Kind = ClusterMessage::Kind;

// Ids of other nodes' users in this router: above the WebSocket ids, below
// the HTTP sessions' (HttpSessions::kFirstConnection).
constexpr ConnectionId kFirstRemote = ConnectionId{1} << 61;

// Keys and channels, all under one prefix. Keys live in the URL's database;
// pub/sub ignores databases, so channels name theirs: two clusters on one
// Redis (redis://host/1, redis://host/2) never hear each other.
std::string node_key(const std::string& node) { return "mediapeer:node:" + node; }
std::string name_key(const std::string& name) { return "mediapeer:name:" + name; }
std::string broadcast_channel(int db) { return "mediapeer:" + std::to_string(db) + ":cluster"; }
std::string node_channel(int db, const std::string& node) { return "mediapeer:" + std::to_string(db) + ":to:" + node; }

// A name's hash holds, per node, "solo" or "pool". A claim is granted unless
// a live node (its key not expired) holds the name alone, or the claim is to
// hold it alone and a live node has it at all. Dead nodes' fields are swept.
constexpr const char* kClaimScript = R"lua(
local me, want = ARGV[1], ARGV[2]
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local node, kind = fields[i], fields[i + 1]
  if node ~= me then
    if redis.call('EXISTS', ARGV[3] .. node) == 0 then
      redis.call('HDEL', KEYS[1], node)
    elseif want == 'solo' or kind == 'solo' then
      return 0
    end
  end
end
redis.call('HSET', KEYS[1], me, want)
return 1
)lua";

std::string random_boot() {
    char text[17];
    g_snprintf(text, sizeof text, "%08x%08x", g_random_int(), g_random_int());
    return text;
}

NodeUser user_of(const Presence& p) { return NodeUser{p.connection, p.name, p.pool, p.listed, p.load}; }

Refusal unreachable(const std::string& what) {
    return Refusal{protocol::code::kClusterUnavailable, what + ": the cluster's Redis cannot be reached now"};
}

}  // namespace

struct RemoteNode {
    std::string boot;
    gint64 heard_us = 0;
    std::map<std::uint64_t, ConnectionId> users;  // its connection -> ours
};

struct Cluster::Impl {
    ClusterOptions options;
    Router& router;
    std::function<void(const Effects&)> apply;
    std::string boot = random_boot();
    std::map<std::string, RemoteNode> nodes;
    std::unordered_map<ConnectionId, std::pair<std::string, std::uint64_t>> remotes;  // ours -> (node, theirs)
    ConnectionId next_remote = kFirstRemote;
    std::set<std::string> released_while_down;
    ClusterCounters counters;
    bool was_up = false;
    GSourcePtr heartbeat, watch;
    std::unique_ptr<RedisLink> link;  // last: destroyed first, so no callback of it outlives the rest

    Impl(ClusterOptions o, Router& r, std::function<void(const Effects&)> a)
        : options(std::move(o)), router(r), apply(std::move(a)) {}

    gint64 heartbeat_us() const { return gint64{options.heartbeat_ms} * 1000; }
    ClusterMessage message(Kind kind) const {
        ClusterMessage m;
        m.kind = kind;
        m.node = options.node_id;
        m.boot = boot;
        return m;
    }
    void broadcast(const ClusterMessage& m) { link->publish(broadcast_channel(options.redis.db), encode(m)); }
    std::string channel_of(const std::string& node) const { return node_channel(options.redis.db, node); }

    void start_timers();
    void beat();
    void watch_nodes();
    void on_up();
    void on_down(const std::string& why);
    void rejoin();
    void on_message(const std::string& channel, const std::string& text);
    void heard(const ClusterMessage& m);
    void mirror(const std::string& node, const NodeUser& user);
    void forget_user(const std::string& node, std::uint64_t connection);
    void forget_node(const std::string& node, const char* why);
    void replace_state(const std::string& node, const std::vector<NodeUser>& users);
    void deliver(const ClusterMessage& m);
    void announce_state();
    void relay(const Relay& r);
    void tell(const Presence& p);
    void claim(const Claim& c);
};

void Cluster::Impl::start_timers() {
    heartbeat = attach_source(g_timeout_source_new(options.heartbeat_ms),
                              G_SOURCE_FUNC(+[](Impl* self) {
                                  self->beat();
                                  return G_SOURCE_CONTINUE;
                              }),
                              this);
    watch = attach_source(g_timeout_source_new(std::max(1u, options.heartbeat_ms / 10)),
                          G_SOURCE_FUNC(+[](Impl* self) {
                              self->watch_nodes();
                              return G_SOURCE_CONTINUE;
                          }),
                          this);
}

// Our key lives 2.5 heartbeats, as long as other nodes wait before they
// forget us: by then our names are free in Redis too.
void Cluster::Impl::beat() {
    if (!link->up()) return;
    link->command({"SET", node_key(options.node_id), boot, "PX", std::to_string(options.heartbeat_ms * 5 / 2)});
    broadcast(message(Kind::heartbeat));
}

// A node silent for 2.5 heartbeats is gone: checked each tenth of a
// heartbeat, its users leave here within 2.6 heartbeats of its last. Only judged while we
// hear Redis ourselves: our outage is not theirs.
void Cluster::Impl::watch_nodes() {
    if (!link->up()) return;
    gint64 now = g_get_monotonic_time();
    std::vector<std::string> silent;
    for (const auto& [name, node] : nodes)
        if (now - node.heard_us > heartbeat_us() * 5 / 2) silent.push_back(name);
    for (const auto& name : silent) forget_node(name, "stopped heart-beating");
}

void Cluster::Impl::on_up() {
    g_message("cluster: Redis %s up; node %s (run %s) joining", redis_url(options.redis).c_str(),
              options.node_id.c_str(), boot.c_str());
    was_up = true;
    rejoin();
}

// After any outage (Redis restarted empty, or we could not reach it): our
// key, our names and our users again; everyone's state asked anew.
void Cluster::Impl::rejoin() {
    beat();
    for (const Presence& p : router.local_presence())
        if (p.listed || p.pool) link->command({"HSET", name_key(p.name), options.node_id, p.pool ? "pool" : "solo"});
    for (const auto& name : released_while_down)
        if (!router.holds_locally(name)) link->command({"HDEL", name_key(name), options.node_id});
    released_while_down.clear();
    gint64 now = g_get_monotonic_time();
    for (auto& [name, node] : nodes) node.heard_us = now;
    announce_state();
    broadcast(message(Kind::sync));
}

void Cluster::Impl::on_down(const std::string& why) {
    ++counters.redis_outages;
    g_warning("cluster: Redis %s unreachable (%s): local calls go on, logins and cross-node frames are refused "
              "until it is back", redis_url(options.redis).c_str(), why.c_str());
}

void Cluster::Impl::announce_state() {
    ClusterMessage m = message(Kind::state);
    for (const Presence& p : router.local_presence()) m.users.push_back(user_of(p));
    broadcast(m);
}

void Cluster::Impl::on_message(const std::string& channel, const std::string& text) {
    auto m = decode_cluster_message(text);
    if (!m) {
        ++counters.messages_dropped;
        return;
    }
    if (m->node == options.node_id) {
        if (m->boot != boot) g_warning("cluster: another node says it is %s: give each node its own --node-id", boot.c_str());
        return;  // our own broadcast
    }
    heard(*m);
    switch (m->kind) {
        case Kind::online:
        case Kind::load: return mirror(m->node, m->user);
        case Kind::offline: return forget_user(m->node, m->user.connection);
        case Kind::sync: return announce_state();
        case Kind::state: return replace_state(m->node, m->users);
        case Kind::frame:
            if (channel == channel_of(options.node_id)) return deliver(*m);
            ++counters.messages_dropped;
            return;
        case Kind::heartbeat: return;
    }
}

// A node we did not know, or one that restarted (a new run: its old users are gone).
void Cluster::Impl::heard(const ClusterMessage& m) {
    auto it = nodes.find(m.node);
    if (it != nodes.end() && it->second.boot != m.boot) {
        forget_node(m.node, "restarted");
        it = nodes.end();
    }
    if (it == nodes.end()) {
        g_message("cluster: node %s (run %s) joined", m.node.c_str(), m.boot.c_str());
        it = nodes.emplace(m.node, RemoteNode{m.boot, 0, {}}).first;
    }
    it->second.heard_us = g_get_monotonic_time();
}

void Cluster::Impl::mirror(const std::string& node, const NodeUser& user) {
    auto& users = nodes.at(node).users;
    if (auto known = users.find(user.connection); known != users.end()) {
        router.set_remote_load(known->second, user.load);
        return;
    }
    ConnectionId ours = next_remote++;
    if (!router.add_remote(ours, user.name, user.pool, user.listed)) {
        ++counters.messages_dropped;
        g_warning("cluster: node %s's user %s clashes with a name here: not mirrored", node.c_str(), user.name.c_str());
        return;
    }
    router.set_remote_load(ours, user.load);
    users[user.connection] = ours;
    remotes[ours] = {node, user.connection};
    apply(Effects{});  // nothing to send, but the online list changed: its push is scheduled
}

void Cluster::Impl::forget_user(const std::string& node, std::uint64_t connection) {
    auto& users = nodes.at(node).users;
    auto it = users.find(connection);
    if (it == users.end()) return;
    ConnectionId ours = it->second;
    users.erase(it);
    remotes.erase(ours);
    apply(router.remove_remote(ours));
}

void Cluster::Impl::forget_node(const std::string& name, const char* why) {
    auto it = nodes.find(name);
    if (it == nodes.end()) return;
    g_message("cluster: node %s %s: its %zu users leave", name.c_str(), why, it->second.users.size());
    ++counters.nodes_lost;
    auto users = std::move(it->second.users);
    nodes.erase(it);
    for (const auto& [theirs, ours] : users) {
        remotes.erase(ours);
        apply(router.remove_remote(ours));
    }
}

void Cluster::Impl::replace_state(const std::string& node, const std::vector<NodeUser>& users) {
    std::set<std::uint64_t> present;
    for (const NodeUser& u : users) present.insert(u.connection);
    std::vector<std::uint64_t> gone;
    for (const auto& [theirs, ours] : nodes.at(node).users)
        if (!present.count(theirs)) gone.push_back(theirs);
    for (std::uint64_t theirs : gone) forget_user(node, theirs);
    for (const NodeUser& u : users) mirror(node, u);
}

void Cluster::Impl::deliver(const ClusterMessage& m) {
    auto& users = nodes.at(m.node).users;
    auto from = users.find(m.from);
    auto frame = protocol::parse_server_frame(m.frame);
    if (from == users.end() || !frame) {
        ++counters.messages_dropped;
        return;
    }
    ++counters.relays_in;
    apply(router.on_relayed(from->second, m.to, *frame));
}

void Cluster::Impl::relay(const Relay& r) {
    auto to = remotes.find(r.to);
    if (to == remotes.end()) return;  // forgotten since the router routed it
    ClusterMessage m = message(Kind::frame);
    m.from = r.from;
    m.to = to->second.second;
    m.frame = protocol::serialize(r.frame);
    if (link->publish(channel_of(to->second.first), encode(m))) {
        ++counters.relays_out;
        return;
    }
    ++counters.relays_refused;
    apply(router.on_relay_failed(r, unreachable("that user is on signaling node " + to->second.first)));
}

// While Redis is down what others should hear is lost: rejoin() tells it all.
void Cluster::Impl::tell(const Presence& p) {
    bool claimed = p.listed || p.pool;
    if (p.kind == Presence::Kind::offline && claimed && !router.holds_locally(p.name)) {
        if (!link->command({"HDEL", name_key(p.name), options.node_id})) released_while_down.insert(p.name);
    }
    Kind kind = p.kind == Presence::Kind::online ? Kind::online
                : p.kind == Presence::Kind::load ? Kind::load
                                                 : Kind::offline;
    ClusterMessage m = message(kind);
    m.user = user_of(p);
    broadcast(m);
}

void Cluster::Impl::claim(const Claim& c) {
    ConnectionId id = c.connection;
    std::string name = c.name;
    link->command({"EVAL", kClaimScript, "1", name_key(c.name), options.node_id, c.pool ? "pool" : "solo",
                   node_key("")},
                  [this, id, name](const RedisReply& reply) {
                      std::optional<Refusal> refusal;
                      if (reply.kind != RedisReply::Kind::integer)
                          refusal = unreachable("cannot log in as " + name);
                      else if (reply.integer != 1)
                          refusal = Refusal{protocol::code::kNameTaken, "name taken"};
                      apply(router.on_claimed(id, refusal));
                  });
}

std::unique_ptr<Cluster> Cluster::start(ClusterOptions options, Router& router,
                                        std::function<void(const Effects&)> apply) {
    auto impl = std::make_unique<Impl>(std::move(options), router, std::move(apply));
    Impl* self = impl.get();
    RedisLink::Events events;
    events.up = [self] { self->on_up(); };
    events.down = [self](const std::string& why) { self->on_down(why); };
    events.message = [self](const std::string& channel, const std::string& text) { self->on_message(channel, text); };
    router.enable_cluster();
    impl->link = RedisLink::start(impl->options.redis,
                                  {broadcast_channel(impl->options.redis.db), impl->channel_of(impl->options.node_id)},
                                  std::move(events));
    impl->start_timers();
    return std::unique_ptr<Cluster>(new Cluster(std::move(impl)));
}

Cluster::Cluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cluster::~Cluster() = default;

void Cluster::carry(const Effects& fx) {
    for (const Claim& c : fx.claims) impl_->claim(c);
    for (const Presence& p : fx.presence) impl_->tell(p);
    for (const Relay& r : fx.relays) impl_->relay(r);
}

bool Cluster::up() const { return impl_->link->up(); }
std::size_t Cluster::remote_nodes() const { return impl_->nodes.size(); }
std::size_t Cluster::remote_users() const { return impl_->remotes.size(); }
const ClusterCounters& Cluster::counters() const { return impl_->counters; }
const std::string& Cluster::node_id() const { return impl_->options.node_id; }

}  // namespace mp::signal
