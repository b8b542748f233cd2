// The router's side of a cluster of signaling nodes (docs/cluster.md): other
// nodes' users mirrored as remote connections, frames to them relayed, and
// frames relayed from them routed here as from any user. Pure, like router.cpp.
#include "protocol/codes.hpp"
#include "signal/router.hpp"

#include <algorithm>

namespace mp::signal {

using namespace mp::protocol;

bool Router::add_remote(ConnectionId id, const std::string& name, bool pool, bool listed) {
    if (connections_.count(id) || invalid_user_name_reason(name)) return false;
    if (pool ? by_name_.count(name) != 0 : online(name)) return false;
    Connection& c = connections_[id];
    c.name = name;
    c.remote = true;
    c.listed = listed;
    ++remotes_;
    if (pool) {
        c.pool_member = true;
        auto& members = pools_[name];
        if (members.empty()) ++users_version_;
        members.push_back(id);
    } else {
        by_name_[name] = id;
        ++remote_named_;
        if (listed) ++users_version_;
    }
    return true;
}

void Router::set_remote_load(ConnectionId id, const Load& load) {
    auto it = connections_.find(id);
    if (it != connections_.end() && it->second.remote) it->second.load = load;
}

Effects Router::remove_remote(ConnectionId id) {
    auto it = connections_.find(id);
    if (it == connections_.end() || !it->second.remote) return {};
    return on_close(id);
}

// The sending node routed the frame already (a pool member chosen, a partner
// found): here it only reaches `to` and keeps the call's record.
Effects Router::on_relayed(ConnectionId from, ConnectionId to, const ServerFrame& frame) {
    Effects fx;
    auto sender = connections_.find(from);
    auto receiver = connections_.find(to);
    if (sender == connections_.end() || !sender->second.remote || receiver == connections_.end() ||
        receiver->second.remote || receiver->second.name.empty()) {
        ++counters_.errors["relay_undeliverable"];
        return fx;
    }
    if (std::holds_alternative<Offer>(frame))
        add_call(from, to);
    else if (std::holds_alternative<Leave>(frame))
        end_call(from, to);
    else if (!std::holds_alternative<Answer>(frame) && !std::holds_alternative<Candidate>(frame)) {
        ++counters_.errors["relay_undeliverable"];
        return fx;
    }
    send(fx, to, frame);
    return fx;
}

Effects Router::on_relay_failed(const Relay& relay, const Refusal& why) {
    Effects fx;
    if (std::holds_alternative<Offer>(relay.frame)) end_call(relay.from, relay.to);
    if (connections_.count(relay.from)) error(fx, relay.from, "relay_failed", why.code.c_str(), why.message);
    return fx;
}

std::vector<Presence> Router::local_presence() const {
    std::vector<Presence> all;
    for (const auto& [id, c] : connections_)
        if (!c.remote && !c.name.empty())
            all.push_back({Presence::Kind::online, id, c.name, c.pool_member, c.listed, c.load});
    std::sort(all.begin(), all.end(), [](const Presence& a, const Presence& b) { return a.connection < b.connection; });
    return all;
}

bool Router::holds_locally(const std::string& name) const {
    if (auto solo = by_name_.find(name); solo != by_name_.end()) return !connections_.at(solo->second).remote;
    auto pool = pools_.find(name);
    if (pool == pools_.end()) return false;
    return std::any_of(pool->second.begin(), pool->second.end(),
                       [this](ConnectionId id) { return !connections_.at(id).remote; });
}

std::size_t Router::user_count() const {
    std::size_t names = by_name_.size() - unlisted_ - remote_named_;
    for (const auto& [name, members] : pools_)
        if (std::any_of(members.begin(), members.end(), [this](ConnectionId id) { return !connections_.at(id).remote; }))
            ++names;
    return names;
}

}  // namespace mp::signal
