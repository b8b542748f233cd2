#include "peer/whip_signaller.hpp"

#include "common/gobj.hpp"
#include "common/guarded.hpp"
#include "peer/signaller_support.hpp"
#include "peer/tls_trust.hpp"
#include "peer/ws_signaller.hpp"
#include "protocol/json_object.hpp"
#include "protocol/sdp_text.hpp"

#include <libsoup/soup.h>

#include <functional>
#include <vector>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-peer"

namespace mp::peer {

namespace {

constexpr int kStopDeleteTimeoutS = 2;

struct Reply {
    guint status = 0;
    std::string body;
    std::string location;
    std::string etag;
    std::string error;  // transport error
};

// The code and message of a refusal's JSON body, else the status line.
std::pair<std::string, std::string> refusal_of(const Reply& r) {
    if (auto object = protocol::parse_json_object(r.body, "refusal")) {
        JsonNode* code = json_object_get_member(object->get(), "code");
        JsonNode* message = json_object_get_member(object->get(), "message");
        if (support::holds(code, G_TYPE_STRING) && support::holds(message, G_TYPE_STRING))
            return {json_node_get_string(code), json_node_get_string(message)};
    }
    return {"http_" + std::to_string(r.status), "HTTP " + std::to_string(r.status) + " " +
                                                    soup_status_get_phrase(r.status)};
}

}  // namespace

std::optional<std::string> invalid_whip_signaller_options_reason(const WhipSignallerOptions& o) {
    GUri* uri = g_uri_parse(o.url.c_str(), G_URI_FLAGS_NONE, nullptr);
    bool ok = uri && (g_str_equal(g_uri_get_scheme(uri), "http") || g_str_equal(g_uri_get_scheme(uri), "https")) &&
              g_uri_get_host(uri) && *g_uri_get_host(uri);
    if (uri) g_uri_unref(uri);
    if (!ok) return "--whip " + o.url + ": expected an http(s):// URL";
    if (o.timeout_s == 0) return std::string("the request timeout must be positive");
    return std::nullopt;
}

struct WhipSignaller::Impl : std::enable_shared_from_this<Impl> {
    WhipSignallerOptions options;
    std::string token;
    GRef<SoupSession> session;
    GRef<GCancellable> cancellable = adopt_ref(g_cancellable_new());
    SignallerEvents* events = nullptr;
    std::string peer;
    protocol::SdpSummary offer;
    std::string location;  // absolute, once the 201 came
    std::string etag;
    std::vector<std::string> pending_frags;  // candidates before the 201
    bool deleted = false;
    GSourcePtr ready;

    using Done = std::function<void(Impl&, const Reply&)>;
    GRef<SoupMessage> message(const char* method, const std::string& url, const std::string& body, const char* type);
    void send(GRef<SoupMessage> msg, Done done);
    void on_created(const Reply& r);
    void patch(const std::string& frag);
    void delete_session();
    std::string frag_for(const std::string& mid, const std::string& line) const;
};

GRef<SoupMessage> WhipSignaller::Impl::message(const char* method, const std::string& url, const std::string& body,
                                               const char* type) {
    auto msg = adopt_ref(soup_message_new(method, url.c_str()));
    SoupMessageHeaders* h = soup_message_get_request_headers(msg.get());
    if (!token.empty()) soup_message_headers_replace(h, "Authorization", ("Bearer " + token).c_str());
    if (type) {
        GBytesPtr bytes(g_bytes_new(body.data(), body.size()));
        soup_message_set_request_body_from_bytes(msg.get(), type, bytes.get());
    }
    return msg;
}

// The reply comes back on the main context; a signaller gone by then is
// not called.
void WhipSignaller::Impl::send(GRef<SoupMessage> msg, Done done) {
    struct Pending {
        std::weak_ptr<Impl> impl;
        GRef<SoupMessage> msg;
        Done done;
    };
    auto* pending = new Pending{weak_from_this(), msg, std::move(done)};
    soup_session_send_and_read_async(
        session.get(), msg.get(), G_PRIORITY_DEFAULT, cancellable.get(),
        [](GObject* source, GAsyncResult* result, gpointer data) {
            std::unique_ptr<Pending> p(static_cast<Pending*>(data));
            GError* raw = nullptr;
            GBytesPtr body(soup_session_send_and_read_finish(SOUP_SESSION(source), result, &raw));
            GErrorPtr error(raw);
            auto impl = p->impl.lock();
            if (!impl) return;
            Reply r;
            if (error) r.error = error->message;
            r.status = error ? 0 : soup_message_get_status(p->msg.get());
            gsize size = 0;
            const char* bytes = body ? static_cast<const char*>(g_bytes_get_data(body.get(), &size)) : nullptr;
            r.body.assign(bytes ? bytes : "", size);
            SoupMessageHeaders* h = soup_message_get_response_headers(p->msg.get());
            if (const char* v = soup_message_headers_get_one(h, "Location")) r.location = v;
            if (const char* v = soup_message_headers_get_one(h, "ETag")) r.etag = v;
            guarded(G_LOG_DOMAIN, "whip reply", [&] { p->done(*impl, r); });
        },
        pending);
}

// 201: the answer, and where the session lives (Location may be relative).
void WhipSignaller::Impl::on_created(const Reply& r) {
    if (r.status != SOUP_STATUS_CREATED) {
        if (r.status == 0) return events->on_failed("cannot reach " + options.url + ": " + r.error);
        auto [code, message] = refusal_of(r);
        return events->on_refused(code, message);
    }
    GCharPtr absolute(g_uri_resolve_relative(options.url.c_str(), r.location.c_str(), G_URI_FLAGS_NONE, nullptr));
    if (!absolute || r.etag.empty()) return events->on_failed("the 201 has no usable Location or ETag");
    location = absolute.get();
    etag = r.etag;
    g_message("whip: session created");  // its URL is its secret: not logged
    events->on_answer(peer, SessionDescription{"answer", r.body});
    for (const auto& frag : std::exchange(pending_frags, {})) patch(frag);
}

std::string WhipSignaller::Impl::frag_for(const std::string& mid, const std::string& line) const {
    return "a=ice-ufrag:" + offer.ice_ufrag + "\r\na=ice-pwd:" + offer.ice_pwd +
           "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:" + mid + "\r\n" + line + "\r\n";
}

void WhipSignaller::Impl::patch(const std::string& frag) {
    if (location.empty()) {
        pending_frags.push_back(frag);
        return;
    }
    if (deleted) return;
    auto msg = message("PATCH", location, frag, "application/trickle-ice-sdpfrag");
    soup_message_headers_replace(soup_message_get_request_headers(msg.get()), "If-Match", etag.c_str());
    send(msg, [](Impl&, const Reply& r) {
        if (r.status != SOUP_STATUS_NO_CONTENT) g_message("whip: PATCH answered %u", r.status);
    });
}

Result<std::unique_ptr<WhipSignaller>, std::string> WhipSignaller::create(WhipSignallerOptions options) {
    if (auto why = invalid_whip_signaller_options_reason(options)) return unexpected(*why);
    auto impl = std::make_shared<Impl>();
    if (!options.token_file.empty()) {
        auto token = read_token_file(options.token_file);
        if (!token) return unexpected(token.error());
        impl->token = *token;
    }
    impl->session = adopt_ref(soup_session_new_with_options("timeout", options.timeout_s, nullptr));
    if (auto why = support::trust_only(impl->session.get(), options.ca_file)) return unexpected(*why);
    impl->options = std::move(options);
    return std::unique_ptr<WhipSignaller>(new WhipSignaller(std::move(impl)));
}

WhipSignaller::WhipSignaller(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WhipSignaller::~WhipSignaller() { g_cancellable_cancel(impl_->cancellable.get()); }

void WhipSignaller::start(SignallerEvents& events) {
    impl_->events = &events;
    impl_->ready = attach_source(g_idle_source_new(), G_SOURCE_FUNC(+[](Impl* impl) -> gboolean {
                                     impl->ready.reset();  // GLib holds the source until this returns
                                     guarded(G_LOG_DOMAIN, "whip ready", [&] { impl->events->on_ready("whip"); });
                                     return G_SOURCE_REMOVE;
                                 }),
                                 impl_.get());
}

void WhipSignaller::send_sdp(const std::string& peer, const SessionDescription& description) {
    Impl& s = *impl_;
    if (description.type != "offer") {
        g_warning("whip: a WHIP client sends offers only, not an %s", description.type.c_str());
        return;
    }
    auto offer = protocol::summarize_sdp(description.sdp);
    if (!offer) return s.events->on_failed("our own offer is not SDP: " + offer.error());
    s.peer = peer;
    s.offer = std::move(*offer);
    g_message("whip: posting the offer to %s", s.options.url.c_str());
    s.send(s.message("POST", s.options.url, description.sdp, "application/sdp"),
           [](Impl& impl, const Reply& r) { impl.on_created(r); });
}

void WhipSignaller::send_candidate(const std::string&, const IceCandidate& candidate) {
    impl_->patch(impl_->frag_for(candidate.sdp_mid, "a=" + candidate.candidate));
}

void WhipSignaller::send_end_of_candidates(const std::string&, const std::string& mid) {
    impl_->patch(impl_->frag_for(mid, "a=end-of-candidates"));
}

void WhipSignaller::hang_up(const std::string&, const std::optional<std::string>&) { impl_->delete_session(); }

void WhipSignaller::stop() {
    impl_->delete_session();
    g_cancellable_cancel(impl_->cancellable.get());
}

// Waited for (briefly): the program exits right after, and a session left
// behind would hold the callee's call until its media timeout.
void WhipSignaller::Impl::delete_session() {
    if (deleted) return;
    deleted = true;
    if (location.empty()) {
        g_cancellable_cancel(cancellable.get());  // the POST, if it is still out
        return;
    }
    auto msg = message("DELETE", location, {}, nullptr);
    soup_session_set_timeout(session.get(), kStopDeleteTimeoutS);
    GError* raw = nullptr;
    GBytesPtr body(soup_session_send_and_read(session.get(), msg.get(), nullptr, &raw));
    GErrorPtr error(raw);
    if (error)
        g_message("whip: DELETE failed: %s", error->message);
    else
        g_message("whip: session ended (%u)", soup_message_get_status(msg.get()));
}

}  // namespace mp::peer
