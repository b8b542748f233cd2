// SDP offer intake (bundle credentials made one) and answer planning on any offer text.
#include "peer/offer.hpp"

#include <gst/gst.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static bool ready = (gst_init(nullptr, nullptr), true);
    (void)ready;
    auto sdp = mp::peer::parse_sdp(std::string(reinterpret_cast<const char*>(data), size));
    if (!sdp) return 0;
    mp::peer::unify_bundle_credentials(sdp->get());  // as Call::accept_offer does first
    // An echo and a test source, each with and without a preference for H.264.
    for (int variant = 0; variant < 4; ++variant) {
        mp::peer::MediaWishes wishes;
        wishes.prefer_h264 = (variant & 1) != 0;
        if (variant & 2) wishes.video = wishes.audio = mp::peer::KindWishes{true, false, false};
        auto plan = mp::peer::plan_answer(sdp->get(), wishes);
        if (!plan) continue;
        for (const auto& line : plan->lines)
            if (line.encoding != "VP8" && line.encoding != "H264" && line.encoding != "OPUS") __builtin_trap();
    }
    return 0;
}
