// RedisLink against a real redis-server on a free loopback port: replies of
// each kind in order, pub/sub between two links, and what a killed, a frozen
// and an absent Redis do to it: `down` once, pending commands `lost`, `up`
// again. And that nothing of a destroyed link runs. Every wait has a deadline.
#include "signal/redis_link.hpp"
#include "support/pump.hpp"
#include "support/redis_process.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

using mp::signal::RedisAddress;
using mp::signal::RedisLink;
using mp::signal::RedisReply;
using mp::signal::RedisTiming;
using mp::test::pump_until;
using mp::test::RedisProcess;
using Kind = RedisReply::Kind;

namespace {

// What a link reported, in order.
struct Seen {
    int ups = 0;
    int downs = 0;
    std::vector<std::string> whys;
    std::vector<std::pair<std::string, std::string>> messages;
    std::vector<std::string> order;  // "up", "down", "message", "reply N"
};

// Open file descriptors of this process now (a hiredis context holds one).
int open_fds() {
    GDir* dir = g_dir_open("/proc/self/fd", 0, nullptr);
    if (!dir) return -1;
    int n = 0;
    while (g_dir_read_name(dir)) ++n;
    g_dir_close(dir);
    return n;
}

// Pumps for `ms` whatever happens: for "nothing more happens" checks.
void pump_for(int ms) {
    gint64 until = g_get_monotonic_time() + gint64{ms} * 1000;
    pump_until([&] { return g_get_monotonic_time() >= until; }, ms + 1000);
}

class RedisLinkTest : public testing::Test {
protected:
    void SetUp() override {
        std::string error;
        redis_ = RedisProcess::start(&error);
        ASSERT_TRUE(redis_) << error;
    }

    RedisAddress address(int db = 0) const { return {"127.0.0.1", redis_->port(), db}; }

    std::unique_ptr<RedisLink> link(std::shared_ptr<Seen> seen, std::vector<std::string> channels = {},
                                    RedisTiming timing = {}, int db = 0) {
        RedisLink::Events events;
        events.up = [seen] {
            ++seen->ups;
            seen->order.push_back("up");
        };
        events.down = [seen](const std::string& why) {
            ++seen->downs;
            seen->whys.push_back(why);
            seen->order.push_back("down");
        };
        events.message = [seen](const std::string& channel, const std::string& message) {
            seen->messages.emplace_back(channel, message);
            seen->order.push_back("message");
        };
        return RedisLink::start(address(db), std::move(channels), std::move(events), timing);
    }

    // A link that is up, or a failure.
    std::unique_ptr<RedisLink> up_link(std::shared_ptr<Seen> seen, std::vector<std::string> channels = {},
                                       RedisTiming timing = {}, int db = 0) {
        auto l = link(seen, std::move(channels), timing, db);
        EXPECT_TRUE(pump_until([&] { return seen->ups == 1; })) << "not up; redis log:\n" << redis_->log();
        return l;
    }

    // Runs `argv` on `l` and waits for its reply.
    RedisReply run(RedisLink& l, const std::vector<std::string>& argv) {
        auto reply = std::make_shared<std::optional<RedisReply>>();
        l.command(argv, [reply](const RedisReply& r) { *reply = r; });
        EXPECT_TRUE(pump_until([&] { return reply->has_value(); })) << argv[0];
        return reply->value_or(RedisReply{});
    }

    std::unique_ptr<RedisProcess> redis_;
};

}  // namespace

TEST_F(RedisLinkTest, CommandsGetEachKindOfReplyInOrder) {
    auto seen = std::make_shared<Seen>();
    auto l = up_link(seen);
    ASSERT_TRUE(l->up());
    const std::vector<std::vector<std::string>> commands = {
        {"SET", "k", "v"}, {"GET", "k"},       {"GET", "missing"},      {"INCR", "n"}, {"INCR", "n"},
        {"RPUSH", "l", "a", "b", "c"},         {"LRANGE", "l", "0", "-1"}, {"LPUSH", "k", "x"},
        {"LRANGE", "missing", "0", "-1"},
    };
    auto replies = std::make_shared<std::vector<std::pair<std::size_t, RedisReply>>>();
    for (std::size_t i = 0; i < commands.size(); ++i)
        EXPECT_TRUE(l->command(commands[i], [replies, i](const RedisReply& r) { replies->emplace_back(i, r); }));
    EXPECT_TRUE(replies->empty());  // from the loop, not from within command()
    ASSERT_TRUE(pump_until([&] { return replies->size() == commands.size(); }));
    for (std::size_t i = 0; i < commands.size(); ++i) EXPECT_EQ((*replies)[i].first, i);  // in order
    auto reply = [&](std::size_t i) -> const RedisReply& { return (*replies)[i].second; };
    EXPECT_EQ(reply(0).kind, Kind::status);
    EXPECT_EQ(reply(0).text, "OK");
    EXPECT_EQ(reply(1).kind, Kind::string);
    EXPECT_EQ(reply(1).text, "v");
    EXPECT_EQ(reply(2).kind, Kind::nil);
    EXPECT_EQ(reply(3).kind, Kind::integer);
    EXPECT_EQ(reply(3).integer, 1);
    EXPECT_EQ(reply(4).integer, 2);
    EXPECT_EQ(reply(5).integer, 3);
    ASSERT_EQ(reply(6).kind, Kind::array);
    ASSERT_EQ(reply(6).elements.size(), 3u);
    EXPECT_EQ(reply(6).elements[0].text, "a");
    EXPECT_EQ(reply(6).elements[2].text, "c");
    EXPECT_EQ(reply(7).kind, Kind::error);
    EXPECT_EQ(reply(7).text.rfind("WRONGTYPE", 0), 0u) << reply(7).text;
    EXPECT_EQ(reply(8).kind, Kind::array);
    EXPECT_TRUE(reply(8).elements.empty());
    EXPECT_EQ(l->awaiting_replies(), 0u);
    EXPECT_TRUE(l->up());  // an error reply is not a loss
    EXPECT_EQ(seen->downs, 0);
}

TEST_F(RedisLinkTest, ArgumentsAndRepliesAreBinarySafe) {
    auto seen = std::make_shared<Seen>();
    auto l = up_link(seen);
    const std::string key("k\0ey", 4), value("v\0a\r\nl\0", 7);
    EXPECT_EQ(run(*l, {"SET", key, value}).kind, Kind::status);
    RedisReply got = run(*l, {"GET", key});
    EXPECT_EQ(got.kind, Kind::string);
    EXPECT_EQ(got.text, value);
    EXPECT_EQ(run(*l, {"GET", "k"}).kind, Kind::nil);  // not cut at the NUL
}

TEST_F(RedisLinkTest, TheDatabaseIsSelectedOnTheCommandConnection) {
    auto seen3 = std::make_shared<Seen>(), seen0 = std::make_shared<Seen>();
    auto in3 = up_link(seen3, {}, {}, 3);
    auto in0 = up_link(seen0);
    EXPECT_EQ(run(*in3, {"SET", "where", "three"}).kind, Kind::status);
    EXPECT_EQ(run(*in0, {"GET", "where"}).kind, Kind::nil);
    EXPECT_EQ(run(*in3, {"GET", "where"}).text, "three");
    EXPECT_EQ(run(*in0, {"SELECT", "3"}).kind, Kind::status);
    EXPECT_EQ(run(*in0, {"GET", "where"}).text, "three");
}

TEST_F(RedisLinkTest, AThousandMessagesArriveInOrderAndABinaryOneWhole) {
    auto seen_a = std::make_shared<Seen>(), seen_b = std::make_shared<Seen>();
    auto a = up_link(seen_a, {"x"});
    auto b = up_link(seen_b, {"x", "y"});
    ASSERT_TRUE(a->up() && b->up());
    constexpr int kMessages = 1000;
    for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(a->publish("x", "m" + std::to_string(i)));
    const std::string binary("a\0b\r\n", 5);
    ASSERT_TRUE(a->publish("y", binary));
    ASSERT_TRUE(pump_until([&] { return seen_b->messages.size() == kMessages + 1u; }, 10000))
        << seen_b->messages.size();
    for (int i = 0; i < kMessages; ++i) {
        ASSERT_EQ(seen_b->messages[i].first, "x");
        ASSERT_EQ(seen_b->messages[i].second, "m" + std::to_string(i));
    }
    EXPECT_EQ(seen_b->messages.back(), std::make_pair(std::string("y"), binary));
    // The publisher gets its own "x" messages (it subscribed to "x"), not "y"'s.
    ASSERT_TRUE(pump_until([&] { return seen_a->messages.size() == kMessages; }));
    pump_for(100);
    EXPECT_EQ(seen_a->messages.size(), static_cast<std::size_t>(kMessages));
    EXPECT_EQ(a->unsent_bytes(), 0u);
}

TEST_F(RedisLinkTest, WithoutRedisItIsDownOnceKeepsTryingAndComesUp) {
    ASSERT_TRUE(redis_->kill());
    auto seen = std::make_shared<Seen>();
    auto l = link(seen, {"x"}, RedisTiming{.retry_ms = 100});
    EXPECT_FALSE(l->up());
    EXPECT_EQ(seen->downs, 0);  // from the loop, not from within start()
    ASSERT_TRUE(pump_until([&] { return seen->downs == 1; }));
    EXPECT_NE(seen->whys[0].find("could not connect"), std::string::npos) << seen->whys[0];
    pump_for(1000);  // about ten failed attempts
    EXPECT_EQ(seen->downs, 1);
    EXPECT_FALSE(l->publish("x", "while down"));
    auto lost = std::make_shared<int>(0);
    EXPECT_FALSE(l->command({"GET", "k"}, [lost](const RedisReply& r) { *lost += r.kind == Kind::lost; }));
    EXPECT_EQ(*lost, 0);  // not from within command()
    ASSERT_TRUE(pump_until([&] { return *lost == 1; }));
    ASSERT_TRUE(redis_->restart());
    ASSERT_TRUE(pump_until([&] { return seen->ups == 1; }));
    EXPECT_TRUE(l->up());
    EXPECT_EQ(seen->downs, 1);
    EXPECT_EQ(run(*l, {"PING"}).text, "PONG");
}

TEST_F(RedisLinkTest, KilledRedisIsDownOnceLosesPendingCommandsAndComesBack) {
    int fds_before = open_fds();
    {
        auto seen = std::make_shared<Seen>();
        auto l = up_link(seen, {"x"}, RedisTiming{.retry_ms = 100});
        // BLPOP blocks: it and the GETs behind it are pending when Redis dies.
        auto replies = std::make_shared<std::vector<Kind>>();
        for (auto argv : std::vector<std::vector<std::string>>{{"BLPOP", "nothing", "0"}, {"GET", "a"}, {"GET", "b"}})
            ASSERT_TRUE(l->command(argv, [replies, seen](const RedisReply& r) {
                replies->push_back(r.kind);
                seen->order.push_back("reply");
            }));
        pump_for(100);
        EXPECT_EQ(l->awaiting_replies(), 3u);
        ASSERT_TRUE(redis_->kill());
        ASSERT_TRUE(pump_until([&] { return seen->downs == 1; }));
        EXPECT_FALSE(l->up());
        EXPECT_EQ(*replies, std::vector<Kind>(3, Kind::lost));
        EXPECT_EQ(seen->order, (std::vector<std::string>{"up", "reply", "reply", "reply", "down"}));
        EXPECT_EQ(l->awaiting_replies(), 0u);
        pump_for(600);  // failed attempts, each unreported
        EXPECT_EQ(seen->downs, 1);
        ASSERT_TRUE(redis_->restart());
        ASSERT_TRUE(pump_until([&] { return seen->ups == 2; }));
        EXPECT_EQ(seen->downs, 1);
        EXPECT_EQ(replies->size(), 3u);  // lost exactly once each
        ASSERT_TRUE(l->publish("x", "again"));
        ASSERT_TRUE(pump_until([&] { return seen->messages.size() == 1; }));
        EXPECT_EQ(seen->messages[0].second, "again");
    }
    pump_for(100);
    EXPECT_EQ(open_fds(), fds_before);  // both hiredis contexts of every attempt freed
}

TEST_F(RedisLinkTest, FrozenRedisIsDownByThePingDeadlineAndUpWhenItThaws) {
    auto seen = std::make_shared<Seen>();
    auto l = up_link(seen, {"x"});
    pump_for(1500);  // a PING or so answered: the watchdog runs and is content
    EXPECT_EQ(seen->downs, 0);
    ASSERT_TRUE(redis_->pause());
    gint64 frozen_at = g_get_monotonic_time();
    auto reply = std::make_shared<std::optional<Kind>>();
    ASSERT_TRUE(l->command({"GET", "k"}, [reply](const RedisReply& r) { *reply = r.kind; }));
    ASSERT_TRUE(pump_until([&] { return seen->downs == 1; }, 6000));
    double after_s = (g_get_monotonic_time() - frozen_at) / 1e6;
    EXPECT_GE(after_s, 2.5);  // the 3 s deadline of a PING sent after the freeze...
    EXPECT_LE(after_s, 4.5);  // ...which went out within a second of it
    EXPECT_NE(seen->whys[0].find("PING"), std::string::npos) << seen->whys[0];
    EXPECT_EQ(*reply, Kind::lost);
    pump_for(5000);  // attempts time out against the frozen Redis, unreported
    EXPECT_EQ(seen->downs, 1);
    EXPECT_FALSE(l->up());
    ASSERT_TRUE(redis_->resume());
    ASSERT_TRUE(pump_until([&] { return seen->ups == 2; }, 10000));
    EXPECT_EQ(seen->downs, 1);
    ASSERT_TRUE(l->publish("x", "thawed"));
    ASSERT_TRUE(pump_until([&] { return !seen->messages.empty(); }));
    EXPECT_EQ(seen->messages.back().second, "thawed");
}

// The TCP connect to a frozen Redis succeeds (the kernel accepts); only the
// deadline on the first answers tells.
TEST_F(RedisLinkTest, AFirstConnectToAFrozenRedisIsDownByTheAnswerDeadline) {
    ASSERT_TRUE(redis_->pause());
    auto seen = std::make_shared<Seen>();
    gint64 started_at = g_get_monotonic_time();
    auto l = link(seen, {"x"}, RedisTiming{.answer_timeout_ms = 1000});
    ASSERT_TRUE(pump_until([&] { return seen->downs == 1; }));
    double after_s = (g_get_monotonic_time() - started_at) / 1e6;
    EXPECT_GE(after_s, 0.9);
    EXPECT_LE(after_s, 2.0);
    EXPECT_EQ(seen->whys[0], "no answer within 1000 ms of connecting");
    EXPECT_EQ(seen->ups, 0);
    ASSERT_TRUE(redis_->resume());
    ASSERT_TRUE(pump_until([&] { return seen->ups == 1; }));
    EXPECT_EQ(seen->downs, 1);
}

TEST_F(RedisLinkTest, ADestroyedLinkRunsNothing) {
    int fds_before = open_fds();
    auto seen = std::make_shared<Seen>();
    auto calls = std::make_shared<int>(0);
    auto l = up_link(seen, {"x"});
    l->command({"BLPOP", "nothing", "0"}, [calls](const RedisReply&) { ++*calls; });  // pending in Redis
    l->command({"GET", "k"}, [calls](const RedisReply&) { ++*calls; });
    l->publish("x", "unheard");
    l->command({}, [calls](const RedisReply&) { ++*calls; });  // an error queued in the link
    l.reset();
    pump_for(500);
    EXPECT_EQ(*calls, 0);
    EXPECT_TRUE(seen->messages.empty());
    EXPECT_EQ(seen->downs, 0);
    EXPECT_EQ(open_fds(), fds_before);
}

TEST_F(RedisLinkTest, ALinkDestroyedWhileConnectingOrDownRunsNothing) {
    auto seen = std::make_shared<Seen>();
    link(seen, {"x"}).reset();  // connecting
    ASSERT_TRUE(redis_->kill());
    auto down = link(seen, {"x"}, RedisTiming{.retry_ms = 50});
    auto lost = std::make_shared<int>(0);
    down->command({"GET", "k"}, [lost](const RedisReply&) { ++*lost; });  // its `lost` queued
    down.reset();
    pump_for(300);
    EXPECT_EQ(seen->ups + seen->downs, 0);
    EXPECT_EQ(*lost, 0);
}

TEST_F(RedisLinkTest, ACallbackMayDestroyTheLinkAndNothingRunsAfter) {
    auto seen_pub = std::make_shared<Seen>();
    auto publisher = up_link(seen_pub);
    std::unique_ptr<RedisLink> l;
    int messages = 0, replies = 0;
    RedisLink::Events events;
    events.up = [&] {
        // Pending in Redis when the link goes: destroyed with it, unrun.
        l->command({"BLPOP", "nothing", "0"}, [&](const RedisReply&) { ++replies; });
    };
    events.message = [&](const std::string&, const std::string&) {
        ++messages;
        l.reset();  // in its own callback, with more messages queued behind this one
    };
    l = RedisLink::start(address(), {"x"}, events);
    ASSERT_TRUE(pump_until([&] { return l && l->up(); }));
    for (int i = 0; i < 100; ++i) publisher->publish("x", std::to_string(i));
    ASSERT_TRUE(pump_until([&] { return !l; }));
    pump_for(300);
    EXPECT_EQ(messages, 1);
    EXPECT_EQ(replies, 0);
}
