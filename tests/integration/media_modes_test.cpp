// The media behaviours of the real programs, as pipeline templates: test
// source, file playback (passed through or transcoded, looped or hung up at
// its end), a user's own template, templates and files that are refused at
// start-up, and mediapeer-call sending a file and recording what comes back.
#include "support/peers_fixture.hpp"

#include <glib/gstdio.h>

using namespace mp::test;

namespace {

// Three seconds of media at 30 frames/s, made once for every test here.
struct MediaFiles {
    TempDir dir;
    std::string vp8_webm = dir.path() + "/vp8-opus.webm";         // VP8 + Opus
    std::string h264_baseline = dir.path() + "/h264-cb-opus.mkv";  // constrained baseline + Opus
    std::string h264_high = dir.path() + "/h264-high.mp4";         // High profile, no audio
    std::string not_media = dir.path() + "/notes.txt";
    bool made = false;

    static constexpr long kVideoFrames = 90;

    MediaFiles() {
        const std::string video = "videotestsrc num-buffers=90 pattern=ball ! "
                                  "video/x-raw,width=320,height=240,framerate=30/1";
        const std::string audio = "audiotestsrc num-buffers=150 ! audioconvert ! opusenc ! queue ! m.";
        made = make(video + " ! vp8enc deadline=1 keyframe-max-dist=30 ! queue ! webmmux name=m ! filesink location=" +
                    vp8_webm + " " + audio) &&
               make(video + " ! x264enc key-int-max=30 ! video/x-h264,profile=constrained-baseline ! h264parse ! "
                            "queue ! matroskamux name=m ! filesink location=" + h264_baseline + " " + audio) &&
               make(video + " ! x264enc key-int-max=30 ! video/x-h264,profile=high ! h264parse ! mp4mux ! "
                            "filesink location=" + h264_high) &&
               g_file_set_contents(not_media.c_str(), "not a media file\n", -1, nullptr);
    }

    static bool make(const std::string& pipeline) {
        std::string output;
        std::vector<std::string> argv = {"gst-launch-1.0", "-q"};
        char** words = nullptr;
        if (!g_shell_parse_argv(pipeline.c_str(), nullptr, &words, nullptr)) return false;
        for (char** w = words; *w; ++w) argv.emplace_back(*w);
        g_strfreev(words);
        bool ok = run_command(argv, &output);
        if (!ok) ADD_FAILURE() << "gst-launch-1.0 " << pipeline << ": " << output;
        return ok;
    }
};

MediaFiles& files() {
    static MediaFiles made;
    return made;
}

// The graph of the bot's last call, dumped at its end (GST_DEBUG_DUMP_DOT_DIR).
std::string call_graph(const std::string& dir) {
    for (const auto& path : files_in(dir)) {
        if (!g_str_has_suffix(path.c_str(), ".dot") || path.find("/call-") == std::string::npos) continue;
        char* text = nullptr;
        if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) continue;
        mp::GCharPtr owned(text);
        return text;
    }
    return "";
}

// An encoder's type or element name in the graph ("GstVP8Enc", "x264enc0").
const std::regex kEncoder("(vp8enc|vp9enc|x264enc|openh264enc|opusenc|avenc_)", std::regex::icase);

// A bot started per test with the arguments the test gives.
class MediaModes : public Peers {
protected:
    void SetUp() override {
        ASSERT_TRUE(files().made);
        std::string error;
        signal_ = SignalProcess::start({}, &error);
        ASSERT_TRUE(signal_) << error;
    }

    void start(const std::vector<std::string>& bot_args) {
        g_setenv("GST_DEBUG_DUMP_DOT_DIR", graphs_.path().c_str(), TRUE);  // the bot inherits it
        bot_ = start_bot(bot_args);
        g_unsetenv("GST_DEBUG_DUMP_DOT_DIR");
        ASSERT_TRUE(bot_);
    }

    // The bot's graph of the call, once the call has ended there.
    std::string graph_of_ended_call() {
        EXPECT_TRUE(pump_until([&] { return !call_graph(graphs_.path()).empty(); }, 10000));
        return call_graph(graphs_.path());
    }

    TempDir graphs_;
};

}  // namespace

TEST_F(MediaModes, TestPipelineSendsAPatternAndAToneThatArrive) {
    start({"--pipeline", "test"});
    CallReport r = call("alice", {"--duration", "3"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_GE(r.video_received, 60) << r.out;   // 3 s at 30 frames/s, minus start-up
    EXPECT_GE(r.audio_received, 100) << r.out;  // 3 s of 20 ms packets, minus start-up
}

// The test source answers send-only: the caller sends no RTP at all, only
// its receiver reports (every 2.5-7.5 s), and they keep the call alive past
// the default media timeout (10 s).
TEST_F(MediaModes, ASendOnlyCallOutlivesTheMediaTimeout) {
    start({"--pipeline", "test"});
    CallReport r = call("alice", {"--duration", "13"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("call ended: the call lasted 13 s"), std::string::npos) << r.out;
    EXPECT_EQ(bot_->stderr_text().find("no media for"), std::string::npos) << bot_->stderr_text();
}

TEST_F(MediaModes, PlayStreamsAVp8FileUntouchedAndHangsUpAtItsEnd) {
    start({"--play", files().vp8_webm});
    CallReport r = call("alice", {"--duration", "30"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("call ended: server hung up"), std::string::npos) << r.out;
    EXPECT_GE(r.video_received, MediaFiles::kVideoFrames * 9 / 10) << r.out;
    EXPECT_LE(r.video_received, MediaFiles::kVideoFrames) << r.out;
    EXPECT_GE(r.audio_received, 140) << r.out;  // 3 s of 20 ms Opus packets
    std::string graph = graph_of_ended_call();
    EXPECT_NE(graph.find("matroskademux"), std::string::npos) << "not the play pipeline";
    EXPECT_FALSE(std::regex_search(graph, kEncoder)) << "an encoder in the play pipeline";
}

TEST_F(MediaModes, PlayPassesH264ThroughToAnH264Caller) {
    start({"--play", files().h264_baseline});
    CallReport r = call("alice", {"--duration", "30", "--h264"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_GE(r.video_received, MediaFiles::kVideoFrames * 9 / 10) << r.out;
    std::string graph = graph_of_ended_call();
    EXPECT_NE(graph.find("GstRtpH264Pay"), std::string::npos) << "not an H.264 call";
    EXPECT_FALSE(std::regex_search(graph, kEncoder)) << "an encoder in the play pipeline";
}

TEST_F(MediaModes, PlayTranscodesAFileWhoseCodecWasNotNegotiated) {
    start({"--play", files().h264_high});  // a VP8 caller; High profile is no WebRTC codec either
    CallReport r = call("alice", {"--duration", "30"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_GE(r.video_received, MediaFiles::kVideoFrames * 8 / 10) << r.out;
    EXPECT_EQ(r.audio_received, 0) << "the file has no audio";
    EXPECT_TRUE(std::regex_search(graph_of_ended_call(), kEncoder)) << "no encoder: not transcoded";
    EXPECT_NE(bot_->stderr_text().find("has no audio stream"), std::string::npos) << bot_->stderr_text();
}

TEST_F(MediaModes, PlayWithLoopStartsTheFileAgainAtItsEnd) {
    start({"--play", files().vp8_webm, "--loop"});
    CallReport r = call("alice", {"--duration", "5"});  // the file lasts 3 s
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("call ended: the call lasted 5 s"), std::string::npos) << r.out;
    EXPECT_GE(r.video_received, MediaFiles::kVideoFrames + 30) << r.out;
}

TEST_F(MediaModes, AUsersOwnTemplateFileIsWhatRuns) {
    TempDir dir;
    std::string path = dir.path() + "/video-only-echo.pipeline";
    ASSERT_TRUE(g_file_set_contents(path.c_str(),
                                    "# video comes back, audio is swallowed\n"
                                    "[video]\nloop = {depay} ! queue ! {parse} ! {pay}\n"
                                    "[audio]\nreceive = {depay} ! fakesink\n",
                                    -1, nullptr));
    start({"--pipeline", path});
    CallReport r = call("alice", {"--duration", "3"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_GE(r.video_received, r.video_sent * 9 / 10) << r.out;
    EXPECT_EQ(r.audio_received, 0) << r.out;
}

TEST_F(MediaModes, MediapeerCallSendsAFileAndRecordsWhatComesBack) {
    start({});  // echo
    TempDir dir;
    std::string recording = dir.path() + "/back.webm";
    CallReport r = call("alice", {"--send", files().vp8_webm, "--record", recording, "--duration", "30"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("call ended: the file ended"), std::string::npos) << r.out;
    EXPECT_GE(r.video_sent, MediaFiles::kVideoFrames * 9 / 10) << r.out;
    EXPECT_GE(r.video_received, r.video_sent * 9 / 10) << r.out;
    Discovered d = discover(recording);
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_TRUE(d.finalized) << recording << " has no Cues: the muxer never finished";
    EXPECT_NE(d.text.find("VP8"), std::string::npos) << d.text;
    EXPECT_NE(d.text.find("Opus"), std::string::npos) << d.text;
    EXPECT_NEAR(d.seconds, 3.0, 1.0) << d.text;
}

// Each refused at start-up: exit 2 and the reason on stderr, before any call.
struct StartupCase {
    const char* name;
    const char* program;
    std::vector<std::string> args;
    const char* template_text;  // written to $DIR/broken.pipeline when set
    const char* says;
};

class RefusedAtStartup : public testing::TestWithParam<StartupCase> {};

TEST_P(RefusedAtStartup, WithAClearError) {
    const StartupCase& c = GetParam();
    ASSERT_TRUE(files().made);
    TempDir dir;
    std::vector<std::string> argv = {built_program(c.program), "--signal", "ws://127.0.0.1:9/"};
    for (std::string arg : c.args) {
        for (auto [from, to] : {std::pair<std::string, std::string>{"$DIR", dir.path()},
                                {"$VP8", files().vp8_webm}, {"$TEXT", files().not_media}})
            if (auto at = arg.find(from); at != std::string::npos) arg.replace(at, from.size(), to);
        argv.push_back(arg);
    }
    if (c.template_text) {
        ASSERT_TRUE(g_file_set_contents((dir.path() + "/broken.pipeline").c_str(), c.template_text, -1, nullptr));
    }
    auto program = Process::start(argv);
    ASSERT_TRUE(program);
    EXPECT_EQ(program->wait(15000), 2) << program->stderr_text();
    EXPECT_NE(program->stderr_text().find(c.says), std::string::npos) << program->stderr_text();
}

INSTANTIATE_TEST_SUITE_P(
    Templates, RefusedAtStartup,
    testing::Values(
        StartupCase{"NoSuchTemplate", "mediapeer", {"--pipeline", "nosuch"}, nullptr, "nosuch.pipeline"},
        StartupCase{"NoSuchElement", "mediapeer", {"--pipeline", "$DIR/broken.pipeline"},
                    "[video]\nsend = nosuchsrc ! {encoder} ! {pay}\n", "no element \"nosuchsrc\""},
        StartupCase{"UnknownPlaceholder", "mediapeer", {"--pipeline", "$DIR/broken.pipeline"},
                    "[video]\nloop = {depay} ! {payy}\n", "unknown placeholder {payy}"},
        StartupCase{"SendWithoutPayloader", "mediapeer", {"--pipeline", "$DIR/broken.pipeline"},
                    "[video]\nsend = videotestsrc ! {encoder}\n", "send must end with ! {pay}"},
        StartupCase{"LoopWithoutOutput", "mediapeer", {"--pipeline", "$DIR/broken.pipeline"},
                    "[audio]\nloop = {depay} ! fakesink\n", "no open output"},
        StartupCase{"ForwardWithElements", "mediapeer", {"--pipeline", "$DIR/broken.pipeline"},
                    "[video]\nloop = {forward} ! queue\n", "{forward} stands alone"},
        StartupCase{"UnknownGroup", "mediapeer", {"--pipeline", "$DIR/broken.pipeline"},
                    "[vidoe]\nloop = {depay} ! {pay}\n", "unknown group [vidoe]"},
        StartupCase{"NotAKeyFile", "mediapeer", {"--pipeline", "$DIR/broken.pipeline"},
                    "videotestsrc ! fakesink\n", "broken.pipeline"},
        StartupCase{"PlayWithoutFile", "mediapeer", {"--pipeline", "play"}, nullptr, "give --play FILE"},
        StartupCase{"MissingPlayFile", "mediapeer", {"--play", "$DIR/missing.webm"}, nullptr, "no such file"},
        StartupCase{"PlayFileThatIsNoMedia", "mediapeer", {"--play", "$TEXT"}, nullptr,
                    "not a playable media file"},
        StartupCase{"PlayWithATemplateThatPlaysNoFile", "mediapeer", {"--play", "$VP8", "--pipeline", "echo"},
                    nullptr, "plays no file"},
        StartupCase{"CallerSendsAMissingFile", "mediapeer-call", {"--call", "server", "--send", "$DIR/x.webm"},
                    nullptr, "no such file"},
        StartupCase{"CallerRecordsH264ToWebm", "mediapeer-call",
                    {"--call", "server", "--h264", "--record", "$DIR/out.webm"}, nullptr, "H.264 goes to .mkv"},
        StartupCase{"CallerRecordsToAnUnwritableDirectory", "mediapeer-call",
                    {"--call", "server", "--record", "/nonexistent/out.webm"}, nullptr, "cannot write to"}),
    [](const testing::TestParamInfo<StartupCase>& info) { return std::string(info.param.name); });
