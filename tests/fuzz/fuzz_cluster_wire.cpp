// Messages from other signaling nodes (through Redis): anything decodes or is
// dropped; what decodes encodes back to the same message.
#include "signal/cluster_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto message = mp::signal::decode_cluster_message(text);
    if (!message) return 0;
    auto again = mp::signal::decode_cluster_message(mp::signal::encode(*message));
    if (!again || !(*again == *message)) __builtin_trap();
    return 0;
}
