// A call's webrtcbin as CallOptions configure it, and what the call counts
// or changes in the elements webrtcbin makes.
#pragma once

#include "peer/call_options.hpp"

#include <gst/gst.h>

#include <memory>
#include <string>

namespace mp::peer {

// Max-bundle, the jitterbuffer latency, the ICE policy, no UPnP, STUN and TURN
// servers and the local addresses libnice may use. Null when webrtcbin is
// missing (said in a warning).
GstElement* make_webrtcbin(const CallOptions& options, const std::string& log_id);

// RTP is counted as it enters and leaves webrtcbin's rtpbin: a media
// behaviour may take what the other side sends before it reaches webrtcbin's
// src pads, and send without its sink pads (the echo does both).
void count_rtp(GstElement* webrtc, std::shared_ptr<CallMetrics> metrics);

// A retransmission often comes alone on its own SSRC: rtpsession's
// probation (two packets in sequence before a new SSRC counts) would hold it
// forever. SRTP already proves where packets come from.
void accept_new_sources_at_once(GstElement* element);

}  // namespace mp::peer
