// aiortc (Debian's python3-aiortc 1.4), the Python WebRTC stack, calls the
// server peer over the WebSocket protocol (tests/integration/aiortc_caller.py).
// Its offer gives each bundled m-line ICE credentials of their own, which
// webrtcbin refuses unless mediapeer answers with the bundle tag's.
#include "support/peers_fixture.hpp"

#include <cstdlib>

using namespace mp::test;

namespace {

// Debian's python3, where python3-aiortc is (not a python3 earlier on PATH).
constexpr const char* kDebianPython = "/usr/bin/python3";

std::string aiortc_caller() {
    const char* source = std::getenv("MEDIAPEER_SOURCE");
    return std::string(source ? source : ".") + "/tests/integration/aiortc_caller.py";
}

}  // namespace

TEST_F(Peers, AiortcCallsTheServerPeerAndGetsItsVideoBack) {
    auto caller = Process::start({kDebianPython, aiortc_caller(), signal_->ws_url(), "server", "--frames", "60"});
    ASSERT_TRUE(caller);
    int status = caller->wait(40000);
    EXPECT_EQ(status, 0) << caller->stdout_text() << caller->stderr_text() << "\nmediapeer: " << bot_->stderr_text();
    EXPECT_NE(caller->stdout_text().find("video frames back: 60"), std::string::npos) << caller->stdout_text();
    std::string log = bot_->stderr_text();
    std::string said = "carry ICE credentials of their own (aiortc's do)";
    auto first = log.find(said);
    EXPECT_NE(first, std::string::npos) << log;
    EXPECT_EQ(log.find(said, first + 1), std::string::npos) << "said more than once per call: " << log;
}
