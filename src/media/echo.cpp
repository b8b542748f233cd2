#include "media/echo.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"
#include "media/rtp_elements.hpp"

#include <gst/video/video.h>

#include <map>
#include <mutex>

namespace mp::media {

namespace {

// The caller's PLI/FIR reaches our payloader as a key-unit request about the
// stream we send (our SSRC). Only the caller's encoder can make a key frame,
// so the request is dropped there and a fresh one goes upstream from the
// depayloader, where webrtcbin turns it into a PLI to the caller.
GstPadProbeReturn forward_key_unit_request(GstPad*, GstPadProbeInfo* info, gpointer depay) {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    if (!gst_video_event_is_force_key_unit(event)) return GST_PAD_PROBE_OK;
    GRef<GstPad> sink = adopt_ref(gst_element_get_static_pad(GST_ELEMENT(depay), "sink"));
    gst_pad_push_event(sink.get(),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    return GST_PAD_PROBE_DROP;
}

// H.264 passes h264parse (no decoding): it reads profile and level from the
// SPS, which rtph264pay needs to match the negotiated profile-level-id, and
// makes a byte-stream whose SPS/PPS travel in-band.
void link_depay_to_pay(GstBin* pipeline, GstElement* depay, GstElement* pay,
                       const std::string& encoding) {
    if (encoding != "H264") {
        gst_element_link(depay, pay);
        return;
    }
    GstElement* parse = gst_element_factory_make("h264parse", nullptr);
    gst_bin_add(pipeline, parse);
    CapsPtr byte_stream(gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au"));
    gst_element_link(depay, parse);
    gst_element_link_filtered(parse, pay, byte_stream.get());
}

class Echo final : public MediaBehaviour {
public:
    std::string name() const override { return "echo"; }

    void setup(GstBin* pipeline, GstElement* webrtc, const std::vector<MediaLine>& lines) override {
        for (const auto& line : lines) {
            if (!line.we_send || !line.we_receive) continue;
            GstElement* depay = gst_element_factory_make(depayloader_for(line.encoding).c_str(), nullptr);
            GstElement* pay = make_payloader(line);
            gst_bin_add_many(pipeline, depay, pay, nullptr);
            link_depay_to_pay(pipeline, depay, pay, line.encoding);
            std::string sink = "sink_" + std::to_string(line.index);
            GRef<GstPad> webrtc_sink = adopt_ref(gst_element_get_static_pad(webrtc, sink.c_str()));
            link_to_pad(pay, webrtc_sink.get());
            if (line.kind == "video") {
                GRef<GstPad> pay_src = adopt_ref(gst_element_get_static_pad(pay, "src"));
                gst_pad_add_probe(pay_src.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                                  forward_key_unit_request, depay, nullptr);
            }
            std::lock_guard lock(mutex_);
            depayloaders_[line.index] = depay;
        }
    }

    void on_incoming(GstBin* pipeline, GstPad* pad, const MediaLine& line) override {
        GstElement* depay = nullptr;
        {
            std::lock_guard lock(mutex_);
            auto it = depayloaders_.find(line.index);
            if (it != depayloaders_.end()) depay = it->second;
        }
        if (!depay) {  // received on a line we do not send back on
            GstElement* sink = gst_element_factory_make("fakesink", nullptr);
            add_running(pipeline, sink);
            depay = sink;
        }
        GRef<GstPad> sink = adopt_ref(gst_element_get_static_pad(depay, "sink"));
        gst_pad_link(pad, sink.get());
    }

private:
    std::mutex mutex_;  // setup runs on the main thread, on_incoming on a streaming thread
    std::map<unsigned, GstElement*> depayloaders_;  // by m-line; owned by the pipeline
};

}  // namespace

std::unique_ptr<MediaBehaviour> make_echo() { return std::make_unique<Echo>(); }

}  // namespace mp::media
