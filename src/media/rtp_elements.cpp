#include "media/rtp_elements.hpp"

#include "common/gobj.hpp"
#include "media/media.hpp"

namespace mp::media {

std::string depayloader_for(const std::string& encoding) {
    if (encoding == "VP8") return "rtpvp8depay";
    if (encoding == "H264") return "rtph264depay";
    return "rtpopusdepay";
}

GstElement* make_payloader(const MediaLine& line) {
    const std::string& encoding = line.encoding;
    GstElement* pay = nullptr;
    if (encoding == "VP8") {
        pay = gst_element_factory_make("rtpvp8pay", nullptr);
        g_object_set(pay, "picture-id-mode", 2 /* 15-bit */, nullptr);
    } else if (encoding == "H264") {
        pay = gst_element_factory_make("rtph264pay", nullptr);
        // SPS/PPS before every key frame: a receiver can start at any of them.
        g_object_set(pay, "config-interval", -1, "aggregate-mode", 1 /* zero-latency */, nullptr);
    } else {
        pay = gst_element_factory_make("rtpopuspay", nullptr);
    }
    g_object_set(pay, "pt", line.payload_type, "ssrc", line.ssrc, nullptr);
    return pay;
}

void add_running(GstBin* bin, GstElement* element) {
    gst_bin_add(bin, element);
    gst_element_sync_state_with_parent(element);
}

bool link_to_pad(GstElement* from, GstPad* to) {
    GRef<GstPad> src = adopt_ref(gst_element_get_static_pad(from, "src"));
    return src && gst_pad_link(src.get(), to) == GST_PAD_LINK_OK;
}

}  // namespace mp::media
