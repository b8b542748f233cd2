// Two real webrtcbin calls in one process, joined by an in-memory signaller:
// a caller sending a test pattern and a tone, an answerer echoing them.
// ICE uses 127.0.0.1 only.
#include "media/templated.hpp"
#include "peer/call_manager.hpp"
#include "peer/call.hpp"
#include "support/pump.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cstring>

using namespace mp::peer;

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
    ~LinkedSignaller() override { *alive_ = false; }  // events still queued are dropped
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
        auto* boxed = new std::function<void()>([to, event, alive = alive_] {
            if (*alive) event(*to->events_);
        });
        g_idle_add_full(
            G_PRIORITY_DEFAULT,
            [](gpointer data) -> gboolean {
                (*static_cast<std::function<void()>*>(data))();
                return G_SOURCE_REMOVE;
            },
            boxed, [](gpointer data) { delete static_cast<std::function<void()>*>(data); });
    }

    std::string name_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // both sides die together
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
        call = std::make_shared<Call>(peer, signaller_, make_echo(), loopback(), *this);
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
    void on_refused(const std::string&) override {}
    void on_failed(const std::string&) override {}

    void on_call_ended(const std::string&, const std::string& reason) override { ended = reason; }
    void on_ice_connected(const std::string&) override { ice_connected = true; }

    std::shared_ptr<Call> call;
    std::string ended;
    bool ice_connected = false;

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
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.frames >= 30; }, 15000))
        << "video frames back: " << received_->video_received.frames << ", ended: " << caller_.ended
        << " / " << bot_.ended;
    EXPECT_TRUE(mp::test::pump_until([&] { return received_->audio_received.frames >= 25; }, 5000));
    EXPECT_TRUE(caller_.ice_connected);
    caller_.call->end("done", true);
    EXPECT_TRUE(mp::test::pump_until([&] { return !bot_.ended.empty(); }));
    EXPECT_EQ(bot_.ended, "peer left");
}

TEST_F(CallEcho, H264ComesBack) {
    call_with(true);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.frames >= 30; }, 15000))
        << "video frames back: " << received_->video_received.frames << ", ended: " << caller_.ended
        << " / " << bot_.ended;
    EXPECT_EQ(codecs_in(bot_.call->pipeline()), "") << "the echo must not decode or encode";
    caller_.call->end("done", true);
}

TEST_F(CallEcho, EchoPipelineHasNoDecoderOrEncoder) {
    call_with(false);
    ASSERT_TRUE(mp::test::pump_until([&] { return received_->video_received.frames >= 10; }, 15000));
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
    EXPECT_TRUE(mp::test::pump_until([&] { return received_->video_received.frames >= 10; }, 15000))
        << "ended: " << caller.ended;
    EXPECT_GE(caller_signaller.candidates_sent, 1);
    caller.call->end("done", true);
    bot.end_all("done", [] {});
}
