// The server peer's side of signaling: one call per caller, answered with a
// media behaviour made for each call. It knows the signaller and the call,
// never the wire or which behaviour runs.
#pragma once

#include "peer/call.hpp"
#include "peer/signaller.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace mp::peer {

// Makes the behaviour of a call with `caller`.
using BehaviourFactory = std::function<std::unique_ptr<media::MediaBehaviour>(const std::string& caller)>;

// Calls by how they ended (answered: ended as calls do), or were refused.
struct CallCounters {
    std::uint64_t answered = 0, busy = 0, failed = 0, media_timeout = 0;
};

class CallManager final : public SignallerEvents, public CallObserver {
public:
    CallManager(Signaller& signaller, BehaviourFactory make_behaviour, MediaWishes wishes,
                CallOptions options);

    // Called once logged in / when signaling cannot go on.
    std::function<void(const std::string& name)> ready;
    std::function<void(const std::string& why)> failed;

    // Hangs up every call; `all_ended` runs once the last one is finished
    // (recordings closed, pipelines gone).
    void end_all(const std::string& reason, std::function<void()> all_ended);
    std::size_t active_calls() const { return calls_.size(); }
    const CallCounters& counters() const { return counters_; }
    bool logged_in() const { return logged_in_; }
    std::uint64_t signaling_reconnects() const { return reconnects_; }

    // Offers beyond this many calls at once are refused with `leave`
    // (reason "busy"); 0: no limit.
    void set_max_calls(unsigned max_calls);
    unsigned max_calls() const { return max_calls_; }
    // Takes no new call from now on (an offer gets `leave`, reason "busy")
    // while the calls going on go on; `drained` runs once none is left, at
    // once when there is none. end_all still ends them sooner.
    void drain(std::function<void()> drained);
    bool draining() const { return draining_; }
    // What answers a call's chat messages, if anything does (answer_chat).
    std::function<void(Call& call, const std::string& text)> on_chat;

    void on_ready(const std::string& name) override;
    void on_offer(const std::string& peer, const SessionDescription& offer) override;
    void on_answer(const std::string& peer, const SessionDescription& answer) override;
    void on_candidate(const std::string& peer, const IceCandidate& candidate) override;
    void on_leave(const std::string& peer, const std::optional<std::string>& reason) override;
    void on_invalid(const std::string& peer, const std::string& why) override;
    void on_refused(const std::string& code, const std::string& message) override;
    void on_failed(const std::string& why) override;
    void on_disconnected(const std::string& why) override;
    void on_call_ended(const std::string& peer, const std::string& reason) override;
    void on_chat_message(const std::string& peer, const std::string& text) override;

private:
    std::shared_ptr<Call> find(const std::string& peer) const;
    void refuse_busy(const std::string& peer, const std::string& why);
    // Tells the signaller our load when it differs from what it was told last.
    void report_load();

    Signaller& signaller_;
    BehaviourFactory make_behaviour_;
    MediaWishes wishes_;
    CallOptions options_;
    std::map<std::string, std::shared_ptr<Call>> calls_;  // by caller name
    // Candidates that came before their caller's offer (a signaling path may
    // reorder), handed to the call the offer starts.
    std::map<std::string, std::vector<IceCandidate>> early_candidates_;
    std::function<void()> all_ended_;  // from end_all or drain
    unsigned max_calls_ = 0;
    bool draining_ = false;
    std::optional<PeerLoad> reported_;
    CallCounters counters_;
    bool logged_in_ = false;
    bool was_disconnected_ = false;
    std::uint64_t reconnects_ = 0;
};

}  // namespace mp::peer
