// Stopping a call's pipeline without a deadlock, on the main thread.
#pragma once

#include <gst/gst.h>

namespace mp::peer {

// An echo loops through webrtcbin: the loop is cut first (every buffer into
// or out of `webrtc` dropped), then webrtcbin's sinks stop, then webrtcbin,
// then the rest of `pipeline`. `webrtc` may be null (never built).
void stop_call_pipeline(GstElement* pipeline, GstElement* webrtc);

}  // namespace mp::peer
