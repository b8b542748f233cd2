// The WebSocket decoder on any bytes the other end may send, cut into reads
// where the first byte says (its low 6 bits), as the server reads a client
// or (its top bit set) as a client reads the server.
#include "protocol/websocket_codec.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace ws = mp::protocol::ws;
    if (size == 0) return 0;
    std::size_t chunk = 1 + data[0] % 64;
    ws::Decoder decoder(65536, data[0] & 0x80 ? ws::Sender::server : ws::Sender::client);
    std::vector<ws::Message> out;
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    for (std::size_t at = 0; at < bytes.size() && !decoder.failed(); at += chunk)
        decoder.feed(bytes.substr(at, chunk), out);
    for (const auto& m : out)
        if (m.payload.size() > 65536) __builtin_trap();  // the limit holds
    return 0;
}
