#include "peer/pipeline_stop.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"

#include <vector>

namespace mp::peer {

namespace {

void drop_everything_through(GstElement* webrtc) {
    gst_element_foreach_pad(
        webrtc,
        [](GstElement*, GstPad* pad, gpointer) -> gboolean {
            gst_pad_add_probe(
                pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_DROP; }, nullptr, nullptr);
            return TRUE;
        },
        nullptr);
}

// A sink that reaches PAUSED blocks every buffer until PLAYING. Inside
// webrtcbin, threads that feed its network sinks (the jitterbuffer's RTCP
// feedback, an echo looping back in) would block there holding stream locks
// the rest of the state change waits for. Sinks go to NULL first.
void stop_sinks_first(GstElement* bin) {
    std::vector<GRef<GstElement>> sinks;
    for_each_element(GST_BIN(bin), [&sinks](GstElement* element) {
        if (GST_OBJECT_FLAG_IS_SET(element, GST_ELEMENT_FLAG_SINK) && !GST_IS_BIN(element))
            sinks.push_back(GRef<GstElement>::ref(element));
    });
    for (auto& sink : sinks) gst_element_set_state(sink.get(), GST_STATE_NULL);
}

}  // namespace

void stop_call_pipeline(GstElement* pipeline, GstElement* webrtc) {
    if (webrtc) {
        drop_everything_through(webrtc);
        stop_sinks_first(webrtc);
        gst_element_set_state(webrtc, GST_STATE_NULL);
    }
    gst_element_set_state(pipeline, GST_STATE_NULL);
}

}  // namespace mp::peer
