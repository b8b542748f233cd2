// The real programs together on loopback: mediapeer-signal, mediapeer (the
// server peer) and mediapeer-call (the caller). ICE is held to 127.0.0.1.
// What is checked is what arrives, from mediapeer-call's report.
#include "support/peers_fixture.hpp"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

using namespace mp::protocol;
using namespace mp::test;
using mp::GRef;
using mp::GBytesPtr;
using mp::adopt_ref;

TEST_F(Peers, EchoReturnsAtLeast90PercentOfVp8FramesAndOpusPackets) {
    expect_echoed(call("alice"));
}

TEST_F(Peers, EchoReturnsAtLeast90PercentOfH264Frames) {
    expect_echoed(call("alice", {"--h264"}));
}

TEST_F(Peers, CallsInARowAndSideBySide) {
    expect_echoed(call("first"));
    auto a = start_call("a", {"--duration", "2"});
    auto b = start_call("b", {"--duration", "2"});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->wait(30000), 0) << a->stdout_text() << a->stderr_text();
    EXPECT_EQ(b->wait(30000), 0) << b->stdout_text() << b->stderr_text();
    expect_echoed(call("last"));
}

// Each call has its own pipeline: ten at once all get their media back.
TEST_F(Peers, TenConcurrentEchoCallsAllGetTheirFramesBack) {
    std::vector<std::unique_ptr<Process>> callers;
    for (int i = 0; i < 10; ++i) callers.push_back(start_call("caller" + std::to_string(i), {"--duration", "4"}));
    for (auto& caller : callers) {
        ASSERT_TRUE(caller);
        expect_echoed(report_of(*caller, 60000));
    }
}

TEST_F(Peers, CallToAUserWhoIsOfflineFails) {
    auto caller = Process::start({built_program("mediapeer-call"), "--signal", signal_->ws_url(),
                                  "--name", "carol", "--call", "nobody", "--ice-address", "127.0.0.1"});
    ASSERT_TRUE(caller);
    EXPECT_EQ(caller->wait(15000), 1);
    EXPECT_NE(caller->stdout_text().find("(not_online)"), std::string::npos)
        << caller->stdout_text();
}

TEST_F(Peers, ATakenNameIsAClearErrorAndANonZeroExit) {
    auto second = Process::start({built_program("mediapeer"), "--signal", signal_->ws_url(),
                                  "--ice-address", "127.0.0.1"});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->wait(15000), 1);
    EXPECT_NE(second->stderr_text().find("name server is taken"), std::string::npos)
        << second->stderr_text();
}

TEST_F(Peers, GarbageSdpGetsALeaveAndTheBotServesTheNextCall) {
    std::string error;
    auto mallory = mp::test::WsClient::connect(session_, signal_->ws_url(), &error);
    ASSERT_TRUE(mallory) << error;
    ASSERT_TRUE(mallory->login("mallory"));
    mallory->send(Offer{"server", R"({"type":"offer","sdp":"this is not SDP"})"});
    auto leave = mallory->next_as<Leave>(10000);
    ASSERT_TRUE(leave) << mallory->last_unexpected();
    EXPECT_EQ(leave->name, "server");
    expect_echoed(call("alice"));
    EXPECT_NE(bot_->stderr_text().find("refused the offer: SDP"), std::string::npos) << bot_->stderr_text();
}

TEST_F(Peers, AnAnswerToAnOfferWeNeverMadeIsLoggedAndTheBotServesTheNextCall) {
    std::string error;
    auto mallory = WsClient::connect(session_, signal_->ws_url(), &error);
    ASSERT_TRUE(mallory) << error;
    ASSERT_TRUE(mallory->login("mallory"));
    mallory->send(Offer{"server", valid_offer()});  // partners now: the server relays what follows
    ASSERT_TRUE(mallory->next_as<Answer>(10000)) << mallory->last_unexpected() << bot_->stderr_text();
    mallory->send(Answer{"server", R"({"type":"answer","sdp":"v=0\r\n"})"});
    EXPECT_TRUE(pump_until([&] { return bot_->stderr_text().find("[call mallory] ignored an answer") != std::string::npos; }))
        << bot_->stderr_text();
    expect_echoed(call("alice"));
}

TEST_F(Peers, ASecondOfferFromACallerInACallIsRefusedAndTheFirstCallGoesOn) {
    std::string error;
    auto mallory = WsClient::connect(session_, signal_->ws_url(), &error);
    ASSERT_TRUE(mallory) << error;
    ASSERT_TRUE(mallory->login("mallory"));
    mallory->send(Offer{"server", valid_offer()});
    auto answer = mallory->next_as<Answer>(10000);
    ASSERT_TRUE(answer) << mallory->last_unexpected() << bot_->stderr_text();
    mallory->send(Offer{"server", valid_offer()});
    EXPECT_TRUE(pump_until([&] { return bot_->stderr_text().find("[call mallory] refused a second offer") != std::string::npos; }))
        << bot_->stderr_text();
    expect_echoed(call("alice"));
    EXPECT_EQ(bot_->stderr_text().find("mallory#1] ended"), std::string::npos) << "the first call was ended";
}

TEST_F(Peers, SigtermHangsUpEveryCallAndExitsZero) {
    auto caller = start_call("alice", {"--duration", "60"});
    ASSERT_TRUE(caller);
    ASSERT_TRUE(mp::test::pump_until(
        [&] { return bot_->stderr_text().find("ICE connected") != std::string::npos; }, 15000))
        << bot_->stderr_text();
    EXPECT_EQ(bot_->stop(SIGTERM, 5000), 0);
    caller->wait(10000);
    EXPECT_NE(caller->stdout_text().find("server hung up"), std::string::npos) << caller->stdout_text();
}

namespace {

}  // namespace

// Media does not go through signaling: a call outlives its signaling server's
// restart, and the bot logs in again on its own.
TEST_F(Peers, ASignalingServerRestartMidCallKeepsTheCallAndTheBotComesBack) {
    auto caller = start_call("alice", {"--duration", "8"});
    ASSERT_TRUE(caller);
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("ICE connected") != std::string::npos; }, 15000));
    std::string listen = signal_->url().substr(std::string("http://").size());
    listen.pop_back();  // the trailing '/'
    signal_->stop(SIGKILL);
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("signaling lost") != std::string::npos; }, 10000))
        << bot_->stderr_text();
    std::string error;
    ASSERT_TRUE(pump_until([&] { return bool(signal_ = SignalProcess::start({"--listen", listen}, &error)); }, 10000))
        << error;
    EXPECT_TRUE(pump_until([&] { return count_of(bot_->stdout_text(), "logged in as server") == 2; }, 20000))
        << bot_->stderr_text();
    CallReport r = report_of(*caller, 30000);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_GT(r.video_sent, 200) << r.out;  // 8 s at 30 frames/s
    EXPECT_GE(r.video_received, r.video_sent * 9 / 10) << "the media stopped: " << r.out;
    expect_echoed(call("bob"));  // a new call through the new signaling server
    EXPECT_NE(bot_->stderr_text().find("back on signaling with 1 calls going on"), std::string::npos)
        << bot_->stderr_text();
}

TEST_F(Peers, DataChannelMessagesGetAnswersAndStatsHaveNumbers) {
    CallReport r = call("alice", {"--chat", "hello", "--chat", "/help", "--chat", "/stats"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("chat: echo: hello"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("chat: commands: /stats"), std::string::npos) << r.out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        r.out, m, std::regex(R"(chat: codec VP8, OPUS; bitrate in (\d+) kbit/s; packets received (\d+), lost (-?\d+); rtt )")))
        << r.out;
    EXPECT_GT(std::stol(m[2]), 0) << "packets received";
}

TEST_F(Peers, FiftyCallsInARowLeaveNoFileDescriptorOrThreadBehind) {
    expect_echoed(call("warm-up"));  // first-call allocations (plugins, DTLS) are not leaks
    int fds = bot_->open_fds(), threads = bot_->threads();
    ASSERT_GT(fds, 0);
    for (int i = 0; i < 50; ++i) {
        CallReport r = call("caller" + std::to_string(i), {"--duration", "1"});
        ASSERT_EQ(r.status, 0) << "call " << i << ": " << r.out << r.err << "\nmediapeer: " << bot_->stderr_text();
    }
    // The bot ends each call when the caller's leave arrives: wait for the last.
    EXPECT_TRUE(mp::test::pump_until([&] { return bot_->open_fds() <= fds; }, 10000))
        << "fds before " << fds << ", after " << bot_->open_fds();
    EXPECT_TRUE(mp::test::pump_until([&] { return bot_->threads() <= threads; }, 10000))
        << "threads before " << threads << ", after " << bot_->threads();
}

class PeersRecording : public Peers {
protected:
    PeersRecording() { bot_args_ = {"--record-dir", dir_.path(), "--media-timeout", "2"}; }

    // Starts a long call and returns it once it has run `seconds` after ICE connected.
    std::unique_ptr<Process> call_running_for(int seconds) {
        auto caller = start_call("alice", {"--duration", "60"});
        EXPECT_TRUE(mp::test::pump_until(
            [&] { return bot_->stderr_text().find("ICE connected") != std::string::npos; }, 15000));
        gint64 connected = g_get_monotonic_time();
        mp::test::pump_until(
            [&] { return g_get_monotonic_time() - connected > seconds * G_USEC_PER_SEC; },
            seconds * 1000 + 1000);
        return caller;
    }

    // The one recording, once the bot says it is finalized.
    Discovered recording(const char* extension) {
        EXPECT_TRUE(mp::test::pump_until(
            [&] { return bot_->stderr_text().find("recording finalized") != std::string::npos; },
            10000))
            << bot_->stderr_text();
        auto files = files_in(dir_.path());
        EXPECT_EQ(files.size(), 1u);
        if (files.size() != 1) return {};
        EXPECT_TRUE(g_str_has_suffix(files[0].c_str(), extension)) << files[0];
        EXPECT_NE(files[0].find("-alice."), std::string::npos) << files[0];
        Discovered d = discover(files[0]);
        EXPECT_TRUE(d.finalized) << files[0] << " has no Cues: the muxer never finished";
        return d;
    }

    mp::test::TempDir dir_;
};

TEST_F(PeersRecording, HangUpLeavesAPlayableWebmOfTheCallsLength) {
    expect_echoed(call("alice", {"--duration", "3"}));
    if (HasFailure()) ADD_FAILURE() << "mediapeer: " << bot_->stderr_text();
    Discovered d = recording(".webm");
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_NE(d.text.find("VP8"), std::string::npos) << d.text;
    EXPECT_NE(d.text.find("Opus"), std::string::npos) << d.text;
    EXPECT_NEAR(d.seconds, 3.0, 1.0) << d.text;
}

TEST_F(PeersRecording, H264GoesToMatroska) {
    expect_echoed(call("alice", {"--duration", "3", "--h264"}));
    Discovered d = recording(".mkv");
    EXPECT_NE(d.text.find("H.264"), std::string::npos) << d.text;
    EXPECT_NEAR(d.seconds, 3.0, 1.0) << d.text;
}

TEST_F(PeersRecording, ACallerKilledMidCallStillLeavesAFinalizedFile) {
    auto caller = call_running_for(3);
    ASSERT_TRUE(caller);
    caller->stop(SIGKILL, 5000);
    Discovered d = recording(".webm");
    EXPECT_TRUE(d.ok) << d.text;
    // The call ends when the signaling server reports the caller gone (at
    // once) or at the media timeout (2 s later); the jitterbuffer may mark
    // the silence until then as lost media, and the file then lasts that long.
    EXPECT_GE(d.seconds, 3.0 - 1.0) << d.text;
    EXPECT_LE(d.seconds, 3.0 + 2.0 + 1.0) << d.text;
}

TEST_F(PeersRecording, SigtermMidCallFinalizesTheRecordingAndExitsZero) {
    auto caller = call_running_for(2);
    ASSERT_TRUE(caller);
    EXPECT_EQ(bot_->stop(SIGTERM, 5000), 0);
    Discovered d = recording(".webm");
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_NEAR(d.seconds, 2.0, 1.0) << d.text;
}

// Nothing finalizes the file: what was written must play as it is, with a
// duration close to what was recorded.
TEST_F(PeersRecording, KillingTheBotMidCallLeavesAFileThatPlaysUpToTheKill) {
    auto caller = call_running_for(8);  // long enough that a file without its Duration reads short
    ASSERT_TRUE(caller);
    bot_->stop(SIGKILL, 5000);
    auto files = files_in(dir_.path());
    ASSERT_EQ(files.size(), 1u);
    Discovered d = discover(files[0]);
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_NE(d.text.find("VP8"), std::string::npos) << d.text;
    EXPECT_NEAR(d.seconds, 8.0, 3.0) << d.text;
}

TEST(PeersStartup, AnUnwritableRecordDirIsAClearErrorAtStartUp) {
    auto bot = Process::start({built_program("mediapeer"), "--record-dir", "/nonexistent/recordings"});
    ASSERT_TRUE(bot);
    EXPECT_EQ(bot->wait(10000), 2);
    EXPECT_NE(bot->stderr_text().find("--record-dir /nonexistent/recordings: not a writable directory"),
              std::string::npos)
        << bot->stderr_text();
}

class PeersWithACallLimit : public Peers {
protected:
    PeersWithACallLimit() { bot_args_ = {"--max-calls", "2"}; }
};

TEST_F(PeersWithACallLimit, AnOfferBeyondTheLimitGetsBusyAndTheBotServesOnceACallEnds) {
    auto a = start_call("a", {"--duration", "60"});
    auto b = start_call("b", {"--duration", "60"});
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(pump_until([&] {
        std::string log = bot_->stderr_text();  // a and b may come in either order
        return std::regex_search(log, std::regex(R"(\[call a#\d+\] ICE connected)")) &&
               std::regex_search(log, std::regex(R"(\[call b#\d+\] ICE connected)"));
    }, 15000)) << bot_->stderr_text();
    CallReport third = call("c");
    EXPECT_EQ(third.status, 1) << third.out;
    EXPECT_NE(third.out.find("call ended: server hung up (busy)"), std::string::npos) << third.out;
    EXPECT_NE(bot_->stderr_text().find("[call c] refused the offer: busy"), std::string::npos);
    a->stop(SIGTERM, 5000);  // a leaves; its place is free again
    ASSERT_TRUE(pump_until([&] { return std::regex_search(bot_->stderr_text(), std::regex(R"(\[call a#\d+\] ended)")); }));
    expect_echoed(call("d"));
}

class PeersWithMetrics : public Peers {
protected:
    PeersWithMetrics() {
        bot_args_ = {"--http", "127.0.0.1:0", "--max-calls", "1", "--media-timeout", "2", "--record-dir", dir_.path()};
    }
    std::string status_url() {
        std::smatch m;
        std::string out = bot_->stdout_text();  // printed before "logged in"
        return std::regex_search(out, m, std::regex("mediapeer status on (\\S+)")) ? m[1].str() : "";
    }
    TempDir dir_;
};

TEST_F(PeersWithMetrics, MetricsCountWhatHappenedAndHealthFollowsSignaling) {
    std::string url = status_url();
    ASSERT_FALSE(url.empty()) << bot_->stdout_text();
    EXPECT_EQ(http_get(url + "healthz").status, 200u);
    expect_echoed(call("alice"));  // answered
    auto frozen = start_call("frozen", {"--duration", "60"});
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("[call frozen#2] ICE connected") != std::string::npos; }, 15000));
    EXPECT_NE(call("busy").out.find("(busy)"), std::string::npos);  // busy: one call at a time
    frozen->stop(SIGSTOP, 0);
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("ended: no media for 2 s") != std::string::npos; }, 10000));
    frozen->stop(SIGKILL, 5000);
    std::string error;
    auto mallory = WsClient::connect(session_, signal_->ws_url(), &error);
    ASSERT_TRUE(mallory && mallory->login("mallory")) << error;
    mallory->send(Offer{"server", R"({"type":"offer","sdp":"not SDP"})"});  // failed
    ASSERT_TRUE(mallory->next_as<Leave>(10000));
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("recording finalized", bot_->stderr_text().find("frozen#2] ended")) != std::string::npos; }, 10000));

    std::string m = http_get(url + "metrics").body;
    EXPECT_EQ(sample(m, "mediapeer_calls_total{outcome=\"answered\"}"), 1) << m;
    EXPECT_EQ(sample(m, "mediapeer_calls_total{outcome=\"busy\"}"), 1) << m;
    EXPECT_EQ(sample(m, "mediapeer_calls_total{outcome=\"media_timeout\"}"), 1) << m;
    EXPECT_EQ(sample(m, "mediapeer_calls_total{outcome=\"failed\"}"), 1) << m;
    EXPECT_EQ(sample(m, "mediapeer_active_calls"), 0) << m;
    EXPECT_EQ(sample(m, "mediapeer_call_setup_seconds_count"), 2) << m;
    EXPECT_EQ(sample(m, "mediapeer_recordings_total"), 2) << m;
    std::uint64_t bytes = 0;
    for (const auto& file : files_in(dir_.path())) {
        GStatBuf st;
        if (g_stat(file.c_str(), &st) == 0) bytes += static_cast<std::uint64_t>(st.st_size);
    }
    EXPECT_EQ(sample(m, "mediapeer_recording_bytes_total"), static_cast<double>(bytes)) << m;
    EXPECT_GT(sample(m, "mediapeer_rtp_packets_received_total"), 100) << m;
    EXPECT_GT(sample(m, "mediapeer_rtp_packets_sent_total"), 100) << m;
    EXPECT_GE(sample(m, "mediapeer_key_frame_requests_total"), 0) << m;
    EXPECT_GE(sample(m, "mediapeer_packets_lost_total"), 0) << m;
    EXPECT_EQ(sample(m, "mediapeer_signaling_reconnects_total"), 0) << m;

    std::string listen = signal_->url().substr(std::string("http://").size());
    listen.pop_back();
    signal_->stop(SIGKILL);
    EXPECT_TRUE(pump_until([&] { return http_get(url + "healthz").status == 503; }, 10000));
    ASSERT_TRUE(pump_until([&] { return bool(signal_ = SignalProcess::start({"--listen", listen}, &error)); }, 10000));
    EXPECT_TRUE(pump_until([&] { return http_get(url + "healthz").status == 200; }, 20000));
    EXPECT_EQ(sample(http_get(url + "metrics").body, "mediapeer_signaling_reconnects_total"), 1);
}

class PeersWithMediaTimeout : public Peers {
protected:
    PeersWithMediaTimeout() { bot_args_ = {"--media-timeout", "2"}; }
};

// Nobody can tell the bot that a caller went away while signaling is down:
// the media timeout does.
TEST_F(PeersWithMediaTimeout, ACallerThatVanishesWhileSignalingIsDownIsEndedByTheMediaTimeout) {
    auto caller = start_call("alice", {"--duration", "60"});
    ASSERT_TRUE(caller);
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("ICE connected") != std::string::npos; }, 15000));
    signal_->stop(SIGKILL);
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("signaling lost") != std::string::npos; }, 10000));
    caller->stop(SIGKILL, 5000);
    EXPECT_TRUE(pump_until(
        [&] { return bot_->stderr_text().find("[call alice#1] ended: no media for 2 s") != std::string::npos; }, 10000))
        << bot_->stderr_text();
}

TEST_F(PeersWithMediaTimeout, ACallerThatFreezesIsEndedAndTheBotServesTheNextCall) {
    auto caller = start_call("frozen", {"--duration", "60"});
    ASSERT_TRUE(caller);
    ASSERT_TRUE(mp::test::pump_until(
        [&] { return bot_->stderr_text().find("ICE connected") != std::string::npos; }, 15000));
    caller->stop(SIGSTOP, 0);  // alive, connected, silent
    ASSERT_TRUE(mp::test::pump_until([&] { return caller->stopped(); }));
    EXPECT_TRUE(mp::test::pump_until(
        [&] { return bot_->stderr_text().find("ended: no media for 2 s") != std::string::npos; },
        10000))
        << bot_->stderr_text();
    caller->stop(SIGKILL, 5000);
    expect_echoed(call("alice"));  // and the bot serves the next call
}
