// A template's behaviour outlives its call's hold on the pipeline: the hop a
// source's end posts from its streaming thread may arrive after the call
// stopped and dropped its pipeline. The behaviour holds the pipeline (it used
// to keep a raw pointer, read after it was freed) and ends nothing then.
#include "media/templated.hpp"
#include "common/gst_ptr.hpp"
#include "support/pump.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

using mp::GRef;
using mp::test::pump_until;

namespace {

// Sends three frames and ends: its end reaches the behaviour at once.
constexpr const char* kShortSource =
    "[video]\n"
    "send = videotestsrc num-buffers=3 ! video/x-raw,width=64,height=48,framerate=30/1 ! {encoder} ! {pay}\n";

mp::media::MediaLine video_line() {
    mp::media::MediaLine line;
    line.index = 0;
    line.kind = "video";
    line.encoding = "VP8";
    line.payload_type = 96;
    line.rtp_caps = "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000";
    line.ssrc = 1234;
    line.we_send = true;
    return line;
}

// Stands in for webrtcbin: what is sent on sink_0 is dropped.
GstElement* make_webrtc_stand_in() {
    GstElement* bin = gst_bin_new("webrtc");
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(bin), sink);
    GRef<GstPad> into = mp::adopt_ref(gst_element_get_static_pad(sink, "sink"));
    gst_element_add_pad(bin, gst_ghost_pad_new("sink_0", into.get()));
    return bin;
}

class TemplatedLifetime : public ::testing::Test {
protected:
    static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
    void SetUp() override {
        std::ofstream(path_) << kShortSource;
        auto loaded = mp::media::load_template(path_.string(), MP_PIPELINES_DIR, nullptr);
        ASSERT_TRUE(loaded) << loaded.error();
        mp::media::TemplateSettings settings;
        settings.pipeline = std::make_shared<const mp::media::PipelineTemplate>(std::move(*loaded));
        behaviour = mp::media::make_templated(std::move(settings));
        behaviour->end_call = [this](const std::string&) { ++ends; };
    }
    void TearDown() override { std::filesystem::remove(path_); }

    std::unique_ptr<mp::media::MediaBehaviour> behaviour;
    std::atomic<int> ends{0};

private:
    std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                  ("templated-test-" + std::to_string(getpid()) + ".pipeline");
};

void note_finalized(gpointer finalized, GObject*) { *static_cast<bool*>(finalized) = true; }

// The hop is queued on the main context, not run: nothing here iterates it.
bool hop_queued(int timeout_ms) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    while (!g_main_context_pending(nullptr)) {
        if (g_get_monotonic_time() >= deadline) return false;
        g_usleep(1000);
    }
    return true;
}

}  // namespace

TEST_F(TemplatedLifetime, ASourceEndArrivingAfterTheCallDroppedItsPipelineEndsNothing) {
    GRef<GstElement> pipeline = GRef<GstElement>::ref(gst_pipeline_new(nullptr));
    GstElement* webrtc = make_webrtc_stand_in();
    gst_bin_add(GST_BIN(pipeline.get()), webrtc);
    behaviour->setup(GST_BIN(pipeline.get()), webrtc, {video_line()});
    ASSERT_NE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    behaviour->on_connected(GST_BIN(pipeline.get()));
    ASSERT_TRUE(hop_queued(mp::test::kDefaultTimeoutMs)) << "the source's end was never posted";

    // The call stops and lets go of its pipeline before the hop arrives.
    bool finalized = false;
    g_object_weak_ref(G_OBJECT(pipeline.get()), note_finalized, &finalized);
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    pipeline.reset();
    EXPECT_FALSE(finalized) << "the behaviour must hold the pipeline its hops use";

    int turns = 0;
    pump_until([&] { return ++turns > 20; }, 200);
    EXPECT_EQ(ends.load(), 0) << "a call already stopped was ended again";

    behaviour.reset();
    EXPECT_TRUE(finalized) << "the behaviour let go of the pipeline as it went";
}
