#include "media/test_source.hpp"

#include "common/gobj.hpp"
#include "media/rtp_elements.hpp"

namespace mp::media {

namespace {

std::string source_description(const MediaLine& line) {
    if (line.kind == "audio")
        return "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! "
               "opusenc bitrate=32000 frame-size=20";
    std::string raw =
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1";
    if (line.encoding == "H264")
        return raw + " ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=500 key-int-max=60 "
                     "! capsfilter caps=video/x-h264,profile=constrained-baseline,stream-format=byte-stream";
    return raw + " ! vp8enc deadline=1 cpu-used=8 target-bitrate=500000 keyframe-max-dist=60";
}

GstPadProbeReturn count(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* counter = static_cast<FlowCount*>(data);
    ++counter->frames;
    counter->bytes += gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
    return GST_PAD_PROBE_OK;
}

class TestSource final : public MediaBehaviour {
public:
    explicit TestSource(std::shared_ptr<MediaCounts> counts) : counts_(std::move(counts)) {}
    std::string name() const override { return "test"; }

    void setup(GstBin* pipeline, GstElement* webrtc, const std::vector<MediaLine>& lines) override {
        for (const auto& line : lines) {
            if (!line.we_send) continue;
            GError* raw = nullptr;
            GstElement* source = gst_parse_bin_from_description(source_description(line).c_str(),
                                                                TRUE, &raw);
            GErrorPtr error(raw);
            if (!source) {
                g_warning("test source for %s: %s", line.kind.c_str(), error->message);
                continue;
            }
            GstElement* pay = make_payloader(line);
            gst_bin_add_many(pipeline, source, pay, nullptr);
            gst_element_link(source, pay);
            GRef<GstPad> pay_sink = adopt_ref(gst_element_get_static_pad(pay, "sink"));
            auto* sent = line.kind == "video" ? &counts_->video_sent : &counts_->audio_sent;
            gst_pad_add_probe(pay_sink.get(), GST_PAD_PROBE_TYPE_BUFFER, count, sent, nullptr);
            std::string sink = "sink_" + std::to_string(line.index);
            GRef<GstPad> webrtc_sink = adopt_ref(gst_element_get_static_pad(webrtc, sink.c_str()));
            link_to_pad(pay, webrtc_sink.get());
        }
    }

    void on_incoming(GstBin* pipeline, GstPad* pad, const MediaLine& line) override {
        GstElement* depay = gst_element_factory_make(depayloader_for(line.encoding).c_str(), nullptr);
        GstElement* sink = gst_element_factory_make("fakesink", nullptr);
        g_object_set(sink, "sync", FALSE, nullptr);
        gst_bin_add_many(pipeline, depay, sink, nullptr);
        gst_element_link(depay, sink);
        gst_element_sync_state_with_parent(sink);
        gst_element_sync_state_with_parent(depay);
        GRef<GstPad> depay_src = adopt_ref(gst_element_get_static_pad(depay, "src"));
        auto* counter = line.kind == "video" ? &counts_->video_received : &counts_->audio_received;
        gst_pad_add_probe(depay_src.get(), GST_PAD_PROBE_TYPE_BUFFER, count, counter, nullptr);
        GRef<GstPad> depay_sink = adopt_ref(gst_element_get_static_pad(depay, "sink"));
        gst_pad_link(pad, depay_sink.get());
    }

private:
    std::shared_ptr<MediaCounts> counts_;
};

}  // namespace

std::unique_ptr<MediaBehaviour> make_test_source(std::shared_ptr<MediaCounts> counts) {
    return std::make_unique<TestSource>(std::move(counts));
}

}  // namespace mp::media
