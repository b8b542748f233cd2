#include "peer/ws_signaller.hpp"

#include "peer/signaller_support.hpp"
#include "peer/tls_trust.hpp"

#include "common/gobj.hpp"
#include "common/guarded.hpp"
#include "protocol/codes.hpp"
#include "protocol/frames.hpp"
#include "protocol/json_object.hpp"
#include "protocol/json_writer.hpp"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <variant>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-peer"

namespace mp::peer {

namespace {

// libsoup's default (128 KiB) is too small for an offer with many m-lines
// after the server has escaped it into a string.
constexpr guint64 kMaxIncomingBytes = 1024 * 1024;

using support::absent;
using support::holds;
using support::quoted;

// Keeps a closing connection until its close handshake ends: dropping the
// last reference would cut the TCP connection before the close frame leaves.
void close_in_background(GRef<SoupWebsocketConnection> ws) {
    if (soup_websocket_connection_get_state(ws.get()) != SOUP_WEBSOCKET_STATE_OPEN) return;
    using Held = GRef<SoupWebsocketConnection>;
    auto* held = new Held(ws);
    // libsoup holds its own reference while it emits "closed", so the
    // handler may drop ours (the destroy notify runs when it is disconnected).
    g_signal_connect_data(
        ws.get(), "closed",
        G_CALLBACK(+[](SoupWebsocketConnection* closed, gpointer data) {
            g_signal_handlers_disconnect_by_data(closed, data);
        }),
        held, [](gpointer data, GClosure*) { delete static_cast<Held*>(data); }, G_CONNECT_DEFAULT);
    soup_websocket_connection_close(ws.get(), SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
}

}  // namespace

Result<SessionDescription, std::string> parse_session_description(std::string_view payload,
                                                                  std::string_view expected_type) {
    auto parsed = protocol::parse_json_object(payload, "payload", protocol::Utf8::required);
    if (!parsed) return unexpected(parsed.error().message);
    JsonObject* object = parsed->get();
    JsonNode* type = json_object_get_member(object, "type");
    if (!holds(type, G_TYPE_STRING)) return unexpected(std::string("payload has no \"type\" string"));
    SessionDescription description{json_node_get_string(type), ""};
    if (description.type != expected_type)
        return unexpected("payload has type " + quoted(description.type) + ", expected " +
                          quoted(expected_type));
    JsonNode* sdp = json_object_get_member(object, "sdp");
    if (!holds(sdp, G_TYPE_STRING)) return unexpected(std::string("payload has no \"sdp\" string"));
    description.sdp = json_node_get_string(sdp);
    if (description.sdp.empty()) return unexpected(std::string("payload has an empty \"sdp\""));
    if (!g_utf8_validate(description.sdp.c_str(), -1, nullptr))
        return unexpected(std::string("payload's \"sdp\" is not UTF-8"));
    return description;
}

Result<std::optional<IceCandidate>, std::string> parse_ice_candidate(std::string_view payload) {
    auto parsed = protocol::parse_json_object(payload, "payload", protocol::Utf8::required);
    if (!parsed) return unexpected(parsed.error().message);
    JsonObject* object = parsed->get();
    JsonNode* text = json_object_get_member(object, "candidate");
    if (!holds(text, G_TYPE_STRING))
        return unexpected(std::string("payload has no \"candidate\" string"));
    IceCandidate candidate;
    candidate.candidate = json_node_get_string(text);
    // Browsers send a null sdpMid or sdpMLineIndex when they know only the other.
    JsonNode* mid = json_object_get_member(object, "sdpMid");
    if (!absent(mid)) {
        if (!holds(mid, G_TYPE_STRING))
            return unexpected(std::string("payload's \"sdpMid\" must be a string"));
        candidate.sdp_mid = json_node_get_string(mid);
    }
    JsonNode* index = json_object_get_member(object, "sdpMLineIndex");
    if (!absent(index)) {
        if (!holds(index, G_TYPE_INT64) || json_node_get_int(index) < 0 ||
            json_node_get_int(index) > G_MAXUINT)
            return unexpected(std::string("payload's \"sdpMLineIndex\" must be an integer >= 0"));
        candidate.sdp_mline_index = static_cast<unsigned>(json_node_get_int(index));
    }
    // json-glib turns some escapes JSON does not have ("\\622") into bytes
    // that are not UTF-8.
    if (!g_utf8_validate(candidate.candidate.c_str(), -1, nullptr) ||
        !g_utf8_validate(candidate.sdp_mid.c_str(), -1, nullptr))
        return unexpected(std::string("payload's candidate is not UTF-8"));
    if (candidate.candidate.empty()) return std::optional<IceCandidate>{};
    return std::optional<IceCandidate>(std::move(candidate));
}

std::string session_description_json(const SessionDescription& description) {
    return protocol::JsonObjectWriter()
        .string("type", description.type)
        .string("sdp", description.sdp)
        .finish();
}

std::string ice_candidate_json(const IceCandidate& candidate) {
    return protocol::JsonObjectWriter()
        .string("candidate", candidate.candidate)
        .string("sdpMid", candidate.sdp_mid)
        .raw("sdpMLineIndex", std::to_string(candidate.sdp_mline_index))
        .finish();
}

Result<std::string, std::string> read_token_file(const std::string& path) {
    gchar* raw = nullptr;
    GErrorSlot error;
    if (!g_file_get_contents(path.c_str(), &raw, nullptr, error.out()))
        return unexpected("token file " + path + ": " + error.message());
    GCharPtr contents(raw);
    std::string token = g_strstrip(contents.get());
    if (token.empty()) return unexpected("token file " + path + " is empty");
    return token;
}

std::optional<std::string> invalid_ws_signaller_options_reason(const WsSignallerOptions& o) {
    const char* scheme = g_uri_peek_scheme(o.url.c_str());
    if (!scheme || (std::strcmp(scheme, "ws") != 0 && std::strcmp(scheme, "wss") != 0))
        return "signaling URL " + quoted(o.url) + ": expected ws://HOST:PORT/ or wss://HOST:PORT/";
    char* raw_host = nullptr;
    GError* raw_error = nullptr;
    bool parsed = g_uri_split_network(o.url.c_str(), G_URI_FLAGS_NONE, nullptr, &raw_host,
                                      nullptr, &raw_error);
    GCharPtr host(raw_host);
    GErrorPtr error(raw_error);
    if (!parsed) return "signaling URL " + quoted(o.url) + ": " + error->message;
    if (!host || !*host) return "signaling URL " + quoted(o.url) + ": no host";
    if (auto why = protocol::invalid_user_name_reason(o.name))
        return "cannot log in as " + quoted(o.name) + ": " + *why;
    if (o.connect_timeout_s < 1) return "the signaling connect timeout must be at least 1 s";
    if (!o.token_file.empty()) {
        if (auto token = read_token_file(o.token_file); !token) return token.error();
    }
    return std::nullopt;
}

class WsSignaller::Impl : public std::enable_shared_from_this<Impl> {
public:
    Impl(WsSignallerOptions o, GRef<SoupSession> session)
        : options(std::move(o)), session_(std::move(session)) {}
    ~Impl() { stop(); }

    void start(SignallerEvents& events);
    void send(const protocol::ClientFrame& frame, const std::string& peer);
    void send_load(const PeerLoad& load);
    void stop();

    const WsSignallerOptions options;

private:
    enum class State { idle, connecting, logging_in, ready, waiting, failed, stopped };

    static void on_connected(GObject* source, GAsyncResult* result, gpointer data);
    static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data);
    static void on_closed(SoupWebsocketConnection* ws, gpointer data);
    static void on_error(SoupWebsocketConnection*, GError* error, gpointer data);
    static void on_pong(SoupWebsocketConnection*, GBytes*, gpointer data);

    void connect();
    bool read_token();
    void retry_later(const std::string& why);
    void connected(GRef<SoupWebsocketConnection> ws);
    void connect_failed(const GError& error);
    void timed_out();
    void check_keepalive();
    void closed(gushort code, const char* reason);
    void handle_text(std::string_view text);
    void handle(const protocol::LoginResult& result);
    void handle(const protocol::Offer& f) { deliver_sdp(f.name, "offer", f.offer); }
    void handle(const protocol::Answer& f) { deliver_sdp(f.name, "answer", f.answer); }
    void handle(const protocol::Candidate& f);
    void handle(const protocol::Leave& f);
    void handle(const protocol::Error& f);
    void handle(const protocol::UsersList&) {}
    void deliver_sdp(const std::string& peer, const char* type, const std::string& payload);
    bool ready_for(const char* type, const std::string& peer) const;
    void invalid(const std::string& peer, const char* type, const std::string& why);
    void send_now(const protocol::ClientFrame& frame);
    void send_load_now();
    void fail(const std::string& why, const std::string& detail = {});
    void teardown();

    State state_ = State::idle;
    SignallerEvents* events_ = nullptr;
    GRef<SoupSession> session_;
    GRef<SoupMessage> handshake_;
    GRef<GCancellable> cancel_;
    GRef<SoupWebsocketConnection> ws_;
    GSourcePtr deadline_;   // connect + login
    GSourcePtr keepalive_;  // checks that pongs (or anything) keep coming
    gint64 last_heard_us_ = 0;
    std::string last_error_;
    std::optional<std::string> token_;  // read from options.token_file for each connection
    bool logged_in_once_ = false;
    unsigned retries_ = 0;  // since the last login
    GSourcePtr retry_;
    std::optional<PeerLoad> load_;  // the last one given; the server has it whenever we are ready
};

void WsSignaller::Impl::start(SignallerEvents& events) {
    if (state_ != State::idle) {
        g_warning("signaller for %s started twice (or after stop): ignored", options.url.c_str());
        return;
    }
    events_ = &events;
    connect();
}

void WsSignaller::Impl::connect() {
    state_ = State::connecting;
    last_error_.clear();
    if (!read_token()) return;
    handshake_ = adopt_ref(soup_message_new("GET", options.url.c_str()));  // one per attempt
    cancel_ = adopt_ref(g_cancellable_new());
    deadline_ = attach_source(
        g_timeout_source_new_seconds(options.connect_timeout_s),
        [](gpointer data) -> gboolean {
            auto self = static_cast<Impl*>(data)->shared_from_this();
            self->deadline_.reset();
            guarded(G_LOG_DOMAIN, "signaling timeout", [&] { self->timed_out(); });
            return G_SOURCE_REMOVE;
        },
        this);
    // The weak reference lets the callback tell a signaller that is gone.
    soup_session_websocket_connect_async(session_.get(), handshake_.get(), nullptr, nullptr,
                                         G_PRIORITY_DEFAULT, cancel_.get(), on_connected,
                                         new std::weak_ptr<Impl>(weak_from_this()));
    g_debug("connecting to %s as %s", options.url.c_str(), options.name.c_str());
}

// False after failing (or scheduling a retry) when the token file is unreadable.
bool WsSignaller::Impl::read_token() {
    if (options.token_file.empty()) return true;
    auto token = read_token_file(options.token_file);
    if (!token) {
        fail("cannot log in as " + options.name + ": " + token.error());
        return false;
    }
    token_ = std::move(*token);
    return true;
}

void WsSignaller::Impl::on_connected(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<std::weak_ptr<Impl>> weak(static_cast<std::weak_ptr<Impl>*>(data));
    GError* raw = nullptr;
    auto ws = adopt_ref(soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &raw));
    GErrorPtr error(raw);
    auto self = weak->lock();
    // Stopped or timed out meanwhile: a connection that made it is dropped.
    if (!self || self->state_ != State::connecting) return;
    guarded(G_LOG_DOMAIN, "signaling connect", [&] {
        if (ws)
            self->connected(std::move(ws));
        else
            self->connect_failed(*error);
    });
}

void WsSignaller::Impl::connected(GRef<SoupWebsocketConnection> ws) {
    ws_ = std::move(ws);
    soup_websocket_connection_set_max_incoming_payload_size(ws_.get(), kMaxIncomingBytes);
    soup_websocket_connection_set_keepalive_interval(ws_.get(), options.keepalive_interval_s);
    g_signal_connect(ws_.get(), "message", G_CALLBACK(on_message), this);
    g_signal_connect(ws_.get(), "closed", G_CALLBACK(on_closed), this);
    g_signal_connect(ws_.get(), "error", G_CALLBACK(on_error), this);
    g_signal_connect(ws_.get(), "pong", G_CALLBACK(on_pong), this);
    state_ = State::logging_in;
    last_heard_us_ = g_get_monotonic_time();
    if (options.keepalive_interval_s > 0) {
        keepalive_ = attach_source(
            g_timeout_source_new_seconds(options.keepalive_interval_s),
            [](gpointer data) -> gboolean {
                auto self = static_cast<Impl*>(data)->shared_from_this();
                guarded(G_LOG_DOMAIN, "signaling keepalive", [&] { self->check_keepalive(); });
                return self->keepalive_ ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
            },
            this);
    }
    g_debug("connected to %s; logging in as %s", options.url.c_str(), options.name.c_str());
    send_now(protocol::Login{options.name, token_, options.pool});
}

void WsSignaller::Impl::connect_failed(const GError& error) {
    std::string why = "cannot connect to " + options.url + ": " + error.message;
    guint status = soup_message_get_status(handshake_.get());
    if (status >= 100 && status != SOUP_STATUS_SWITCHING_PROTOCOLS)
        why += " (HTTP " + std::to_string(status) + ")";
    fail(why);
}

void WsSignaller::Impl::timed_out() {
    std::string seconds = std::to_string(options.connect_timeout_s) + " s";
    if (state_ == State::connecting)
        fail("cannot connect to " + options.url + ": timed out after " + seconds);
    else if (state_ == State::logging_in)
        fail("no answer to login from " + options.url + " within " + seconds);
}

void WsSignaller::Impl::check_keepalive() {
    gint64 silence_us = g_get_monotonic_time() - last_heard_us_;
    gint64 limit_s = 2 * gint64{options.keepalive_interval_s};
    if (silence_us > limit_s * G_USEC_PER_SEC)
        fail("signaling server " + options.url + " did not answer keepalive pings for " +
             std::to_string(limit_s) + " s");
}

void WsSignaller::Impl::on_message(SoupWebsocketConnection*, gint type, GBytes* message,
                                   gpointer data) {
    auto self = static_cast<Impl*>(data)->shared_from_this();
    guarded(G_LOG_DOMAIN, "signaling message", [&] {
        self->last_heard_us_ = g_get_monotonic_time();
        if (type != SOUP_WEBSOCKET_DATA_TEXT) {
            g_warning("ignoring a binary frame from signaling server %s", self->options.url.c_str());
            return;
        }
        gsize size = 0;
        const char* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
        self->handle_text(std::string_view(bytes ? bytes : "", size));
    });
}

void WsSignaller::Impl::on_closed(SoupWebsocketConnection* ws, gpointer data) {
    auto self = static_cast<Impl*>(data)->shared_from_this();
    guarded(G_LOG_DOMAIN, "signaling close", [&] {
        self->closed(soup_websocket_connection_get_close_code(ws),
                     soup_websocket_connection_get_close_data(ws));
    });
}

void WsSignaller::Impl::on_error(SoupWebsocketConnection*, GError* error, gpointer data) {
    // "closed" follows; the error only explains it.
    guarded(G_LOG_DOMAIN, "signaling error", [&] { static_cast<Impl*>(data)->last_error_ = error->message; });
    g_debug("signaling connection error: %s", error->message);
}

void WsSignaller::Impl::on_pong(SoupWebsocketConnection*, GBytes*, gpointer data) {
    static_cast<Impl*>(data)->last_heard_us_ = g_get_monotonic_time();
}

void WsSignaller::Impl::closed(gushort code, const char* reason) {
    // 1006: closed without a close frame (RFC 6455 7.1.5).
    std::string why = "signaling connection closed (" + std::to_string(code ? code : 1006) + ")";
    std::string detail = " by " + options.url;
    if (reason && *reason) detail += ": " + quoted(reason);
    if (!last_error_.empty()) detail += "; " + last_error_;
    fail(why, detail);
}

void WsSignaller::Impl::handle_text(std::string_view text) {
    auto frame = protocol::parse_server_frame(text);
    if (!frame) {
        g_warning("ignoring a frame from signaling server %s: %s", options.url.c_str(),
                  frame.error().message.c_str());
        return;
    }
    std::visit([this](const auto& f) { handle(f); }, *frame);
}

void WsSignaller::Impl::handle(const protocol::LoginResult& result) {
    if (state_ != State::logging_in) {
        g_debug("ignoring a login reply after logging in");
        return;
    }
    if (!result.success) {
        fail(result.code == protocol::code::kNameTaken
                 ? "name " + options.name + " is taken"
                 : "cannot log in as " + quoted(options.name) + ": " + result.message + " (" +
                       result.code + ")",
             " at " + options.url);
        return;
    }
    state_ = State::ready;
    logged_in_once_ = true;
    retries_ = 0;
    deadline_.reset();
    std::string name = result.my_name.empty() ? options.name : result.my_name;
    g_message("logged in to %s as %s%s", options.url.c_str(), name.c_str(), options.pool ? " (a pool member)" : "");
    // Before any offer can be routed by what the server knew of us last time.
    if (load_) send_load_now();
    events_->on_ready(name);
}

void WsSignaller::Impl::handle(const protocol::Candidate& f) {
    if (!ready_for("candidate", f.name)) return;
    auto candidate = parse_ice_candidate(f.candidate);
    if (!candidate) return invalid(f.name, "candidate", candidate.error());
    if (!*candidate) {
        g_debug("end of candidates from %s", f.name.c_str());
        return;
    }
    events_->on_candidate(f.name, **candidate);
}

void WsSignaller::Impl::handle(const protocol::Leave& f) {
    if (!ready_for("leave", f.name)) return;
    g_debug("%s left%s%s", f.name.c_str(), f.reason ? ": " : "", f.reason.value_or("").c_str());
    events_->on_leave(f.name, f.reason);
}

void WsSignaller::Impl::handle(const protocol::Error& f) {
    g_message("signaling server %s refused a frame: %s (%s)", options.url.c_str(), f.message.c_str(),
              f.code.c_str());
    events_->on_refused(f.code, f.message);
}

void WsSignaller::Impl::deliver_sdp(const std::string& peer, const char* type,
                                    const std::string& payload) {
    if (!ready_for(type, peer)) return;
    auto description = parse_session_description(payload, type);
    if (!description) return invalid(peer, type, description.error());
    g_debug("%s from %s", type, peer.c_str());
    if (std::strcmp(type, "offer") == 0)
        events_->on_offer(peer, *description);
    else
        events_->on_answer(peer, *description);
}

bool WsSignaller::Impl::ready_for(const char* type, const std::string& peer) const {
    if (state_ == State::ready) return true;
    g_debug("ignoring %s from %s before logging in", type, peer.c_str());
    return false;
}

void WsSignaller::Impl::invalid(const std::string& peer, const char* type, const std::string& why) {
    std::string full = std::string(type) + " " + why;
    g_warning("invalid %s from %s: %s", type, peer.c_str(), why.c_str());
    events_->on_invalid(peer, full);
}

void WsSignaller::Impl::send(const protocol::ClientFrame& frame, const std::string& peer) {
    if (state_ != State::ready) {
        g_debug("not logged in to %s: dropping %s to %s", options.url.c_str(),
                protocol::type_name(frame), peer.c_str());
        return;
    }
    send_now(frame);
}

void WsSignaller::Impl::send_now(const protocol::ClientFrame& frame) {
    std::string text = protocol::serialize(frame);
    // libsoup refuses text frames that are not UTF-8 with a critical.
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
        g_warning("not sending a %s frame that is not valid UTF-8", protocol::type_name(frame));
        return;
    }
    soup_websocket_connection_send_text(ws_.get(), text.c_str());
}

void WsSignaller::Impl::send_load(const PeerLoad& load) {
    if (!options.pool || load_ == load) return;
    load_ = load;
    if (state_ == State::ready) send_load_now();
}

// The wire bounds a count; a bigger --max-calls means no limit in practice.
void WsSignaller::Impl::send_load_now() {
    auto bounded = [](unsigned n) { return std::min(n, protocol::kMaxLoadCalls); };
    send_now(protocol::Load{bounded(load_->calls), bounded(load_->max_calls), load_->draining});
}

// Backoff doubles from reconnect_min_s up to reconnect_max_s, each wait
// jittered by ±50% so that many peers do not come back in step.
void WsSignaller::Impl::retry_later(const std::string& why) {
    double backoff = std::min(options.reconnect_max_s, options.reconnect_min_s * std::pow(2.0, retries_));
    double wait_s = backoff * g_random_double_range(0.5, 1.5);
    ++retries_;
    state_ = State::waiting;
    teardown();
    g_warning("%s; reconnecting in %.1f s (attempt %u)", why.c_str(), wait_s, retries_);
    retry_ = attach_source(g_timeout_source_new(static_cast<guint>(wait_s * 1000)),
                           [](gpointer data) -> gboolean {
                               auto self = static_cast<Impl*>(data)->shared_from_this();
                               self->retry_.reset();
                               guarded(G_LOG_DOMAIN, "signaling reconnect", [&] { self->connect(); });
                               return G_SOURCE_REMOVE;
                           },
                           this);
}

void WsSignaller::Impl::fail(const std::string& why, const std::string& detail) {
    if (state_ == State::failed || state_ == State::stopped || state_ == State::waiting) return;
    if (options.reconnect && logged_in_once_) {
        bool was_ready = state_ == State::ready;
        retry_later(why + detail);
        if (was_ready) events_->on_disconnected(why);  // last: the handler may stop us
        return;
    }
    state_ = State::failed;
    g_warning("%s%s", why.c_str(), detail.c_str());
    teardown();
    events_->on_failed(why);  // last: the handler may destroy the signaller
}

void WsSignaller::Impl::stop() {
    if (state_ == State::stopped) return;
    if (state_ != State::idle && state_ != State::failed)
        g_debug("leaving signaling server %s", options.url.c_str());
    state_ = State::stopped;
    teardown();
}

void WsSignaller::Impl::teardown() {
    retry_.reset();
    deadline_.reset();
    keepalive_.reset();
    if (cancel_) g_cancellable_cancel(cancel_.get());
    if (ws_) {
        g_signal_handlers_disconnect_by_data(ws_.get(), this);
        close_in_background(std::move(ws_));
        ws_.reset();
    }
}

Result<std::unique_ptr<WsSignaller>, std::string> WsSignaller::create(WsSignallerOptions options) {
    if (auto why = invalid_ws_signaller_options_reason(options)) return unexpected(*why);
    if (!GRef<SoupMessage>::adopt(soup_message_new("GET", options.url.c_str())))
        return unexpected("signaling URL " + quoted(options.url) + " is not valid");
    auto session = adopt_ref(soup_session_new());
    if (auto why = support::trust_only(session.get(), options.ca_file)) return unexpected(*why);
    auto impl = std::make_shared<Impl>(std::move(options), std::move(session));
    return std::unique_ptr<WsSignaller>(new WsSignaller(std::move(impl)));
}

WsSignaller::WsSignaller(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WsSignaller::~WsSignaller() { impl_->stop(); }

void WsSignaller::start(SignallerEvents& events) { impl_->start(events); }

void WsSignaller::send_sdp(const std::string& peer, const SessionDescription& description) {
    std::string payload = session_description_json(description);
    if (description.type == "offer")
        impl_->send(protocol::Offer{peer, payload}, peer);
    else if (description.type == "answer")
        impl_->send(protocol::Answer{peer, payload}, peer);
    else
        g_warning("not sending a session description of type %s to %s",
                  quoted(description.type).c_str(), peer.c_str());
}

void WsSignaller::send_candidate(const std::string& peer, const IceCandidate& candidate) {
    impl_->send(protocol::Candidate{peer, ice_candidate_json(candidate)}, peer);
}

void WsSignaller::send_end_of_candidates(const std::string& peer, const std::string& mid) {
    impl_->send(protocol::Candidate{peer, ice_candidate_json(IceCandidate{"", mid, 0})}, peer);
}

void WsSignaller::hang_up(const std::string& peer, const std::optional<std::string>& reason) {
    impl_->send(protocol::Leave{peer, reason}, peer);
}

void WsSignaller::send_load(const PeerLoad& load) { impl_->send_load(load); }

void WsSignaller::stop() { impl_->stop(); }

const WsSignallerOptions& WsSignaller::options() const { return impl_->options; }

}  // namespace mp::peer
