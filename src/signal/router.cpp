#include "signal/router.hpp"

#include "protocol/codes.hpp"

#include <algorithm>

namespace mp::signal {

using namespace mp::protocol;
namespace code = mp::protocol::code;

void Router::on_open(ConnectionId id, std::int64_t now_us) {
    Connection& c = connections_[id];
    c.tokens = limits_.frame_burst;
    c.tokens_at_us = now_us;
}

bool Router::take_token(Connection& c, std::int64_t now_us) {
    if (limits_.frames_per_second <= 0) return true;
    double elapsed_s = static_cast<double>(now_us - c.tokens_at_us) / 1e6;
    c.tokens = std::min(limits_.frame_burst, c.tokens + elapsed_s * limits_.frames_per_second);
    c.tokens_at_us = now_us;
    if (c.tokens < 1) return false;
    c.tokens -= 1;
    return true;
}

Effects Router::on_text(ConnectionId id, std::string_view text, std::int64_t now_us) {
    Effects fx;
    auto it = connections_.find(id);
    if (it == connections_.end()) return fx;  // already closed by us
    if (!take_token(it->second, now_us)) {
        ++counters_.frames_in["invalid"];
        error(fx, id, "rate_limited", code::kRateLimited,
              "too many frames: the limit is " +
                  std::to_string(static_cast<long>(limits_.frames_per_second)) + " per second");
        Effects gone = on_close(id);
        fx.sends.insert(fx.sends.end(), gone.sends.begin(), gone.sends.end());
        fx.closes.push_back({id, kClosePolicyViolation, "rate limit exceeded", code::kRateLimited});
        return fx;
    }
    auto frame = parse_client_frame(text);
    if (!frame) {
        ++counters_.frames_in["invalid"];
        error(fx, id, to_string(frame.error().kind), code::kBadFrame, frame.error().message);
        return fx;
    }
    return on_frame(id, *frame);
}

Effects Router::on_frame(ConnectionId id, const ClientFrame& frame) {
    Effects fx;
    auto it = connections_.find(id);
    if (it == connections_.end()) return fx;
    Connection& c = it->second;
    ++counters_.frames_in[type_name(frame)];

    if (auto* f = std::get_if<Login>(&frame)) {
        login(fx, id, c, *f);
        return fx;
    }
    // Who is online is told before login only where anyone may log in.
    if (std::holds_alternative<UsersRequest>(frame) && (!gate_ || !c.name.empty())) {
        users(fx, id, c);
        return fx;
    }
    if (c.name.empty()) {
        error(fx, id, "not_logged_in", code::kNotLoggedIn, "log in first");
        return fx;
    }
    if (auto* f = std::get_if<Offer>(&frame)) {
        offer(fx, id, c, *f);
    } else if (auto* f = std::get_if<Load>(&frame)) {
        load(fx, id, c, *f);
    } else if (auto* f = std::get_if<Answer>(&frame)) {
        if (ConnectionId to = peer_for(fx, id, c, f->name)) forward(fx, id, to, Answer{c.name, f->answer});
    } else if (auto* f = std::get_if<Candidate>(&frame)) {
        if (ConnectionId to = peer_for(fx, id, c, f->name))
            forward(fx, id, to, Candidate{c.name, f->candidate});
    } else if (auto* f = std::get_if<Leave>(&frame)) {
        if (ConnectionId to = peer_for(fx, id, c, f->name)) {
            end_call(id, to);
            forward(fx, id, to, Leave{c.name, f->reason});
        }
    }
    return fx;
}

void Router::login(Effects& fx, ConnectionId id, Connection& c, const Login& f) {
    if (!c.name.empty() || c.claiming) {
        std::string as = c.name.empty() ? c.claiming->first : c.name;
        error(fx, id, "already_logged_in", code::kAlreadyLoggedIn, "already logged in as " + as);
        return;
    }
    // A refused name is answered with `login` success:false, the reply the
    // reference page waits for; the message says why, the code what.
    if (auto reason = invalid_user_name_reason(f.name))
        return refuse_login(fx, id, "invalid_name", Refusal{code::kInvalidName, *reason});
    // Proof first: whether a name is taken is not told to who may not have it.
    if (gate_) {
        if (auto refusal = gate_->refuse(f.name, f.token, f.pool))
            return refuse_login(fx, id, "auth", *refusal);
    }
    if (auto clash = local_clash(f.name, f.pool)) return refuse_login(fx, id, "name_taken", *clash);
    if (clustered_) return claim(fx, id, c, f.name, f.pool);
    finish_login(fx, id, c, f.name, f.pool);
}

// Whether `name` is free here (held by a local or mirrored user, or asked for
// by a login waiting for the cluster). A pool's name is joined, never taken.
std::optional<Refusal> Router::local_clash(const std::string& name, bool pool) const {
    auto waiting = claimed_.find(name);
    auto [solo_claims, pool_claims] = waiting == claimed_.end() ? std::pair{0u, 0u} : waiting->second;
    if (by_name_.count(name) || solo_claims)
        return Refusal{code::kNameTaken, pool ? "name taken by a connection that is not a pool" : "name taken"};
    if (!pool && (pools_.count(name) || pool_claims)) return Refusal{code::kNameTaken, "name taken"};
    return std::nullopt;
}

void Router::claim(Effects& fx, ConnectionId id, Connection& c, const std::string& name, bool pool) {
    c.claiming = std::pair{name, pool};
    auto& [solo_claims, pool_claims] = claimed_[name];
    ++(pool ? pool_claims : solo_claims);
    fx.claims.push_back({id, name, pool});
}

void Router::unclaim(const std::pair<std::string, bool>& asked) {
    auto it = claimed_.find(asked.first);
    auto& [solo_claims, pool_claims] = it->second;
    --(asked.second ? pool_claims : solo_claims);
    if (!solo_claims && !pool_claims) claimed_.erase(it);
}

// Members share the name; the name is listed once, while any member is left.
void Router::finish_login(Effects& fx, ConnectionId id, Connection& c, const std::string& name, bool pool) {
    c.name = name;
    if (pool) {
        auto& members = pools_[name];
        if (members.empty()) ++users_version_;
        members.push_back(id);
        ++pool_members_;
        c.pool_member = true;
    } else {
        by_name_[name] = id;
        ++users_version_;
    }
    send(fx, id, LoginResult{true, c.name, "", ""});
    if (clustered_) tell(fx, Presence::Kind::online, id, c);
}

Effects Router::on_claimed(ConnectionId id, const std::optional<Refusal>& refusal) {
    Effects fx;
    auto it = connections_.find(id);
    if (it == connections_.end() || !it->second.claiming) {
        auto gone = abandoned_claims_.find(id);
        if (gone == abandoned_claims_.end()) return fx;
        // Granted to nobody: given back at once.
        if (!refusal) fx.presence.push_back({Presence::Kind::offline, id, gone->second.first, gone->second.second, true, {}});
        abandoned_claims_.erase(gone);
        return fx;
    }
    Connection& c = it->second;
    auto asked = *c.claiming;
    c.claiming.reset();
    unclaim(asked);
    if (refusal) {
        refuse_login(fx, id, refusal->code.c_str(), *refusal);
        return fx;
    }
    if (auto clash = local_clash(asked.first, asked.second)) {  // a remote user came first
        refuse_login(fx, id, "name_taken", *clash);
        fx.presence.push_back({Presence::Kind::offline, id, asked.first, asked.second, true, {}});
        return fx;
    }
    finish_login(fx, id, c, asked.first, asked.second);
    return fx;
}

void Router::tell(Effects& fx, Presence::Kind kind, ConnectionId id, const Connection& c) {
    fx.presence.push_back({kind, id, c.name, c.pool_member, c.listed, c.load});
}

bool Router::online(const std::string& name) const { return by_name_.count(name) || pools_.count(name); }

bool Router::admit_unlisted(ConnectionId id, const std::string& name, std::int64_t now_us, Effects* fx) {
    if (connections_.count(id) || local_clash(name, false) || invalid_user_name_reason(name)) return false;
    on_open(id, now_us);
    Connection& c = connections_[id];
    c.name = name;
    c.listed = false;
    by_name_[name] = id;
    ++unlisted_;
    if (clustered_ && fx) tell(*fx, Presence::Kind::online, id, c);
    return true;
}

void Router::offer(Effects& fx, ConnectionId id, Connection& c, const Offer& f) {
    if (f.name == c.name) {
        error(fx, id, "offer_to_self", code::kCannotCallSelf, "cannot call yourself");
        return;
    }
    // A new offer in a call (renegotiation) goes where the call is.
    ConnectionId callee = partner_named(c, f.name);
    bool busy = false;
    if (!callee) callee = callee_for(f.name, busy);
    if (busy) {
        ++counters_.errors["pool_busy"];
        ++counters_.refusals[code::kBusy];
        send(fx, id, Leave{f.name, std::string(code::kBusy)});
        return;
    }
    if (!callee) {
        error(fx, id, "user_offline", code::kNotOnline, "user " + f.name + " is not online");
        return;
    }
    add_call(id, callee);
    forward(fx, id, callee, Offer{c.name, f.offer});
}

ConnectionId Router::callee_for(const std::string& name, bool& busy) {
    if (auto solo = by_name_.find(name); solo != by_name_.end())
        return connections_.at(solo->second).listed ? solo->second : 0;
    auto pool = pools_.find(name);
    if (pool == pools_.end()) return 0;
    ConnectionId member = least_loaded(pool->second);
    busy = member == 0;
    return member;
}

// The member with the most free calls, never a draining or full one; among
// equals the one with fewest calls, then the one chosen longest ago. A
// member's calls are the most of what it said and what it is offered here,
// so a burst of offers does not outrun its `load` frames.
ConnectionId Router::least_loaded(const std::vector<ConnectionId>& members) {
    constexpr std::uint64_t kNoLimit = ~std::uint64_t{0};
    ConnectionId best = 0;
    std::uint64_t best_free = 0, best_calls = 0, best_chosen = 0;
    for (ConnectionId id : members) {
        const Connection& m = connections_.at(id);
        std::uint64_t calls = std::max<std::uint64_t>(m.load.calls, m.partners.size());
        if (m.load.draining || (m.load.max_calls && calls >= m.load.max_calls)) continue;
        std::uint64_t free = m.load.max_calls ? m.load.max_calls - calls : kNoLimit;
        bool better = !best || free > best_free || (free == best_free && calls < best_calls) ||
                      (free == best_free && calls == best_calls && m.last_chosen < best_chosen);
        if (!better) continue;
        best = id;
        best_free = free;
        best_calls = calls;
        best_chosen = m.last_chosen;
    }
    if (best) connections_.at(best).last_chosen = ++choices_;
    return best;
}

void Router::load(Effects& fx, ConnectionId id, Connection& c, const Load& f) {
    if (!c.pool_member) {
        error(fx, id, "not_in_pool", code::kNotInPool, "load is for pool members (log in with \"pool\": true)");
        return;
    }
    c.load = f;
    if (clustered_) tell(fx, Presence::Kind::load, id, c);
}

void Router::users(Effects& fx, ConnectionId id, Connection& c) {
    if (!c.subscribed) ++subscribers_;
    c.subscribed = true;
    c.users_seen = users_version_;
    send(fx, id, UsersList{online_names()});
}

// docs/protocol.md: to `name` when it is a partner; when `name` is empty, missing or
// not online, to the current partner (the reference page's callee sends its own
// empty text box as `name`). A name that is online but not a partner, or an
// unknown name while in several calls, is refused rather than guessed.
ConnectionId Router::peer_for(Effects& fx, ConnectionId id, const Connection& c,
                              const std::string& name) {
    if (ConnectionId named = partner_named(c, name)) return named;
    const auto& partners = c.partners;
    if (partners.empty()) {
        error(fx, id, "not_in_a_call", code::kNotInCall, "not in a call");
        return 0;
    }
    bool guessable = name.empty() || (!online(name) && partners.size() == 1);
    if (!guessable) {
        error(fx, id, "not_in_a_call", code::kNotInCall, "not in a call with " + name);
        return 0;
    }
    return partners.back();
}

// The most recent partner logged in as `name` (several in calls with one
// pool), or 0.
ConnectionId Router::partner_named(const Connection& c, const std::string& name) const {
    if (name.empty()) return 0;
    for (auto it = c.partners.rbegin(); it != c.partners.rend(); ++it)
        if (connections_.at(*it).name == name) return *it;
    return 0;
}

void Router::add_call(ConnectionId a, ConnectionId b) {
    auto link = [this](ConnectionId from, ConnectionId to) {
        auto& partners = connections_[from].partners;
        auto it = std::find(partners.begin(), partners.end(), to);
        if (it != partners.end())
            partners.erase(it);
        else
            ++call_ends_;
        partners.push_back(to);  // most recent last
    };
    link(a, b);
    link(b, a);
}

void Router::end_call(ConnectionId a, ConnectionId b) {
    auto unlink = [this](ConnectionId from, ConnectionId to) {
        auto c = connections_.find(from);
        if (c == connections_.end()) return;
        auto& partners = c->second.partners;
        auto it = std::find(partners.begin(), partners.end(), to);
        if (it == partners.end()) return;
        partners.erase(it);
        --call_ends_;
    };
    unlink(a, b);
    unlink(b, a);
}

// A remote partner is not told: its node hears this user's Presence offline
// and tells it there.
Effects Router::on_close(ConnectionId id) {
    Effects fx;
    auto it = connections_.find(id);
    if (it == connections_.end()) return fx;
    std::vector<ConnectionId> partners = it->second.partners;
    for (ConnectionId partner : partners) {
        end_call(id, partner);
        if (!connections_.at(partner).remote) send(fx, partner, Leave{it->second.name, std::nullopt});
    }
    Connection c = std::move(it->second);
    connections_.erase(it);
    if (c.claiming) {
        unclaim(*c.claiming);
        abandoned_claims_[id] = *c.claiming;
    }
    if (c.remote) --remotes_;
    if (c.pool_member)
        leave_pool(id, c);
    else if (!c.name.empty())
        release_name(c);
    if (c.subscribed) --subscribers_;
    if (clustered_ && !c.remote && !c.name.empty()) tell(fx, Presence::Kind::offline, id, c);
    return fx;
}

void Router::leave_pool(ConnectionId id, const Connection& c) {
    auto pool = pools_.find(c.name);
    auto& members = pool->second;
    members.erase(std::find(members.begin(), members.end(), id));
    if (!c.remote) --pool_members_;
    if (!members.empty()) return;
    pools_.erase(pool);
    ++users_version_;
}

void Router::release_name(const Connection& c) {
    by_name_.erase(c.name);
    if (c.remote) --remote_named_;
    if (c.listed)
        ++users_version_;
    else if (!c.remote)
        --unlisted_;
}

bool Router::users_dirty() const {
    return subscribers_ > 0 && flushed_version_ != users_version_;
}

Effects Router::flush_users() {
    Effects fx;
    if (!users_dirty()) return fx;
    flushed_version_ = users_version_;
    std::vector<std::string> names = online_names();
    for (auto& [id, c] : connections_) {
        if (!c.subscribed || c.users_seen == users_version_) continue;
        c.users_seen = users_version_;
        send(fx, id, UsersList{names});
    }
    return fx;
}

std::vector<std::string> Router::online_names() const {
    std::vector<std::string> names;
    names.reserve(by_name_.size() + pools_.size());
    for (const auto& [name, id] : by_name_)
        if (connections_.at(id).listed) names.push_back(name);
    auto solo_end = names.size();
    for (const auto& [name, members] : pools_) names.push_back(name);
    // Both maps are sorted and share no name: one merge keeps the list sorted.
    std::inplace_merge(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(solo_end), names.end());
    return names;
}

// To a remote user, a frame is relayed: its node routes it on from there.
void Router::forward(Effects& fx, ConnectionId from, ConnectionId to, ServerFrame frame) {
    if (!connections_.at(to).remote) return send(fx, to, std::move(frame));
    ++counters_.frames_out[type_name(frame)];
    fx.relays.push_back({from, to, std::move(frame)});
}

void Router::send(Effects& fx, ConnectionId to, ServerFrame frame) {
    ++counters_.frames_out[type_name(frame)];
    fx.sends.push_back({to, std::move(frame)});
}

void Router::refuse_login(Effects& fx, ConnectionId to, const char* kind, const Refusal& refusal) {
    ++counters_.errors[kind];
    ++counters_.refusals[refusal.code];
    send(fx, to, LoginResult{false, "", refusal.message, refusal.code});
}

void Router::error(Effects& fx, ConnectionId to, const char* kind, const char* code,
                   std::string message) {
    ++counters_.errors[kind];
    ++counters_.refusals[code];
    send(fx, to, Error{code, std::move(message)});
}

}  // namespace mp::signal
