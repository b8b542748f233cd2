// SDP as text, for the HTTP endpoints (WHIP, RFC 9725; WHEP): what they must
// know of an offer, the trickle-ice-sdpfrag bodies of PATCH (RFC 8840), and an
// answer with the callee's trickled candidates put back into it. Pure; the
// server peer parses SDP with GstSdp, this side only checks and splices lines.
#pragma once

#include "common/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace mp::protocol {

inline constexpr std::size_t kMaxSdpBytes = 64 * 1024;

// What an offer says that the endpoints use: each m-line's mid (empty when it
// has none) and the ICE credentials (session level, else the first m-line's).
struct SdpSummary {
    std::vector<std::string> mids;
    std::string ice_ufrag;
    std::string ice_pwd;
};

// The offer's summary, or why it is not an SDP: not UTF-8, a control
// character, a line that is not `x=...`, no `v=0` first, no m-line.
Result<SdpSummary, std::string> summarize_sdp(std::string_view sdp);

// One candidate for one m-line, as the signaling frames carry it: the text
// after "a=" ("candidate:..."), the mid and the m-line index.
struct SdpCandidate {
    std::string candidate;
    std::string mid;
    unsigned mline_index = 0;
    bool operator==(const SdpCandidate&) const = default;
};

// A PATCH body (application/trickle-ice-sdpfrag): its credentials, its
// candidates with the mid of their m-line, and whether it ends the candidates.
struct SdpFrag {
    std::string ice_ufrag;
    std::string ice_pwd;
    std::vector<SdpCandidate> candidates;  // mline_index left 0: the offer knows it
    bool end_of_candidates = false;
};

Result<SdpFrag, std::string> parse_sdpfrag(std::string_view text);

// `sdp` with each candidate appended to its m-line's section (by index; a
// line already there is not repeated) and, when `ended`, a=end-of-candidates
// in every section. A candidate that is not one line is left out.
std::string sdp_with_candidates(std::string_view sdp, const std::vector<SdpCandidate>& candidates,
                                bool ended);

}  // namespace mp::protocol
