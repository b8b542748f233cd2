// mediapeer-signal: the signaling server. Prints one line
// "mediapeer-signal listening on URL" on stdout once it serves.
#include "app/flags.hpp"
#include "common/gobj.hpp"
#include "signal/server.hpp"

#include <glib-unix.h>
#include <sys/resource.h>

#include <cstdio>
#include <vector>
#include <cstdlib>

#ifndef MP_DEFAULT_WEB_ROOT
#define MP_DEFAULT_WEB_ROOT "web"
#endif

namespace {

struct Flags {
    char* listen = nullptr;
    char* web_root = nullptr;
    char* tls_cert = nullptr;
    char* tls_key = nullptr;
    char** stun = nullptr;
    char** turn = nullptr;
    char* turn_user = nullptr;
    char* turn_password = nullptr;
    char* turn_secret = nullptr;
    gint64 turn_ttl = 24 * 3600;
    gint64 max_frame_bytes = 64 * 1024;
    double max_fps = 50;
    double frame_burst = 200;
    gint64 max_connections = 10000;
    gint64 max_http_sessions = 1000;
    gint http_answer_timeout = 10;
    gint ping_interval = 10;
    gint ping_timeout = 30;
    char* auth_secret_file = nullptr;
    char* mint_token = nullptr;
    gint64 token_ttl = 3600;
    gboolean mint_pool = FALSE;
    gboolean allow_anonymous = FALSE;
    char** reserved_names = nullptr;
    char** allowed_origins = nullptr;
    char* redis = nullptr;
    char* node_id = nullptr;
    gint heartbeat_ms = 1000;

    ~Flags() {
        for (char* s : {listen, web_root, tls_cert, tls_key, turn_user, turn_password, turn_secret,
                        auth_secret_file, mint_token, redis, node_id})
            g_free(s);
        for (char** v : {stun, turn, reserved_names, allowed_origins}) g_strfreev(v);
    }

    std::vector<GOptionEntry> entries() {
        return {
            {"listen", 0, 0, G_OPTION_ARG_STRING, &listen,
             "Address to listen on (default 127.0.0.1:8090; port 0 picks one)", "ADDR:PORT"},
            {"web-root", 0, 0, G_OPTION_ARG_FILENAME, &web_root,
             "Directory of the page served on / (default: the source tree's web/)", "DIR"},
            {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "PEM certificate: serve https/wss",
             "FILE"},
            {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key of --tls-cert", "FILE"},
            {"stun", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stun, "STUN server for clients (repeatable)",
             "stun:HOST:PORT"},
            {"turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &turn, "TURN server for clients (repeatable)",
             "turn:HOST:PORT"},
            {"turn-user", 0, 0, G_OPTION_ARG_STRING, &turn_user,
             "TURN user name (with --turn-secret: the user id in REST user names)", "NAME"},
            {"turn-password", 0, 0, G_OPTION_ARG_STRING, &turn_password, "TURN password", "PASSWORD"},
            {"turn-secret", 0, 0, G_OPTION_ARG_STRING, &turn_secret,
             "coturn static-auth-secret: time-limited credentials per request", "SECRET"},
            {"turn-ttl", 0, 0, G_OPTION_ARG_INT64, &turn_ttl,
             "Lifetime of --turn-secret credentials (default 86400)", "SECONDS"},
            {"max-frame-bytes", 0, 0, G_OPTION_ARG_INT64, &max_frame_bytes,
             "Largest frame accepted; bigger closes the connection with 1009 (default 65536)", "BYTES"},
            {"max-frames-per-second", 0, 0, G_OPTION_ARG_DOUBLE, &max_fps,
             "Sustained frames per connection; over it: error, then close 1008 (default 50, 0 = none)",
             "N"},
            {"frame-burst", 0, 0, G_OPTION_ARG_DOUBLE, &frame_burst,
             "Frames a connection may send at once (default 200)", "N"},
            {"max-connections", 0, 0, G_OPTION_ARG_INT64, &max_connections,
             "WebSockets open at once; more are refused with 503 (default 10000)", "N"},
            {"max-http-sessions", 0, 0, G_OPTION_ARG_INT64, &max_http_sessions,
             "WHIP and WHEP sessions open at once; more are refused with 503 (default 1000)", "N"},
            {"http-answer-timeout", 0, 0, G_OPTION_ARG_INT, &http_answer_timeout,
             "How long a WHIP or WHEP offer waits for the callee's answer; then 504 (default 10)", "SECONDS"},
            {"ping-interval", 0, 0, G_OPTION_ARG_INT, &ping_interval,
             "Keepalive ping period (default 10, 0 = off)", "SECONDS"},
            {"ping-timeout", 0, 0, G_OPTION_ARG_INT, &ping_timeout,
             "Close a connection silent this long (default 30)", "SECONDS"},
        };
    }

    // Who may log in, and the cluster.
    std::vector<GOptionEntry> trust_and_cluster_entries() {
        return {
            {"auth-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &auth_secret_file,
             "HS256 key (>= 32 bytes, owner-only file): logins and /config.json need a token signed with it",
             "FILE"},
            {"allow-anonymous", 0, 0, G_OPTION_ARG_NONE, &allow_anonymous,
             "With --auth-secret-file: a login without a token may take any free name but the reserved ones",
             nullptr},
            {"reserved-name", 0, 0, G_OPTION_ARG_STRING_ARRAY, &reserved_names,
             "With --allow-anonymous: a name only a valid token may take (repeatable)", "NAME"},
            {"allowed-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &allowed_origins,
             "A page origin whose WebSockets are let in besides this server's own (repeatable; given or "
             "with auth, other origins get 403)", "https://HOST[:PORT]"},
            {"mint-token", 0, 0, G_OPTION_ARG_STRING, &mint_token,
             "Print a token for NAME signed with --auth-secret-file, and exit", "NAME"},
            {"token-ttl", 0, 0, G_OPTION_ARG_INT64, &token_ttl,
             "Lifetime of --mint-token's token (default 3600)", "SECONDS"},
            {"pool", 0, 0, G_OPTION_ARG_NONE, &mint_pool,
             "With --mint-token: the token also lets its holder join the pool of NAME (mediapeer --pool)", nullptr},
            {"redis", 0, 0, G_OPTION_ARG_STRING, &redis,
             "Be one node of a cluster sharing users, pools and calls through this Redis (docs/cluster.md)",
             "redis://HOST[:PORT][/DB]"},
            {"node-id", 0, 0, G_OPTION_ARG_STRING, &node_id,
             "This node's name in the cluster, unique among the nodes (default HOSTNAME-PID)", "ID"},
            {"heartbeat-ms", 0, 0, G_OPTION_ARG_INT, &heartbeat_ms,
             "Cluster heartbeat period: a node silent for 2.5 is gone, its users leave (default 1000)", "MS"},
        };
    }

    std::vector<GOptionEntry> all_entries() {
        auto all = entries();
        auto more = trust_and_cluster_entries();
        all.insert(all.end(), more.begin(), more.end());
        return all;
    }
};

std::vector<std::string> strings(char** values) {
    std::vector<std::string> out;
    for (char** v = values; v && *v; ++v) out.emplace_back(*v);
    return out;
}

// 5,000 WebSockets need more than the usual 1,024 descriptors.
void raise_fd_limit() {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

mp::signal::ServerOptions to_options(const Flags& f) {
    mp::signal::ServerOptions o;
    if (f.listen) o.listen = f.listen;
    o.web_root = f.web_root ? f.web_root : MP_DEFAULT_WEB_ROOT;
    if (f.tls_cert) o.tls_cert_file = f.tls_cert;
    if (f.tls_key) o.tls_key_file = f.tls_key;
    o.ice.stun_urls = strings(f.stun);
    o.ice.turn_urls = strings(f.turn);
    if (f.turn_user) o.ice.turn_user = f.turn_user;
    if (f.turn_password) o.ice.turn_password = f.turn_password;
    if (f.turn_secret) o.ice.turn_secret = f.turn_secret;
    o.ice.turn_ttl_s = f.turn_ttl;
    o.max_frame_bytes = static_cast<std::uint64_t>(std::max<gint64>(f.max_frame_bytes, 0));
    o.rate.frames_per_second = f.max_fps;
    o.rate.frame_burst = f.frame_burst;
    o.max_connections = static_cast<std::size_t>(std::max<gint64>(f.max_connections, 0));
    o.max_http_sessions = static_cast<std::size_t>(std::max<gint64>(f.max_http_sessions, 0));
    o.http_answer_timeout_s = static_cast<unsigned>(std::max(f.http_answer_timeout, 0));
    o.ping_interval_s = static_cast<unsigned>(std::max(f.ping_interval, 0));
    o.ping_timeout_s = static_cast<unsigned>(std::max(f.ping_timeout, 0));
    o.login.allow_anonymous = f.allow_anonymous;
    o.login.reserved_names = strings(f.reserved_names);
    o.allowed_origins = strings(f.allowed_origins);
    if (f.redis) o.redis_url = f.redis;
    if (f.node_id) o.node_id = f.node_id;
    o.heartbeat_ms = static_cast<unsigned>(std::max(f.heartbeat_ms, 0));
    return o;
}

// --mint-token NAME: one token on stdout, for the peers' --token-file.
int mint(const Flags& f, const std::string& secret) {
    if (auto why = mp::protocol::invalid_user_name_reason(f.mint_token)) {
        std::fprintf(stderr, "mediapeer-signal: --mint-token %s: %s\n", f.mint_token, why->c_str());
        return 2;
    }
    if (f.token_ttl <= 0) {
        std::fprintf(stderr, "mediapeer-signal: --token-ttl must be positive\n");
        return 2;
    }
    std::string token = mp::signal::TokenKey(secret).mint(f.mint_token, g_get_real_time() / G_USEC_PER_SEC,
                                                          f.token_ttl, f.mint_pool);
    if (token.empty()) {
        std::fprintf(stderr, "mediapeer-signal: could not make a token\n");
        return 1;
    }
    std::printf("%s\n", token.c_str());
    return 0;
}

struct App {
    mp::GMainLoopPtr loop{g_main_loop_new(nullptr, FALSE)};
    std::unique_ptr<mp::signal::SignalServer> server;
    bool stopping = false;
};

gboolean on_stop_signal(gpointer data) {
    auto* app = static_cast<App*>(data);
    if (app->stopping) {  // a second Ctrl-C: do not wait for slow clients
        g_main_loop_quit(app->loop.get());
        return G_SOURCE_CONTINUE;
    }
    app->stopping = true;
    g_message("stopping: closing every WebSocket (1001)");
    app->server->shutdown([app] { g_main_loop_quit(app->loop.get()); });
    return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
    Flags f;
    auto entries = f.all_entries();
    if (!mp::app::parse_flags("mediapeer-signal", "- mediapeer signaling server", entries, argc, argv)) return 2;
    auto options = to_options(f);
    if (f.auth_secret_file) {
        auto secret = mp::signal::read_secret_file(f.auth_secret_file);
        if (!secret) {
            std::fprintf(stderr, "mediapeer-signal: %s\n", secret.error().c_str());
            return 2;
        }
        options.auth_secret = *secret;
    }
    if (f.mint_token) {
        if (!f.auth_secret_file) {
            std::fprintf(stderr, "mediapeer-signal: --mint-token needs --auth-secret-file\n");
            return 2;
        }
        return mint(f, options.auth_secret);
    }
    raise_fd_limit();

    App app;
    auto server = mp::signal::SignalServer::start(options);
    if (!server) {
        std::fprintf(stderr, "mediapeer-signal: %s\n", server.error().c_str());
        return 1;
    }
    app.server = std::move(*server);
    g_unix_signal_add(SIGINT, on_stop_signal, &app);
    g_unix_signal_add(SIGTERM, on_stop_signal, &app);
    std::printf("mediapeer-signal listening on %s\n", app.server->url().c_str());
    std::fflush(stdout);
    g_main_loop_run(app.loop.get());
    app.server.reset();
    return 0;
}
