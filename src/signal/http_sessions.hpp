// The WHIP (RFC 9725) and WHEP endpoints of mediapeer-signal. An HTTP offer
// becomes an ordinary call: from an unlisted caller `whip-N` (`whep-N`) to a
// logged-in user, through the router like any other. The callee's answer and
// its trickled candidates become the 201; PATCH relays the client's
// candidates; DELETE, or the callee's `leave`, ends the session.
#pragma once

#include "common/gobj.hpp"
#include "common/result.hpp"
#include "protocol/frames.hpp"
#include "protocol/sdp_text.hpp"
#include "signal/login_gate.hpp"
#include "signal/router.hpp"

#include <libsoup/soup.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace mp::signal {

struct HttpSessionLimits {
    std::size_t max_sessions = 1000;
    unsigned answer_timeout_ms = 10000;  // POST -> the callee's answer
    unsigned candidates_wait_ms = 1000;  // answer -> its end-of-candidates, at most
    unsigned busy_retry_after_s = 5;     // Retry-After of a 503
    // In a cluster, callers are "whip-TAG-N": a node's tag keeps its callers'
    // names apart from other nodes'. Empty: "whip-N".
    std::string caller_tag;
};

// What the endpoints need of the server around them. `route` and `close` may
// call deliver() before they return.
struct HttpSessionHost {
    // Logs a session's connection in as `name`; false when the name is taken.
    std::function<bool(ConnectionId, const std::string& name)> admit;
    // A frame from a session's connection, routed, its effects applied.
    std::function<void(ConnectionId, const protocol::ClientFrame&)> route;
    // The session's connection is gone: its partner hears `leave`.
    std::function<void(ConnectionId)> close;
    // With auth on: the subject of the request's Bearer token, or the refusal
    // (401). With auth off: an empty subject.
    std::function<Result<std::string, Refusal>(SoupServerMessage*)> authorize;
    // The Link header values (ICE servers) for a session of `subject`.
    std::function<std::vector<std::string>(const std::string& subject)> ice_links;
};

class HttpSessions {
public:
    HttpSessions(HttpSessionHost host, HttpSessionLimits limits);
    ~HttpSessions();
    HttpSessions(const HttpSessions&) = delete;
    HttpSessions& operator=(const HttpSessions&) = delete;

    // A request on /whip/NAME, /whep/NAME or /sessions/ID: answered, or its
    // answer pending, and true; another path: false, nothing done.
    bool handle(SoupServerMessage* msg, const char* path);
    // Sessions' router connections, far above the WebSocket hub's ids (which
    // count up from 1): the relay's hot path tells them apart with one compare.
    static constexpr ConnectionId kFirstConnection = ConnectionId{1} << 62;

    // Whether `connection` is a session's: the router's frames to it come to
    // deliver(), not to a WebSocket.
    bool owns(ConnectionId connection) const {
        return connection >= kFirstConnection && by_connection_.count(connection) > 0;
    }
    void deliver(ConnectionId connection, const protocol::ServerFrame& frame);

    std::size_t size() const { return by_id_.size(); }
    // Answers given, by status ("201", "404", ...), for /metrics.
    const std::map<std::string, std::uint64_t>& answers() const { return answers_; }

    struct Session;

private:
    enum class Kind { whip, whep };

    void handle_endpoint(SoupServerMessage* msg, Kind kind, std::string_view encoded_name);
    void handle_session(SoupServerMessage* msg, std::string_view id);
    void open_session(SoupServerMessage* msg, Kind kind, const std::string& callee,
                      const std::string& subject, protocol::SdpSummary offer, const std::string& sdp);
    bool admit(Session& s, Kind kind);
    void patch(SoupServerMessage* msg, Session& s);
    void relay_candidates(Session& s, const protocol::SdpFrag& frag);
    void on_answer(Session& s, const std::string& payload);
    void on_candidate(Session& s, const std::string& payload);
    void on_leave(Session& s, const std::optional<std::string>& reason);
    void on_error(Session& s, const protocol::Error& error);
    void answer_created(Session& s);
    void fail_pending(Session& s, guint status, const Refusal& refusal);
    void end(Session& s);
    void reply(SoupServerMessage* msg, guint status, const Refusal& refusal);
    static gboolean on_deadline(gpointer session);
    void watch_client(Session& s);
    static gboolean on_client_readable(GSocket* socket, GIOCondition condition, gpointer session);

    HttpSessionHost host_;
    HttpSessionLimits limits_;
    std::unordered_map<std::string, std::unique_ptr<Session>> by_id_;
    std::unordered_map<ConnectionId, Session*> by_connection_;
    ConnectionId next_connection_;
    std::uint64_t next_caller_ = 0;
    std::map<std::string, std::uint64_t> answers_;
};

}  // namespace mp::signal
