// A WHIP publisher nobody here wrote the media of: webrtcbin, offering as
// ffmpeg's whip muxer does. It gathers every candidate first and POSTs one
// offer that holds them (no trickle, no PATCH), and it only sends: VP8 and
// Opus, sendonly. A recording bot takes it, and the recording plays.
#include "support/http_exchange.hpp"
#include "support/peers_fixture.hpp"
#include "support/pump.hpp"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

#include <atomic>
#include <memory>

using namespace mp::test;

namespace {

constexpr const char* kPublisher =
    "webrtcbin name=webrtc bundle-policy=max-bundle "
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! vp8enc deadline=1 ! rtpvp8pay ! application/x-rtp,media=video,encoding-name=VP8,payload=96 ! webrtc. "
    "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! opusenc ! rtpopuspay "
    "! application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! webrtc.";

// A promise whose reply the test waits for with a deadline (gst_promise_wait
// has none): the change function runs on webrtcbin's thread.
struct Settled {
    std::atomic<bool> done{false};
    GstPromise* promise = gst_promise_new_with_change_func(
        [](GstPromise*, gpointer self) { static_cast<Settled*>(self)->done = true; }, this, nullptr);
    ~Settled() { gst_promise_unref(promise); }
    const GstStructure* reply(int timeout_ms) {
        if (!pump_until([this] { return done.load(); }, timeout_ms)) return nullptr;
        return gst_promise_get_reply(promise);
    }
};

class NonTricklePublisher {
public:
    NonTricklePublisher() {
        GError* error = nullptr;
        pipeline_ = gst_parse_launch(kPublisher, &error);
        if (error) ADD_FAILURE() << "publisher pipeline: " << error->message;
        g_clear_error(&error);
        webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "webrtc");
        use_only_loopback();
        g_signal_connect(webrtc_, "on-negotiation-needed", G_CALLBACK(+[](GstElement*, std::atomic<bool>* needed) {
                             *needed = true;
                         }),
                         &negotiation_needed_);
    }
    ~NonTricklePublisher() {
        gst_element_set_state(pipeline_, GST_STATE_NULL);
        gst_object_unref(webrtc_);
        gst_object_unref(pipeline_);
    }

    // The offer, once every candidate is gathered into it; "" on a failure.
    std::string offer(int timeout_ms) {
        gst_element_set_state(pipeline_, GST_STATE_PLAYING);
        if (!pump_until([this] { return negotiation_needed_.load(); }, timeout_ms)) return fail("no negotiation");
        send_only();
        Settled created;
        g_signal_emit_by_name(webrtc_, "create-offer", nullptr, created.promise);
        const GstStructure* reply = created.reply(timeout_ms);
        GstWebRTCSessionDescription* offer = nullptr;
        if (!reply || !gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr))
            return fail("no offer");
        g_signal_emit_by_name(webrtc_, "set-local-description", offer, nullptr);
        gst_webrtc_session_description_free(offer);
        if (!pump_until([this] { return gathering() == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE; }, timeout_ms))
            return fail("ICE gathering did not complete");
        return description_text("local-description");
    }

    bool accept_answer(const std::string& text, int timeout_ms) {
        GstSDPMessage* sdp = nullptr;
        gst_sdp_message_new(&sdp);
        if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(text.data()), text.size(), sdp) != GST_SDP_OK) {
            gst_sdp_message_free(sdp);
            return false;
        }
        GstWebRTCSessionDescription* answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
        Settled set;
        g_signal_emit_by_name(webrtc_, "set-remote-description", answer, set.promise);
        gst_webrtc_session_description_free(answer);
        return set.reply(timeout_ms) == nullptr && set.done;  // an empty reply: no error
    }

    bool connected() const {
        GstWebRTCICEConnectionState state;
        g_object_get(webrtc_, "ice-connection-state", &state, nullptr);
        return state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
               state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED;
    }

private:
    std::string fail(const char* what) {
        ADD_FAILURE() << "publisher: " << what;
        return "";
    }

    void use_only_loopback() {
        GObject *ice = nullptr, *agent = nullptr;
        g_object_get(webrtc_, "ice-agent", &ice, nullptr);
        if (ice) g_object_get(ice, "agent", &agent, nullptr);
        NiceAddress loopback;
        nice_address_init(&loopback);
        nice_address_set_from_string(&loopback, "127.0.0.1");
        if (agent) nice_agent_add_local_address(NICE_AGENT(agent), &loopback);
        if (agent) g_object_unref(agent);
        if (ice) g_object_unref(ice);
    }

    void send_only() {
        GArray* transceivers = nullptr;
        g_signal_emit_by_name(webrtc_, "get-transceivers", &transceivers);
        for (guint i = 0; transceivers && i < transceivers->len; ++i)
            g_object_set(g_array_index(transceivers, GstWebRTCRTPTransceiver*, i), "direction",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
        if (transceivers) g_array_unref(transceivers);
    }

    GstWebRTCICEGatheringState gathering() const {
        GstWebRTCICEGatheringState state;
        g_object_get(webrtc_, "ice-gathering-state", &state, nullptr);
        return state;
    }

    std::string description_text(const char* property) const {
        GstWebRTCSessionDescription* description = nullptr;
        g_object_get(webrtc_, property, &description, nullptr);
        if (!description) return "";
        gchar* text = gst_sdp_message_as_text(description->sdp);
        std::string out = text;
        g_free(text);
        gst_webrtc_session_description_free(description);
        return out;
    }

    GstElement* pipeline_ = nullptr;
    GstElement* webrtc_ = nullptr;
    std::atomic<bool> negotiation_needed_{false};
};

class WhipPublishers : public Peers {
protected:
    WhipPublishers() { bot_args_ = {"--name", "recorder", "--record-dir", dir_.path()}; }
    static void SetUpTestSuite() { gst_init(nullptr, nullptr); }  // the publisher runs in this process
    mp::test::TempDir dir_;
};

}  // namespace

TEST_F(WhipPublishers, AWebrtcbinPublisherThatDoesNotTrickleIsRecordedWithBothStreams) {
    NonTricklePublisher publisher;
    std::string offer = publisher.offer(10000);
    ASSERT_NE(offer.find("a=candidate:"), std::string::npos) << "the offer must hold its candidates: " << offer;
    ASSERT_NE(offer.find("a=sendonly"), std::string::npos) << offer;
    auto created = http(session_, HttpRequest{"POST", signal_->url() + "whip/recorder", offer, "application/sdp", {}},
                        10000);
    ASSERT_EQ(created.status, 201u) << created.body << created.error << bot_->stderr_text();
    ASSERT_TRUE(publisher.accept_answer(created.body, 5000)) << created.body;
    ASSERT_TRUE(pump_until([&] { return publisher.connected(); }, 10000)) << bot_->stderr_text();
    gint64 connected = g_get_monotonic_time();
    pump_until([&] { return g_get_monotonic_time() - connected > 3 * G_USEC_PER_SEC; }, 4000);  // 3 s of media

    auto deleted = http(session_, HttpRequest{"DELETE", signal_->url() + created.header("Location").substr(1), {}, {}, {}});
    EXPECT_EQ(deleted.status, 200u) << deleted.body;
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("recording finalized") != std::string::npos; }, 10000))
        << bot_->stderr_text();
    EXPECT_NE(bot_->stderr_text().find("answering video VP8 recvonly; audio OPUS recvonly"), std::string::npos)
        << bot_->stderr_text();
    auto files = files_in(dir_.path());
    ASSERT_EQ(files.size(), 1u);
    Discovered d = discover(files[0]);
    EXPECT_TRUE(d.ok && d.finalized) << d.text;
    EXPECT_NE(d.text.find("VP8"), std::string::npos) << d.text;
    EXPECT_NE(d.text.find("Opus"), std::string::npos) << d.text;
    EXPECT_NEAR(d.seconds, 3.0, 1.0) << d.text;
}
