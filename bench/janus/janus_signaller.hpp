// A Signaller over the Janus WebRTC server's HTTP REST API (janus.plugin.echotest
// by default), so that janus-call loads Janus exactly as mediapeer-call loads
// mediapeer (bench/vs-janus.sh). Benchmark code: the product never talks to
// Janus.
//
// A libsoup 3 client: start() creates a Janus session, attaches one plugin
// handle and long-polls the session for events, turning them into
// SignallerEvents; on_ready(name) or on_failed follows, never from inside
// start(). Janus has no users: the one peer is the plugin handle, reported
// under `peer_name`, and the signaller sends to it only, dropping what it is
// asked to send before on_ready and after on_failed or stop(). An offer goes
// out as the plugin's "message" with its jsep (an answer is not something
// Janus takes); Janus puts its ICE candidates in the answer (half-trickle),
// ours go out as "trickle" requests. hang_up sends "hangup" on the handle,
// then destroys the session; stop() cancels the long poll and destroys the
// session at Janus, and no event fires afterwards. Everything runs on the
// main context it was started on; events may destroy the signaller.
#pragma once

#include "common/result.hpp"
#include "peer/signaller.hpp"

#include <memory>
#include <optional>
#include <string>

namespace mp::bench {

struct JanusSignallerOptions {
    std::string url = "http://127.0.0.1:8088/janus";  // the API root (http:// or https://)
    std::string name = "janus-call";      // our opaque_id at Janus (shows in its logs)
    std::string peer_name = "janus";      // the peer events name, and the one we call
    std::string plugin = "janus.plugin.echotest";
    unsigned connect_timeout_s = 10;  // creating the session and attaching, together
    unsigned request_timeout_s = 10;  // any one request but the long poll
};

// What is wrong with the options (URL, names, timeouts), or nothing.
std::optional<std::string> invalid_janus_signaller_options_reason(const JanusSignallerOptions& options);

// Validates the options; the error says what is wrong.
Result<std::unique_ptr<peer::Signaller>, std::string> make_janus_signaller(JanusSignallerOptions options);

}  // namespace mp::bench
