// RAII for GStreamer's non-GObject types (GstObjects use GRef<T>).
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <functional>
#include <memory>
#include <unordered_set>

namespace mp {

template <typename T, void (*Free)(T*)>
struct FreeWith {
    void operator()(T* p) const { Free(p); }
};

inline void free_sdp(GstSDPMessage* m) { gst_sdp_message_free(m); }
inline void unref_caps(GstCaps* c) { gst_caps_unref(c); }
inline void unref_promise(GstPromise* p) { gst_promise_unref(p); }
inline void free_structure(GstStructure* s) { gst_structure_free(s); }
inline void unref_event(GstEvent* e) { gst_event_unref(e); }

using SdpMessagePtr = std::unique_ptr<GstSDPMessage, FreeWith<GstSDPMessage, free_sdp>>;
using CapsPtr = std::unique_ptr<GstCaps, FreeWith<GstCaps, unref_caps>>;
using PromisePtr = std::unique_ptr<GstPromise, FreeWith<GstPromise, unref_promise>>;
using StructurePtr = std::unique_ptr<GstStructure, FreeWith<GstStructure, free_structure>>;
using EventPtr = std::unique_ptr<GstEvent, FreeWith<GstEvent, unref_event>>;
using SessionDescriptionPtr =
    std::unique_ptr<GstWebRTCSessionDescription,
                    FreeWith<GstWebRTCSessionDescription, gst_webrtc_session_description_free>>;

// Whether `element` was made by the factory named `factory_name` ("queue").
inline bool made_by(GstElement* element, const char* factory_name) {
    GstElementFactory* factory = element ? gst_element_get_factory(element) : nullptr;
    return factory && g_str_equal(GST_OBJECT_NAME(factory), factory_name);
}

// Calls `visit` once for every element in `bin` and in the bins inside it.
// A bin that changes meanwhile (webrtcbin adds elements as it goes) makes
// the walk start over; what was visited is not visited again.
inline void for_each_element(GstBin* bin, const std::function<void(GstElement*)>& visit) {
    GstIterator* it = gst_bin_iterate_recurse(bin);
    GValue item = G_VALUE_INIT;
    std::unordered_set<GstElement*> visited;
    for (;;) {
        GstIteratorResult result = gst_iterator_next(it, &item);
        if (result == GST_ITERATOR_RESYNC) {
            gst_iterator_resync(it);
            continue;
        }
        if (result != GST_ITERATOR_OK) break;
        auto* element = GST_ELEMENT(g_value_get_object(&item));
        if (visited.insert(element).second) visit(element);
        g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
}

}  // namespace mp
