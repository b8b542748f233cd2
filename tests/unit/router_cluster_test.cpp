// The router in a cluster, as two nodes' routers wired by an in-memory
// cluster: claims granted from one name table, presence mirrored, relays
// routed on the other node. What Redis carries in mediapeer-signal, without it.
#include "protocol/codes.hpp"
#include "signal/router.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace mp::protocol;
using mp::signal::ConnectionId;
using mp::signal::Effects;
using mp::signal::Outgoing;
using mp::signal::Presence;
using mp::signal::Refusal;
using mp::signal::Relay;
using mp::signal::Router;
using mp::signal::RouterLimits;

namespace {

// A remote connection's id on the other node: its own id + this.
constexpr ConnectionId kRemote = 1000;

class TwoNodes : public testing::Test {
protected:
    TwoNodes() {
        for (Router* r : {&a_, &b_}) {
            r->enable_cluster();
            for (ConnectionId id = 1; id <= 6; ++id) r->on_open(id, 0);
        }
    }

    Router& node(int n) { return n == 0 ? a_ : b_; }
    Router& other(int n) { return node(1 - n); }

    // Feeds one frame to node n and carries out every effect, on both nodes;
    // returns what was sent to local connections (node, id, frame).
    std::vector<std::tuple<int, ConnectionId, ServerFrame>> feed(int n, ConnectionId from, const std::string& text) {
        sent_.clear();
        carry(n, text == "<close>" ? node(n).on_close(from) : node(n).on_text(from, text, 0));
        return sent_;
    }

    void carry(int n, const Effects& fx) {
        for (const Outgoing& o : fx.sends) sent_.emplace_back(n, o.to, o.frame);
        for (const auto& claim : fx.claims) {
            std::optional<Refusal> refusal;
            auto owner = names_.find(claim.name);
            if (redis_down_)
                refusal = Refusal{code::kClusterUnavailable, "down"};
            else if (owner != names_.end() && owner->second.first != n && (!claim.pool || !owner->second.second))
                refusal = Refusal{code::kNameTaken, "name taken"};
            else
                names_[claim.name] = {n, claim.pool};
            carry(n, node(n).on_claimed(claim.connection, refusal));
        }
        for (const Presence& p : fx.presence) mirror(n, p);
        for (const Relay& r : fx.relays) {
            if (redis_down_) {
                carry(n, node(n).on_relay_failed(r, Refusal{code::kClusterUnavailable, "the cluster is unreachable"}));
                continue;
            }
            carry(1 - n, other(n).on_relayed(r.from + kRemote, r.to - kRemote, r.frame));
        }
    }

    void mirror(int n, const Presence& p) {
        Router& far = other(n);
        if (p.kind == Presence::Kind::online) {
            EXPECT_TRUE(far.add_remote(p.connection + kRemote, p.name, p.pool, p.listed));
        } else if (p.kind == Presence::Kind::load) {
            far.set_remote_load(p.connection + kRemote, p.load);
        } else {
            carry(1 - n, far.remove_remote(p.connection + kRemote));
            if (!node(n).holds_locally(p.name)) names_.erase(p.name);
        }
    }

    bool logs_in(int n, ConnectionId id, const std::string& name, bool pool = false) {
        auto out = feed(n, id, R"({"type":"login","name":")" + name + (pool ? R"(","pool":true})" : "\"}"));
        return out.size() == 1 && std::get<LoginResult>(std::get<2>(out[0])).success;
    }

    Router a_{RouterLimits{0, 0}}, b_{RouterLimits{0, 0}};
    std::map<std::string, std::pair<int, bool>> names_;  // name -> (node, pool)
    bool redis_down_ = false;
    std::vector<std::tuple<int, ConnectionId, ServerFrame>> sent_;
};

using Sent = std::vector<std::tuple<int, ConnectionId, ServerFrame>>;

}  // namespace

TEST_F(TwoNodes, AUserOnOneNodeCallsAUserOnTheOther) {
    ASSERT_TRUE(logs_in(0, 1, "server"));
    ASSERT_TRUE(logs_in(1, 1, "alice"));
    EXPECT_EQ(feed(1, 1, R"({"type":"offer","name":"server","offer":{"sdp":"o"}})"),
              (Sent{{0, 1, Offer{"alice", R"({"sdp":"o"})"}}}));
    EXPECT_EQ(feed(0, 1, R"({"type":"answer","name":"alice","answer":{"sdp":"a"}})"),
              (Sent{{1, 1, Answer{"server", R"({"sdp":"a"})"}}}));
    EXPECT_EQ(feed(1, 1, R"({"type":"candidate","candidate":"c"})"), (Sent{{0, 1, Candidate{"alice", "c"}}}));
    EXPECT_EQ(feed(0, 1, R"({"type":"candidate","name":"alice","candidate":"d"})"),
              (Sent{{1, 1, Candidate{"server", "d"}}}));
    EXPECT_EQ(a_.call_count(), 1u);
    EXPECT_EQ(feed(1, 1, R"({"type":"leave","name":"server"})"), (Sent{{0, 1, Leave{"alice", std::nullopt}}}));
    EXPECT_EQ(a_.call_count(), 0u);
    EXPECT_EQ(b_.call_count(), 0u);
    // Each node counts its own users; both list everyone.
    EXPECT_EQ(a_.user_count(), 1u);
    EXPECT_EQ(a_.connection_count(), 6u);
    EXPECT_EQ(feed(0, 2, R"({"type":"users"})"), (Sent{{0, 2, UsersList{{"alice", "server"}}}}));
}

TEST_F(TwoNodes, ANameIsTakenOnceAcrossNodes) {
    ASSERT_TRUE(logs_in(0, 1, "bob"));
    EXPECT_FALSE(logs_in(1, 1, "bob"));   // refused here, from the mirror
    names_.erase("bob");                  // ...and by the cluster, had the mirror lagged:
    names_["carol"] = {0, false};
    EXPECT_EQ(feed(1, 2, R"({"type":"login","name":"carol"})"),
              (Sent{{1, 2, LoginResult{false, "", "name taken", "name_taken"}}}));
    EXPECT_TRUE(logs_in(1, 2, "dave"));
    EXPECT_EQ(b_.counters().refusals.at("name_taken"), 2u);
}

TEST_F(TwoNodes, AUserThatLeavesItsNodeLeavesItsCallsAndTheListEverywhere) {
    ASSERT_TRUE(logs_in(0, 1, "server"));
    ASSERT_TRUE(logs_in(1, 1, "alice"));
    feed(1, 2, R"({"type":"users"})");
    feed(1, 1, R"({"type":"offer","name":"server","offer":"o"})");
    EXPECT_EQ(feed(0, 1, "<close>"), (Sent{{1, 1, Leave{"server", std::nullopt}}}));
    EXPECT_EQ(b_.call_count(), 0u);
    EXPECT_EQ(b_.flush_users().sends, (std::vector<Outgoing>{{2, UsersList{{"alice"}}}}));
    EXPECT_TRUE(logs_in(1, 3, "server"));  // the name is free everywhere
}

TEST_F(TwoNodes, APoolWithMembersOnBothNodesTakesCallsByLoadFromEither) {
    ASSERT_TRUE(logs_in(0, 1, "bot", true));
    ASSERT_TRUE(logs_in(1, 1, "bot", true));
    feed(0, 1, R"({"type":"load","calls":0,"max_calls":1})");
    feed(1, 1, R"({"type":"load","calls":1,"max_calls":1})");  // full
    ASSERT_TRUE(logs_in(1, 2, "alice"));
    ASSERT_TRUE(logs_in(1, 3, "carol"));
    EXPECT_EQ(feed(1, 2, R"({"type":"offer","name":"bot","offer":"o"})"), (Sent{{0, 1, Offer{"alice", "o"}}}));
    EXPECT_EQ(feed(0, 1, R"({"type":"answer","name":"alice","answer":"a"})"), (Sent{{1, 2, Answer{"bot", "a"}}}));
    // The remote member now has a call routed to it from here: both are full.
    EXPECT_EQ(feed(1, 3, R"({"type":"offer","name":"bot","offer":"o"})"), (Sent{{1, 3, Leave{"bot", "busy"}}}));
    feed(1, 2, R"({"type":"users"})");
    EXPECT_EQ(feed(1, 2, R"({"type":"users"})"), (Sent{{1, 2, UsersList{{"alice", "bot", "carol"}}}}));
    // A plain login cannot take the pool's name on either node.
    EXPECT_FALSE(logs_in(0, 4, "bot"));
    EXPECT_FALSE(logs_in(1, 4, "bot"));
}

TEST_F(TwoNodes, WhileTheClusterIsDownLocalCallsGoOnAndCrossNodeFramesAreRefused) {
    ASSERT_TRUE(logs_in(0, 1, "server"));
    ASSERT_TRUE(logs_in(1, 1, "alice"));
    ASSERT_TRUE(logs_in(1, 2, "bob"));
    redis_down_ = true;
    EXPECT_EQ(feed(1, 1, R"({"type":"offer","name":"server","offer":"o"})"),
              (Sent{{1, 1, Error{"cluster_unavailable", "the cluster is unreachable"}}}));
    EXPECT_EQ(b_.call_count(), 0u);  // the refused offer left no call behind
    EXPECT_EQ(feed(1, 1, R"({"type":"offer","name":"bob","offer":"o"})"), (Sent{{1, 2, Offer{"alice", "o"}}}));
    EXPECT_EQ(feed(1, 3, R"({"type":"login","name":"carol"})"),
              (Sent{{1, 3, LoginResult{false, "", "down", "cluster_unavailable"}}}));
}

TEST_F(TwoNodes, ANameGrantedAfterItsConnectionClosedIsGivenBack) {
    Effects fx = b_.on_text(1, R"({"type":"login","name":"erin"})", 0);
    ASSERT_EQ(fx.claims.size(), 1u);
    EXPECT_TRUE(b_.on_close(1).presence.empty());  // nobody was told of erin yet
    Effects late = b_.on_claimed(1, std::nullopt);
    ASSERT_EQ(late.presence.size(), 1u);
    EXPECT_EQ(late.presence[0].kind, Presence::Kind::offline);
    EXPECT_EQ(late.presence[0].name, "erin");
    EXPECT_TRUE(late.sends.empty());
    // Meanwhile a second login to the same name waits for no claim of its own.
    Effects first = b_.on_text(2, R"({"type":"login","name":"frank"})", 0);
    Effects second = b_.on_text(3, R"({"type":"login","name":"frank"})", 0);
    EXPECT_EQ(first.claims.size(), 1u);
    ASSERT_EQ(second.sends.size(), 1u);
    EXPECT_EQ(std::get<LoginResult>(second.sends[0].frame).code, "name_taken");
}

TEST_F(TwoNodes, RelaysToAConnectionThatIsGoneAreDropped) {
    ASSERT_TRUE(logs_in(0, 1, "server"));
    ASSERT_TRUE(logs_in(1, 1, "alice"));
    EXPECT_TRUE(a_.on_relayed(1 + kRemote, 5, Offer{"alice", "o"}).sends.empty());  // 5 never logged in
    EXPECT_TRUE(a_.on_relayed(77, 1, Offer{"alice", "o"}).sends.empty());          // no such remote
    EXPECT_EQ(a_.counters().errors.at("relay_undeliverable"), 2u);
    EXPECT_EQ(a_.call_count(), 0u);
}
