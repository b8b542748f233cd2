#include "media/rtp_elements.hpp"

#include "common/gobj.hpp"

namespace mp::media {

std::string depayloader_for(const std::string& encoding) {
    if (encoding == "VP8") return "rtpvp8depay";
    if (encoding == "H264") return "rtph264depay";
    return "rtpopusdepay";
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
