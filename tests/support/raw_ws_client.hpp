// A WebSocket client that writes the wire format by hand: for what libsoup's
// client will not send (fragments, bad frames, bytes pipelined with the
// upgrade) and for clients that misbehave (never read, never answer pings).
#pragma once

#include "common/gobj.hpp"

#include <gio/gio.h>

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
    // The next server frame; nullopt at EOF or after `timeout_ms`.
    std::optional<Frame> read_frame(int timeout_ms = 5000);
    // Reads (and drops) until the server closes the TCP connection.
    bool wait_eof(int timeout_ms = 5000);

private:
    bool fill(int timeout_ms);  // reads more bytes into buffer_; false at EOF/timeout

    GRef<GSocketConnection> connection_;
    GSocket* socket_ = nullptr;
    std::string buffer_;
};

}  // namespace mp::test
