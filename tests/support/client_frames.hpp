// WebSocket frames as a client writes them (masked), for tests that speak
// the wire format directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace mp::test
