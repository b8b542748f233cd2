// The receive shortcut on a queue of the test's own: packets still in the
// queue, or on their way out of it, go first and in order; then the queue is
// out of the path. The probe never waits on the streaming thread for the
// queue to drain (it used to sleep there, up to 100 ms, and then give up).
#include "peer/receive_shortcut.hpp"
#include "common/gst_ptr.hpp"
#include "support/pump.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

using mp::GRef;
using mp::adopt_ref;
using mp::test::pump_until;

namespace {

// our src pad ! capsfilter ! queue ! fakesink; the test pushes on its pad.
class ReceiveShortcut : public ::testing::Test {
protected:
    static void SetUpTestSuite() { gst_init(nullptr, nullptr); }

    void SetUp() override {
        pipeline_ = GRef<GstElement>::ref(gst_pipeline_new(nullptr));
        capsfilter_ = GRef<GstElement>::ref(gst_element_factory_make("capsfilter", nullptr));
        queue_ = GRef<GstElement>::ref(gst_element_factory_make("queue", nullptr));
        sink_ = GRef<GstElement>::ref(gst_element_factory_make("fakesink", nullptr));
        g_object_set(sink_.get(), "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, nullptr);
        g_signal_connect(sink_.get(), "handoff", G_CALLBACK(+[](GstElement*, GstBuffer* b, GstPad*, gpointer self) {
                             static_cast<ReceiveShortcut*>(self)->arrived(GST_BUFFER_OFFSET(b));
                         }), this);
        gst_bin_add_many(GST_BIN(pipeline_.get()), capsfilter_.get(), queue_.get(), sink_.get(), nullptr);
        ASSERT_TRUE(gst_element_link_many(capsfilter_.get(), queue_.get(), sink_.get(), nullptr));
        src_ = GRef<GstPad>::ref(gst_pad_new("src", GST_PAD_SRC));
        GRef<GstPad> into = pad(capsfilter_.get(), "sink");
        ASSERT_EQ(gst_pad_link(src_.get(), into.get()), GST_PAD_LINK_OK);
        ASSERT_NE(gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
        gst_pad_set_active(src_.get(), TRUE);
        gst_pad_push_event(src_.get(), gst_event_new_stream_start("shortcut-test"));
        mp::CapsPtr caps(gst_caps_new_empty_simple("application/x-rtp"));
        gst_pad_push_event(src_.get(), gst_event_new_caps(caps.get()));
        GstSegment segment;
        gst_segment_init(&segment, GST_FORMAT_BYTES);
        gst_pad_push_event(src_.get(), gst_event_new_segment(&segment));
    }
    void TearDown() override {
        release_queue_output();
        gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
        gst_pad_set_active(src_.get(), FALSE);
    }

    static GRef<GstPad> pad(GstElement* element, const char* name) {
        return adopt_ref(gst_element_get_static_pad(element, name));
    }

    // Packet `number` from the reading thread (here, the test's).
    GstFlowReturn push(guint64 number) {
        GstBuffer* buffer = gst_buffer_new_allocate(nullptr, 12, nullptr);
        GST_BUFFER_OFFSET(buffer) = number;
        return gst_pad_push(src_.get(), buffer);
    }

    // The queue's thread stops inside its push of the next packet, in the
    // sink's input: the packet is on its way out of the queue.
    void hold_queue_output() {
        GRef<GstPad> out = pad(sink_.get(), "sink");
        hold_ = gst_pad_add_probe(out.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER),
                                  [](GstPad*, GstPadProbeInfo*, gpointer held) {
                                      static_cast<std::atomic<bool>*>(held)->store(true);
                                      return GST_PAD_PROBE_OK;  // stays blocked
                                  },
                                  &held_, nullptr);
    }
    void release_queue_output() {
        if (!hold_) return;
        GRef<GstPad> out = pad(sink_.get(), "sink");
        gst_pad_remove_probe(out.get(), std::exchange(hold_, 0));
    }

    guint queued() const {
        guint level = 0;
        g_object_get(queue_.get(), "current-level-buffers", &level, nullptr);
        return level;
    }
    bool queue_bypassed() const {
        GRef<GstPad> out = pad(capsfilter_.get(), "src");
        GRef<GstPad> peer = adopt_ref(gst_pad_get_peer(out.get()));
        GRef<GstPad> sink_pad = pad(sink_.get(), "sink");
        return peer.get() == sink_pad.get();
    }
    std::vector<guint64> arrivals() {
        std::lock_guard lock(mutex_);
        return arrived_;
    }
    bool arrived_count(size_t n) { return arrivals().size() == n; }
    bool arm_shortcut() { return mp::peer::bypass_queue_once_drained(queue_.get()); }

    std::atomic<bool> held_{false};

private:
    void arrived(guint64 number) {
        std::lock_guard lock(mutex_);
        arrived_.push_back(number);
    }

    GRef<GstElement> pipeline_, capsfilter_, queue_, sink_;
    GRef<GstPad> src_;
    gulong hold_ = 0;
    std::mutex mutex_;
    std::vector<guint64> arrived_;
};

}  // namespace

TEST_F(ReceiveShortcut, PacketsStillQueuedGoFirstThenTheQueueIsOutOfThePath) {
    hold_queue_output();
    ASSERT_EQ(push(1), GST_FLOW_OK);
    ASSERT_TRUE(pump_until([&] { return held_.load(); }));
    ASSERT_EQ(push(2), GST_FLOW_OK);
    ASSERT_TRUE(pump_until([&] { return queued() == 1; }));

    ASSERT_TRUE(arm_shortcut());
    ASSERT_EQ(push(3), GST_FLOW_OK);  // the queue holds one: this one goes behind it, with no wait
    EXPECT_EQ(queued(), 2u);
    EXPECT_FALSE(queue_bypassed());

    release_queue_output();
    ASSERT_TRUE(pump_until([&] { return arrived_count(3); }));
    ASSERT_EQ(push(4), GST_FLOW_OK);  // finds the queue drained: goes past it
    EXPECT_TRUE(queue_bypassed());
    ASSERT_TRUE(pump_until([&] { return arrived_count(4); }));
    EXPECT_EQ(arrivals(), (std::vector<guint64>{1, 2, 3, 4}));
}

TEST_F(ReceiveShortcut, APacketOnItsWayOutOfTheQueueIsNotOvertaken) {
    hold_queue_output();
    ASSERT_EQ(push(1), GST_FLOW_OK);
    ASSERT_TRUE(pump_until([&] { return held_.load(); }));
    ASSERT_EQ(queued(), 0u);  // empty, but its thread still pushes packet 1

    ASSERT_TRUE(arm_shortcut());
    ASSERT_EQ(push(2), GST_FLOW_OK);
    EXPECT_FALSE(queue_bypassed());

    release_queue_output();
    ASSERT_TRUE(pump_until([&] { return arrived_count(2); }));
    ASSERT_EQ(push(3), GST_FLOW_OK);
    EXPECT_TRUE(queue_bypassed());
    ASSERT_TRUE(pump_until([&] { return arrived_count(3); }));
    EXPECT_EQ(arrivals(), (std::vector<guint64>{1, 2, 3}));
}

TEST_F(ReceiveShortcut, AQueueNotLinkedOnBothSidesIsLeftAlone) {
    GRef<GstElement> lone = GRef<GstElement>::ref(gst_element_factory_make("queue", nullptr));
    EXPECT_FALSE(mp::peer::bypass_queue_once_drained(lone.get()));
}
