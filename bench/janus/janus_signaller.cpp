#include "janus/janus_signaller.hpp"

#include "janus/janus_messages.hpp"

#include "common/gobj.hpp"
#include "common/guarded.hpp"
#include "peer/signaller_support.hpp"
#include "protocol/json_writer.hpp"

#include <libsoup/soup.h>

#include <cstring>
#include <deque>
#include <functional>
#include <utility>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-peer"

namespace mp::bench {

using peer::IceCandidate;
using peer::SessionDescription;
using peer::SignallerEvents;

namespace {

// Janus answers a long poll with a keepalive after 30 s of silence; a poll
// silent for longer means Janus is gone.
constexpr guint kPollTimeoutS = 45;
// stop() waits this long at most for Janus to destroy the session.
constexpr guint kDestroyTimeoutS = 2;

using peer::support::quoted;

// A reply's or an event's body, parsed.
Result<JanusMessage, std::string> parse_body(GBytes* body) {
    gsize size = 0;
    const char* bytes = body ? static_cast<const char*>(g_bytes_get_data(body, &size)) : nullptr;
    return parse_janus_message(std::string_view(bytes ? bytes : "", size));
}

// A transaction id: Janus echoes it in the request's reply.
std::string random_transaction() {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string id(12, ' ');
    for (char& c : id) c = kAlphabet[g_random_int_range(0, static_cast<gint32>(sizeof kAlphabet - 1))];
    return id;
}

}  // namespace

std::optional<std::string> invalid_janus_signaller_options_reason(const JanusSignallerOptions& o) {
    const char* scheme = g_uri_peek_scheme(o.url.c_str());
    if (!scheme || (std::strcmp(scheme, "http") != 0 && std::strcmp(scheme, "https") != 0))
        return "Janus URL " + quoted(o.url) + ": expected http://HOST:PORT/janus (or https://)";
    GErrorSlot error;
    GUri* raw = g_uri_parse(o.url.c_str(), G_URI_FLAGS_NONE, error.out());
    if (!raw) return "Janus URL " + quoted(o.url) + ": " + error.message();
    std::unique_ptr<GUri, decltype(&g_uri_unref)> uri(raw, g_uri_unref);
    if (!g_uri_get_host(uri.get()) || !*g_uri_get_host(uri.get()))
        return "Janus URL " + quoted(o.url) + ": no host";
    if (g_uri_get_query(uri.get()) || g_uri_get_fragment(uri.get()))
        return "Janus URL " + quoted(o.url) + ": no query or fragment, please";
    if (o.peer_name.empty()) return std::string("the Janus peer needs a name");
    if (o.plugin.empty()) return std::string("no Janus plugin to attach to");
    if (o.connect_timeout_s < 1 || o.request_timeout_s < 1)
        return std::string("Janus timeouts must be at least 1 s");
    return std::nullopt;
}

namespace {

// One session at Janus with one plugin handle; its requests' and long polls'
// callbacks hold it weakly, so that it may go while they are in flight.
class JanusSession : public std::enable_shared_from_this<JanusSession> {
public:
    JanusSession(JanusSignallerOptions o, GRef<SoupSession> requests, GRef<SoupSession> polls)
        : options(std::move(o)), requests_(std::move(requests)), polls_(std::move(polls)),
          base_url_(without_trailing_slash(options.url)) {}
    ~JanusSession() { stop(); }

    void start(SignallerEvents& events);
    void send_offer(const SessionDescription& offer);
    void send_candidate(const IceCandidate& candidate);
    void hang_up(const std::optional<std::string>& reason);
    void stop();
    bool ready(const char* what) const;

    const JanusSignallerOptions options;

private:
    enum class State { idle, creating, attaching, ready, failed, stopped };
    enum class Purpose { create, attach, message, trickle, hangup, destroy };
    struct Request {
        Purpose purpose;
        std::string url;
        std::string body;
        std::string transaction;
    };
    // What to do with a request's outcome; `error`: why it went nowhere, or nullptr.
    using Done = std::function<void(JanusSession&, SoupMessage*, GBytes* body, const char* error)>;
    // What an async request's callback gets; the weak reference tells a
    // session that is gone.
    struct InFlight {
        std::weak_ptr<JanusSession> owner;
        GRef<SoupMessage> message;
        const char* where;  // for the log, should `done` throw
        Done done;
    };

    static std::string without_trailing_slash(std::string url) {
        while (!url.empty() && url.back() == '/') url.pop_back();
        return url;
    }
    static const char* purpose_name(Purpose p);  // also the request's Janus verb
    std::string session_url() const { return base_url_ + "/" + std::to_string(session_id_); }
    std::string handle_url() const { return session_url() + "/" + std::to_string(handle_id_); }

    void enqueue(Purpose purpose, std::string url, JanusMembers members = {});
    void send_next();
    // Sends `message` on `session`; `done` runs on the main context unless
    // this session is gone, stopped or failed by then.
    void send_async(SoupSession* session, GRef<SoupMessage> message, const char* where, Done done);
    static void on_sent(GObject* source, GAsyncResult* result, gpointer data);
    void request_done(const Request& request, SoupMessage* message, GBytes* body, const char* error);
    void request_failed(const Request& request, const std::string& why);
    void handle_reply(const Request& request, const JanusMessage& reply);
    void created(guint64 session_id);
    void attached(guint64 handle_id);

    void poll();
    void poll_done(SoupMessage* message, GBytes* body, const char* error);
    void handle_event(const JanusMessage& event);
    void handle_error_event(const JanusMessage& event);
    void handle_handle_event(const JanusMessage& event);
    void handle_plugin_event(const JanusMessage& event);
    bool active() const { return state_ == State::creating || state_ == State::attaching || state_ == State::ready; }

    void fail(const std::string& why);
    void teardown();
    void destroy_session_now();

    State state_ = State::idle;
    SignallerEvents* events_ = nullptr;
    GRef<SoupSession> requests_;  // short requests, one at a time, in order
    GRef<SoupSession> polls_;     // the long poll, with a longer timeout
    const std::string base_url_;
    guint64 session_id_ = 0, handle_id_ = 0;
    bool session_alive_ = false;  // created at Janus and not known to be gone
    bool closing_ = false;        // we hung up: what Janus says now is not news
    std::deque<Request> queue_;
    bool request_in_flight_ = false;
    GRef<GCancellable> cancel_ = adopt_ref(g_cancellable_new());
    GSourcePtr deadline_;  // create + attach
};

}  // namespace

const char* JanusSession::purpose_name(Purpose p) {
    switch (p) {
        case Purpose::create: return "create";
        case Purpose::attach: return "attach";
        case Purpose::message: return "message";
        case Purpose::trickle: return "trickle";
        case Purpose::hangup: return "hangup";
        case Purpose::destroy: return "destroy";
    }
    return "?";
}

void JanusSession::start(SignallerEvents& events) {
    if (state_ != State::idle) {
        g_warning("Janus signaller for %s started twice (or after stop): ignored", options.url.c_str());
        return;
    }
    events_ = &events;
    state_ = State::creating;
    deadline_ = attach_source(
        g_timeout_source_new_seconds(options.connect_timeout_s),
        [](gpointer data) -> gboolean {
            auto self = static_cast<JanusSession*>(data)->shared_from_this();
            self->deadline_.reset();
            guarded(G_LOG_DOMAIN, "janus signaling timeout", [&] {
                self->fail("no Janus session with " + self->options.plugin + " at " + self->options.url +
                           " within " + std::to_string(self->options.connect_timeout_s) + " s");
            });
            return G_SOURCE_REMOVE;
        },
        this);
    g_debug("janus: creating a session at %s", options.url.c_str());
    enqueue(Purpose::create, base_url_);
}

// Requests leave one at a time, in the order they were made: a trickled
// candidate must not overtake the offer on another connection.
void JanusSession::enqueue(Purpose purpose, std::string url, JanusMembers members) {
    std::string transaction = random_transaction();
    std::string text = janus_request_text(purpose_name(purpose), transaction, members);
    queue_.push_back(Request{purpose, std::move(url), std::move(text), std::move(transaction)});
    send_next();
}

void JanusSession::send_next() {
    if (request_in_flight_ || queue_.empty() || !active()) return;
    Request request = std::move(queue_.front());
    queue_.pop_front();
    auto message = adopt_ref(soup_message_new("POST", request.url.c_str()));
    if (!message) {
        request_failed(request, "cannot make a request to " + request.url);
        return;
    }
    GBytesPtr body(g_bytes_new(request.body.data(), request.body.size()));
    soup_message_set_request_body_from_bytes(message.get(), "application/json", body.get());
    request_in_flight_ = true;
    send_async(requests_.get(), std::move(message), "janus signaling reply",
               [request = std::move(request)](JanusSession& self, SoupMessage* reply, GBytes* body,
                                              const char* error) {
                   self.request_in_flight_ = false;
                   self.request_done(request, reply, body, error);
                   self.send_next();  // checks that the handler did not stop us
               });
}

void JanusSession::send_async(SoupSession* session, GRef<SoupMessage> message, const char* where, Done done) {
    SoupMessage* sent = message.get();
    auto* in_flight = new InFlight{weak_from_this(), std::move(message), where, std::move(done)};
    soup_session_send_and_read_async(session, sent, G_PRIORITY_DEFAULT, cancel_.get(), on_sent, in_flight);
}

void JanusSession::on_sent(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<InFlight> in_flight(static_cast<InFlight*>(data));
    GErrorSlot error;
    GBytesPtr body(soup_session_send_and_read_finish(SOUP_SESSION(source), result, error.out()));
    auto self = in_flight->owner.lock();
    if (!self || !self->active()) return;  // stopped or failed meanwhile
    guarded(G_LOG_DOMAIN, in_flight->where, [&] {
        in_flight->done(*self, in_flight->message.get(), body.get(), error ? error.message() : nullptr);
    });
}

void JanusSession::request_done(const Request& request, SoupMessage* message, GBytes* body,
                                const char* error) {
    if (error) return request_failed(request, error);
    guint status = soup_message_get_status(message);
    if (status != SOUP_STATUS_OK) return request_failed(request, "HTTP " + std::to_string(status));
    auto reply = parse_body(body);
    if (!reply) return request_failed(request, "unusable reply: " + reply.error());
    if (auto why = janus_reply_problem(*reply, request.transaction)) return request_failed(request, *why);
    handle_reply(request, *reply);
}

void JanusSession::request_failed(const Request& request, const std::string& why) {
    std::string what = std::string("Janus ") + purpose_name(request.purpose) + " at " + request.url;
    switch (request.purpose) {
        case Purpose::hangup:
        case Purpose::destroy:  // the end anyway
            g_message("janus: %s failed: %s", what.c_str(), why.c_str());
            return;
        default:
            fail(what + " failed: " + why);
    }
}

void JanusSession::handle_reply(const Request& request, const JanusMessage& reply) {
    const char* what = purpose_name(request.purpose);
    if (reply.kind == JanusKind::error) {
        std::string why = "Janus refused " + std::string(what) + ": " + reply.error + " (" +
                          std::to_string(reply.error_code) + ")";
        switch (request.purpose) {
            case Purpose::create:
            case Purpose::attach: return fail(why);
            case Purpose::hangup:
            case Purpose::destroy: g_message("janus: %s", why.c_str()); return;
            default:
                g_warning("janus: %s", why.c_str());
                events_->on_refused(janus_refusal_code(reply.error_code), why);
                return;
        }
    }
    if (reply.kind != JanusKind::success && reply.kind != JanusKind::ack) {
        g_warning("janus: unexpected %s reply to %s", quoted(reply.janus).c_str(), what);
        return;
    }
    switch (request.purpose) {
        case Purpose::create:
            if (!reply.data_id) return fail("Janus created a session without an id at " + options.url);
            return created(reply.data_id);
        case Purpose::attach:
            if (!reply.data_id) return fail("Janus attached " + options.plugin + " without a handle id");
            return attached(reply.data_id);
        case Purpose::message:
            // A plugin may answer at once ("success" with its data) or later
            // ("ack", then an event on the long poll).
            if (reply.kind == JanusKind::success) return handle_plugin_event(reply);
            g_debug("janus: message acknowledged");
            return;
        case Purpose::destroy:
            session_alive_ = false;
            g_message("janus: session %" G_GUINT64_FORMAT " destroyed", session_id_);
            return;
        case Purpose::trickle:
        case Purpose::hangup: g_debug("janus: %s acknowledged", what); return;
    }
}

void JanusSession::created(guint64 session_id) {
    session_id_ = session_id;
    session_alive_ = true;
    state_ = State::attaching;
    g_message("janus: session %" G_GUINT64_FORMAT " at %s; attaching %s", session_id_, options.url.c_str(),
              options.plugin.c_str());
    poll();  // also the session's keepalive
    enqueue(Purpose::attach, session_url(), {{"plugin", quoted(options.plugin)}, {"opaque_id", quoted(options.name)}});
}

void JanusSession::attached(guint64 handle_id) {
    handle_id_ = handle_id;
    state_ = State::ready;
    deadline_.reset();
    g_message("janus: session %" G_GUINT64_FORMAT " handle %" G_GUINT64_FORMAT " on %s: ready", session_id_,
              handle_id_, options.plugin.c_str());
    events_->on_ready(options.name);  // last: the handler may destroy us
}

void JanusSession::poll() {
    // maxev=1: one event (an object, not an array) per poll.
    std::string url = session_url() + "?maxev=1";
    send_async(polls_.get(), adopt_ref(soup_message_new("GET", url.c_str())), "janus signaling poll",
               [](JanusSession& self, SoupMessage* reply, GBytes* body, const char* error) {
                   self.poll_done(reply, body, error);
                   // Again, unless the handler stopped us or the session is gone.
                   if (self.active() && self.session_alive_) self.poll();
               });
}

void JanusSession::poll_done(SoupMessage* message, GBytes* body, const char* error) {
    if (closing_) {  // after our hang-up: the session is going away
        g_debug("janus: long poll ended after the hang-up");
        return;
    }
    if (error || soup_message_get_status(message) != SOUP_STATUS_OK) {
        session_alive_ = false;  // nothing to destroy at a Janus that does not answer
        std::string why = error ? error : "HTTP " + std::to_string(soup_message_get_status(message));
        return fail("lost Janus session " + std::to_string(session_id_) + " at " + options.url + ": " + why);
    }
    auto event = parse_body(body);
    if (!event) {
        g_warning("janus: ignoring an unusable event: %s", event.error().c_str());
        return;
    }
    handle_event(*event);
}

void JanusSession::handle_event(const JanusMessage& event) {
    if (event.session_id && event.session_id != session_id_) {
        g_warning("janus: ignoring %s for session %" G_GUINT64_FORMAT ", ours is %" G_GUINT64_FORMAT,
                  event.janus.c_str(), event.session_id, session_id_);
        return;
    }
    switch (event.kind) {
        case JanusKind::keepalive: g_debug("janus: keepalive"); return;
        case JanusKind::timeout:
            session_alive_ = false;
            return fail("Janus session " + std::to_string(session_id_) + " timed out");
        case JanusKind::error: return handle_error_event(event);
        default: break;
    }
    if (event.sender && event.sender != handle_id_) {
        g_warning("janus: ignoring %s from handle %" G_GUINT64_FORMAT ", ours is %" G_GUINT64_FORMAT,
                  event.janus.c_str(), event.sender, handle_id_);
        return;
    }
    handle_handle_event(event);
}

void JanusSession::handle_error_event(const JanusMessage& event) {
    std::string why = "Janus error: " + event.error + " (" + std::to_string(event.error_code) + ")";
    // Without a transaction it is about the poll, i.e. the session.
    if (event.transaction.empty()) return fail(why + " on session " + std::to_string(session_id_));
    g_warning("janus: %s", why.c_str());  // the late reply to an acknowledged request
    events_->on_refused(janus_refusal_code(event.error_code), why);
}

// An event of our plugin handle.
void JanusSession::handle_handle_event(const JanusMessage& event) {
    const std::string& peer = options.peer_name;
    switch (event.kind) {
        case JanusKind::event: return handle_plugin_event(event);
        case JanusKind::webrtcup:
        case JanusKind::media:
        case JanusKind::slowlink:
            g_message("janus: %s%s%s", event.janus.c_str(), event.detail.empty() ? "" : " ", event.detail.c_str());
            return;
        case JanusKind::trickle:
            if (event.candidates_completed) {
                g_message("janus: end of candidates");
                return;
            }
            if (!ready("a candidate")) return;
            g_message("janus: candidate %s", event.candidate->candidate.c_str());
            return events_->on_candidate(peer, *event.candidate);
        case JanusKind::hangup:
            g_message("janus: hangup%s%s", event.reason.empty() ? "" : ": ", event.reason.c_str());
            return events_->on_leave(peer, event.reason.empty() ? std::nullopt : std::optional(event.reason));
        case JanusKind::detached:
            g_message("janus: handle %" G_GUINT64_FORMAT " detached", handle_id_);
            closing_ = true;  // nothing left to send to
            return events_->on_leave(peer, std::string("detached"));
        default: g_message("janus: ignoring a %s event", quoted(event.janus).c_str());
    }
}

// The plugin's own reply: an error, an SDP, or something for the log.
void JanusSession::handle_plugin_event(const JanusMessage& event) {
    if (!event.error.empty() || event.error_code) {
        std::string why = options.plugin + " refused: " + event.error + " (" + std::to_string(event.error_code) + ")";
        g_warning("janus: %s", why.c_str());
        return events_->on_refused(janus_refusal_code(event.error_code), why);
    }
    if (!event.jsep) {
        g_message("janus: %s event %s", options.plugin.c_str(), event.plugin_data.c_str());
        return;
    }
    if (!ready("an SDP")) return;
    g_message("janus: %s from %s (%zu bytes of SDP) %s", event.jsep->type.c_str(), options.plugin.c_str(),
              event.jsep->sdp.size(), event.plugin_data.c_str());
    if (event.jsep->type == "answer")
        events_->on_answer(options.peer_name, *event.jsep);
    else
        events_->on_offer(options.peer_name, *event.jsep);
}

bool JanusSession::ready(const char* what) const {
    if (state_ == State::ready && !closing_) return true;
    g_debug("janus: not attached: dropping %s", what);
    return false;
}

void JanusSession::send_offer(const SessionDescription& offer) {
    if (!ready("the offer")) return;
    // The echotest's request: echo both, and no bitrate cap (its REMB would
    // otherwise limit what the caller sends).
    std::string body = protocol::JsonObjectWriter()
                           .boolean("audio", true)
                           .boolean("video", true)
                           .raw("bitrate", "0")
                           .finish();
    std::string jsep =
        protocol::JsonObjectWriter().string("type", offer.type).string("sdp", offer.sdp).finish();
    g_message("janus: sending the offer (%zu bytes of SDP)", offer.sdp.size());
    enqueue(Purpose::message, handle_url(), {{"body", body}, {"jsep", jsep}});
}

void JanusSession::send_candidate(const IceCandidate& candidate) {
    if (!ready("a candidate")) return;
    std::string object = protocol::JsonObjectWriter()
                             .string("candidate", candidate.candidate)
                             .string("sdpMid", candidate.sdp_mid)
                             .raw("sdpMLineIndex", std::to_string(candidate.sdp_mline_index))
                             .finish();
    g_debug("janus: trickling %s", candidate.candidate.c_str());
    enqueue(Purpose::trickle, handle_url(), {{"candidate", object}});
}

void JanusSession::hang_up(const std::optional<std::string>& reason) {
    if (!ready("the hang-up")) return;
    g_message("janus: hanging up%s%s", reason ? ": " : "", reason.value_or("").c_str());
    closing_ = true;
    enqueue(Purpose::hangup, handle_url());
    enqueue(Purpose::destroy, session_url());
}

void JanusSession::fail(const std::string& why) {
    if (!active()) return;
    state_ = State::failed;
    g_warning("%s", why.c_str());
    teardown();
    events_->on_failed(why);  // last: the handler may destroy the signaller
}

void JanusSession::stop() {
    if (state_ == State::stopped) return;
    state_ = State::stopped;
    teardown();
}

void JanusSession::teardown() {
    deadline_.reset();
    queue_.clear();
    g_cancellable_cancel(cancel_.get());
    request_in_flight_ = false;
    destroy_session_now();
}

// Waits (up to kDestroyTimeoutS) for Janus to destroy the session, which
// also hangs up its PeerConnection: the caller usually exits right after
// stop(), before an async request would leave, and a session left behind
// keeps echoing until Janus times it out (60 s), loading the next test.
void JanusSession::destroy_session_now() {
    if (!session_alive_) return;
    session_alive_ = false;
    std::string text = janus_request_text(purpose_name(Purpose::destroy), random_transaction(), {});
    auto session = adopt_ref(soup_session_new_with_options("timeout", kDestroyTimeoutS, nullptr));
    auto message = adopt_ref(soup_message_new("POST", session_url().c_str()));
    if (!message) return;
    GBytesPtr body(g_bytes_new(text.data(), text.size()));
    soup_message_set_request_body_from_bytes(message.get(), "application/json", body.get());
    GErrorSlot error;
    GBytesPtr reply(soup_session_send_and_read(session.get(), message.get(), nullptr, error.out()));
    if (error)
        g_message("janus: could not destroy session %" G_GUINT64_FORMAT ": %s", session_id_, error.message());
    else
        g_message("janus: session %" G_GUINT64_FORMAT " destroyed (HTTP %u)", session_id_,
                  soup_message_get_status(message.get()));
}

namespace {

// What the call holds: it hands everything to the session, for the one peer there is.
class JanusSignaller final : public peer::Signaller {
public:
    explicit JanusSignaller(std::shared_ptr<JanusSession> session) : session_(std::move(session)) {}
    ~JanusSignaller() override { session_->stop(); }
    JanusSignaller(const JanusSignaller&) = delete;
    JanusSignaller& operator=(const JanusSignaller&) = delete;

    void start(SignallerEvents& events) override { session_->start(events); }
    void send_sdp(const std::string& peer, const SessionDescription& description) override;
    void send_candidate(const std::string& peer, const IceCandidate& candidate) override {
        if (peer == session_->options.peer_name) session_->send_candidate(candidate);
    }
    void hang_up(const std::string& peer, const std::optional<std::string>& reason) override {
        if (peer == session_->options.peer_name) session_->hang_up(reason);
    }
    void stop() override { session_->stop(); }

private:
    std::shared_ptr<JanusSession> session_;
};

void JanusSignaller::send_sdp(const std::string& peer, const SessionDescription& description) {
    if (peer != session_->options.peer_name) {
        g_warning("janus: no peer %s (only %s): not sending the %s", quoted(peer).c_str(),
                  session_->options.peer_name.c_str(), description.type.c_str());
        return;
    }
    if (description.type != "offer") {
        g_warning("janus: not sending a session description of type %s: this peer only offers",
                  quoted(description.type).c_str());
        return;
    }
    session_->send_offer(description);
}

}  // namespace

Result<std::unique_ptr<peer::Signaller>, std::string> make_janus_signaller(JanusSignallerOptions options) {
    if (auto why = invalid_janus_signaller_options_reason(options)) return unexpected(*why);
    auto requests = adopt_ref(soup_session_new_with_options("timeout", options.request_timeout_s, nullptr));
    auto polls = adopt_ref(soup_session_new_with_options("timeout", kPollTimeoutS, nullptr));
    auto session = std::make_shared<JanusSession>(std::move(options), std::move(requests), std::move(polls));
    return std::unique_ptr<peer::Signaller>(std::make_unique<JanusSignaller>(std::move(session)));
}

}  // namespace mp::bench
