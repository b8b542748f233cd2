// What webrtcbin's "get-stats" reply says, read into plain values.
#pragma once

#include "peer/call_stats.hpp"

#include <gst/gst.h>

#include <string>

namespace mp::peer {

// What arrived (inbound RTP, summed over streams) and the round trip the
// other side's receiver reports give; codecs and seconds are left to the caller.
CallStats received_stats(const GstStructure* reply);

// The candidate types ("host", "srflx", "relay", ...) of the ICE pair in
// use; empty when the reply does not say.
struct SelectedPair {
    std::string local, remote;
};
SelectedPair selected_pair(const GstStructure* reply);

}  // namespace mp::peer
