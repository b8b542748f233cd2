// How SDP and ICE candidates travel, as a call sees it. The call knows this
// interface only, never the WebSocket or the wire format (the shape of
// gst-plugins-rs net/webrtc's signaller: start, send SDP, add ICE, end session).
#pragma once

#include <optional>
#include <string>

namespace mp::peer {

struct SessionDescription {
    std::string type;  // "offer" or "answer"
    std::string sdp;
    bool operator==(const SessionDescription&) const = default;
};

struct IceCandidate {
    std::string candidate;  // "candidate:..." as in SDP, without "a="
    std::string sdp_mid;
    unsigned sdp_mline_index = 0;
    bool operator==(const IceCandidate&) const = default;
};

// How much a server peer serves now. A signaling server that spreads the
// calls for one name over several peers (a pool) picks by it.
struct PeerLoad {
    unsigned calls = 0;
    unsigned max_calls = 0;  // 0: no limit
    bool draining = false;   // takes no new call
    bool operator==(const PeerLoad&) const = default;
};

// What a signaller reports, always on the main context.
class SignallerEvents {
public:
    virtual ~SignallerEvents() = default;
    // Logged in under `name`; calls can be made and received.
    virtual void on_ready(const std::string& name) = 0;
    virtual void on_offer(const std::string& peer, const SessionDescription& offer) = 0;
    virtual void on_answer(const std::string& peer, const SessionDescription& answer) = 0;
    virtual void on_candidate(const std::string& peer, const IceCandidate& candidate) = 0;
    // The peer hung up or went away.
    virtual void on_leave(const std::string& peer, const std::optional<std::string>& reason) = 0;
    // A frame from `peer` whose payload is unusable (not an SDP object, ...).
    virtual void on_invalid(const std::string& peer, const std::string& why) = 0;
    // The signaling server refused something we sent (its `error` frame):
    // `code` is for matching (docs/protocol.md), `message` for people.
    virtual void on_refused(const std::string& code, const std::string& message) = 0;
    // Cannot go on: the name is taken, the server is unreachable or gone.
    virtual void on_failed(const std::string& why) = 0;
    // The connection dropped after logging in; the signaller is trying again
    // and reports on_ready once logged in anew (a signaller that reconnects).
    virtual void on_disconnected(const std::string&) {}
};

class Signaller {
public:
    virtual ~Signaller() = default;
    // Connects and logs in; on_ready or on_failed follows.
    virtual void start(SignallerEvents& events) = 0;
    virtual void send_sdp(const std::string& peer, const SessionDescription& description) = 0;
    virtual void send_candidate(const std::string& peer, const IceCandidate& candidate) = 0;
    // Every local candidate has been sent (RFC 8838 end-of-candidates, for the
    // m-line `mid`): a WHIP endpoint answers its client then, not after a wait.
    virtual void send_end_of_candidates(const std::string& /*peer*/, const std::string& /*mid*/) {}
    virtual void hang_up(const std::string& peer, const std::optional<std::string>& reason) = 0;
    // Our load changed. Only a signaller whose server chooses among peers by
    // load passes it on; to any other it means nothing.
    virtual void send_load(const PeerLoad& /*load*/) {}
    virtual void stop() = 0;
};

}  // namespace mp::peer
