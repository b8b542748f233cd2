#include "peer/call_manager.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-peer"

namespace mp::peer {

namespace {

// A call's ~15 streaming threads allocate from several malloc arenas; what
// they free stays there, and RSS crept up by ~1 MiB per 8 concurrent calls
// (heaptrack found no such leak). Handing the free pages back keeps it flat.
void give_back_freed_memory() {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

}  // namespace

namespace {
constexpr std::size_t kMaxEarlyCandidates = 64;  // per caller; a browser gathers a dozen or so
}

CallManager::CallManager(Signaller& signaller, BehaviourFactory make_behaviour, MediaWishes wishes,
                         CallOptions options)
    : signaller_(signaller),
      make_behaviour_(std::move(make_behaviour)),
      wishes_(wishes),
      options_(std::move(options)) {}

std::shared_ptr<Call> CallManager::find(const std::string& peer) const {
    auto it = calls_.find(peer);
    return it == calls_.end() ? nullptr : it->second;
}

void CallManager::on_ready(const std::string& name) {
    logged_in_ = true;
    report_load();  // the first login's; after a reconnect the signaller tells it again itself
    if (std::exchange(was_disconnected_, false)) {
        ++reconnects_;
        g_message("back on signaling with %zu calls going on", calls_.size());
    }
    if (ready) ready(name);
}

// Calls carry on without signaling: their media does not go through it. A
// call whose caller vanished meanwhile ends by the media timeout.
void CallManager::on_disconnected(const std::string& why) {
    logged_in_ = false;
    was_disconnected_ = true;
    g_message("signaling lost (%s); %zu calls go on", why.c_str(), calls_.size());
}

void CallManager::on_offer(const std::string& peer, const SessionDescription& offer) {
    if (find(peer)) {
        // Renegotiation is not supported; the call that runs goes on.
        g_message("[call %s] refused a second offer: already in a call with %s", peer.c_str(),
                  peer.c_str());
        return;
    }
    // A pool's server sends a draining member no offer, but one may have
    // been on its way when we said so.
    if (draining_) return refuse_busy(peer, "draining");
    if (max_calls_ && calls_.size() >= max_calls_)
        return refuse_busy(peer, std::to_string(calls_.size()) + " calls, --max-calls " + std::to_string(max_calls_));
    auto call = std::make_shared<Call>(peer, signaller_, make_behaviour_(peer), options_, *this);
    calls_[peer] = call;
    call->accept_offer(offer, wishes_);
    auto early = early_candidates_.extract(peer);
    if (!early.empty() && !call->ended())
        for (const auto& candidate : early.mapped()) call->add_remote_candidate(candidate);
    report_load();
}

void CallManager::refuse_busy(const std::string& peer, const std::string& why) {
    g_message("[call %s] refused the offer: busy (%s)", peer.c_str(), why.c_str());
    ++counters_.busy;
    early_candidates_.erase(peer);
    signaller_.hang_up(peer, std::string("busy"));
}

void CallManager::on_answer(const std::string& peer, const SessionDescription&) {
    g_message("[call %s] ignored an answer: we never offer", peer.c_str());
}

void CallManager::on_candidate(const std::string& peer, const IceCandidate& candidate) {
    if (auto call = find(peer)) return call->add_remote_candidate(candidate);
    auto& early = early_candidates_[peer];
    if (early.size() < kMaxEarlyCandidates)
        early.push_back(candidate);
    else
        g_message("[call %s] ignored a candidate: no call with %s", peer.c_str(), peer.c_str());
}

void CallManager::on_leave(const std::string& peer, const std::optional<std::string>& reason) {
    early_candidates_.erase(peer);
    if (auto call = find(peer)) call->end("the caller left" + (reason ? " (" + *reason + ")" : ""), false);
}

void CallManager::on_invalid(const std::string& peer, const std::string& why) {
    g_message("[call %s] unusable frame: %s", peer.c_str(), why.c_str());
    if (auto call = find(peer))
        call->fail("unusable frame from the caller: " + why);
    else
        signaller_.hang_up(peer, std::nullopt);
}

void CallManager::on_refused(const std::string& code, const std::string& message) {
    g_message("the signaling server refused a frame: %s (%s)", message.c_str(), code.c_str());
}

void CallManager::on_failed(const std::string& why) {
    logged_in_ = false;
    if (failed) failed(why);
}

void CallManager::on_call_ended(const std::string& peer, const std::string&) {
    if (auto call = find(peer)) {
        switch (call->outcome()) {
            case CallOutcome::Ended: ++counters_.answered; break;
            case CallOutcome::Failed: ++counters_.failed; break;
            case CallOutcome::MediaTimeout: ++counters_.media_timeout; break;
        }
    }
    calls_.erase(peer);
    give_back_freed_memory();
    report_load();
    if (calls_.empty() && all_ended_) std::exchange(all_ended_, nullptr)();
}

void CallManager::on_chat_message(const std::string& peer, const std::string& text) {
    if (!on_chat) return;
    if (auto call = find(peer)) on_chat(*call, text);
}

void CallManager::set_max_calls(unsigned max_calls) {
    max_calls_ = max_calls;
    report_load();
}

void CallManager::drain(std::function<void()> drained) {
    draining_ = true;
    report_load();
    if (calls_.empty()) return drained();
    all_ended_ = std::move(drained);
}

void CallManager::report_load() {
    PeerLoad load{static_cast<unsigned>(calls_.size()), max_calls_, draining_};
    if (reported_ == load) return;
    reported_ = load;
    signaller_.send_load(load);
}

void CallManager::end_all(const std::string& reason, std::function<void()> all_ended) {
    if (calls_.empty()) return all_ended();
    all_ended_ = std::move(all_ended);
    auto calls = calls_;  // ending erases from calls_
    for (auto& [peer, call] : calls) call->end(reason, true);
}

}  // namespace mp::peer
