#include "signal/server.hpp"

#include "common/gobj.hpp"
#include "signal/metrics.hpp"
#include "signal/static_files.hpp"

#include <libsoup/soup.h>

#include <unordered_map>
#include <vector>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-signal"

namespace mp::signal {

namespace {

// WebSocket close codes (RFC 6455 7.4.1) and the /metrics label of each close.
constexpr gushort kCloseGoingAway = SOUP_WEBSOCKET_CLOSE_GOING_AWAY;         // 1001
constexpr gushort kCloseUnsupportedData = SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA;  // 1003
constexpr gint64 kShutdownGraceUs = 3 * G_USEC_PER_SEC;
constexpr gint64 kUsersPushPeriodUs = G_USEC_PER_SEC;

struct Connection {
    ConnectionId id;
    GRef<SoupWebsocketConnection> ws;
    gint64 last_heard_us;
    const char* close_reason = nullptr;  // set once we close it; "client" otherwise
    SignalServer::Impl* server;
};

Result<std::pair<std::string, guint16>, std::string> parse_listen(const std::string& spec) {
    auto colon = spec.rfind(':');
    if (colon == std::string::npos) return unexpected("--listen " + spec + ": expected ADDR:PORT");
    std::string host = spec.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    char* end = nullptr;
    guint64 port = g_ascii_strtoull(spec.c_str() + colon + 1, &end, 10);
    if (colon + 1 == spec.size() || *end != '\0' || port > 65535)
        return unexpected("--listen " + spec + ": bad port");
    if (!g_hostname_is_ip_address(host.c_str()))
        return unexpected("--listen " + spec + ": expected a numeric IP address");
    return std::make_pair(host, static_cast<guint16>(port));
}

}  // namespace

std::optional<std::string> invalid_server_options_reason(const ServerOptions& o) {
    if (auto listen = parse_listen(o.listen); !listen) return listen.error();
    if (o.tls_cert_file.empty() != o.tls_key_file.empty())
        return "--tls-cert and --tls-key go together";
    if (o.max_frame_bytes < 1024) return "--max-frame-bytes must be at least 1024";
    if (o.max_connections < 1) return "--max-connections must be at least 1";
    if (o.rate.frames_per_second < 0 || (o.rate.frames_per_second > 0 && o.rate.frame_burst < 1))
        return "--max-frames-per-second must be 0 (no limit) or positive, --frame-burst at least 1";
    if (o.ping_interval_s > 0 && o.ping_timeout_s <= o.ping_interval_s)
        return "--ping-timeout must be longer than --ping-interval";
    if (!o.web_root.empty() && !g_file_test(o.web_root.c_str(), G_FILE_TEST_IS_DIR))
        return "--web-root " + o.web_root + ": not a directory";
    return invalid_ice_options_reason(o.ice);
}

struct SignalServer::Impl {
    ServerOptions options;
    std::string web_root;  // canonical
    std::string url;
    GRef<SoupServer> soup;
    Router router;
    ServerCounters counters;
    std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections;
    std::vector<std::unique_ptr<Connection>> retired;  // freed from an idle, never mid-signal
    ConnectionId next_id = 1;
    gint64 started_us = g_get_monotonic_time();
    gint64 last_users_push_us = 0;
    GSourcePtr users_push;
    GSourcePtr keepalive_sweep;
    GSourcePtr retire_idle;
    GSourcePtr shutdown_deadline;
    std::function<void()> shutdown_done;

    explicit Impl(const ServerOptions& o) : options(o), router(o.rate) {
        for (const char* limit : {"frame_size", "frames_per_second", "connections"})
            counters.limit_hits[limit] = 0;
    }
    ~Impl();

    void accept(SoupWebsocketConnection* ws);
    void on_message(Connection& c, gint type, GBytes* message);
    void on_too_big(Connection& c);
    void on_closed(Connection& c);
    void apply(const Effects& fx);
    void send(Connection& c, const std::string& text);
    void close(Connection& c, gushort code, const char* text, const char* reason);
    void drop(Connection& c, gushort code, const char* text, const char* reason);
    void retire(Connection& c);
    void schedule_users_push();
    void sweep_silent_connections();
    void finish_shutdown();
    void handle_http(SoupServerMessage* msg, const char* path);
    void serve_static(SoupServerMessage* msg, const char* path);
};

namespace {

template <typename Fn>
void guarded(const char* where, Fn&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        g_critical("%s: %s", where, e.what());
    }
}

void on_ws_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    guarded("message", [&] { c->server->on_message(*c, type, message); });
}

void on_ws_pong(SoupWebsocketConnection*, GBytes*, gpointer data) {
    static_cast<Connection*>(data)->last_heard_us = g_get_monotonic_time();
}

void on_ws_error(SoupWebsocketConnection*, GError* error, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    if (g_error_matches(error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG))
        guarded("error", [&] { c->server->on_too_big(*c); });
    else
        g_debug("connection %" G_GUINT64_FORMAT ": %s", c->id, error->message);
}

void on_ws_closed(SoupWebsocketConnection*, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    guarded("closed", [&] { c->server->on_closed(*c); });
}

void on_websocket(SoupServer*, SoupServerMessage*, const char*, SoupWebsocketConnection* ws,
                  gpointer data) {
    guarded("accept", [&] { static_cast<SignalServer::Impl*>(data)->accept(ws); });
}

void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
    guarded("http", [&] { static_cast<SignalServer::Impl*>(data)->handle_http(msg, path); });
}

}  // namespace

void SignalServer::Impl::accept(SoupWebsocketConnection* ws) {
    auto c = std::make_unique<Connection>();
    c->id = next_id++;
    c->ws = GRef<SoupWebsocketConnection>::ref(ws);
    c->last_heard_us = g_get_monotonic_time();
    c->server = this;
    // libsoup closes with 1009 itself and reports it through "error".
    soup_websocket_connection_set_max_incoming_payload_size(ws, options.max_frame_bytes);
    soup_websocket_connection_set_keepalive_interval(ws, options.ping_interval_s);
    g_signal_connect(ws, "message", G_CALLBACK(on_ws_message), c.get());
    g_signal_connect(ws, "pong", G_CALLBACK(on_ws_pong), c.get());
    g_signal_connect(ws, "error", G_CALLBACK(on_ws_error), c.get());
    g_signal_connect(ws, "closed", G_CALLBACK(on_ws_closed), c.get());
    router.on_open(c->id, c->last_heard_us);
    ++counters.connections_opened;
    g_debug("connection %" G_GUINT64_FORMAT " opened", c->id);
    connections.emplace(c->id, std::move(c));
}

void SignalServer::Impl::on_message(Connection& c, gint type, GBytes* message) {
    c.last_heard_us = g_get_monotonic_time();
    if (c.close_reason) return;
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
        g_message("connection %" G_GUINT64_FORMAT " sent a binary frame: closing it (1003)", c.id);
        drop(c, kCloseUnsupportedData, "binary frames are not accepted", "binary_frame");
        return;
    }
    gsize size = 0;
    const char* data = static_cast<const char*>(g_bytes_get_data(message, &size));
    apply(router.on_text(c.id, std::string_view(data, size), c.last_heard_us));
}

void SignalServer::Impl::on_too_big(Connection& c) {
    ++counters.limit_hits["frame_size"];
    g_message("connection %" G_GUINT64_FORMAT " sent a frame over %" G_GUINT64_FORMAT
              " bytes: closed (1009)", c.id, options.max_frame_bytes);
    // libsoup 3.2 drops the TCP connection without a close frame; sending
    // ours now (the write is immediate) gives the client its 1009.
    drop(c, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "frame too big", "frame_too_big");
}

void SignalServer::Impl::on_closed(Connection& c) {
    if (!c.close_reason) ++counters.closes["client"];
    apply(router.on_close(c.id));
    retire(c);
    if (shutdown_done && connections.empty()) finish_shutdown();
}

void SignalServer::Impl::apply(const Effects& fx) {
    for (const Outgoing& out : fx.sends) {
        auto it = connections.find(out.to);
        if (it != connections.end()) send(*it->second, protocol::serialize(out.frame));
    }
    for (const Closing& closing : fx.closes) {
        auto it = connections.find(closing.connection);
        if (it == connections.end()) continue;
        if (closing.code == kClosePolicyViolation) {
            ++counters.limit_hits["frames_per_second"];
            g_message("connection %" G_GUINT64_FORMAT " went over the frame rate limit: "
                      "closing it (1008)", closing.connection);
        }
        close(*it->second, closing.code, closing.reason.c_str(), "rate_limited");
    }
    schedule_users_push();
}

void SignalServer::Impl::send(Connection& c, const std::string& text) {
    if (soup_websocket_connection_get_state(c.ws.get()) != SOUP_WEBSOCKET_STATE_OPEN) return;
    soup_websocket_connection_send_text(c.ws.get(), text.c_str());
}

void SignalServer::Impl::close(Connection& c, gushort code, const char* text, const char* reason) {
    if (c.close_reason) return;
    c.close_reason = reason;
    ++counters.closes[reason];
    if (soup_websocket_connection_get_state(c.ws.get()) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(c.ws.get(), code, text);
}

// Closes a connection the router still knows: its partners hear `leave` now,
// not when the close handshake ends.
void SignalServer::Impl::drop(Connection& c, gushort code, const char* text, const char* reason) {
    apply(router.on_close(c.id));
    close(c, code, text, reason);
}

void SignalServer::Impl::retire(Connection& c) {
    auto it = connections.find(c.id);
    if (it == connections.end()) return;
    g_signal_handlers_disconnect_by_data(c.ws.get(), &c);
    retired.push_back(std::move(it->second));
    connections.erase(it);
    if (retire_idle) return;
    retire_idle = attach_source(
        g_idle_source_new(),
        [](gpointer data) -> gboolean {
            auto* self = static_cast<Impl*>(data);
            self->retired.clear();
            self->retire_idle.reset();
            return G_SOURCE_REMOVE;
        },
        this);
}

void SignalServer::Impl::schedule_users_push() {
    if (users_push || !router.users_dirty()) return;
    // Coalesced: at most one push per period, always of the current list.
    gint64 wait_us = std::max<gint64>(0, last_users_push_us + kUsersPushPeriodUs -
                                             g_get_monotonic_time());
    users_push = attach_source(
        g_timeout_source_new(static_cast<guint>(wait_us / 1000)),
        [](gpointer data) -> gboolean {
            auto* self = static_cast<Impl*>(data);
            self->users_push.reset();
            self->last_users_push_us = g_get_monotonic_time();
            guarded("users push", [&] { self->apply(self->router.flush_users()); });
            return G_SOURCE_REMOVE;
        },
        this);
}

void SignalServer::Impl::sweep_silent_connections() {
    gint64 now = g_get_monotonic_time();
    gint64 timeout_us = static_cast<gint64>(options.ping_timeout_s) * G_USEC_PER_SEC;
    std::vector<Connection*> silent;
    for (auto& [id, c] : connections)
        if (!c->close_reason && now - c->last_heard_us > timeout_us) silent.push_back(c.get());
    for (Connection* c : silent) {
        g_message("connection %" G_GUINT64_FORMAT " did not answer pings for %us: closing it",
                  c->id, options.ping_timeout_s);
        drop(*c, kCloseGoingAway, "no answer to keepalive pings", "keepalive_timeout");
    }
}

void SignalServer::Impl::finish_shutdown() {
    shutdown_deadline.reset();
    auto done = std::move(shutdown_done);
    shutdown_done = nullptr;
    if (done) done();
}

SignalServer::Impl::~Impl() {
    for (auto& [id, c] : connections) g_signal_handlers_disconnect_by_data(c->ws.get(), c.get());
    if (soup) soup_server_disconnect(soup.get());
}

void SignalServer::Impl::handle_http(SoupServerMessage* msg, const char* path) {
    SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
    if (soup_message_headers_header_contains(request, "Upgrade", "websocket")) {
        if (connections.size() >= options.max_connections) {
            ++counters.limit_hits["connections"];
            g_message("refused a WebSocket: %zu connections is the limit", connections.size());
            soup_server_message_set_status(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, nullptr);
        }
        return;  // status unset: the WebSocket handler takes the upgrade
    }
    const char* method = soup_server_message_get_method(msg);
    if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
        soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
        return;
    }
    std::string p = path;
    std::string body, type = "application/json";
    if (p == "/healthz") {
        gint64 uptime_s = (g_get_monotonic_time() - started_us) / G_USEC_PER_SEC;
        body = "{\"status\":\"ok\",\"connections\":" + std::to_string(router.connection_count()) +
               ",\"users\":" + std::to_string(router.user_count()) +
               ",\"calls\":" + std::to_string(router.call_count()) +
               ",\"uptime_s\":" + std::to_string(uptime_s) + "}";
    } else if (p == "/metrics") {
        body = render_metrics(router, counters);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (p == "/config.json") {
        body = ice_config_json(options.ice, g_get_real_time() / G_USEC_PER_SEC);
    } else {
        serve_static(msg, path);
        return;
    }
    SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(response, "Cache-Control", "no-store");
    soup_server_message_set_response(msg, type.c_str(), SOUP_MEMORY_COPY, body.data(), body.size());
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

void SignalServer::Impl::serve_static(SoupServerMessage* msg, const char* path) {
    if (web_root.empty()) {
        soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
        return;
    }
    auto file = static_file_path(web_root, path);
    char* contents = nullptr;
    gsize size = 0;
    if (!file || !g_file_get_contents(file->c_str(), &contents, &size, nullptr)) {
        soup_server_message_set_status(msg, file ? SOUP_STATUS_NOT_FOUND : file.error(), nullptr);
        return;
    }
    SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(response, "Cache-Control", "no-cache");
    soup_server_message_set_response(msg, content_type_for(*file), SOUP_MEMORY_TAKE, contents, size);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

namespace {

Result<GRef<GTlsCertificate>, std::string> load_tls(const ServerOptions& o) {
    GError* raw = nullptr;
    auto cert = adopt_ref(g_tls_certificate_new_from_files(o.tls_cert_file.c_str(),
                                                           o.tls_key_file.c_str(), &raw));
    if (!cert) {
        GErrorPtr error(raw);
        return unexpected("cannot use TLS certificate " + o.tls_cert_file + " with key " +
                          o.tls_key_file + ": " + error->message);
    }
    return cert;
}

}  // namespace

Result<std::unique_ptr<SignalServer>, std::string> SignalServer::start(const ServerOptions& o) {
    if (auto reason = invalid_server_options_reason(o)) return unexpected(*reason);
    auto impl = std::make_unique<Impl>(o);
    if (!o.web_root.empty()) {
        GCharPtr root(g_canonicalize_filename(o.web_root.c_str(), nullptr));
        impl->web_root = root.get();
    }
    bool tls = !o.tls_cert_file.empty();
    GRef<GTlsCertificate> cert;
    if (tls) {
        auto loaded = load_tls(o);
        if (!loaded) return unexpected(loaded.error());
        cert = *loaded;
    }
    impl->soup = adopt_ref(static_cast<SoupServer*>(g_object_new(
        SOUP_TYPE_SERVER, "server-header", "mediapeer-signal ", "tls-certificate", cert.get(),
        nullptr)));
    // Signaling frames are small; compression would cost CPU on every relay
    // and let a small frame inflate past --max-frame-bytes.
    soup_server_remove_websocket_extension(impl->soup.get(), SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
    for (const char* path : {"/", "/ws"}) {
        soup_server_add_handler(impl->soup.get(), path, on_http, impl.get(), nullptr);
        soup_server_add_websocket_handler(impl->soup.get(), path, nullptr, nullptr, on_websocket,
                                          impl.get(), nullptr);
    }
    auto [host, port] = *parse_listen(o.listen);
    auto address = adopt_ref(g_inet_socket_address_new_from_string(host.c_str(), port));
    GError* raw = nullptr;
    if (!soup_server_listen(impl->soup.get(), address.get(),
                            tls ? SOUP_SERVER_LISTEN_HTTPS : static_cast<SoupServerListenOptions>(0),
                            &raw)) {
        GErrorPtr error(raw);
        return unexpected("cannot listen on " + o.listen + ": " + error->message);
    }
    GSList* uris = soup_server_get_uris(impl->soup.get());
    GCharPtr url(g_uri_to_string(static_cast<GUri*>(uris->data)));
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    impl->url = url.get();
    if (o.ping_interval_s > 0) {
        impl->keepalive_sweep = attach_source(
            g_timeout_source_new_seconds(o.ping_interval_s),
            [](gpointer data) -> gboolean {
                auto* self = static_cast<Impl*>(data);
                guarded("keepalive", [&] { self->sweep_silent_connections(); });
                return G_SOURCE_CONTINUE;
            },
            impl.get());
    }
    return std::unique_ptr<SignalServer>(new SignalServer(std::move(impl)));
}

SignalServer::SignalServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SignalServer::~SignalServer() = default;

const std::string& SignalServer::url() const { return impl_->url; }

void SignalServer::shutdown(std::function<void()> done) {
    Impl& s = *impl_;
    s.shutdown_done = std::move(done);
    s.keepalive_sweep.reset();
    std::vector<Connection*> open;
    for (auto& [id, c] : s.connections) open.push_back(c.get());
    for (Connection* c : open) s.close(*c, kCloseGoingAway, "server shutting down", "server_shutdown");
    s.shutdown_deadline = attach_source(
        g_timeout_source_new(s.connections.empty() ? 0 : kShutdownGraceUs / 1000),
        [](gpointer data) -> gboolean {
            static_cast<Impl*>(data)->finish_shutdown();
            return G_SOURCE_REMOVE;
        },
        impl_.get());
}

}  // namespace mp::signal
