// Signaling nodes sharing one Redis (docs/cluster.md), as the real programs:
// a redis-server on a free loopback port, two or three mediapeer-signal
// nodes on it, and WebSocket users on each.
#include "protocol/json_writer.hpp"
#include "support/http_exchange.hpp"
#include "support/pump.hpp"
#include "support/redis_process.hpp"
#include "support/signal_process.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace mp::protocol;
using mp::test::RedisProcess;
using mp::test::SignalProcess;
using mp::test::TestSession;
using mp::test::WsClient;

namespace {

// The default: "within 3 heartbeats" is measured as users run it.
constexpr int kHeartbeatMs = 1000;

class Cluster : public testing::Test {
protected:
    void SetUp() override {
        std::string error;
        redis_ = RedisProcess::start(&error);
        ASSERT_TRUE(redis_) << error;
    }

    // A node on the test's Redis, once it answers /healthz 200 (in the cluster).
    SignalProcess& start_node(const std::string& id, const std::string& db = "") {
        std::string error;
        auto node = SignalProcess::start({"--redis", redis_->url() + db, "--node-id", id, "--heartbeat-ms",
                                          std::to_string(kHeartbeatMs)},
                                         &error);
        EXPECT_TRUE(node) << error;
        nodes_.push_back(std::move(node));
        EXPECT_TRUE(healthy(*nodes_.back())) << nodes_.back()->stderr_text();
        return *nodes_.back();
    }

    bool healthy(const SignalProcess& node, guint status = 200) {
        return mp::test::pump_until([&] { return session_.get(node.url() + "healthz", 1000).status == status; },
                                    10000);
    }

    std::unique_ptr<WsClient> user(const SignalProcess& node, const std::string& name) {
        std::string error;
        auto client = WsClient::connect(session_, node.ws_url(), &error);
        EXPECT_TRUE(client) << error;
        if (client) {
            EXPECT_TRUE(client->login(name)) << name << ": " << client->last_unexpected();
        }
        return client;
    }

    // The code of a refused login, or "ok".
    std::string login_code(const SignalProcess& node, const std::string& name) {
        auto client = WsClient::connect(session_, node.ws_url());
        if (!client) return "no connection";
        client->send(Login{name, std::nullopt});
        auto result = client->next_as<LoginResult>();
        if (!result) return "no login reply: " + client->last_unexpected();
        if (result->success) kept_.push_back(std::move(client));
        return result->success ? "ok" : result->code;
    }

    // Until every node lists `names` (mirrors are told asynchronously).
    bool everyone_lists(WsClient& client, const std::vector<std::string>& names) {
        return mp::test::pump_until([&] {
            client.send(UsersRequest{});
            auto list = client.next_as<UsersList>(1000);
            return list && list->users == names;
        });
    }

    TestSession session_;
    std::unique_ptr<RedisProcess> redis_;
    std::vector<std::unique_ptr<SignalProcess>> nodes_;
    std::vector<std::unique_ptr<WsClient>> kept_;
};

// alice (on her node) calls `callee` (on another) and the answer comes back.
void call_across(WsClient& alice, WsClient& callee, const std::string& callee_name) {
    alice.send(Offer{callee_name, R"({"type":"offer","sdp":"v=0"})"});
    auto offer = callee.next_as<Offer>();
    ASSERT_TRUE(offer) << callee.last_unexpected();
    EXPECT_EQ(offer->name, "alice");
    callee.send(Answer{"alice", R"({"type":"answer","sdp":"v=0"})"});
    auto answer = alice.next_as<Answer>();
    ASSERT_TRUE(answer) << alice.last_unexpected();
    EXPECT_EQ(answer->name, callee_name);
}

}  // namespace

TEST_F(Cluster, AUserOnOneNodeCallsAUserOnAnotherAndEveryNodeListsEveryone) {
    SignalProcess& a = start_node("a");
    SignalProcess& b = start_node("b");
    auto server = user(a, "server");
    auto alice = user(b, "alice");
    ASSERT_TRUE(everyone_lists(*alice, {"alice", "server"}));
    ASSERT_NO_FATAL_FAILURE(call_across(*alice, *server, "server"));
    server->send(Candidate{"alice", R"({"candidate":"c1"})"});
    auto candidate = alice->next_as<Candidate>();
    ASSERT_TRUE(candidate) << alice->last_unexpected();
    EXPECT_EQ(candidate->candidate, R"({"candidate":"c1"})");
    alice->send(Leave{"server", std::nullopt});
    auto leave = server->next_as<Leave>();
    ASSERT_TRUE(leave) << server->last_unexpected();
    EXPECT_EQ(leave->name, "alice");
}

TEST_F(Cluster, AUserLoggingInOnAnotherNodeIsPushedToSubscribers) {
    SignalProcess& a = start_node("a");
    SignalProcess& b = start_node("b");
    auto alice = user(b, "alice");
    alice->send(UsersRequest{});
    auto first = alice->next_as<UsersList>();
    ASSERT_TRUE(first) << alice->last_unexpected();
    EXPECT_EQ(first->users, (std::vector<std::string>{"alice"}));
    auto server = user(a, "server");
    auto pushed = alice->next_as<UsersList>(3000);  // pushes are coalesced to one a second
    ASSERT_TRUE(pushed) << alice->last_unexpected();
    EXPECT_EQ(pushed->users, (std::vector<std::string>{"alice", "server"}));
}

TEST_F(Cluster, ANameIsTakenOnceAcrossThreeNodes) {
    SignalProcess& a = start_node("a");
    SignalProcess& b = start_node("b");
    SignalProcess& c = start_node("c");
    EXPECT_EQ(login_code(a, "bob"), "ok");
    EXPECT_EQ(login_code(b, "bob"), "name_taken");
    EXPECT_EQ(login_code(c, "bob"), "name_taken");
    // Two nodes asked at once: the claim in Redis lets one of them in.
    auto first = WsClient::connect(session_, b.ws_url());
    auto second = WsClient::connect(session_, c.ws_url());
    first->send(Login{"carol", std::nullopt});
    second->send(Login{"carol", std::nullopt});
    auto one = first->next_as<LoginResult>();
    auto other = second->next_as<LoginResult>();
    ASSERT_TRUE(one && other);
    EXPECT_NE(one->success, other->success);
    EXPECT_EQ((one->success ? other : one)->code, "name_taken");
}

TEST_F(Cluster, AKilledNodesUsersLeaveWithinThreeHeartbeatsAndTheirNamesAreFree) {
    SignalProcess& a = start_node("a");
    SignalProcess& b = start_node("b");
    auto server = user(a, "server");
    auto alice = user(b, "alice");
    ASSERT_NO_FATAL_FAILURE(call_across(*alice, *server, "server"));
    a.stop(SIGKILL);
    auto leave = alice->next_as<Leave>(3 * kHeartbeatMs);
    ASSERT_TRUE(leave) << "no leave within 3 heartbeats: " << alice->last_unexpected();
    EXPECT_EQ(leave->name, "server");
    EXPECT_EQ(login_code(b, "server"), "ok");
}

TEST_F(Cluster, WhenRedisRestartsMidCallTheCallGoesOnAndNewCrossNodeCallsWork) {
    SignalProcess& a = start_node("a");
    SignalProcess& b = start_node("b");
    auto server = user(a, "server");
    auto alice = user(b, "alice");
    auto bob = user(b, "bob");
    ASSERT_NO_FATAL_FAILURE(call_across(*alice, *server, "server"));
    redis_->kill();
    ASSERT_TRUE(healthy(b, 503));
    // Down: this node's users still call each other; other nodes' are refused, with a code.
    alice->send(Offer{"bob", "{}"});
    EXPECT_TRUE(bob->next_as<Offer>()) << bob->last_unexpected();
    bob->send(Offer{"server", "{}"});
    auto refused = bob->next_as<Error>();
    ASSERT_TRUE(refused) << bob->last_unexpected();
    EXPECT_EQ(refused->code, "cluster_unavailable");
    std::string error;
    ASSERT_TRUE(redis_->restart(&error)) << error;
    ASSERT_TRUE(healthy(a) && healthy(b));
    // The call across nodes went on: no leave, and its frames still flow.
    server->send(Candidate{"alice", R"({"candidate":"after"})"});
    auto candidate = alice->next_as<Candidate>();
    ASSERT_TRUE(candidate) << alice->last_unexpected();
    EXPECT_EQ(candidate->candidate, R"({"candidate":"after"})");
    auto carol = user(a, "carol");
    // Both nodes know everyone again (asked by others than carol, who would
    // then get `users` pushes).
    auto on_a = user(a, "watcher-a");
    auto on_b = user(b, "watcher-b");
    std::vector<std::string> everyone = {"alice", "bob", "carol", "server", "watcher-a", "watcher-b"};
    ASSERT_TRUE(everyone_lists(*on_a, everyone));
    ASSERT_TRUE(everyone_lists(*on_b, everyone));
    bob->send(Offer{"carol", R"({"sdp":"new"})"});
    auto offer = carol->next_as<Offer>();
    ASSERT_TRUE(offer) << carol->last_unexpected() << "; bob got " << bob->next_text(500).value_or("nothing");
    EXPECT_EQ(offer->name, "bob");
    // Node a wrote its names into the new, empty Redis again.
    std::string holder;
    ASSERT_TRUE(mp::test::run_command(
        {"redis-cli", "-p", std::to_string(redis_->port()), "HGET", "mediapeer:name:server", "a"}, &holder));
    EXPECT_EQ(mp::test::trimmed(holder), "solo");
}

TEST_F(Cluster, APoolWithMembersOnTwoNodesIsFullOnlyWhenAllAre) {
    SignalProcess& a = start_node("a");
    SignalProcess& b = start_node("b");
    std::vector<std::unique_ptr<WsClient>> members;
    for (SignalProcess* node : {&a, &b}) {
        members.push_back(WsClient::connect(session_, node->ws_url()));
        members.back()->send(Login{"bot", std::nullopt, true});
        auto joined = members.back()->next_as<LoginResult>();
        ASSERT_TRUE(joined && joined->success) << members.back()->last_unexpected();
        members.back()->send(Load{0, 1, false});
    }
    auto alice = user(b, "alice");
    ASSERT_TRUE(everyone_lists(*alice, {"alice", "bot"}));
    auto carol = user(b, "carol");
    auto dave = user(b, "dave");
    alice->send(Offer{"bot", "{}"});
    carol->send(Offer{"bot", "{}"});
    // One call each: one member here, one on the other node.
    EXPECT_TRUE(members[0]->next_as<Offer>()) << members[0]->last_unexpected();
    EXPECT_TRUE(members[1]->next_as<Offer>()) << members[1]->last_unexpected();
    dave->send(Offer{"bot", "{}"});
    auto busy = dave->next_as<Leave>();
    ASSERT_TRUE(busy) << dave->last_unexpected();
    EXPECT_EQ(busy->reason, std::optional<std::string>("busy"));
}

// A WHIP client may POST to any node: its offer reaches the bot on another.
TEST_F(Cluster, AWhipPostToOneNodeIsAnsweredByABotOnAnother) {
    SignalProcess& a = start_node("a");
    SignalProcess& b = start_node("b");
    auto bot = user(a, "bot");
    auto watcher = user(b, "watcher");
    ASSERT_TRUE(everyone_lists(*watcher, {"bot", "watcher"}));
    const std::string offer =
        "v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:cl1\r\na=ice-pwd:clusterclusterclustercl\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n";
    auto post = mp::test::HttpExchange::send(session_, {"POST", b.url() + "whip/bot", offer, "application/sdp", {}});
    auto relayed = bot->next_as<Offer>();
    ASSERT_TRUE(relayed) << bot->last_unexpected();
    EXPECT_EQ(relayed->name.rfind("whip-", 0), 0u) << relayed->name;
    std::string answer = "v=0\r\no=- 8 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                         "c=IN IP4 0.0.0.0\r\na=ice-ufrag:cl2\r\na=ice-pwd:answeransweransweransw\r\na=mid:0\r\n"
                         "a=recvonly\r\na=rtpmap:96 VP8/90000\r\n";
    std::string payload;
    mp::protocol::append_json_string(payload, answer);
    bot->send(Answer{relayed->name, R"({"type":"answer","sdp":)" + payload + "}"});
    bot->send(Candidate{relayed->name, R"({"candidate":"","sdpMid":"0","sdpMLineIndex":0})"});
    mp::test::HttpResponse created = post->wait();
    EXPECT_EQ(created.status, 201u) << created.body << created.error;
    EXPECT_NE(created.body.find("a=ice-ufrag:cl2"), std::string::npos) << created.body;
    EXPECT_TRUE(everyone_lists(*watcher, {"bot", "watcher"}));  // the WHIP caller is listed nowhere
}

// Keys are per database and pub/sub is not: channels name their database.
TEST_F(Cluster, TwoClustersOnTwoDatabasesOfOneRedisNeverMeet) {
    SignalProcess& one = start_node("a", "/1");
    SignalProcess& two = start_node("b", "/2");
    auto bob = user(one, "bob");
    auto other_bob = user(two, "bob");
    ASSERT_TRUE(everyone_lists(*bob, {"bob"}));
    ASSERT_TRUE(everyone_lists(*other_bob, {"bob"}));
    EXPECT_EQ(session_.get(two.url() + "healthz").body.find(R"("nodes":1)") != std::string::npos, true)
        << session_.get(two.url() + "healthz").body;
}
