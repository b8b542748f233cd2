// --redis URLs: what parse_redis_url accepts, and what each refusal says.
#include "signal/redis_link.hpp"

#include <gtest/gtest.h>

using mp::signal::parse_redis_url;
using mp::signal::redis_url;

namespace {

struct Good {
    const char* url;
    const char* host;
    int port;
    int db;
};

struct Bad {
    const char* url;
    const char* error;
};

}  // namespace

TEST(RedisUrl, AcceptsHostPortAndDatabase) {
    const Good goods[] = {
        {"redis://127.0.0.1:6380/2", "127.0.0.1", 6380, 2},
        {"redis://127.0.0.1", "127.0.0.1", 6379, 0},  // the port defaults to Redis'
        {"redis://redis.example.org:1/", "redis.example.org", 1, 0},
        {"redis://cache-1_a:65535/15", "cache-1_a", 65535, 15},
        {"redis://[::1]:7000/3", "::1", 7000, 3},
        {"redis://[::1]", "::1", 6379, 0},
        {"redis://localhost/0", "localhost", 6379, 0},
    };
    for (const auto& good : goods) {
        auto address = parse_redis_url(good.url);
        ASSERT_TRUE(address.ok()) << good.url << ": " << address.error();
        EXPECT_EQ(address->host, good.host) << good.url;
        EXPECT_EQ(address->port, good.port) << good.url;
        EXPECT_EQ(address->db, good.db) << good.url;
    }
}

TEST(RedisUrl, RefusesWithWhatIsWrong) {
    const Bad bads[] = {
        {"", "not a redis://HOST[:PORT][/DB] URL"},
        {"http://127.0.0.1:6379", "not a redis://HOST[:PORT][/DB] URL"},
        {"127.0.0.1:6379", "not a redis://HOST[:PORT][/DB] URL"},
        {"REDIS://127.0.0.1", "not a redis://HOST[:PORT][/DB] URL"},
        {"rediss://127.0.0.1:6379", "TLS (rediss://) is not supported: redis://HOST[:PORT][/DB]"},
        {"unix:///run/redis.sock", "a Unix socket is not supported: redis://HOST[:PORT][/DB]"},
        {"redis://:secret@127.0.0.1:6379", "a user or password ('...@' before the host) is not supported: no AUTH"},
        {"redis://user:secret@127.0.0.1", "a user or password ('...@' before the host) is not supported: no AUTH"},
        {"redis://127.0.0.1:6379?db=1", "a query or fragment ('?', '#') is not supported: redis://HOST[:PORT][/DB]"},
        {"redis://127.0.0.1#x", "a query or fragment ('?', '#') is not supported: redis://HOST[:PORT][/DB]"},
        {"redis://", "no host: redis://HOST[:PORT][/DB]"},
        {"redis://:6379", "no host: redis://HOST[:PORT][/DB]"},
        {"redis:///1", "no host: redis://HOST[:PORT][/DB]"},
        {"redis://bad host", "the host \"bad host\" is not a name or an address"},
        {"redis://127.0.0.1:", "the port \"\" is not a number from 1 to 65535"},
        {"redis://127.0.0.1:0", "the port \"0\" is not a number from 1 to 65535"},
        {"redis://127.0.0.1:65536", "the port \"65536\" is not a number from 1 to 65535"},
        {"redis://127.0.0.1:-1", "the port \"-1\" is not a number from 1 to 65535"},
        {"redis://127.0.0.1:63 79", "the port \"63 79\" is not a number from 1 to 65535"},
        {"redis://127.0.0.1:6379x", "the port \"6379x\" is not a number from 1 to 65535"},
        {"redis://::1:6379", "an IPv6 address goes in brackets: redis://[::1]:6379"},
        {"redis://[::1:6379", "the IPv6 address has no closing ']'"},
        {"redis://[::1]6379", "after the IPv6 address comes ':PORT' or nothing"},
        {"redis://[]:6379", "no host: redis://HOST[:PORT][/DB]"},
        {"redis://[fe80::1%eth0]", "the host \"fe80::1%eth0\" is not a name or an address"},
        {"redis://127.0.0.1:6379/16", "the database \"16\" is not a number from 0 to 15"},
        {"redis://127.0.0.1:6379/x", "the database \"x\" is not a number from 0 to 15"},
        {"redis://127.0.0.1:6379/+1", "the database \"+1\" is not a number from 0 to 15"},
        {"redis://127.0.0.1:6379/1/2", "the database \"1/2\" is not a number from 0 to 15"},
        {"redis://127.0.0.1:6379/100000", "the database \"100000\" is not a number from 0 to 15"},
    };
    for (const auto& bad : bads) {
        auto address = parse_redis_url(bad.url);
        ASSERT_FALSE(address.ok()) << bad.url << " was accepted";
        EXPECT_EQ(address.error(), bad.error) << bad.url;
    }
}

TEST(RedisUrl, ARefusalNeverEchoesAPassword) {
    auto address = parse_redis_url("redis://:hunter2@127.0.0.1:6379/1");
    ASSERT_FALSE(address.ok());
    EXPECT_EQ(address.error().find("hunter2"), std::string::npos);
}

TEST(RedisUrl, WrittenBackForLogsInFull) {
    EXPECT_EQ(redis_url(parse_redis_url("redis://127.0.0.1").value()), "redis://127.0.0.1:6379/0");
    EXPECT_EQ(redis_url(parse_redis_url("redis://[::1]:7/2").value()), "redis://[::1]:7/2");
}
