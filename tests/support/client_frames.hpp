// WebSocket frames as a client writes them (masked), for tests that speak
// the wire format directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mp::test {

inline std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                                bool masked = true) {
    std::string frame;
    frame += static_cast<char>((fin ? 0x80 : 0) | opcode);
    std::uint8_t mask_bit = masked ? 0x80 : 0;
    std::uint64_t n = payload.size();
    if (n < 126) {
        frame += static_cast<char>(mask_bit | n);
    } else if (n <= 0xFFFF) {
        frame += static_cast<char>(mask_bit | 126);
        frame += static_cast<char>(n >> 8);
        frame += static_cast<char>(n & 0xFF);
    } else {
        frame += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((n >> shift) & 0xFF);
    }
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked) frame.append(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        frame += masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i];
    return frame;
}

inline std::string client_text(std::string_view payload) { return client_frame(0x1, payload); }

// A masked frame header that declares `length` (64-bit form), and no payload.
inline std::string client_header(std::uint8_t opcode, bool fin, std::uint64_t length) {
    std::string header;
    header += static_cast<char>((fin ? 0x80 : 0) | opcode);
    header += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) header += static_cast<char>((length >> shift) & 0xFF);
    header.append("\x12\x34\x56\x78", 4);
    return header;
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
