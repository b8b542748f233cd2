// The RTP (de)payloader for each encoding we negotiate.
#pragma once

#include <gst/gst.h>

#include <string>

namespace mp::media {

// "rtpvp8depay", "rtph264depay", "rtpopusdepay".
std::string depayloader_for(const std::string& encoding);
// Adds `element` to `bin` and brings it to the bin's state (for elements
// added while the pipeline runs).
void add_running(GstBin* bin, GstElement* element);
// Links `from`'s src pad to `to` (a pad), false if they do not link.
bool link_to_pad(GstElement* from, GstPad* to);

}  // namespace mp::media
