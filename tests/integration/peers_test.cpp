// The real programs together on loopback: mediapeer-signal, mediapeer (the
// server peer) and mediapeer-call (the caller). ICE is held to 127.0.0.1.
// What is checked is what arrives, from mediapeer-call's report.
#include "support/process.hpp"
#include "support/pump.hpp"
#include "support/signal_process.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>

using namespace mp::protocol;
using mp::test::built_program;
using mp::test::Process;
using mp::test::SignalProcess;

namespace {

struct CallReport {
    int status = -1;
    long video_sent = -1, video_received = -1, audio_sent = -1, audio_received = -1;
    std::string out, err;
};

long number(const std::string& text, const char* pattern) {
    std::smatch m;
    return std::regex_search(text, m, std::regex(pattern)) ? std::stol(m[1]) : -1;
}

class Peers : public testing::Test {
protected:
    void SetUp() override {
        std::string error;
        signal_ = SignalProcess::start({}, &error);
        ASSERT_TRUE(signal_) << error;
        bot_ = start_bot(bot_args_);
        ASSERT_TRUE(bot_);
    }

    std::unique_ptr<Process> start_bot(const std::vector<std::string>& extra) {
        std::vector<std::string> argv = {built_program("mediapeer"), "--signal", signal_->ws_url(),
                                         "--ice-address", "127.0.0.1"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto bot = Process::start(argv);
        if (!bot || !bot->wait_line(std::regex("logged in as"), 10000)) {
            ADD_FAILURE() << "mediapeer did not log in: " << (bot ? bot->stderr_text() : "");
            return nullptr;
        }
        return bot;
    }

    std::unique_ptr<Process> start_call(const std::string& name, const std::vector<std::string>& extra) {
        std::vector<std::string> argv = {built_program("mediapeer-call"), "--signal",
                                         signal_->ws_url(), "--name", name, "--call", "server",
                                         "--ice-address", "127.0.0.1"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return Process::start(argv);
    }

    CallReport call(const std::string& name, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"--duration", "2"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto caller = start_call(name, args);
        CallReport r;
        if (!caller) return r;
        r.status = caller->wait(30000);
        r.out = caller->stdout_text();
        r.err = caller->stderr_text();
        r.video_sent = number(r.out, R"(sent: video (\d+) frames)");
        r.video_received = number(r.out, R"(received: video (\d+) frames)");
        r.audio_sent = number(r.out, R"(sent: video \d+ frames \d+ bytes, audio (\d+) packets)");
        r.audio_received = number(r.out, R"(received: video \d+ frames \d+ bytes, audio (\d+) packets)");
        return r;
    }

    static void expect_echoed(const CallReport& r) {
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        EXPECT_GT(r.video_sent, 30) << r.out;
        EXPECT_GE(r.video_received, r.video_sent * 9 / 10) << r.out;
        EXPECT_GE(r.audio_received, r.audio_sent * 9 / 10) << r.out;
    }

    std::vector<std::string> bot_args_;
    mp::test::TestSession session_;
    std::unique_ptr<SignalProcess> signal_;
    std::unique_ptr<Process> bot_;
};

}  // namespace

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

TEST_F(Peers, CallToAUserWhoIsOfflineFails) {
    auto caller = Process::start({built_program("mediapeer-call"), "--signal", signal_->ws_url(),
                                  "--name", "carol", "--call", "nobody", "--ice-address", "127.0.0.1"});
    ASSERT_TRUE(caller);
    EXPECT_EQ(caller->wait(15000), 1);
    EXPECT_NE(caller->stdout_text().find("user nobody is not online"), std::string::npos)
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
        ASSERT_EQ(r.status, 0) << "call " << i << ": " << r.out << r.err;
    }
    // The bot ends each call when the caller's leave arrives: wait for the last.
    EXPECT_TRUE(mp::test::pump_until([&] { return bot_->open_fds() <= fds; }, 10000))
        << "fds before " << fds << ", after " << bot_->open_fds();
    EXPECT_TRUE(mp::test::pump_until([&] { return bot_->threads() <= threads; }, 10000))
        << "threads before " << threads << ", after " << bot_->threads();
}

// What gst-discoverer-1.0 says of a recording.
struct Discovered {
    bool ok = false;
    bool finalized = false;
    double seconds = -1;
    std::string text;
};

// Matroska's Cues element (ID 1C 53 BB 6B) is written when the muxer
// finishes: a file without it was cut off, however well players cope. The
// same four bytes also stand in the SeekHead at the start, as a SeekID
// (53 AB 84 before them); those do not count.
bool finalized_matroska(const std::string& path) {
    char* contents = nullptr;
    gsize size = 0;
    if (!g_file_get_contents(path.c_str(), &contents, &size, nullptr)) return false;
    mp::GCharPtr owned(contents);
    std::string_view file(contents, size);
    const std::string_view cues("\x1c\x53\xbb\x6b", 4), seek_id("\x53\xab\x84", 3);
    for (auto at = file.find(cues); at != std::string_view::npos; at = file.find(cues, at + 1))
        if (at < 3 || file.substr(at - 3, 3) != seek_id) return true;
    return false;
}

Discovered discover(const std::string& path) {
    Discovered d;
    d.ok = mp::test::run_command({"gst-discoverer-1.0", path}, &d.text);
    d.finalized = finalized_matroska(path);
    std::smatch m;
    if (std::regex_search(d.text, m, std::regex(R"(Duration: (\d+):(\d+):(\d+\.\d+))")))
        d.seconds = std::stoi(m[1]) * 3600 + std::stoi(m[2]) * 60 + std::stod(m[3]);
    return d;
}

// The files in `dir` (recordings are the only ones there).
std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> files;
    GDir* d = g_dir_open(dir.c_str(), 0, nullptr);
    while (const char* name = d ? g_dir_read_name(d) : nullptr) files.push_back(dir + "/" + name);
    if (d) g_dir_close(d);
    return files;
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
    caller->stop(SIGKILL, 5000);  // no leave: the media timeout (2 s) ends the call
    Discovered d = recording(".webm");
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_NEAR(d.seconds, 3.0, 1.0) << d.text;
}

TEST_F(PeersRecording, SigtermMidCallFinalizesTheRecordingAndExitsZero) {
    auto caller = call_running_for(2);
    ASSERT_TRUE(caller);
    EXPECT_EQ(bot_->stop(SIGTERM, 5000), 0);
    Discovered d = recording(".webm");
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_NEAR(d.seconds, 2.0, 1.0) << d.text;
}

TEST(PeersStartup, AnUnwritableRecordDirIsAClearErrorAtStartUp) {
    auto bot = Process::start({built_program("mediapeer"), "--record-dir", "/nonexistent/recordings"});
    ASSERT_TRUE(bot);
    EXPECT_EQ(bot->wait(10000), 2);
    EXPECT_NE(bot->stderr_text().find("--record-dir /nonexistent/recordings: not a writable directory"),
              std::string::npos)
        << bot->stderr_text();
}

class PeersWithMediaTimeout : public Peers {
protected:
    PeersWithMediaTimeout() { bot_args_ = {"--media-timeout", "2"}; }
};

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
