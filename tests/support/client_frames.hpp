// WebSocket frames as a client writes them (masked), for tests that speak
// the wire format directly. Written by the codec's encoder: its header fields
// can say what a client must not (no mask, reserved opcodes, a length that is
// not the payload's), for the frames the server must refuse.
#pragma once

#include "protocol/websocket_codec.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mp::test {

inline constexpr protocol::ws::MaskKey kTestMask = {0x12, 0x34, 0x56, 0x78};

inline std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                                bool masked = true) {
    protocol::ws::FrameHeader header;
    header.fin = fin;
    header.opcode = opcode;
    if (masked) header.mask = kTestMask;
    std::string frame;
    protocol::ws::append_frame(frame, header, payload);
    return frame;
}

inline std::string client_text(std::string_view payload) { return client_frame(0x1, payload); }

// A masked frame header that declares `length`, and no payload.
inline std::string client_header(std::uint8_t opcode, bool fin, std::uint64_t length) {
    protocol::ws::FrameHeader header;
    header.fin = fin;
    header.opcode = opcode;
    header.mask = kTestMask;
    header.payload_length = length;
    std::string bytes;
    protocol::ws::append_header(bytes, header);
    return bytes;
}

// Every "fail the WebSocket connection" case of RFC 6455 a client can cause,
// with the close code it must get (1002, 1007, 1009; limit 65,536 bytes).
struct HostileFrames {
    const char* what;
    std::string bytes;
    std::uint16_t code;
};

inline std::vector<HostileFrames> hostile_frames() {
    std::string rsv = client_text("x");
    rsv[0] = static_cast<char>(rsv[0] | 0x40);
    std::string fragment = client_frame(0x1, "{", false);
    return {
        {"reserved bits", rsv, 1002},
        {"reserved opcode", client_frame(0x3, "x"), 1002},
        {"reserved control opcode", client_frame(0xB, "x"), 1002},
        {"unmasked", client_frame(0x1, "x", true, false), 1002},
        {"fragmented ping", client_frame(0x9, "x", false), 1002},
        {"ping over 125 bytes", client_frame(0x9, std::string(126, 'x')), 1002},
        {"continuation without a message", client_frame(0x0, "x"), 1002},
        {"text inside a fragmented text", fragment + client_text("x"), 1002},
        {"1-byte close", client_frame(0x8, "\x03"), 1002},
        {"close code 999", client_frame(0x8, std::string("\x03\xe7", 2)), 1002},
        {"close code 1005", client_frame(0x8, std::string("\x03\xed", 2)), 1002},
        {"close code 1006", client_frame(0x8, std::string("\x03\xee", 2)), 1002},
        {"close code 2000", client_frame(0x8, std::string("\x07\xd0", 2)), 1002},
        {"close code 5000", client_frame(0x8, std::string("\x13\x88", 2)), 1002},
        {"64-bit length with the top bit", client_header(0x1, true, 1ull << 63), 1002},
        {"text not UTF-8", client_text("\xff\xfe"), 1007},
        {"UTF-8 cut across fragments", client_frame(0x1, "\xc3", false) + client_frame(0x0, "(", true), 1007},
        {"close reason not UTF-8", client_frame(0x8, std::string("\x03\xe8\xff", 3)), 1007},
        {"message over the limit", client_text(std::string(65537, 'x')), 1009},
        {"length 2^63 - 1", client_header(0x1, true, (1ull << 63) - 1), 1009},
        {"fragment, then a continuation of 2^63 - 1", fragment + client_header(0x0, true, (1ull << 63) - 1), 1009},
        {"fragment, then a continuation wrapping the sum",
         client_frame(0x1, std::string(100, 'x'), false) + client_header(0x0, true, (1ull << 63) - 50), 1009},
    };
}

}  // namespace mp::test
