// /config.json contents and coturn REST credentials.
#include "signal/ice_config.hpp"

#include <gtest/gtest.h>

using namespace mp::signal;

TEST(TurnRest, KnownVector) {
    // echo -n '1700000000:alice' | openssl dgst -sha1 -hmac 's3cret' -binary | base64
    auto c = turn_rest_credential("s3cret", "alice", 1700000000);
    EXPECT_EQ(c.username, "1700000000:alice");
    EXPECT_EQ(c.credential, "TtElzSjT0GdnTQ9xdcRNxx96yQs=");
}

TEST(IceConfig, EmptyByDefault) {
    EXPECT_EQ(ice_config_json({}, 0), R"({"iceServers":[]})");
}

TEST(IceConfig, StunAndStaticTurn) {
    IceOptions o;
    o.stun_urls = {"stun:127.0.0.1:3478"};
    o.turn_urls = {"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"};
    o.turn_user = "bison";
    o.turn_password = "liao";
    EXPECT_EQ(ice_config_json(o, 0),
              R"({"iceServers":[{"urls":["stun:127.0.0.1:3478"]},)"
              R"({"urls":["turn:127.0.0.1:3478?transport=udp","turn:127.0.0.1:3478?transport=tcp"],)"
              R"("username":"bison","credential":"liao"}]})");
}

TEST(IceConfig, SecretGivesTimeLimitedCredentials) {
    IceOptions o;
    o.turn_urls = {"turn:127.0.0.1:3478"};
    o.turn_user = "alice";
    o.turn_secret = "s3cret";
    o.turn_ttl_s = 100;
    EXPECT_EQ(ice_config_json(o, 1699999900),
              R"({"iceServers":[{"urls":["turn:127.0.0.1:3478"],)"
              R"("username":"1700000000:alice","credential":"TtElzSjT0GdnTQ9xdcRNxx96yQs="}]})");
}

TEST(IceConfig, BadOptionsAreNamed) {
    IceOptions o;
    o.stun_urls = {"http://x"};
    EXPECT_EQ(invalid_ice_options_reason(o), "--stun http://x: expected a stun: or stuns: URL");
    o = {};
    o.turn_urls = {"turn:x"};
    EXPECT_EQ(invalid_ice_options_reason(o),
              "--turn needs --turn-user and --turn-password, or --turn-secret");
    o.turn_secret = "s";
    EXPECT_EQ(invalid_ice_options_reason(o), std::nullopt);
    o.turn_password = "p";
    EXPECT_EQ(invalid_ice_options_reason(o), "--turn-secret and --turn-password exclude each other");
    o = {};
    o.turn_urls = {"stun:x"};
    EXPECT_EQ(invalid_ice_options_reason(o), "--turn stun:x: expected a turn: or turns: URL");
}

// RFC 9725 4.6: one Link per URL, TURN with its credentials as quoted strings.
TEST(IceServerLinks, OneLinkPerUrlWithTurnCredentialsQuoted) {
    mp::signal::IceOptions o;
    o.stun_urls = {"stun:stun.example.net"};
    o.turn_urls = {"turn:turn.example.net?transport=udp", "turns:turn.example.net:5349"};
    o.turn_user = "u\"ser";
    o.turn_password = "p\\w";
    EXPECT_EQ(mp::signal::ice_server_links(mp::signal::ice_servers(o, 0)),
              (std::vector<std::string>{
                  R"(<stun:stun.example.net>; rel="ice-server")",
                  R"(<turn:turn.example.net?transport=udp>; rel="ice-server"; username="u\"ser"; credential="p\\w"; credential-type="password")",
                  R"(<turns:turn.example.net:5349>; rel="ice-server"; username="u\"ser"; credential="p\\w"; credential-type="password")"}));
}
