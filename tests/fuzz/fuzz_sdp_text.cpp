// What the WHIP and WHEP endpoints read from outside: an offer's SDP (POST),
// a trickle-ice-sdpfrag (PATCH), and the callee's candidates spliced into its
// answer. Splicing never adds a line break of its own into a line.
#include "protocol/sdp_text.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto summary = mp::protocol::summarize_sdp(text);
    auto frag = mp::protocol::parse_sdpfrag(text);
    if (summary && frag) {
        for (auto& c : frag->candidates) c.mline_index = static_cast<unsigned>(c.candidate.size() % 4);
        std::string merged = mp::protocol::sdp_with_candidates(text, frag->candidates, frag->end_of_candidates);
        // The merged answer is still SDP, with the same m-lines.
        auto again = mp::protocol::summarize_sdp(merged);
        if (merged.size() <= mp::protocol::kMaxSdpBytes && (!again || again->mids != summary->mids)) __builtin_trap();
    }
    return 0;
}
