// A WebSocket client that sends whatever bytes a test gives it: for what
// libsoup's client will not send (fragments, bad frames, bytes pipelined with
// the upgrade) and for clients that misbehave (never read, never answer
// pings). What the server sends back is read by the codec's decoder.
#pragma once

#include "common/gobj.hpp"
#include "protocol/websocket_codec.hpp"

#include <gio/gio.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace mp::test {

class RawWsClient {
public:
    // Connects to the server at `http_url`, sends the upgrade request for
    // /ws followed by `early_bytes`, and reads the 101 response.
    static std::unique_ptr<RawWsClient> connect(const std::string& http_url,
                                                const std::string& early_bytes = "",
                                                std::string* error = nullptr);

    bool send(const std::string& bytes);

    struct Frame {
        std::uint8_t opcode;
        std::string payload;
    };
    // The next server message (the server never fragments, so: frame);
    // nullopt at EOF, after `timeout_ms`, or (a test failure) when the
    // server's framing is broken.
    std::optional<Frame> read_frame(int timeout_ms = 5000);
    // Reads (and drops) until the server closes the TCP connection.
    bool wait_eof(int timeout_ms = 5000);

private:
    // Reads more bytes onto the end of `into`; false at EOF/timeout.
    bool receive(int timeout_ms, std::string& into);
    void decode(std::string_view bytes);

    GRef<GSocketConnection> connection_;
    GSocket* socket_ = nullptr;
    protocol::ws::Decoder decoder_{64 * 1024 * 1024, protocol::ws::Sender::server};
    std::deque<protocol::ws::Message> messages_;  // decoded, not yet read
};

}  // namespace mp::test
