// What nodes tell each other: every message kind survives a round trip, and
// text that is not a whole message of ours is dropped, never half-read.
#include "signal/cluster_wire.hpp"

#include <gtest/gtest.h>

using mp::signal::ClusterMessage;
using mp::signal::decode_cluster_message;
using mp::signal::NodeUser;
using Kind = ClusterMessage::Kind;

namespace {

ClusterMessage of(Kind kind) {
    ClusterMessage m;
    m.kind = kind;
    m.node = "node-a";
    m.boot = "0123456789abcdef";
    return m;
}

}  // namespace

TEST(ClusterWire, EveryKindSurvivesARoundTrip) {
    NodeUser bot{7, "bot", true, true, {1, 2, false}};
    NodeUser whip{1ull << 62, "whip-1f-3", false, false, {0, 0, true}};
    std::vector<ClusterMessage> all;
    for (Kind kind : {Kind::heartbeat, Kind::sync}) all.push_back(of(kind));
    for (Kind kind : {Kind::online, Kind::load, Kind::offline}) {
        ClusterMessage m = of(kind);
        m.user = kind == Kind::offline ? NodeUser{7, "", false, true, {}} : bot;
        all.push_back(m);
    }
    ClusterMessage state = of(Kind::state);
    state.users = {bot, whip};
    all.push_back(state);
    all.push_back(of(Kind::state));  // a node with nobody
    ClusterMessage frame = of(Kind::frame);
    frame.from = 3, frame.to = 7, frame.frame = R"({"type":"offer","offer":"{\"sdp\":\"v=0\\r\\n\"}","name":"ünï"})";
    all.push_back(frame);
    for (const ClusterMessage& m : all) {
        auto back = decode_cluster_message(encode(m));
        ASSERT_TRUE(back) << encode(m);
        EXPECT_EQ(*back, m) << encode(m);
    }
}

TEST(ClusterWire, AnythingElseIsDropped) {
    for (const char* text : {
             "", "not json", "[]", R"({"type":"heartbeat","node":"a"})",              // no boot
             R"({"type":"heartbeat","node":"","boot":"b"})",                           // no node
             R"({"type":"dance","node":"a","boot":"b"})",                              // unknown kind
             R"({"type":"online","node":"a","boot":"b","connection":1,"name":"x"})",   // fields missing
             R"({"type":"offline","node":"a","boot":"b","connection":-1})",            // negative id
             R"({"type":"frame","node":"a","boot":"b","from":1,"to":2})",              // no frame
             R"({"type":"load","node":"a","boot":"b","connection":1,"name":"x","pool":true,"listed":true,)"
             R"("calls":2000000,"max_calls":0,"draining":false})",                    // past kMaxLoadCalls
             R"({"type":"state","node":"a","boot":"b","users":[{"connection":1}]})",  // a user half there
             R"({"type":"frame","node":"a","boot":"b","from":1,"to":3,"frame":"x\333"})",  // json-glib: not UTF-8 (fuzz_cluster_wire)
         })
        EXPECT_FALSE(decode_cluster_message(text)) << text;
}
