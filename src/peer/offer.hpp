// What a remote offer asks for, and what we answer it with: per m-line, the
// codec we pick and the directions the offer allows. Pure (GstSdp only).
#pragma once

#include "common/gst_ptr.hpp"
#include "common/result.hpp"
#include "media/media.hpp"

#include <gst/sdp/sdp.h>

#include <string>
#include <vector>

namespace mp::peer {

struct OfferPlan {
    std::vector<media::MediaLine> lines;  // audio and video m-lines we take part in
    bool data_channel = false;            // an m=application line is present
    std::string offered;                  // what was offered, for a log line: "video: VP9 AV1; audio: G722"
    std::string answered;                 // what we answer, for a log line: "video VP8 recvonly; audio OPUS recvonly"
};

// What the behaviour does on one kind of line. The default is an echo.
struct KindWishes {
    bool own_media = false;  // it sends media of its own (a test source, a file)
    bool echo = true;        // it sends back what arrives: only to an offerer that sends
    bool receive = true;     // it takes what arrives (an echo or a recording does)
};

struct MediaWishes {
    KindWishes video, audio;
    bool prefer_h264 = false;  // else the offer's own order decides

    const KindWishes& of_kind(const std::string& kind) const { return kind == "video" ? video : audio; }
};

// Refused with the reason when the offer has no codec we support at all, or
// when nothing would flow either way (a recvonly offer to an echo, a
// sendonly one to a bot that only sends).
Result<OfferPlan, std::string> plan_answer(const GstSDPMessage* offer, const MediaWishes& wishes);

// aiortc up to 1.5 gives each bundled m-line ICE credentials of its own,
// which webrtcbin refuses ("different ice-ufrag values in bundle"). What
// counts in a bundle is its tagged m-line (RFC 8843: the group's first mid):
// its ice-ufrag and ice-pwd are copied onto the group's other m-lines. The
// tag's mid when something was changed, else "".
std::string unify_bundle_credentials(GstSDPMessage* offer);

// What the native caller offers: video (VP8, or H.264 constrained baseline)
// on m-line 0 and Opus on m-line 1, both ways.
std::vector<media::MediaLine> caller_lines(bool h264);

// Parses SDP text; the error names what is wrong.
Result<SdpMessagePtr, std::string> parse_sdp(const std::string& text);

}  // namespace mp::peer
