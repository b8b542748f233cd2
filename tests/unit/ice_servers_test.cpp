// The peers' reading of /config.json into webrtcbin's ICE server URLs.
#include "peer/ice_servers.hpp"

#include <gtest/gtest.h>

using mp::peer::config_url_of;
using mp::peer::parse_ice_servers;

TEST(IceServers, StunAndTurnWithCredentialsBecomeWebrtcbinUrls) {
    auto s = parse_ice_servers(R"({"iceServers":[{"urls":["stun:stun.example.org:3478"]},
        {"urls":["turn:turn.example.org:3478?transport=udp","turns:turn.example.org:5349"],
         "username":"1700000000:mediapeer","credential":"a/b+c="}]})");
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->stun, "stun://stun.example.org:3478");
    ASSERT_EQ(s->turn.size(), 2u);
    EXPECT_EQ(s->turn[0], "turn://1700000000%3Amediapeer:a%2Fb%2Bc%3D@turn.example.org:3478?transport=udp");
    EXPECT_EQ(s->turn[1], "turns://1700000000%3Amediapeer:a%2Fb%2Bc%3D@turn.example.org:5349");
}

TEST(IceServers, AStringUrlAndTheOlderUrlSpellingAreRead) {
    auto s = parse_ice_servers(R"({"iceServers":[{"url":"stun:a:1"},{"urls":"turn:b:2","username":"u","credential":"p"}]})");
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->stun, "stun://a:1");
    ASSERT_EQ(s->turn.size(), 1u);
    EXPECT_EQ(s->turn[0], "turn://u:p@b:2");
}

TEST(IceServers, AnEmptyListMeansNone) {
    auto s = parse_ice_servers(R"({"iceServers":[]})");
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->stun.empty());
    EXPECT_TRUE(s->turn.empty());
}

TEST(IceServers, WhatIsNotAConfigIsRefused) {
    EXPECT_FALSE(parse_ice_servers("<html>"));
    EXPECT_FALSE(parse_ice_servers(R"({"servers":[]})"));
}

TEST(IceServers, TheConfigUrlFollowsTheSignalingUrl) {
    EXPECT_EQ(config_url_of("ws://127.0.0.1:8090/"), "http://127.0.0.1:8090/config.json");
    EXPECT_EQ(config_url_of("wss://example.org/ws"), "https://example.org/config.json");
}
