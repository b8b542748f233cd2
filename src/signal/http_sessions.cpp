#include "signal/http_sessions.hpp"

#include "common/guarded.hpp"
#include "protocol/codes.hpp"
#include "protocol/json_object.hpp"
#include "protocol/json_writer.hpp"
#include "signal/http_reply.hpp"

#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-signal"

namespace mp::signal {

namespace code = protocol::code;

// The pending POST of a session holds the client until the answer is whole.
struct HttpSessions::Session {
    HttpSessions* owner = nullptr;
    std::string id;  // the URL's: unguessable, so only its client can PATCH or DELETE it
    ConnectionId connection = 0;
    std::string caller;
    std::string callee;
    std::string subject;  // the Bearer token's, with auth on
    protocol::SdpSummary offer;
    std::string etag;  // quoted, as sent
    GRef<SoupServerMessage> pending;
    GSourcePtr client_watch;  // while pending: the client hanging up
    std::string answer;
    std::vector<protocol::SdpCandidate> candidates;
    bool candidates_ended = false;
    GSourcePtr deadline;
};

namespace {

constexpr int kAdmitAttempts = 100;
constexpr const char* kSessionsPath = "/sessions/";

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    std::size_t got = 0;
    while (got < bytes) {
        ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
        if (n > 0) got += static_cast<std::size_t>(n);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : raw) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// Browser clients (the WHIP and WHEP SDKs) run on other sites' pages. A
// Bearer token is no ambient credential, so any origin may call.
void allow_cross_origin(SoupServerMessage* msg) {
    SoupMessageHeaders* h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "Access-Control-Allow-Origin", "*");
    soup_message_headers_replace(h, "Access-Control-Expose-Headers",
                                 "Location, ETag, Link, Accept-Post, Accept-Patch, Retry-After");
}

void answer_preflight(SoupServerMessage* msg, const char* methods) {
    SoupMessageHeaders* h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "Allow", methods);
    soup_message_headers_replace(h, "Access-Control-Allow-Methods", methods);
    soup_message_headers_replace(h, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
    soup_message_headers_replace(h, "Access-Control-Max-Age", "86400");
    soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

bool content_type_is(SoupServerMessage* msg, const char* type) {
    const char* t = soup_message_headers_get_content_type(soup_server_message_get_request_headers(msg), nullptr);
    return t && g_ascii_strcasecmp(t, type) == 0;
}

std::string_view request_body(SoupServerMessage* msg) {
    SoupMessageBody* body = soup_server_message_get_request_body(msg);
    return body && body->data ? std::string_view(body->data, static_cast<std::size_t>(body->length))
                              : std::string_view();
}

const char* json_string(JsonObject* object, const char* member) {
    JsonNode* node = json_object_get_member(object, member);
    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
               ? json_node_get_string(node)
               : nullptr;
}

std::string offer_payload(const std::string& sdp) {
    return protocol::JsonObjectWriter().string("type", "offer").string("sdp", sdp).finish();
}

}  // namespace

HttpSessions::HttpSessions(HttpSessionHost host, HttpSessionLimits limits)
    : host_(std::move(host)), limits_(limits), next_connection_(kFirstConnection) {}

HttpSessions::~HttpSessions() = default;

bool HttpSessions::handle(SoupServerMessage* msg, const char* path) {
    std::string_view p = path;
    if (starts_with(p, "/whip/")) {
        handle_endpoint(msg, Kind::whip, p.substr(6));
    } else if (starts_with(p, "/whep/")) {
        handle_endpoint(msg, Kind::whep, p.substr(6));
    } else if (starts_with(p, kSessionsPath)) {
        handle_session(msg, p.substr(std::string_view(kSessionsPath).size()));
    } else {
        return false;
    }
    return true;
}

void HttpSessions::reply(SoupServerMessage* msg, guint status, const Refusal& refusal) {
    ++answers_[std::to_string(status)];
    reply_refusal(msg, status, refusal);
}

// POST /whip/NAME (or /whep/NAME): the checks in the order a client can
// act on them (who it is, what it sent, whether there is room), then the call.
void HttpSessions::handle_endpoint(SoupServerMessage* msg, Kind kind, std::string_view encoded_name) {
    allow_cross_origin(msg);
    const char* method = soup_server_message_get_method(msg);
    if (method == SOUP_METHOD_OPTIONS) {
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Accept-Post",
                                     "application/sdp");
        return answer_preflight(msg, "POST, OPTIONS");
    }
    if (method != SOUP_METHOD_POST) {
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "POST, OPTIONS");
        return reply(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, {code::kMethodNotAllowed, "POST an SDP offer here"});
    }
    GCharPtr name(g_uri_unescape_string(std::string(encoded_name).c_str(), nullptr));
    auto subject = host_.authorize(msg);
    if (!subject) return reply(msg, SOUP_STATUS_UNAUTHORIZED, subject.error());
    if (!content_type_is(msg, "application/sdp"))
        return reply(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                     {code::kUnsupportedMediaType, "the offer must be sent as application/sdp"});
    std::string sdp(request_body(msg));
    if (sdp.size() > protocol::kMaxSdpBytes)
        return reply(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                     {code::kBadSdp, "the offer is longer than " + std::to_string(protocol::kMaxSdpBytes) + " bytes"});
    auto offer = protocol::summarize_sdp(sdp);
    if (!offer) return reply(msg, SOUP_STATUS_BAD_REQUEST, {code::kBadSdp, "the offer is not SDP: " + offer.error()});
    if (!name || !*name.get()) return reply(msg, SOUP_STATUS_NOT_FOUND, {code::kNotOnline, "no user named in the URL"});
    if (by_id_.size() >= limits_.max_sessions) {
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                                     std::to_string(limits_.busy_retry_after_s).c_str());
        return reply(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, {code::kTooManySessions, "too many sessions; try again later"});
    }
    open_session(msg, kind, name.get(), *subject, std::move(*offer), sdp);
}

bool HttpSessions::admit(Session& s, Kind kind) {
    for (int attempt = 0; attempt < kAdmitAttempts; ++attempt) {
        s.caller = (kind == Kind::whip ? "whip-" : "whep-") +
                   (limits_.caller_tag.empty() ? "" : limits_.caller_tag + "-") + std::to_string(++next_caller_);
        if (host_.admit(s.connection, s.caller)) return true;
    }
    return false;
}

// The session exists before its offer is routed: the router's answer to it
// (an error, or even the callee's answer) may come back before route returns.
void HttpSessions::open_session(SoupServerMessage* msg, Kind kind, const std::string& callee,
                                const std::string& subject, protocol::SdpSummary offer, const std::string& sdp) {
    auto owned = std::make_unique<Session>();
    Session& s = *owned;
    s.owner = this;
    s.id = random_hex(16);
    s.connection = next_connection_++;
    s.callee = callee;
    s.subject = subject;
    s.offer = std::move(offer);
    s.etag = "\"" + random_hex(8) + "\"";
    if (!admit(s, kind))
        return reply(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, {code::kTooManySessions, "no caller name is free"});
    s.pending = GRef<SoupServerMessage>::ref(msg);
    soup_server_message_pause(msg);
    watch_client(s);
    s.deadline = attach_source(g_timeout_source_new(limits_.answer_timeout_ms), on_deadline, &s);
    by_connection_[s.connection] = &s;
    std::string id = s.id;
    by_id_[id] = std::move(owned);
    g_message("%s: an HTTP offer to %s", s.caller.c_str(), callee.c_str());
    host_.route(s.connection, protocol::Offer{callee, offer_payload(sdp)});
}

// PATCH (trickled candidates) and DELETE on a session's URL, for the client
// that made it: the URL is its secret, and with auth on, its token's subject.
void HttpSessions::handle_session(SoupServerMessage* msg, std::string_view id) {
    allow_cross_origin(msg);
    const char* method = soup_server_message_get_method(msg);
    SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
    if (method == SOUP_METHOD_OPTIONS) {
        soup_message_headers_replace(response, "Accept-Patch", "application/trickle-ice-sdpfrag");
        return answer_preflight(msg, "PATCH, DELETE, OPTIONS");
    }
    auto subject = host_.authorize(msg);
    if (!subject) return reply(msg, SOUP_STATUS_UNAUTHORIZED, subject.error());
    auto it = by_id_.find(std::string(id));
    if (it == by_id_.end() || it->second->pending)
        return reply(msg, SOUP_STATUS_NOT_FOUND, {code::kNoSuchSession, "no such session: it ended, or never was"});
    Session& s = *it->second;
    if (s.subject != *subject)
        return reply(msg, SOUP_STATUS_FORBIDDEN, {code::kNotYourSession, "this session is another token's"});
    if (g_str_equal(method, "PATCH")) return patch(msg, s);
    if (method != SOUP_METHOD_DELETE) {
        soup_message_headers_replace(response, "Allow", "PATCH, DELETE, OPTIONS");
        return reply(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, {code::kMethodNotAllowed, "PATCH or DELETE a session"});
    }
    g_message("%s: ended by its client", s.caller.c_str());
    end(s);
    ++answers_["200"];
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

// RFC 9725 4.3: trickle with the ETag of the 201; an ICE restart (If-Match
// "*", or new credentials) is refused, as a server without restarts must.
void HttpSessions::patch(SoupServerMessage* msg, Session& s) {
    const char* if_match = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "If-Match");
    if (!content_type_is(msg, "application/trickle-ice-sdpfrag"))
        return reply(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                     {code::kUnsupportedMediaType, "candidates are sent as application/trickle-ice-sdpfrag"});
    if (!if_match) return reply(msg, 428, {code::kIfMatchRequired, "If-Match with the session's ETag is required"});
    auto frag = protocol::parse_sdpfrag(request_body(msg));
    if (!frag) return reply(msg, SOUP_STATUS_BAD_REQUEST, {code::kBadSdp, "the body is not an SDP fragment: " + frag.error()});
    bool restart = std::string_view(if_match) == "*" ||
                   (!frag->ice_ufrag.empty() && frag->ice_ufrag != s.offer.ice_ufrag) ||
                   (!frag->ice_pwd.empty() && frag->ice_pwd != s.offer.ice_pwd);
    if (restart)
        return reply(msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, {code::kIceRestartUnsupported, "ICE restarts are not supported"});
    if (if_match != s.etag)
        return reply(msg, SOUP_STATUS_PRECONDITION_FAILED, {code::kEtagMismatch, "If-Match is not the session's ETag"});
    relay_candidates(s, *frag);
    ++answers_["204"];
    soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

// Each candidate as a trickled `candidate` frame to the callee; the end as
// the empty candidate that says so.
void HttpSessions::relay_candidates(Session& s, const protocol::SdpFrag& frag) {
    auto relay = [&](const std::string& candidate, const std::string& mid) {
        auto found = std::find(s.offer.mids.begin(), s.offer.mids.end(), mid);
        auto index = found == s.offer.mids.end() ? 0 : found - s.offer.mids.begin();
        std::string payload = protocol::JsonObjectWriter()
                                  .string("candidate", candidate)
                                  .string("sdpMid", mid)
                                  .raw("sdpMLineIndex", std::to_string(index))
                                  .finish();
        host_.route(s.connection, protocol::Candidate{s.callee, payload});
    };
    for (const auto& c : frag.candidates) relay(c.candidate, c.mid);
    if (frag.end_of_candidates) relay("", s.offer.mids.front());
}

void HttpSessions::deliver(ConnectionId connection, const protocol::ServerFrame& frame) {
    auto it = by_connection_.find(connection);
    if (it == by_connection_.end()) return;
    Session& s = *it->second;
    if (auto* answer = std::get_if<protocol::Answer>(&frame)) {
        on_answer(s, answer->answer);
    } else if (auto* candidate = std::get_if<protocol::Candidate>(&frame)) {
        on_candidate(s, candidate->candidate);
    } else if (auto* leave = std::get_if<protocol::Leave>(&frame)) {
        on_leave(s, leave->reason);
    } else if (auto* error = std::get_if<protocol::Error>(&frame)) {
        on_error(s, *error);
    }
}

void HttpSessions::on_answer(Session& s, const std::string& payload) {
    if (!s.pending || !s.answer.empty()) return;  // a renegotiation: WHIP has none
    auto object = protocol::parse_json_object(payload, "answer");
    const char* sdp = object ? json_string(object->get(), "sdp") : nullptr;
    if (!sdp || !protocol::summarize_sdp(sdp))
        return fail_pending(s, SOUP_STATUS_BAD_GATEWAY, {code::kOfferRefused, "the callee's answer is not SDP"});
    s.answer = sdp;
    if (s.candidates_ended) return answer_created(s);
    s.deadline = attach_source(g_timeout_source_new(limits_.candidates_wait_ms), on_deadline, &s);
}

// The callee's candidates, kept for the 201 until it says there are no more.
// Candidates after the 201 cannot reach a WHIP client (it never asks).
void HttpSessions::on_candidate(Session& s, const std::string& payload) {
    if (!s.pending) return;
    auto object = protocol::parse_json_object(payload, "candidate");
    if (!object) return;
    const char* text = json_string(object->get(), "candidate");
    if (!text || !*text) {
        s.candidates_ended = true;
        if (!s.answer.empty()) answer_created(s);
        return;
    }
    const char* mid_text = json_string(object->get(), "sdpMid");
    protocol::SdpCandidate c{text, mid_text ? mid_text : "", 0};
    JsonNode* index = json_object_get_member(object->get(), "sdpMLineIndex");
    auto mid = std::find(s.offer.mids.begin(), s.offer.mids.end(), c.mid);
    if (index && JSON_NODE_HOLDS_VALUE(index) && json_node_get_value_type(index) == G_TYPE_INT64)
        c.mline_index = static_cast<unsigned>(std::clamp<gint64>(json_node_get_int(index), 0, 1 << 16));
    else if (mid != s.offer.mids.end())
        c.mline_index = static_cast<unsigned>(mid - s.offer.mids.begin());
    s.candidates.push_back(std::move(c));
}

void HttpSessions::on_leave(Session& s, const std::optional<std::string>& reason) {
    if (!s.pending) {
        g_message("%s: %s left%s%s", s.caller.c_str(), s.callee.c_str(), reason ? ": " : "",
                  reason ? reason->c_str() : "");
        return end(s);
    }
    if (reason == code::kBusy) {
        soup_message_headers_replace(soup_server_message_get_response_headers(s.pending.get()), "Retry-After",
                                     std::to_string(limits_.busy_retry_after_s).c_str());
        return fail_pending(s, SOUP_STATUS_SERVICE_UNAVAILABLE, {code::kBusy, s.callee + " is busy"});
    }
    fail_pending(s, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                 {code::kOfferRefused, s.callee + " did not take the offer" + (reason ? ": " + *reason : "")});
}

void HttpSessions::on_error(Session& s, const protocol::Error& error) {
    if (!s.pending) return;
    if (error.code == code::kNotOnline)
        return fail_pending(s, SOUP_STATUS_NOT_FOUND, {code::kNotOnline, s.callee + " is not online"});
    fail_pending(s, SOUP_STATUS_BAD_GATEWAY, {error.code, error.message});
}

// 201: the answer with the callee's candidates inside, where to PATCH and
// DELETE, the ETag PATCH must match, and the ICE servers.
void HttpSessions::answer_created(Session& s) {
    GRef<SoupServerMessage> msg = std::move(s.pending);
    s.client_watch.reset();
    s.deadline.reset();
    std::string sdp = protocol::sdp_with_candidates(s.answer, s.candidates, s.candidates_ended);
    SoupMessageHeaders* h = soup_server_message_get_response_headers(msg.get());
    soup_message_headers_replace(h, "Location", (kSessionsPath + s.id).c_str());
    soup_message_headers_replace(h, "ETag", s.etag.c_str());
    soup_message_headers_replace(h, "Accept-Patch", "application/trickle-ice-sdpfrag");
    soup_message_headers_replace(h, "Cache-Control", "no-store");
    for (const std::string& link : host_.ice_links(s.subject)) soup_message_headers_append(h, "Link", link.c_str());
    soup_server_message_set_response(msg.get(), "application/sdp", SOUP_MEMORY_COPY, sdp.data(), sdp.size());
    soup_server_message_set_status(msg.get(), SOUP_STATUS_CREATED, nullptr);
    ++answers_["201"];
    soup_server_message_unpause(msg.get());
    g_message("%s: answered (%zu candidates)", s.caller.c_str(), s.candidates.size());
}

// The POST fails, and the session with it.
void HttpSessions::fail_pending(Session& s, guint status, const Refusal& refusal) {
    GRef<SoupServerMessage> msg = std::move(s.pending);
    s.client_watch.reset();
    g_message("%s: %u %s", s.caller.c_str(), status, refusal.code.c_str());
    reply(msg.get(), status, refusal);
    soup_server_message_unpause(msg.get());
    end(s);
}

// Forgotten first, then the router told: its `leave` to the callee must not
// come back to a half-ended session.
void HttpSessions::end(Session& s) {
    ConnectionId connection = s.connection;
    by_connection_.erase(connection);
    auto owned = std::move(by_id_.at(s.id));
    by_id_.erase(s.id);
    host_.close(connection);
}

gboolean HttpSessions::on_deadline(gpointer data) {
    auto& s = *static_cast<Session*>(data);
    s.deadline.reset();  // GLib holds the source until this returns
    guarded(G_LOG_DOMAIN, "http session deadline", [&] {
        if (s.answer.empty())
            s.owner->fail_pending(s, SOUP_STATUS_GATEWAY_TIMEOUT, {code::kNoAnswer, s.callee + " did not answer in time"});
        else
            s.owner->answer_created(s);
    });
    return G_SOURCE_REMOVE;
}

// libsoup reads nothing from a paused request's connection, so it would not
// see the client hang up: we watch the socket. Bytes to read (a pipelined
// request, a TLS close_notify) end the watch; the answer's deadline remains.
void HttpSessions::watch_client(Session& s) {
    GSocket* socket = soup_server_message_get_socket(s.pending.get());
    if (!socket) return;
    s.client_watch.reset(g_socket_create_source(socket, GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr));
    g_source_set_callback(s.client_watch.get(), G_SOURCE_FUNC(on_client_readable), &s, nullptr);
    g_source_attach(s.client_watch.get(), g_main_context_get_thread_default());
}

gboolean HttpSessions::on_client_readable(GSocket* socket, GIOCondition condition, gpointer data) {
    auto& s = *static_cast<Session*>(data);
    char byte;
    ssize_t n = (condition & (G_IO_HUP | G_IO_ERR)) ? 0 : recv(g_socket_get_fd(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return G_SOURCE_CONTINUE;
    s.client_watch.reset();  // GLib holds the source until this returns
    if (n > 0) return G_SOURCE_REMOVE;
    guarded(G_LOG_DOMAIN, "http session client", [&] {
        g_message("%s: the client left before the answer", s.caller.c_str());
        // Answered to nobody: unpaused, libsoup meets the closed connection and frees it.
        GRef<SoupServerMessage> msg = std::move(s.pending);
        soup_server_message_set_status(msg.get(), SOUP_STATUS_NO_CONTENT, nullptr);
        soup_server_message_unpause(msg.get());
        s.owner->end(s);
    });
    return G_SOURCE_REMOVE;
}

}  // namespace mp::signal
