// mediapeer-signal: the router behind a libsoup 3 SoupServer (WebSocket on /
// and /ws, the page from the web root, /config.json, /healthz, /metrics).
#pragma once

#include "common/result.hpp"
#include "signal/auth.hpp"
#include "signal/ice_config.hpp"
#include "signal/router.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mp::signal {

struct ServerOptions {
    std::string listen = "127.0.0.1:8090";  // ADDR:PORT, [v6]:PORT; port 0 picks one
    std::string web_root;                   // empty: no page
    std::string tls_cert_file;
    std::string tls_key_file;
    IceOptions ice;
    std::uint64_t max_frame_bytes = 64 * 1024;
    RouterLimits rate;
    std::size_t max_connections = 10000;
    std::size_t max_http_sessions = 1000;  // WHIP and WHEP sessions at once
    unsigned http_answer_timeout_s = 10;   // a WHIP/WHEP offer -> the callee's answer
    unsigned ping_interval_s = 10;  // keepalive ping period
    unsigned ping_timeout_s = 30;   // silence after which a connection is dropped
    // With a secret (--auth-secret-file): logins need a token (but as `login`
    // allows), /config.json too, and other sites' pages may not connect.
    std::string auth_secret;
    LoginRules login;
    // Pages whose WebSockets are let in besides the server's own origin; given,
    // the Origin check is on even without a secret.
    std::vector<std::string> allowed_origins;
    // --redis: one node of a cluster sharing users through this Redis
    // (docs/cluster.md). Empty: a single process.
    std::string redis_url;
    std::string node_id;  // empty: HOSTNAME-PID
    unsigned heartbeat_ms = 1000;
};

// What is wrong with the options, or nothing (checked before anything binds).
std::optional<std::string> invalid_server_options_reason(const ServerOptions& options);

class SignalServer {
public:
    // Binds and starts serving on the thread-default main context.
    static Result<std::unique_ptr<SignalServer>, std::string> start(const ServerOptions& options);
    ~SignalServer();

    // The base URL actually listened on, e.g. "http://127.0.0.1:8090/".
    const std::string& url() const;
    // Closes every WebSocket with 1001 and calls `done` once all are closed
    // (or after a short grace period for clients that never answer).
    void shutdown(std::function<void()> done);

    struct Impl;

private:
    explicit SignalServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mp::signal
