// --config FILE for both programs: a key file whose keys are the flags; the
// command line wins; a typo or a bad value stops the program at start-up.
#include "support/peers_fixture.hpp"

using namespace mp::test;

namespace {

std::string write_config(const TempDir& dir, const std::string& text) {
    std::string path = dir.path() + "/mediapeer.conf";
    EXPECT_TRUE(g_file_set_contents(path.c_str(), text.c_str(), -1, nullptr));
    return path;
}

}  // namespace

TEST(ConfigFile, TheSignalingServerTakesItsFlagsFromTheFileAndTheCommandLineWins) {
    TempDir dir;
    std::string path = write_config(dir, "# ICE servers for the page\n[mediapeer-signal]\n"
                                         "stun = stun:file.example:3478\nturn = turn:file.example:3478\n"
                                         "turn-user = alice\nturn-password = secret\n");
    std::string error;
    auto signal = SignalProcess::start({"--config", path, "--turn", "turn:flag.example:3478"}, &error);
    ASSERT_TRUE(signal) << error;
    HttpReply reply = http_get(signal->url() + "config.json");
    ASSERT_EQ(reply.status, 200u);
    const std::string& config = reply.body;
    EXPECT_NE(config.find("stun:file.example:3478"), std::string::npos) << config;
    EXPECT_NE(config.find("turn:flag.example:3478"), std::string::npos) << config;
    EXPECT_EQ(config.find("turn:file.example"), std::string::npos) << "the flag did not win: " << config;
    EXPECT_NE(config.find("\"username\":\"alice\""), std::string::npos) << config;
}

TEST(ConfigFile, TheServerPeerTakesItsBehaviourFromTheFile) {
    TempDir dir;
    std::string error;
    auto signal = SignalProcess::start({}, &error);
    ASSERT_TRUE(signal) << error;
    std::string path = write_config(dir, "[mediapeer]\nsignal = " + signal->ws_url() +
                                             "\npipeline = test\nice-address = 127.0.0.1\nmax-calls = 3\n");
    auto bot = Process::start({built_program("mediapeer"), "--config", path});
    ASSERT_TRUE(bot);
    ASSERT_TRUE(bot->wait_line(std::regex("logged in as server"), 10000)) << bot->stderr_text();
    EXPECT_NE(bot->stderr_text().find("media: test ("), std::string::npos) << bot->stderr_text();
    EXPECT_EQ(bot->stop(SIGTERM, 5000), 0);
}

struct RefusedConfig {
    const char* name;
    const char* program;
    const char* text;
    const char* says;
};

class ConfigRefused : public testing::TestWithParam<RefusedConfig> {};

TEST_P(ConfigRefused, AtStartUpWithTheReason) {
    TempDir dir;
    std::string path = write_config(dir, GetParam().text);
    auto program = Process::start({built_program(GetParam().program), "--config", path});
    ASSERT_TRUE(program);
    EXPECT_EQ(program->wait(10000), 2) << program->stderr_text();
    EXPECT_NE(program->stderr_text().find(GetParam().says), std::string::npos) << program->stderr_text();
    EXPECT_NE(program->stderr_text().find(path), std::string::npos) << "the error names the file";
}

INSTANTIATE_TEST_SUITE_P(
    Typos, ConfigRefused,
    testing::Values(
        RefusedConfig{"UnknownKey", "mediapeer-signal", "[mediapeer-signal]\nlisen = 127.0.0.1:0\n", "unknown key lisen"},
        RefusedConfig{"BadNumber", "mediapeer-signal", "[mediapeer-signal]\nmax-frames-per-second = fast\n", "fast"},
        RefusedConfig{"OtherProgramsGroup", "mediapeer", "[mediapeer-signal]\nlisten = 127.0.0.1:0\n",
                      "unknown group [mediapeer-signal]"},
        RefusedConfig{"BadBoolean", "mediapeer", "[mediapeer]\nloop = sometimes\n", "loop: give true or false"},
        RefusedConfig{"NotAKeyFile", "mediapeer", "signal: ws://x\n", "mediapeer.conf"}),
    [](const testing::TestParamInfo<RefusedConfig>& info) { return std::string(info.param.name); });
