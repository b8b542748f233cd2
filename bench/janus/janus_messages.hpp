// The messages of the Janus WebRTC server's HTTP API that the benchmarks'
// JanusSignaller exchanges, as pure functions: JSON text in, a typed message
// (or what is wrong with it) out, and the requests' text; no I/O, no main
// loop. Benchmark code (bench/vs-janus.sh): the product never talks to Janus.
#pragma once

#include "common/result.hpp"
#include "peer/signaller.hpp"

#include <glib.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mp::bench {

// What a message is, from its "janus" member.
enum class JanusKind {
    success,    // a request's reply; create and attach give data.id
    ack,        // a request taken; what comes of it arrives on the long poll
    error,      // with a transaction: a request refused; without: the session's error
    event,      // the plugin's: its data, perhaps a jsep
    trickle,    // a candidate of Janus' (full trickle only), or the end of them
    hangup,     // the PeerConnection is gone, for `reason`
    detached,   // the plugin handle is gone
    webrtcup,   // webrtcup, media, slowlink: news for the log
    media,
    slowlink,
    keepalive,  // the long poll's answer after 30 s of silence
    timeout,    // the session timed out at Janus
    other,      // a word this signaller does not know (it is in `janus`)
};

// One message of the Janus API as it comes in (a request's reply or a
// long-poll event), validated: ids are positive integers, strings are strings.
struct JanusMessage {
    JanusKind kind = JanusKind::other;
    std::string janus;        // the word itself: "success", "ack", "event", ...
    std::string transaction;  // empty on events Janus starts itself
    guint64 session_id = 0;   // 0: absent
    guint64 sender = 0;       // the handle an event comes from; 0: absent
    guint64 data_id = 0;      // "success" of create/attach: data.id
    std::optional<peer::SessionDescription> jsep;
    std::optional<peer::IceCandidate> candidate;  // "trickle" (full trickle only)
    bool candidates_completed = false;            // "trickle" with {"completed": true}
    std::string error;        // error.reason, or the plugin's data.error
    gint64 error_code = 0;    // error.code, or the plugin's data.error_code
    std::string reason;       // "hangup": why
    std::string plugin_data;  // plugindata.data as compact JSON, for the log
    std::string detail;       // "media"/"slowlink"/"webrtcup": a short summary for the log
};

// Pure: a Janus API message (JSON text of one object); an error says what is
// wrong with it.
Result<JanusMessage, std::string> parse_janus_message(std::string_view text);

// Why `reply` is not the reply to the request sent with `transaction`, or
// nothing: Janus echoes each request's transaction in its reply.
std::optional<std::string> janus_reply_problem(const JanusMessage& reply, std::string_view transaction);

// A Janus API request: {"janus": verb, "transaction": ..., members...}; each
// member's value must be JSON text already.
using JanusMembers = std::initializer_list<std::pair<std::string_view, std::string>>;
std::string janus_request_text(std::string_view verb, std::string_view transaction, JanusMembers members = {});

// Janus' numeric error code as a Signaller's refusal code: "janus_NNN".
std::string janus_refusal_code(gint64 error_code);

}  // namespace mp::bench
