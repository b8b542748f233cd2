// RAII for GStreamer's non-GObject types (GstObjects use GRef<T>).
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <memory>

namespace mp {

template <typename T, void (*Free)(T*)>
struct FreeWith {
    void operator()(T* p) const { Free(p); }
};

inline void free_sdp(GstSDPMessage* m) { gst_sdp_message_free(m); }
inline void unref_caps(GstCaps* c) { gst_caps_unref(c); }
inline void unref_promise(GstPromise* p) { gst_promise_unref(p); }
inline void free_structure(GstStructure* s) { gst_structure_free(s); }

using SdpMessagePtr = std::unique_ptr<GstSDPMessage, FreeWith<GstSDPMessage, free_sdp>>;
using CapsPtr = std::unique_ptr<GstCaps, FreeWith<GstCaps, unref_caps>>;
using PromisePtr = std::unique_ptr<GstPromise, FreeWith<GstPromise, unref_promise>>;
using StructurePtr = std::unique_ptr<GstStructure, FreeWith<GstStructure, free_structure>>;
using SessionDescriptionPtr =
    std::unique_ptr<GstWebRTCSessionDescription,
                    FreeWith<GstWebRTCSessionDescription, gst_webrtc_session_description_free>>;

}  // namespace mp
