#include "signal/server.hpp"

#include "common/gobj.hpp"
#include "common/guarded.hpp"
#include "signal/cluster.hpp"
#include "protocol/codes.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/sdp_text.hpp"
#include "signal/http_reply.hpp"
#include "signal/http_sessions.hpp"
#include "signal/metrics.hpp"
#include "signal/static_files.hpp"
#include "signal/websocket_hub.hpp"

#include <libsoup/soup.h>

#include <unistd.h>

#include <unordered_map>
#include <vector>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-signal"

namespace mp::signal {

namespace {

constexpr gint64 kShutdownGraceUs = 3 * G_USEC_PER_SEC;
constexpr gint64 kUsersPushPeriodUs = G_USEC_PER_SEC;
constexpr gint kListenBacklog = 4096;
constexpr guint kKeepaliveTickMs = 100;
constexpr std::size_t kMaxNodeIdChars = 40;

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

// An origin as browsers send it: http(s)://HOST[:PORT], nothing after.
bool is_origin(const std::string& text) {
    GUri* uri = g_uri_parse(text.c_str(), G_URI_FLAGS_NONE, nullptr);
    if (!uri) return false;
    const char* scheme = g_uri_get_scheme(uri);
    bool ok = (g_str_equal(scheme, "http") || g_str_equal(scheme, "https")) && g_uri_get_host(uri) &&
              *g_uri_get_host(uri) && !*g_uri_get_path(uri) && !g_uri_get_query(uri) &&
              !g_uri_get_userinfo(uri) && !g_uri_get_fragment(uri);
    g_uri_unref(uri);
    return ok;
}

// Client text for a log line: quoted and escaped.
std::string quoted(const char* text) {
    std::string out;
    protocol::append_json_string(out, text ? text : "");
    return out;
}

std::string lower(const char* text) {
    GCharPtr down(g_ascii_strdown(text, -1));
    return down.get();
}

std::optional<std::string> invalid_auth_options_reason(const ServerOptions& o) {
    if (o.auth_secret.empty() && (o.login.allow_anonymous || !o.login.reserved_names.empty()))
        return "--allow-anonymous and --reserved-name need --auth-secret-file";
    if (!o.auth_secret.empty() && o.auth_secret.size() < kMinSecretBytes)
        return "the auth secret must be at least " + std::to_string(kMinSecretBytes) + " bytes";
    for (const auto& name : o.login.reserved_names)
        if (auto why = protocol::invalid_user_name_reason(name)) return "--reserved-name " + name + ": " + *why;
    for (const auto& origin : o.allowed_origins)
        if (!is_origin(origin))
            return "--allowed-origin " + origin + ": expected http(s)://HOST[:PORT], as browsers send it";
    return std::nullopt;
}

// A node id goes into Redis keys and channel names, and (its tag) into WHIP
// callers' names: short and plain.
std::optional<std::string> invalid_cluster_options_reason(const ServerOptions& o) {
    if (o.redis_url.empty()) {
        if (!o.node_id.empty()) return "--node-id needs --redis";
        return std::nullopt;
    }
    if (auto address = parse_redis_url(o.redis_url); !address) return "--redis " + o.redis_url + ": " + address.error();
    if (o.node_id.size() > kMaxNodeIdChars) return "--node-id: at most " + std::to_string(kMaxNodeIdChars) + " characters";
    for (char c : o.node_id)
        if (!g_ascii_isalnum(c) && c != '-' && c != '_' && c != '.')
            return "--node-id " + o.node_id + ": only letters, digits, '-', '_' and '.'";
    if (o.heartbeat_ms < 100 || o.heartbeat_ms > 60000) return "--heartbeat-ms: from 100 to 60000";
    return std::nullopt;
}

std::string default_node_id() {
    std::string host = g_get_host_name();
    std::string id;
    for (char c : host)
        if (g_ascii_isalnum(c) || c == '-' || c == '.') id += c;
    id = id.substr(0, kMaxNodeIdChars - 8);
    return (id.empty() ? "node" : id) + "-" + std::to_string(getpid());
}

std::unique_ptr<TokenGate> gate_for(const ServerOptions& o) {
    if (o.auth_secret.empty()) return nullptr;
    return std::make_unique<TokenGate>(TokenKey(o.auth_secret), o.login,
                                       [] { return g_get_real_time() / G_USEC_PER_SEC; });
}

}  // namespace

std::optional<std::string> invalid_server_options_reason(const ServerOptions& o) {
    if (auto listen = parse_listen(o.listen); !listen) return listen.error();
    if (o.tls_cert_file.empty() != o.tls_key_file.empty())
        return "--tls-cert and --tls-key go together";
    if (o.max_frame_bytes < 1024) return "--max-frame-bytes must be at least 1024";
    if (o.max_connections < 1) return "--max-connections must be at least 1";
    if (o.max_http_sessions < 1) return "--max-http-sessions must be at least 1";
    if (o.http_answer_timeout_s < 1) return "--http-answer-timeout must be at least 1";
    if (o.rate.frames_per_second < 0 || (o.rate.frames_per_second > 0 && o.rate.frame_burst < 1))
        return "--max-frames-per-second must be 0 (no limit) or positive, --frame-burst at least 1";
    if (o.ping_interval_s > 0 && o.ping_timeout_s <= o.ping_interval_s)
        return "--ping-timeout must be longer than --ping-interval";
    if (!o.web_root.empty() && !g_file_test(o.web_root.c_str(), G_FILE_TEST_IS_DIR))
        return "--web-root " + o.web_root + ": not a directory";
    if (auto why = invalid_auth_options_reason(o)) return why;
    if (auto why = invalid_cluster_options_reason(o)) return why;
    return invalid_ice_options_reason(o.ice);
}

struct SignalServer::Impl final : WebSocketEvents {
    ServerOptions options;
    std::string web_root;  // canonical
    std::string url;
    GRef<SoupServer> soup;
    std::unique_ptr<TokenGate> gate;  // null: no auth
    Router router;
    ServerCounters counters;
    WebSocketHub hub;
    HttpSessions sessions;
    // Connections we are closing, with the /metrics label of why.
    std::unordered_map<WebSocketId, const char*> closing;
    gint64 started_us = g_get_monotonic_time();
    gint64 last_users_push_us = 0;
    GSourcePtr users_push;
    GSourcePtr keepalive;
    std::uint64_t keepalive_slices = 1;  // ticks per ping interval
    std::uint64_t keepalive_ticks = 0;
    GSourcePtr shutdown_deadline;
    std::function<void()> shutdown_done;
    std::unique_ptr<Cluster> cluster;  // with --redis

    explicit Impl(const ServerOptions& o)
        : options(o), gate(gate_for(o)), router(o.rate, gate.get()), hub(*this, WebSocketLimits{o.max_frame_bytes}),
          sessions(session_host(), session_limits(o)) {
        for (const char* limit : {"frame_size", "frames_per_second", "connections"})
            counters.limit_hits[limit] = 0;
    }
    static HttpSessionLimits session_limits(const ServerOptions& o) {
        HttpSessionLimits limits;
        limits.max_sessions = o.max_http_sessions;
        limits.answer_timeout_ms = o.http_answer_timeout_s * 1000;
        if (!o.redis_url.empty()) limits.caller_tag = random_tag();
        return limits;
    }
    static std::string random_tag() {
        char tag[9];
        g_snprintf(tag, sizeof tag, "%08x", g_random_int());
        return tag;
    }
    void start_cluster();
    std::string healthz(guint& status) const;
    ~Impl() override;

    void on_upgraded(SoupServerMessage* msg);
    void on_text(WebSocketId id, std::string_view text) override;
    void on_binary(WebSocketId id) override;
    void on_failure(WebSocketId id, const ws::Failure& failure) override;
    void on_closed(WebSocketId id) override;
    void apply(const Effects& fx);
    HttpSessionHost session_host();
    Result<std::string, Refusal> bearer_subject(SoupServerMessage* msg);
    std::vector<std::string> ice_links(const std::string& subject) const;
    void close(WebSocketId id, gushort code, const char* text, const char* reason);
    void drop(WebSocketId id, gushort code, const char* text, const char* reason);
    void schedule_users_push();
    void keep_alive();
    void finish_shutdown();
    void handle_http(SoupServerMessage* msg, const char* path, GHashTable* query);
    bool take_upgrade(SoupServerMessage* msg, const char* path);
    bool origin_allowed(SoupServerMessage* msg) const;
    Result<std::string, Refusal> config_user(SoupServerMessage* msg, GHashTable* query) const;
    Result<std::string, Refusal> config_json(SoupServerMessage* msg, GHashTable* query) const;
    void refuse(SoupServerMessage* msg, guint status, const Refusal& refusal);
    void serve_static(SoupServerMessage* msg, const char* path);
};

namespace {

void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
             gpointer data) {
    guarded(G_LOG_DOMAIN, "http",
            [&] { static_cast<SignalServer::Impl*>(data)->handle_http(msg, path, query); });
}

// libsoup reads a request's whole body into memory before a handler runs,
// and no endpoint here takes more than an SDP offer. A larger declared body
// is refused once the headers are in: at once to a client that waits for
// "100 Continue" (as curl does for large bodies), else after its body, which
// is read and dropped, never kept. A chunked body that grows past the limit
// has its connection shut.
constexpr goffset kMaxRequestBodyBytes = protocol::kMaxSdpBytes;

void refuse_too_large(SoupServerMessage* msg, const char* path) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection", "close");
    std::string why = "no request here has a body over " + std::to_string(kMaxRequestBodyBytes) + " bytes";
    bool http_session = g_str_has_prefix(path, "/whip/") || g_str_has_prefix(path, "/whep/") ||
                        g_str_has_prefix(path, "/sessions/");
    if (http_session) return reply_refusal(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, {protocol::code::kBadSdp, why});
    reply_text_failure(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, why);
}

void on_request_chunk(SoupServerMessage* msg, GBytes* chunk, gpointer) {
    auto read = GPOINTER_TO_SIZE(g_object_get_data(G_OBJECT(msg), "mp-body-bytes")) + g_bytes_get_size(chunk);
    g_object_set_data(G_OBJECT(msg), "mp-body-bytes", GSIZE_TO_POINTER(read));
    if (read <= static_cast<gsize>(kMaxRequestBodyBytes)) return;
    g_message("a chunked request body passed %lld bytes: its connection is shut",
              static_cast<long long>(kMaxRequestBodyBytes));
    g_signal_handlers_disconnect_by_func(msg, reinterpret_cast<gpointer>(on_request_chunk), nullptr);
    g_socket_shutdown(soup_server_message_get_socket(msg), TRUE, TRUE, nullptr);
}

void on_request_headers(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer) {
    guarded(G_LOG_DOMAIN, "http", [&] {
        SoupMessageHeaders* headers = soup_server_message_get_request_headers(msg);
        if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CHUNKED)
            g_signal_connect(msg, "got-chunk", G_CALLBACK(on_request_chunk), nullptr);
        else if (soup_message_headers_get_content_length(headers) > kMaxRequestBodyBytes) {
            soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
            refuse_too_large(msg, path);
        }
    });
}

void on_wrote_101(SoupServerMessage* msg, gpointer data) {
    guarded(G_LOG_DOMAIN, "upgrade", [&] { static_cast<SignalServer::Impl*>(data)->on_upgraded(msg); });
}

}  // namespace

void SignalServer::Impl::on_upgraded(SoupServerMessage* msg) {
    auto stream = adopt_ref(soup_server_message_steal_connection(msg));
    if (!stream) return;
    WebSocketId id = hub.adopt(stream.get());
    router.on_open(id, g_get_monotonic_time());
    ++counters.connections_opened;
    g_debug("connection %" G_GUINT64_FORMAT " opened", id);
}

void SignalServer::Impl::on_text(WebSocketId id, std::string_view text) {
    apply(router.on_text(id, text, g_get_monotonic_time()));
}

void SignalServer::Impl::on_binary(WebSocketId id) {
    g_message("connection %" G_GUINT64_FORMAT " sent a binary frame: closing it (1003)", id);
    drop(id, ws::kCloseUnsupportedData, "binary frames are not accepted", "binary_frame");
}

void SignalServer::Impl::on_failure(WebSocketId id, const ws::Failure& failure) {
    if (failure.code == ws::kCloseTooBig) ++counters.limit_hits["frame_size"];
    g_message("connection %" G_GUINT64_FORMAT ": %s: closing it (%u)", id, failure.reason.c_str(),
              failure.code);
    // The hub sends the close frame itself.
    if (closing.emplace(id, failure.label).second) ++counters.closes[failure.label];
    apply(router.on_close(id));
}

void SignalServer::Impl::on_closed(WebSocketId id) {
    if (!closing.erase(id)) ++counters.closes["client"];
    apply(router.on_close(id));
    if (shutdown_done && hub.size() == 0) finish_shutdown();
}

void SignalServer::Impl::apply(const Effects& fx) {
    for (const Outgoing& out : fx.sends) {
        if (sessions.owns(out.to))
            sessions.deliver(out.to, out.frame);
        else
            hub.send_text(out.to, protocol::serialize(out.frame));
    }
    for (const Closing& c : fx.closes) {
        if (sessions.owns(c.connection)) continue;  // the router asks no close of a session's
        if (c.label == protocol::code::kRateLimited) ++counters.limit_hits["frames_per_second"];
        g_message("connection %" G_GUINT64_FORMAT ": %s: closing it (%u)", c.connection, c.reason.c_str(), c.code);
        close(c.connection, c.code, c.reason.c_str(), c.label.c_str());
    }
    if (cluster) cluster->carry(fx);
    schedule_users_push();
}

void SignalServer::Impl::start_cluster() {
    ClusterOptions o;
    o.redis = *parse_redis_url(options.redis_url);
    o.node_id = options.node_id.empty() ? default_node_id() : options.node_id;
    o.heartbeat_ms = options.heartbeat_ms;
    cluster = Cluster::start(o, router, [this](const Effects& fx) { apply(fx); });
    g_message("cluster node %s on Redis %s", o.node_id.c_str(), redis_url(o.redis).c_str());
}

// The WHIP/WHEP sessions' calls go through the router like any other.
HttpSessionHost SignalServer::Impl::session_host() {
    HttpSessionHost host;
    host.admit = [this](ConnectionId id, const std::string& name) {
        Effects fx;
        bool admitted = router.admit_unlisted(id, name, g_get_monotonic_time(), &fx);
        apply(fx);
        return admitted;
    };
    host.route = [this](ConnectionId id, const protocol::ClientFrame& frame) { apply(router.on_frame(id, frame)); };
    host.close = [this](ConnectionId id) { apply(router.on_close(id)); };
    host.authorize = [this](SoupServerMessage* msg) { return bearer_subject(msg); };
    host.ice_links = [this](const std::string& subject) { return ice_links(subject); };
    return host;
}

// A WHIP/WHEP request's caller: with auth on, the subject of its Bearer token
// (or nobody, where anonymous logins are allowed).
Result<std::string, Refusal> SignalServer::Impl::bearer_subject(SoupServerMessage* msg) {
    auto user = config_user(msg, nullptr);
    if (!user && user.error().code == protocol::code::kTokenRequired && options.login.allow_anonymous)
        return std::string();
    if (!user) ++counters.refusals[user.error().code];
    return user;
}

// As /config.json gives them: TURN only to a token's holder when auth is on.
std::vector<std::string> SignalServer::Impl::ice_links(const std::string& subject) const {
    IceOptions ice = options.ice;
    if (gate && subject.empty()) ice.turn_urls.clear();
    return ice_server_links(ice_servers(ice, g_get_real_time() / G_USEC_PER_SEC, subject));
}

void SignalServer::Impl::close(WebSocketId id, gushort code, const char* text, const char* reason) {
    if (!closing.emplace(id, reason).second) return;
    ++counters.closes[reason];
    hub.close(id, code, text);
}

// Closes a connection the router still knows: its partners hear `leave` now,
// not when the close handshake ends.
void SignalServer::Impl::drop(WebSocketId id, gushort code, const char* text, const char* reason) {
    apply(router.on_close(id));
    close(id, code, text, reason);
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
            guarded(G_LOG_DOMAIN, "users push", [&] { self->apply(self->router.flush_users()); });
            return G_SOURCE_REMOVE;
        },
        this);
}

// Each tick pings one slice of the connections, so that every one is pinged
// once per interval and no tick writes to all of them at once (5,000 pings in
// one go held relayed frames back by up to 180 ms).
void SignalServer::Impl::keep_alive() {
    Slice slice{keepalive_ticks++ % keepalive_slices, keepalive_slices};
    gint64 timeout_us = static_cast<gint64>(options.ping_timeout_s) * G_USEC_PER_SEC;
    for (WebSocketId id : hub.silent_since(g_get_monotonic_time() - timeout_us, slice)) {
        g_message("connection %" G_GUINT64_FORMAT " did not answer pings for %us: closing it",
                  id, options.ping_timeout_s);
        drop(id, ws::kCloseGoingAway, "no answer to keepalive pings", "keepalive_timeout");
    }
    hub.ping(slice);
}

void SignalServer::Impl::finish_shutdown() {
    shutdown_deadline.reset();
    auto done = std::move(shutdown_done);
    shutdown_done = nullptr;
    if (done) done();
}

SignalServer::Impl::~Impl() {
    if (soup) soup_server_disconnect(soup.get());
}

void SignalServer::Impl::handle_http(SoupServerMessage* msg, const char* path, GHashTable* query) {
    if (take_upgrade(msg, path) || sessions.handle(msg, path)) return;
    const char* method = soup_server_message_get_method(msg);
    if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
        reply_text_failure(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "only GET and HEAD are served here");
        return;
    }
    std::string p = path;
    std::string body, type = "application/json";
    guint status = SOUP_STATUS_OK;
    if (p == "/healthz") {
        body = healthz(status);
    } else if (p == "/metrics") {
        body = render_metrics(router, counters, HttpSessionCounts{sessions.size(), sessions.answers()});
        if (cluster) body += render_cluster_metrics(*cluster);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (p == "/config.json") {
        auto config = config_json(msg, query);
        if (!config) return refuse(msg, SOUP_STATUS_UNAUTHORIZED, config.error());
        body = *config;
    } else {
        serve_static(msg, path);
        return;
    }
    SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(response, "Cache-Control", "no-store");
    soup_server_message_set_response(msg, type.c_str(), SOUP_MEMORY_COPY, body.data(), body.size());
    soup_server_message_set_status(msg, status, nullptr);
}

// A node that cannot reach the cluster's Redis is unhealthy (503): a load
// balancer sends new users to the others, while its own go on.
std::string SignalServer::Impl::healthz(guint& status) const {
    gint64 uptime_s = (g_get_monotonic_time() - started_us) / G_USEC_PER_SEC;
    bool cluster_down = cluster && !cluster->up();
    if (cluster_down) status = SOUP_STATUS_SERVICE_UNAVAILABLE;
    std::string body = std::string("{\"status\":\"") + (cluster_down ? "cluster_unavailable" : "ok") +
                       "\",\"connections\":" + std::to_string(router.connection_count()) +
                       ",\"users\":" + std::to_string(router.user_count()) +
                       ",\"calls\":" + std::to_string(router.call_count()) +
                       ",\"http_sessions\":" + std::to_string(sessions.size()) +
                       ",\"uptime_s\":" + std::to_string(uptime_s);
    if (cluster) {
        body += ",\"node\":";
        protocol::append_json_string(body, cluster->node_id());
        body += ",\"redis\":\"" + std::string(cluster->up() ? "up" : "down") + "\",\"nodes\":" +
                std::to_string(cluster->remote_nodes() + 1);
    }
    return body + "}";
}

// A WebSocket upgrade on / or /ws: libsoup checks the handshake and answers
// 101 (no extensions: frames are small, and deflate would let a small frame
// inflate past the limit); the hub takes the connection once 101 is written.
bool SignalServer::Impl::take_upgrade(SoupServerMessage* msg, const char* path) {
    SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
    if (!soup_message_headers_header_contains(request, "Upgrade", "websocket")) return false;
    std::string_view p = path;
    if (p != "/" && p != "/ws") {
        reply_text_failure(msg, SOUP_STATUS_NOT_FOUND, "the WebSocket is on / and /ws");
    } else if (!origin_allowed(msg)) {
        const char* origin = soup_message_headers_get_one(request, "Origin");
        g_message("refused a WebSocket from a page of origin %s", quoted(origin).c_str());
        refuse(msg, SOUP_STATUS_FORBIDDEN, Refusal{protocol::code::kOriginNotAllowed, "origin not allowed"});
    } else if (hub.size() >= options.max_connections) {
        ++counters.limit_hits["connections"];
        g_message("refused a WebSocket: %zu connections is the limit", hub.size());
        reply_text_failure(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "too many connections; try again later");
    } else if (soup_websocket_server_process_handshake(msg, nullptr, nullptr, nullptr, nullptr)) {
        g_signal_connect(msg, "wrote-informational", G_CALLBACK(on_wrote_101), this);
    }
    return true;
}

// Pages of other sites may not open a WebSocket with their visitors' browsers
// (when auth is on or origins are listed); native clients send no Origin.
bool SignalServer::Impl::origin_allowed(SoupServerMessage* msg) const {
    if (!gate && options.allowed_origins.empty()) return true;
    SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
    const char* origin = soup_message_headers_get_one(request, "Origin");
    if (!origin) return true;
    std::string claimed = lower(origin);
    for (const auto& allowed : options.allowed_origins)
        if (claimed == lower(allowed.c_str())) return true;
    const char* host = soup_message_headers_get_one(request, "Host");
    std::string own = std::string(options.tls_cert_file.empty() ? "http://" : "https://") + (host ? host : "");
    return host && claimed == lower(own.c_str());
}

// The TURN user id for a /config.json request: with auth on, the `sub` of a
// valid token (Authorization: Bearer, or ?token=); else the default.
Result<std::string, Refusal> SignalServer::Impl::config_user(SoupServerMessage* msg,
                                                             GHashTable* query) const {
    if (!gate) return std::string();
    SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
    const char* authorization = soup_message_headers_get_one(request, "Authorization");
    const char* token = nullptr;
    if (authorization && g_ascii_strncasecmp(authorization, "Bearer ", 7) == 0)
        token = authorization + 7;
    else if (query)
        token = static_cast<const char*>(g_hash_table_lookup(query, "token"));
    if (!token || !*token)
        return unexpected(Refusal{protocol::code::kTokenRequired, "this server needs a token"});
    auto claims = gate->verify(token);
    if (!claims) return unexpected(claims.error());
    return claims->subject;
}

// The ICE servers for this request. TURN (a relay, with credentials) only for
// a valid token when auth is on; an open lobby's anonymous users (no token at
// all) still get the STUN servers, without which they could not call across NATs.
Result<std::string, Refusal> SignalServer::Impl::config_json(SoupServerMessage* msg, GHashTable* query) const {
    std::int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    auto user = config_user(msg, query);
    if (user) return ice_config_json(options.ice, now, *user);
    if (user.error().code != protocol::code::kTokenRequired || !options.login.allow_anonymous)
        return unexpected(user.error());
    IceOptions stun_only = options.ice;
    stun_only.turn_urls.clear();
    return ice_config_json(stun_only, now);
}

// A refusal over HTTP, counted by code.
void SignalServer::Impl::refuse(SoupServerMessage* msg, guint status, const Refusal& refusal) {
    ++counters.refusals[refusal.code];
    reply_refusal(msg, status, refusal);
}

void SignalServer::Impl::serve_static(SoupServerMessage* msg, const char* path) {
    if (web_root.empty()) {
        reply_text_failure(msg, SOUP_STATUS_NOT_FOUND, "this server serves no page");
        return;
    }
    auto file = static_file_path(web_root, path);
    char* contents = nullptr;
    gsize size = 0;
    if (!file || !g_file_get_contents(file->c_str(), &contents, &size, nullptr)) {
        guint status = file ? SOUP_STATUS_NOT_FOUND : file.error();
        reply_text_failure(msg, status, status == SOUP_STATUS_NOT_FOUND ? "no such file" : "not served");
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

// GSocket's default backlog is 10: a few hundred clients connecting at once
// would see SYNs dropped and retried for seconds.
Result<GRef<GSocket>, std::string> listen_socket(const std::string& spec) {
    auto [host, port] = *parse_listen(spec);
    auto address = adopt_ref(g_inet_socket_address_new_from_string(host.c_str(), port));
    GError* raw = nullptr;
    auto socket = adopt_ref(g_socket_new(g_socket_address_get_family(address.get()),
                                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &raw));
    if (socket) {
        g_socket_set_listen_backlog(socket.get(), kListenBacklog);
        if (g_socket_bind(socket.get(), address.get(), TRUE, &raw) &&
            g_socket_listen(socket.get(), &raw))
            return socket;
    }
    GErrorPtr error(raw);
    return unexpected("cannot listen on " + spec + ": " + error->message);
}

}  // namespace

Result<std::unique_ptr<SignalServer>, std::string> SignalServer::start(const ServerOptions& o) {
    if (auto reason = invalid_server_options_reason(o)) return unexpected(*reason);
    auto impl = std::make_unique<Impl>(o);
    if (!o.redis_url.empty()) impl->start_cluster();
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
    soup_server_add_early_handler(impl->soup.get(), "/", on_request_headers, nullptr, nullptr);
    soup_server_add_handler(impl->soup.get(), "/", on_http, impl.get(), nullptr);
    auto listening = listen_socket(o.listen);
    if (!listening) return unexpected(listening.error());
    GError* raw = nullptr;
    if (!soup_server_listen_socket(impl->soup.get(), listening->get(),
                                   tls ? SOUP_SERVER_LISTEN_HTTPS : SoupServerListenOptions{}, &raw)) {
        GErrorPtr error(raw);
        return unexpected("cannot listen on " + o.listen + ": " + error->message);
    }
    GSList* uris = soup_server_get_uris(impl->soup.get());
    GCharPtr url(g_uri_to_string(static_cast<GUri*>(uris->data)));
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    impl->url = url.get();
    if (o.ping_interval_s > 0) {
        impl->keepalive_slices = o.ping_interval_s * 1000 / kKeepaliveTickMs;
        impl->keepalive = attach_source(
            g_timeout_source_new(kKeepaliveTickMs),
            [](gpointer data) -> gboolean {
                auto* self = static_cast<Impl*>(data);
                guarded(G_LOG_DOMAIN, "keepalive", [&] { self->keep_alive(); });
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
    s.keepalive.reset();
    for (WebSocketId id : s.hub.open_connections())
        s.close(id, ws::kCloseGoingAway, "server shutting down", "server_shutdown");
    s.shutdown_deadline = attach_source(
        g_timeout_source_new(s.hub.size() == 0 ? 0 : kShutdownGraceUs / 1000),
        [](gpointer data) -> gboolean {
            static_cast<Impl*>(data)->finish_shutdown();
            return G_SOURCE_REMOVE;
        },
        impl_.get());
}

}  // namespace mp::signal
