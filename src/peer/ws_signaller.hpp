// The Signaller over mediapeer-signal's WebSocket protocol (docs/protocol.md):
// a libsoup 3 client that logs in under one name and turns frames into
// SignallerEvents. Everything runs on the main context it was started on.
#pragma once

#include "common/result.hpp"
#include "peer/signaller.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mp::peer {

struct WsSignallerOptions {
    std::string url = "ws://127.0.0.1:8090/";  // ws:// or wss://
    std::string name = "server";
    std::string ca_file;  // PEM; when set, the only certificates trusted for wss
    // Holds the token (a JWT) each login carries; read again before every
    // connection, so an operator may replace it in place. Empty: no token.
    std::string token_file;
    unsigned connect_timeout_s = 10;     // connecting and logging in, together
    unsigned keepalive_interval_s = 15;  // 0: no pings; silence for 2 intervals fails
    // Once logged in, a lost connection is retried (with a capped, jittered
    // backoff) instead of failing; the first connection still fails at once.
    bool reconnect = false;
    double reconnect_min_s = 0.5, reconnect_max_s = 10;
    // Log in as one of several peers serving `name` (a pool); the server
    // then picks among them by the load each one reports (send_load).
    bool pool = false;
};

// What is wrong with the options (URL, name, timeouts), or nothing. The CA
// file is checked by WsSignaller::create, which loads it.
std::optional<std::string> invalid_ws_signaller_options_reason(const WsSignallerOptions& options);

class WsSignaller final : public Signaller {
public:
    // Validates the options and loads the CA file; the error says what is wrong.
    static Result<std::unique_ptr<WsSignaller>, std::string> create(WsSignallerOptions options);
    ~WsSignaller() override;  // stops

    WsSignaller(const WsSignaller&) = delete;
    WsSignaller& operator=(const WsSignaller&) = delete;

    // `events` must outlive this signaller (or its stop()). Events never fire
    // from inside start(); they may destroy the signaller.
    void start(SignallerEvents& events) override;
    // Before on_ready and after on_failed or stop(), these drop what they send.
    void send_sdp(const std::string& peer, const SessionDescription& description) override;
    void send_candidate(const std::string& peer, const IceCandidate& candidate) override;
    // As the page does: a `candidate` whose candidate is empty.
    void send_end_of_candidates(const std::string& peer, const std::string& mid) override;
    void hang_up(const std::string& peer, const std::optional<std::string>& reason) override;
    // A pool member tells the server (a `load` frame), now if logged in, and
    // again after each login: the server forgets it with the connection.
    // Without `pool`, nothing is sent.
    void send_load(const PeerLoad& load) override;
    // Closes the WebSocket (1000); no event fires afterwards. Idempotent.
    void stop() override;

    const WsSignallerOptions& options() const;

private:
    class Impl;
    explicit WsSignaller(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;
};

// The token in `path` (surrounding white space dropped); the error says what
// is wrong with the file, never what is in it.
Result<std::string, std::string> read_token_file(const std::string& path);

// Payloads as a signaling frame carries them (JSON text of an object), read at
// the boundary. A session description whose `type` is not `expected_type`, or
// whose `sdp` is missing or empty, is an error saying so.
Result<SessionDescription, std::string> parse_session_description(std::string_view payload,
                                                                  std::string_view expected_type);
// nullopt: the end-of-candidates marker (an empty `candidate`).
Result<std::optional<IceCandidate>, std::string> parse_ice_candidate(std::string_view payload);

// The payload objects this signaller sends (compact JSON text).
std::string session_description_json(const SessionDescription& description);
std::string ice_candidate_json(const IceCandidate& candidate);

}  // namespace mp::peer
