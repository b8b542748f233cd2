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
    } else if (auto* f = std::get_if<Answer>(&frame)) {
        if (ConnectionId to = peer_for(fx, id, c, f->name)) send(fx, to, Answer{c.name, f->answer});
    } else if (auto* f = std::get_if<Candidate>(&frame)) {
        if (ConnectionId to = peer_for(fx, id, c, f->name))
            send(fx, to, Candidate{c.name, f->candidate});
    } else if (auto* f = std::get_if<Leave>(&frame)) {
        if (ConnectionId to = peer_for(fx, id, c, f->name)) {
            end_call(id, to);
            send(fx, to, Leave{c.name, f->reason});
        }
    }
    return fx;
}

void Router::login(Effects& fx, ConnectionId id, Connection& c, const Login& f) {
    if (!c.name.empty()) {
        error(fx, id, "already_logged_in", code::kAlreadyLoggedIn, "already logged in as " + c.name);
        return;
    }
    // A refused name is answered with `login` success:false, the reply the
    // reference page waits for; the message says why, the code what.
    if (auto reason = invalid_user_name_reason(f.name))
        return refuse_login(fx, id, "invalid_name", Refusal{code::kInvalidName, *reason});
    // Proof first: whether a name is taken is not told to who may not have it.
    if (gate_) {
        if (auto refusal = gate_->refuse(f.name, f.token))
            return refuse_login(fx, id, "auth", *refusal);
    }
    if (by_name_.count(f.name))
        return refuse_login(fx, id, "name_taken", Refusal{code::kNameTaken, "name taken"});
    c.name = f.name;
    by_name_[c.name] = id;
    ++users_version_;
    send(fx, id, LoginResult{true, c.name, "", ""});
}

bool Router::admit_unlisted(ConnectionId id, const std::string& name, std::int64_t now_us) {
    if (connections_.count(id) || by_name_.count(name) || invalid_user_name_reason(name)) return false;
    on_open(id, now_us);
    Connection& c = connections_[id];
    c.name = name;
    c.listed = false;
    by_name_[name] = id;
    ++unlisted_;
    return true;
}

void Router::offer(Effects& fx, ConnectionId id, Connection& c, const Offer& f) {
    if (f.name == c.name) {
        error(fx, id, "offer_to_self", code::kCannotCallSelf, "cannot call yourself");
        return;
    }
    auto callee = by_name_.find(f.name);
    if (callee == by_name_.end() || !connections_.at(callee->second).listed) {
        error(fx, id, "user_offline", code::kNotOnline, "user " + f.name + " is not online");
        return;
    }
    add_call(id, callee->second);
    send(fx, callee->second, Offer{c.name, f.offer});
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
    const auto& partners = c.partners;
    auto named = name.empty() ? by_name_.end() : by_name_.find(name);
    if (named != by_name_.end() &&
        std::find(partners.begin(), partners.end(), named->second) != partners.end())
        return named->second;
    if (partners.empty()) {
        error(fx, id, "not_in_a_call", code::kNotInCall, "not in a call");
        return 0;
    }
    bool guessable = name.empty() || (named == by_name_.end() && partners.size() == 1);
    if (!guessable) {
        error(fx, id, "not_in_a_call", code::kNotInCall, "not in a call with " + name);
        return 0;
    }
    return partners.back();
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

Effects Router::on_close(ConnectionId id) {
    Effects fx;
    auto it = connections_.find(id);
    if (it == connections_.end()) return fx;
    std::vector<ConnectionId> partners = it->second.partners;
    for (ConnectionId partner : partners) {
        end_call(id, partner);
        send(fx, partner, Leave{it->second.name, std::nullopt});
    }
    Connection c = std::move(it->second);
    if (!c.name.empty()) {
        by_name_.erase(c.name);
        if (c.listed)
            ++users_version_;
        else
            --unlisted_;
    }
    if (c.subscribed) --subscribers_;
    connections_.erase(id);
    return fx;
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
    names.reserve(by_name_.size());
    for (const auto& [name, id] : by_name_)
        if (connections_.at(id).listed) names.push_back(name);
    return names;
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
