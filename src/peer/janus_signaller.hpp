// The Signaller over the Janus WebRTC server's HTTP REST API (janus.plugin.echotest
// by default): a libsoup 3 client that creates a Janus session, attaches one
// plugin handle, long-polls the session for events and turns them into
// SignallerEvents. It lets mediapeer-call load Janus exactly as it loads
// mediapeer (bench/vs-janus.sh). Everything runs on the main context it was
// started on.
//
// Janus has no users: the one peer is the plugin handle, reported under
// `peer_name`. Janus puts its ICE candidates in the answer (half-trickle);
// ours go out as "trickle" requests.
#pragma once

#include "common/result.hpp"
#include "peer/signaller.hpp"

#include <glib.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mp::peer {

struct JanusSignallerOptions {
    std::string url = "http://127.0.0.1:8088/janus";  // the API root (http:// or https://)
    std::string name = "mediapeer-call";  // our opaque_id at Janus (shows in its logs)
    std::string peer_name = "janus";      // the peer events name, and the one we call
    std::string plugin = "janus.plugin.echotest";
    unsigned connect_timeout_s = 10;  // creating the session and attaching, together
    unsigned request_timeout_s = 10;  // any one request but the long poll
};

// What is wrong with the options (URL, names, timeouts), or nothing.
std::optional<std::string> invalid_janus_signaller_options_reason(const JanusSignallerOptions& options);

// One message of the Janus API as it comes in (a request's reply or a
// long-poll event), validated: ids are positive integers, strings are strings.
struct JanusMessage {
    std::string janus;        // "success", "ack", "event", "error", "hangup", "keepalive", ...
    std::string transaction;  // empty on events Janus starts itself
    guint64 session_id = 0;   // 0: absent
    guint64 sender = 0;       // the handle an event comes from; 0: absent
    guint64 data_id = 0;      // "success" of create/attach: data.id
    std::optional<SessionDescription> jsep;
    std::optional<IceCandidate> candidate;  // "trickle" (full trickle only)
    bool candidates_completed = false;      // "trickle" with {"completed": true}
    std::string error;        // error.reason, or the plugin's data.error
    gint64 error_code = 0;    // error.code, or the plugin's data.error_code
    std::string reason;       // "hangup": why
    std::string plugin_data;  // plugindata.data as compact JSON, for the log
    std::string detail;       // "media"/"slowlink"/"webrtcup": a short summary for the log
};

// Pure: a Janus API message (JSON text of one object); an error says what is
// wrong with it.
Result<JanusMessage, std::string> parse_janus_message(std::string_view text);

class JanusSignaller final : public Signaller {
public:
    // Validates the options; the error says what is wrong.
    static Result<std::unique_ptr<JanusSignaller>, std::string> create(JanusSignallerOptions options);
    ~JanusSignaller() override;  // stops

    JanusSignaller(const JanusSignaller&) = delete;
    JanusSignaller& operator=(const JanusSignaller&) = delete;

    // Creates the session and attaches the plugin; on_ready(name) or
    // on_failed follows. `events` must outlive this signaller (or its stop()).
    // Events never fire from inside start(); they may destroy the signaller.
    void start(SignallerEvents& events) override;
    // To `peer_name` only; before on_ready and after on_failed or stop(),
    // these drop what they send. An offer goes out as the plugin's
    // "message" with its jsep; an answer is not something Janus takes.
    void send_sdp(const std::string& peer, const SessionDescription& description) override;
    void send_candidate(const std::string& peer, const IceCandidate& candidate) override;
    // "hangup" on the handle, then the session is destroyed.
    void hang_up(const std::string& peer, const std::optional<std::string>& reason) override;
    // Cancels the long poll and destroys the session at Janus; no event
    // fires afterwards. Idempotent.
    void stop() override;

    const JanusSignallerOptions& options() const;

private:
    class Impl;
    explicit JanusSignaller(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;
};

}  // namespace mp::peer
