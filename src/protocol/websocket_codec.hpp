// RFC 6455 framing, pure (no I/O), for both ends: the server reads client
// frames and writes server frames (signal/websocket_hub runs its own
// WebSocket layer on one epoll source because GLib's main loop costs
// O(connections) per iteration with a GSource per libsoup WebSocket, see
// BENCHMARKS.md); the load generator (bench/signal-load) and the tests' raw
// client write masked client frames and read server frames with the same code.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mp::protocol::ws {

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

// Why the stream from the other end cannot go on: the code to close with, a
// metrics label and words for the log.
struct Failure {
    std::uint16_t code;
    const char* label;
    std::string reason;
};

// Which end wrote the frames a decoder reads: a client masks every frame, a
// server none (RFC 6455 5.1); a frame the other way fails the connection.
enum class Sender { client, server };

// Turns the bytes the other end sends into messages. Stops at the first
// failure; after that, more bytes are ignored.
class Decoder {
public:
    explicit Decoder(std::uint64_t max_message_bytes, Sender sender = Sender::client)
        : max_message_bytes_(max_message_bytes), sender_(sender) {}

    // Takes `bytes`, appends every message they complete to `out`.
    std::optional<Failure> feed(std::string_view bytes, std::vector<Message>& out);
    bool failed() const { return failed_; }

private:
    // One frame from the front of buffer_[offset_..]: false when more bytes are needed.
    bool decode_frame(std::vector<Message>& out, std::optional<Failure>& failure);
    std::optional<Failure> take_data_frame(Opcode opcode, bool fin, std::string payload,
                                           std::vector<Message>& out);

    std::uint64_t max_message_bytes_;
    Sender sender_;
    std::string buffer_;
    std::size_t offset_ = 0;
    std::string message_;  // data fragments so far
    std::optional<Opcode> message_opcode_;
    bool failed_ = false;
};

// A client's masking key (RFC 6455 5.3), in the order it goes on the wire.
using MaskKey = std::array<std::uint8_t, 4>;

// A frame header field by field, as it goes on the wire. Any value can be
// written, what RFC 6455 forbids included, so that tests can send what the
// decoder must refuse (reserved bits or opcodes, no mask, a length that is
// not the payload's).
struct FrameHeader {
    bool fin = true;
    std::uint8_t reserved_bits = 0;  // RSV1-3 where they sit in the first byte (0x40, 0x20, 0x10)
    std::uint8_t opcode = 0;         // the low 4 bits
    std::optional<MaskKey> mask;     // a client's frame has one, a server's none
    std::uint64_t payload_length = 0;
};

// Appends `header`: the length in its shortest form (7, 16 or 64 bits), then the mask key.
void append_header(std::string& out, const FrameHeader& header);
// Appends `header` with payload_length set to the payload's, then the payload,
// masked with header.mask when there is one.
void append_frame(std::string& out, FrameHeader header, std::string_view payload);
// Appends one unmasked, final server frame.
void append_frame(std::string& out, Opcode opcode, std::string_view payload);
// Appends one final client frame masked with `key`.
void append_client_frame(std::string& out, Opcode opcode, std::string_view payload, MaskKey key);

// A close frame's payload: the code (big-endian) and a reason cut to fit 123 bytes.
std::string close_payload(std::uint16_t code, std::string_view reason);
// The code in a received close payload; kCloseNoStatus when it has none.
std::uint16_t close_code(std::string_view payload);

}  // namespace mp::protocol::ws
