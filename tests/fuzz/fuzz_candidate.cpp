// The payloads a signaling frame carries: ICE candidates and session
// descriptions, as the peers read them.
#include "peer/ws_signaller.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view payload(reinterpret_cast<const char*>(data), size);
    auto candidate = mp::peer::parse_ice_candidate(payload);
    if (candidate && *candidate) {
        // What we read, we can write and read back the same.
        auto again = mp::peer::parse_ice_candidate(mp::peer::ice_candidate_json(**candidate));
        if (!again || !*again || !(**again == **candidate)) __builtin_trap();
    }
    mp::peer::parse_session_description(payload, "offer");
    return 0;
}
