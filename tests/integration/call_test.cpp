// Two real webrtcbin calls in one process, joined by an in-memory signaller:
// a caller sending a test pattern and a tone, an answerer echoing them.
// ICE uses 127.0.0.1 only.
#include "common/main_hop.hpp"
#include "media/templated.hpp"
#include "peer/call_manager.hpp"
#include "peer/call.hpp"
#include "peer/webrtcbin_setup.hpp"
#include "support/pump.hpp"

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <optional>

using namespace mp::peer;
using mp::GRef;
using mp::adopt_ref;

namespace {

// The shipped templates, from the source tree.
std::unique_ptr<mp::media::MediaBehaviour> from_template(const char* name,
                                                        std::shared_ptr<mp::media::MediaCounts> counts = nullptr) {
    auto loaded = mp::media::load_template(name, MP_PIPELINES_DIR, nullptr);
    EXPECT_TRUE(loaded) << loaded.error();
    mp::media::TemplateSettings settings;
    settings.pipeline = std::make_shared<const mp::media::PipelineTemplate>(std::move(*loaded));
    settings.counts = std::move(counts);
    return mp::media::make_templated(std::move(settings));
}
std::unique_ptr<mp::media::MediaBehaviour> make_echo() { return from_template("echo"); }
std::unique_ptr<mp::media::MediaBehaviour> make_test_source(std::shared_ptr<mp::media::MediaCounts> counts) {
    return from_template("test", std::move(counts));
}

// Delivers to the other side on a later main-loop turn, like a network would.
class LinkedSignaller final : public Signaller {
public:
    explicit LinkedSignaller(std::string name) : name_(std::move(name)) {}
    // Events still queued when it goes are dropped (both sides die together).
    void link(LinkedSignaller& other) { other_ = &other; }

    void start(SignallerEvents& events) override { events_ = &events; }
    void send_sdp(const std::string&, const SessionDescription& d) override {
        if (d.type == "offer" && hold_offer_for_candidates > 0) {
            held_offer_ = d;  // sent once that many candidates went ahead of it
            return;
        }
        deliver([d, from = name_](SignallerEvents& e) {
            if (d.type == "offer")
                e.on_offer(from, d);
            else
                e.on_answer(from, d);
        });
    }
    void send_candidate(const std::string&, const IceCandidate& c) override {
        ++candidates_sent;
        if (drop_candidates || (hold_offer_for_candidates < 0)) return;
        deliver([c, from = name_](SignallerEvents& e) { e.on_candidate(from, c); });
        if (held_offer_ && candidates_sent >= hold_offer_for_candidates) {
            hold_offer_for_candidates = -1;  // later candidates are lost
            auto offer = *std::exchange(held_offer_, std::nullopt);
            deliver([offer, from = name_](SignallerEvents& e) { e.on_offer(from, offer); });
        }
    }
    void hang_up(const std::string&, const std::optional<std::string>& reason) override {
        deliver([reason, from = name_](SignallerEvents& e) { e.on_leave(from, reason); });
    }
    void stop() override {}

    int candidates_sent = 0;
    // > 0: the offer goes after this many candidates, and later ones are lost.
    int hold_offer_for_candidates = 0;
    bool drop_candidates = false;       // this side's candidates never arrive

private:
    std::optional<SessionDescription> held_offer_;
    void deliver(std::function<void(SignallerEvents&)> event) {
        LinkedSignaller* to = other_;
        mp::post_to_main(g_main_context_default(), std::weak_ptr<bool>(alive_),
                         [to, event](bool&) { event(*to->events_); });
    }

    std::string name_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // what queued events hold, weakly
    LinkedSignaller* other_ = nullptr;
    SignallerEvents* events_ = nullptr;
};

CallOptions loopback() {
    CallOptions o;
    o.ice_addresses = {"127.0.0.1"};
    return o;
}

// One side of the test: owns its call and feeds it the signaller's events.
class Side : public SignallerEvents, public CallObserver {
public:
    Side(std::string name, LinkedSignaller& signaller) : name_(std::move(name)), signaller_(signaller) {
        signaller_.start(*this);
    }

    void on_ready(const std::string&) override {}
    void on_offer(const std::string& peer, const SessionDescription& offer) override {
        call = std::make_shared<Call>(peer, signaller_, from_template(echo_template.c_str()), options, *this);
        call->accept_offer(offer, MediaWishes{});
    }
    void on_answer(const std::string&, const SessionDescription& answer) override {
        call->accept_answer(answer);
    }
    void on_candidate(const std::string&, const IceCandidate& candidate) override {
        if (call) call->add_remote_candidate(candidate);
    }
    void on_leave(const std::string&, const std::optional<std::string>&) override {
        if (call) call->end("peer left", false);
    }
    void on_invalid(const std::string&, const std::string&) override {}
    void on_refused(const std::string&, const std::string&) override {}
    void on_failed(const std::string&) override {}

    void on_call_ended(const std::string&, const std::string& reason) override { ended = reason; }
    void on_ice_connected(const std::string&) override { ice_connected = true; }

    // A call ends asynchronously (its final stats, a recording's last bytes)
    // and then tells its observer: this side must outlive that.
    void end_and_wait() {
        if (!call) return;
        call->end("test over", false);
        mp::test::pump_until([this] { return !ended.empty(); });
    }

    std::shared_ptr<Call> call;
    std::string ended;
    bool ice_connected = false;
    std::string echo_template = "echo";  // what an offer is answered with
    CallOptions options = loopback();     // and with which options

private:
    std::string name_;
    LinkedSignaller& signaller_;
};

// Names of every decoder and encoder anywhere in `pipeline`.
std::string codecs_in(GstElement* pipeline) {
    std::string found;
    mp::for_each_element(GST_BIN(pipeline), [&found](GstElement* element) {
        GstElementFactory* factory = gst_element_get_factory(element);
        const char* klass =
            factory ? gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_KLASS) : "";
        if (klass && strstr(klass, "Codec") && (strstr(klass, "Decoder") || strstr(klass, "Encoder")))
            found += std::string(GST_OBJECT_NAME(factory)) + " ";
    });
    return found;
}

class CallEcho : public testing::Test {
protected:
    static void SetUpTestSuite() { gst_init(nullptr, nullptr); }

    CallEcho() : caller_signaller_("alice"), bot_signaller_("server"), caller_("alice", caller_signaller_),
                 bot_("server", bot_signaller_) {
        caller_signaller_.link(bot_signaller_);
        bot_signaller_.link(caller_signaller_);
    }
    ~CallEcho() override {
        caller_.end_and_wait();
        bot_.end_and_wait();
    }

    void call_with(bool h264) {
        caller_.call = std::make_shared<Call>("server", caller_signaller_,
                                              make_test_source(received_), loopback(),
                                              caller_);
        caller_.call->make_offer(caller_lines(h264), false);
    }

    LinkedSignaller caller_signaller_, bot_signaller_;
    Side caller_, bot_;
    std::shared_ptr<mp::media::MediaCounts> received_ = std::make_shared<mp::media::MediaCounts>();
};

}  // namespace

TEST_F(CallEcho, Vp8AndOpusComeBack) {
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 30; }, 15000))
        << "video frames back: " << received_->video_received.buffers << ", ended: " << caller_.ended
        << " / " << bot_.ended;
    EXPECT_TRUE(mp::test::pump_until([&] { return received_->audio_received.buffers >= 25; }, 5000));
    EXPECT_TRUE(caller_.ice_connected);
    caller_.call->end("done", true);
    EXPECT_TRUE(mp::test::pump_until([&] { return !bot_.ended.empty(); }));
    EXPECT_EQ(bot_.ended, "peer left");
}

// A server asks no router for a port mapping: libnice's UPnP would hold each
// call's host candidates back until the router answered or 200 ms passed.
TEST_F(CallEcho, WebrtcbinAsksNoRouterForAPortMapping) {
    CallOptions options;
    options.ice_addresses = {"127.0.0.1"};
    GRef<GstElement> webrtc = GRef<GstElement>::ref(make_webrtcbin(options, "test"));
    ASSERT_TRUE(webrtc);
    GRef<GObject> ice, agent;
    g_object_get(webrtc.get(), "ice-agent", ice.out_ptr(), nullptr);
    ASSERT_TRUE(ice);
    g_object_get(ice.get(), "agent", agent.out_ptr(), nullptr);
    ASSERT_TRUE(agent);
    gboolean upnp = TRUE;
    g_object_get(agent.get(), "upnp", &upnp, nullptr);
    EXPECT_FALSE(upnp);
}

TEST_F(CallEcho, H264ComesBack) {
    call_with(true);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 30; }, 15000))
        << "video frames back: " << received_->video_received.buffers << ", ended: " << caller_.ended
        << " / " << bot_.ended;
    EXPECT_EQ(codecs_in(bot_.call->pipeline()), "") << "the echo must not decode or encode";
    caller_.call->end("done", true);
}

TEST_F(CallEcho, EchoPipelineHasNoDecoderOrEncoder) {
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 10; }, 15000));
    EXPECT_EQ(codecs_in(bot_.call->pipeline()), "");
    // The check itself works: the caller's pipeline encodes.
    EXPECT_NE(codecs_in(caller_.call->pipeline()).find("vp8enc"), std::string::npos);
    caller_.call->end("done", true);
}

// Only the caller's first candidate arrives, before its offer; the bot's
// never arrive. The call connects only if the bot uses that early one.
TEST_F(CallEcho, CandidatesThatArriveBeforeTheOfferAreUsed) {
    LinkedSignaller caller_signaller("alice"), bot_signaller("server");
    caller_signaller.link(bot_signaller);
    bot_signaller.link(caller_signaller);
    caller_signaller.hold_offer_for_candidates = 1;
    bot_signaller.drop_candidates = true;
    CallManager bot(bot_signaller, [](const std::string&) { return make_echo(); },
                    MediaWishes{}, loopback());
    bot_signaller.start(bot);
    Side caller("alice", caller_signaller);
    caller.call = std::make_shared<Call>("server", caller_signaller,
                                         make_test_source(received_), loopback(), caller);
    caller.call->make_offer(caller_lines(false), false);
    EXPECT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 10; }, 15000))
        << "ended: " << caller.ended;
    EXPECT_GE(caller_signaller.candidates_sent, 1);
    caller.end_and_wait();
    bool bot_done = false;
    bot.end_all("done", [&] { bot_done = true; });
    EXPECT_TRUE(mp::test::pump_until([&] { return bot_done; }));
}

namespace {

GstElement* element_made_by(GstElement* pipeline, const char* factory_name) {
    GstElement* found = nullptr;
    mp::for_each_element(GST_BIN(pipeline), [&](GstElement* element) {
        if (!found && mp::made_by(element, factory_name)) found = element;
    });
    return found;  // owned by the pipeline
}

GRef<GstPad> pad_of(GstElement* element, const char* name) {
    return adopt_ref(gst_element_get_static_pad(element, name));
}

struct Rtp {
    guint payload_type = 0;
    guint seqnum = 0;
};
std::optional<Rtp> rtp_of(GstBuffer* buffer) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return std::nullopt;
    Rtp header{gst_rtp_buffer_get_payload_type(&rtp), gst_rtp_buffer_get_seq(&rtp)};
    gst_rtp_buffer_unmap(&rtp);
    return header;
}

}  // namespace

// The caller's receiver asks for a key frame (as it does when a frame
// cannot be decoded). The echo sends back the caller's own frames, so only
// the caller's encoder can make one: the request must come back to it.
// Both shipped echoes: RTP forwarded, and depayloaded/payloaded again.
class KeyFrameRequest : public CallEcho, public testing::WithParamInterface<const char*> {};

TEST_P(KeyFrameRequest, ReachesTheCallersEncoder) {
    bot_.echo_template = GetParam();
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 10; }, 15000));
    GstElement* encoder = element_made_by(caller_.call->pipeline(), "vp8enc");
    GstElement* depay = element_made_by(caller_.call->pipeline(), "rtpvp8depay");
    ASSERT_TRUE(encoder && depay);
    std::atomic<int> asked{0};
    GRef<GstPad> encoded = pad_of(encoder, "src");
    gulong watching = gst_pad_add_probe(
        encoded.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) {
            if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) ++*static_cast<std::atomic<int>*>(data);
            return GST_PAD_PROBE_OK;
        },
        &asked, nullptr);
    GRef<GstPad> depay_sink = pad_of(depay, "sink");
    gst_pad_push_event(depay_sink.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    EXPECT_TRUE(mp::test::pump_until([&] { return asked > 0; }, 5000))
        << "the caller's encoder was never asked for a key frame";
    gst_pad_remove_probe(encoded.get(), watching);
    caller_.call->end("done", true);
}

INSTANTIATE_TEST_SUITE_P(ShippedEchoes, KeyFrameRequest, testing::Values("echo", "echo-repay"),
                         [](const testing::TestParamInfo<const char*>& info) {
                             return std::string(info.param) == "echo" ? "Forwarded" : "Repayloaded";
                         });

TEST_F(CallEcho, RepayloadingEchoSendsFramesBack) {
    bot_.echo_template = "echo-repay";
    call_with(false);
    EXPECT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 30; }, 15000))
        << "video frames back: " << received_->video_received.buffers;
    EXPECT_TRUE(mp::test::pump_until([&] { return received_->audio_received.buffers >= 25; }, 5000));
    EXPECT_EQ(codecs_in(bot_.call->pipeline()), "") << "the echo must not decode or encode";
    caller_.call->end("done", true);
}

// One of the caller's video packets is lost on its way to the bot. The echo
// keeps the caller's sequence numbers, so the caller gets that number back
// only if the bot asked for the packet again (NACK) and echoed the
// retransmission: nothing else would.
TEST_F(CallEcho, APacketLostOnTheWayInIsAskedForAgainAndEchoed) {
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 10; }, 15000));
    GstElement* pay = element_made_by(caller_.call->pipeline(), "rtpvp8pay");
    GstElement* rtpbin = element_made_by(caller_.call->pipeline(), "rtpbin");
    ASSERT_TRUE(pay && rtpbin);
    struct Loss {
        guint video_pt = 0;
        std::atomic<int> countdown{30};
        std::atomic<int> lost{-1};  // the sequence number dropped
        std::atomic<bool> came_back{false};
    } loss;
    g_object_get(pay, "pt", &loss.video_pt, nullptr);
    auto drop_one = [](GstPad*, GstPadProbeInfo* info, gpointer data) -> GstPadProbeReturn {
        auto& l = *static_cast<Loss*>(data);
        auto drop_it = [&l](GstBuffer* b) {
            auto rtp = rtp_of(b);
            if (!rtp || rtp->payload_type != l.video_pt || l.lost >= 0 || --l.countdown > 0) return false;
            l.lost = static_cast<int>(rtp->seqnum);
            return true;
        };
        if (info->type & GST_PAD_PROBE_TYPE_BUFFER) return drop_it(GST_PAD_PROBE_INFO_BUFFER(info)) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
        GstBufferList* list = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
        GST_PAD_PROBE_INFO_DATA(info) = list;
        for (guint i = 0; i < gst_buffer_list_length(list); ++i)
            if (drop_it(gst_buffer_list_get(list, i))) {
                gst_buffer_list_remove(list, i, 1);
                break;
            }
        return GST_PAD_PROBE_OK;
    };
    auto watch_for_it = [](GstPad*, GstPadProbeInfo* info, gpointer data) -> GstPadProbeReturn {
        auto& l = *static_cast<Loss*>(data);
        auto check = [&l](GstBuffer* b) {
            auto rtp = rtp_of(b);
            if (rtp && rtp->payload_type == l.video_pt && static_cast<int>(rtp->seqnum) == l.lost) l.came_back = true;
        };
        if (info->type & GST_PAD_PROBE_TYPE_BUFFER) check(GST_PAD_PROBE_INFO_BUFFER(info));
        else
            for (guint i = 0; i < gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info)); ++i)
                check(gst_buffer_list_get(GST_PAD_PROBE_INFO_BUFFER_LIST(info), i));
        return GST_PAD_PROBE_OK;
    };
    auto buffers = static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);
    // After the caller's retransmission buffer, before encryption; and what
    // comes in, decrypted.
    GRef<GstPad> sent = pad_of(rtpbin, "send_rtp_src_0"), arrived = pad_of(rtpbin, "recv_rtp_sink_0");
    ASSERT_TRUE(sent && arrived);
    gulong watching = gst_pad_add_probe(arrived.get(), buffers, watch_for_it, &loss, nullptr);
    gulong dropping = gst_pad_add_probe(sent.get(), buffers, drop_one, &loss, nullptr);
    ASSERT_TRUE(mp::test::pump_until([&] { return loss.lost >= 0; }, 5000));
    EXPECT_TRUE(mp::test::pump_until([&] { return loss.came_back.load(); }, 5000))
        << "packet " << loss.lost << " never came back";
    gst_pad_remove_probe(sent.get(), dropping);
    gst_pad_remove_probe(arrived.get(), watching);
    caller_.call->end("done", true);
    EXPECT_TRUE(mp::test::pump_until([&] { return !bot_.ended.empty(); }));
}

// Once connected, packets are carried from the thread that read them
// (peer/receive_shortcut.hpp): webrtcbin's receive queue is out of the path,
// on both sides of the call. A GStreamer whose receive bin has another shape
// fails this (the saving is gone; the call still works).
TEST_F(CallEcho, ReceiveQueueIsOutOfThePathOnceConnected) {
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 10; }, 15000));
    for (GstElement* pipeline : {bot_.call->pipeline(), caller_.call->pipeline()}) {
        int receive_queues = 0, linked = 0;
        mp::for_each_element(GST_BIN(pipeline), [&](GstElement* element) {
            GRef<GstObject> bin = adopt_ref(gst_object_get_parent(GST_OBJECT(element)));
            if (!bin || !g_str_equal(G_OBJECT_TYPE_NAME(bin.get()), "TransportReceiveBin")) return;
            if (!g_str_has_prefix(GST_OBJECT_NAME(element), "queue")) return;
            ++receive_queues;
            GRef<GstPad> sink = pad_of(element, "sink");
            if (gst_pad_is_linked(sink.get())) ++linked;
        });
        EXPECT_EQ(receive_queues, 1) << "one bundled transport, one receive bin";
        EXPECT_EQ(linked, 0) << "the receive queue still carries packets";
    }
    EXPECT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 40; }, 5000))
        << "frames stopped after the receive path changed";
    caller_.call->end("done", true);
}

// Audio and video packets alternate into webrtcbin's rtpfunnel, which sends
// the segment of the line each packet comes from whenever the line changes.
// The forwarding echo gives every line the same segment, so after the first
// none goes on down the send path (one per switch cost ~8% of the echo's CPU).
TEST_F(CallEcho, EchoedLinesSwitchingSendNoSegmentDownTheSendPath) {
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 10; }, 15000));
    GstElement* funnel = element_made_by(bot_.call->pipeline(), "rtpfunnel");
    ASSERT_TRUE(funnel);
    struct Seen {
        std::atomic<int> segments{0}, switches{0};
        int last_pt = -1;  // the funnel's streaming thread only
    } seen;
    GRef<GstPad> out = pad_of(funnel, "src");
    gulong watching = gst_pad_add_probe(
        out.get(),
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER),
        [](GstPad*, GstPadProbeInfo* info, gpointer data) {
            auto& s = *static_cast<Seen*>(data);
            if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
                auto rtp = rtp_of(GST_PAD_PROBE_INFO_BUFFER(info));
                if (rtp && s.last_pt != static_cast<int>(rtp->payload_type)) {
                    if (s.last_pt >= 0) ++s.switches;
                    s.last_pt = static_cast<int>(rtp->payload_type);
                }
            } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_SEGMENT) {
                ++s.segments;
            }
            return GST_PAD_PROBE_OK;
        },
        &seen, nullptr);
    EXPECT_TRUE(mp::test::pump_until([&] { return seen.switches >= 40; }, 10000))
        << "audio and video did not alternate: " << seen.switches << " switches";
    gst_pad_remove_probe(out.get(), watching);
    EXPECT_EQ(seen.segments, 0) << "over " << seen.switches << " switches between lines";
    caller_.call->end("done", true);
}

// Between rtpsession and the jitterbuffers (rtpstorage, rtpssrcdemux) and
// between webrtcbin's sink_<N> and rtpfunnel (clocksync, FEC and RED
// encoders) webrtcbin has elements that pass packets on as they are: the
// forwarding echo takes the caller's packets before the first and hands them
// to rtpfunnel past the second.
TEST_F(CallEcho, ForwardedPacketsSkipWhatOnlyPassesThemOn) {
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 10; }, 15000));
    struct Counts {
        std::atomic<int> sent{0}, clocksyncs{0}, storage{0};
    } counts;
    auto count_into = [](GstPad*, GstPadProbeInfo*, gpointer counter) {
        ++*static_cast<std::atomic<int>*>(counter);
        return GST_PAD_PROBE_OK;
    };
    std::vector<std::pair<GRef<GstPad>, gulong>> probes;
    mp::for_each_element(GST_BIN(bot_.call->pipeline()), [&](GstElement* element) {
        GRef<GstObject> parent = adopt_ref(gst_object_get_parent(GST_OBJECT(element)));
        bool input_clocksync = mp::made_by(element, "clocksync") && GST_IS_ELEMENT(parent.get()) &&
                               mp::made_by(GST_ELEMENT(parent.get()), "webrtcbin");  // not dtlssrtpenc's
        std::atomic<int>* counter = mp::made_by(element, "rtpfunnel") ? &counts.sent
                                    : input_clocksync                   ? &counts.clocksyncs
                                    : mp::made_by(element, "rtpstorage") ? &counts.storage
                                                                         : nullptr;
        if (!counter) return;
        GRef<GstPad> src = pad_of(element, "src");
        probes.emplace_back(src, gst_pad_add_probe(src.get(), GST_PAD_PROBE_TYPE_BUFFER, count_into, counter, nullptr));
    });
    EXPECT_TRUE(mp::test::pump_until([&] { return counts.sent >= 100; }, 10000));
    for (auto& [pad, id] : probes) gst_pad_remove_probe(pad.get(), id);
    EXPECT_EQ(counts.clocksyncs, 0) << "of " << counts.sent << " packets sent";
    EXPECT_EQ(counts.storage, 0) << "of " << counts.sent << " packets sent";
    EXPECT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 40; }, 5000));
    caller_.call->end("done", true);
}

namespace {

GstPadProbeReturn drop_everything(GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_DROP; }

}  // namespace

// The receive shortcut rewires webrtcbin's receive path on nicesrc's thread.
// When the other side then goes silent (as after a lost network: no packet,
// no consent check answered), the call must end cleanly by its media timeout,
// its teardown joining every streaming thread, the rewired path included.
TEST_F(CallEcho, AShortcutCallWhosePeerGoesSilentEndsCleanly) {
    bot_.options.media_timeout_s = 2;
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.buffers >= 10; }, 15000));
    int unlinked = 0;
    mp::for_each_element(GST_BIN(bot_.call->pipeline()), [&](GstElement* element) {
        GRef<GstObject> bin = adopt_ref(gst_object_get_parent(GST_OBJECT(element)));
        if (!bin || !g_str_equal(G_OBJECT_TYPE_NAME(bin.get()), "TransportReceiveBin")) return;
        if (!mp::made_by(element, "queue")) return;
        if (!gst_pad_is_linked(pad_of(element, "sink").get())) ++unlinked;
    });
    ASSERT_GT(unlinked, 0) << "the receive path was not shortcut";
    // The caller's network goes: nothing it sends leaves any more.
    mp::for_each_element(GST_BIN(caller_.call->pipeline()), [](GstElement* element) {
        if (mp::made_by(element, "nicesink"))
            gst_pad_add_probe(pad_of(element, "sink").get(), GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, drop_everything,
                              nullptr, nullptr);
    });
    ASSERT_TRUE(mp::test::pump_until([&] { return !bot_.ended.empty(); }, 10000)) << "the bot's call never ended";
    EXPECT_EQ(bot_.ended.rfind("no media for 2 s", 0), 0u) << bot_.ended;
    EXPECT_EQ(bot_.call->pipeline(), nullptr) << "the pipeline was not stopped";
    EXPECT_TRUE(mp::test::pump_until([&] { return !caller_.ended.empty(); }, 5000));
}

namespace {

// What a CallManager tells its signaller, kept; nothing goes anywhere.
class RecordingSignaller final : public Signaller {
public:
    void start(SignallerEvents&) override {}
    void send_sdp(const std::string&, const SessionDescription& d) override { sdp_types.push_back(d.type); }
    void send_candidate(const std::string&, const IceCandidate&) override {}
    void hang_up(const std::string& peer, const std::optional<std::string>& reason) override {
        hang_ups.push_back(peer + ":" + reason.value_or(""));
    }
    void send_load(const PeerLoad& load) override { loads.push_back(load); }
    void stop() override {}

    std::vector<std::string> sdp_types, hang_ups;
    std::vector<PeerLoad> loads;
};

// One VP8 line, credentials, a fingerprint: enough for webrtcbin to answer.
std::string answerable_offer_sdp() {
    std::string fingerprint;
    for (int i = 0; i < 32; ++i) fingerprint += (i ? ":" : "") + std::string("AB");
    return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
           "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
           "a=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
           "a=fingerprint:sha-256 " + fingerprint + "\r\na=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n";
}

}  // namespace

namespace mp::peer {
void PrintTo(const PeerLoad& l, std::ostream* os) {
    *os << "{" << l.calls << "," << l.max_calls << "," << (l.draining ? "draining" : "open") << "}";
}
}  // namespace mp::peer

// Each change of calls, limit or draining is told once; draining refuses new
// offers with busy, and its callback runs when the last call has ended.
TEST(CallManagerLoad, TellsEachChangeOnceAndDrainsUntilTheLastCallEnds) {
    gst_init(nullptr, nullptr);
    RecordingSignaller signaller;
    CallManager bot(signaller, [](const std::string&) { return make_echo(); }, MediaWishes{}, loopback());
    bot.set_max_calls(2);
    bot.on_ready("server");  // nothing changed since
    bot.on_offer("alice", {"offer", answerable_offer_sdp()});
    ASSERT_TRUE(mp::test::pump_until([&] { return !signaller.sdp_types.empty(); }, 10000));
    EXPECT_EQ(bot.active_calls(), 1u);
    bool drained = false;
    bot.drain([&] { drained = true; });
    bot.on_offer("bob", {"offer", answerable_offer_sdp()});
    EXPECT_EQ(signaller.hang_ups, (std::vector<std::string>{"bob:busy"}));
    EXPECT_EQ(bot.counters().busy, 1u);
    EXPECT_FALSE(drained) << "alice's call goes on";
    bot.on_leave("alice", std::nullopt);
    EXPECT_TRUE(mp::test::pump_until([&] { return drained; }, 10000));
    EXPECT_EQ(signaller.loads, (std::vector<PeerLoad>{{0, 2, false}, {1, 2, false}, {1, 2, true}, {0, 2, true}}));
}
