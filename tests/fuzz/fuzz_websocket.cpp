// The WebSocket decoder on any bytes a client may send, cut into reads where
// the first byte says.
#include "signal/websocket_codec.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t chunk = 1 + data[0] % 64;
    mp::signal::ws::Decoder decoder(65536);
    std::vector<mp::signal::ws::Message> out;
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    for (std::size_t at = 0; at < bytes.size() && !decoder.failed(); at += chunk)
        decoder.feed(bytes.substr(at, chunk), out);
    for (const auto& m : out)
        if (m.payload.size() > 65536) __builtin_trap();  // the limit holds
    return 0;
}
