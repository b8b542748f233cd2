// RFC 6455 framing for the server side, pure (no I/O): client frames in,
// server frames out. The server runs its own WebSocket layer on one epoll
// source because GLib's main loop costs O(connections) per iteration with a
// GSource per libsoup WebSocket (see BENCHMARKS.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mp::signal::ws {

enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

// Close codes (RFC 6455 7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;
inline constexpr std::uint16_t kCloseNoStatus = 1005;  // never sent: "the close had no code"
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kClosePolicyViolation = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;
inline constexpr std::uint16_t kCloseInternalError = 1011;

// A whole message (fragments joined) or a control frame.
struct Message {
    Opcode opcode;
    std::string payload;
};

// Why the stream from a client cannot go on: the code to close with, a
// metrics label and words for the log.
struct Failure {
    std::uint16_t code;
    const char* label;
    std::string reason;
};

// Turns the bytes a client sends into messages. Stops at the first failure;
// after that, more bytes are ignored.
class Decoder {
public:
    explicit Decoder(std::uint64_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

    // Takes `bytes`, appends every message they complete to `out`.
    std::optional<Failure> feed(std::string_view bytes, std::vector<Message>& out);
    bool failed() const { return failed_; }

private:
    // One frame from the front of buffer_[offset_..]: false when more bytes are needed.
    bool decode_frame(std::vector<Message>& out, std::optional<Failure>& failure);
    std::optional<Failure> take_data_frame(Opcode opcode, bool fin, std::string_view payload,
                                           std::vector<Message>& out);

    std::uint64_t max_message_bytes_;
    std::string buffer_;
    std::size_t offset_ = 0;
    std::string message_;  // data fragments so far
    std::optional<Opcode> message_opcode_;
    bool failed_ = false;
};

// Appends one unmasked, final server frame.
void append_frame(std::string& out, Opcode opcode, std::string_view payload);

// A close frame's payload: the code (big-endian) and a reason cut to fit 123 bytes.
std::string close_payload(std::uint16_t code, std::string_view reason);
// The code in a received close payload; kCloseNoStatus when it has none.
std::uint16_t close_code(std::string_view payload);

}  // namespace mp::signal::ws
