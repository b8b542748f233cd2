// Inputs scripts/fuzz found that broke a property of ours, each kept as a
// test of its own (the target named, the input cut to what matters).
#include "peer/ws_signaller.hpp"
#include "signal/router.hpp"

#include <gtest/gtest.h>

using namespace mp::peer;

// fuzz_candidate: json-glib read a candidate holding invalid UTF-8 (0xd1
// before a control character), and the candidate we wrote back from it was
// refused as "not UTF-8": what we read must be what we can send on.
TEST(FuzzRegressions, CandidatePayloadThatIsNotUtf8IsRefusedAtTheBoundary) {
    std::string payload = "{\"candidate\":\"candidate:1 1 udp 2122 127.0.0.1 54321\x17 typ host\\\"\xd1\x17\","
                          "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}";
    auto candidate = parse_ice_candidate(payload);
    ASSERT_FALSE(candidate) << (*candidate ? (*candidate)->candidate : "end");
    EXPECT_EQ(candidate.error(), "payload is not UTF-8");
    EXPECT_FALSE(parse_session_description("{\"type\":\"offer\",\"sdp\":\"v=0\xd1\"}", "offer"));
}

// fuzz_candidate: json-glib reads "\622" (an octal escape JSON does not have)
// as the byte 0x92, which is not UTF-8 on its own.
TEST(FuzzRegressions, CandidateWhoseEscapeDecodesToNonUtf8IsRefused) {
    auto candidate = parse_ice_candidate(R"({"candidate":"candidate:1 1 udp 1 10.0.0.1 9 typ host\622","sdpMid":"0"})");
    ASSERT_FALSE(candidate);
    EXPECT_EQ(candidate.error(), "payload's candidate is not UTF-8");
    EXPECT_FALSE(parse_session_description(R"({"type":"offer","sdp":"v=0\622"})", "offer"));
}

// The same escape in a frame to the server: forwarded as it decodes, it would
// have reached the callee as a text frame that is not UTF-8, and its browser
// fails the WebSocket (1007): one client hurting another.
TEST(FuzzRegressions, AFrameWhoseEscapesDecodeToNonUtf8IsRefusedNotForwarded) {
    using namespace mp::signal;
    Router router(RouterLimits{0, 0});
    router.on_open(1, 0);
    router.on_open(2, 0);
    router.on_text(1, R"({"type":"login","name":"alice"})", 0);
    router.on_text(2, R"({"type":"login","name":"bob"})", 0);
    for (const char* frame : {R"({"type":"offer","name":"bob","offer":"x\622"})",
                              R"({"type":"offer","name":"bob","offer":{"sdp":"x\622"}})",
                              R"({"type":"login","name":"x\622"})"}) {
        Effects fx = router.on_text(1, frame, 0);
        ASSERT_EQ(fx.sends.size(), 1u) << frame;
        EXPECT_EQ(fx.sends[0].to, 1u) << frame;
        auto* error = std::get_if<mp::protocol::Error>(&fx.sends[0].frame);
        ASSERT_TRUE(error) << frame << " -> " << mp::protocol::serialize(fx.sends[0].frame);
        EXPECT_EQ(error->code, "bad_frame") << frame;
    }
}
