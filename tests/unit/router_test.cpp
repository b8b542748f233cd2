// The router as tables: (connection, frame) -> the frames it sends, one table
// per rule of docs/protocol.md.
#include "protocol/codes.hpp"
#include "signal/router.hpp"

#include <gtest/gtest.h>

using namespace mp::protocol;
using mp::signal::Closing;
using mp::signal::ConnectionId;
using mp::signal::Effects;
using mp::signal::Outgoing;
using mp::signal::Router;
using mp::signal::RouterLimits;

namespace {

constexpr ConnectionId A = 1, B = 2, C = 3, D = 4;

struct Step {
    ConnectionId from;
    std::string text;  // a frame as the client sends it; "<close>" closes the connection
    std::vector<Outgoing> expected;
};

std::string describe(const std::vector<Outgoing>& sends) {
    std::string s;
    for (const auto& o : sends) s += " ->" + std::to_string(o.to) + " " + serialize(o.frame);
    return s.empty() ? " (nothing)" : s;
}

class RouterTable : public testing::Test {
protected:
    RouterTable() : router_(RouterLimits{0, 0}) {
        for (ConnectionId id : {A, B, C, D}) router_.on_open(id, 0);
    }

    Effects feed(ConnectionId from, const std::string& text) {
        return text == "<close>" ? router_.on_close(from) : router_.on_text(from, text, 0);
    }

    void run(const std::vector<Step>& table) {
        for (std::size_t i = 0; i < table.size(); ++i) {
            const Step& step = table[i];
            Effects fx = feed(step.from, step.text);
            EXPECT_EQ(fx.sends, step.expected)
                << "step " << i << ": " << step.from << " sent " << step.text << "\n got"
                << describe(fx.sends) << "\n expected" << describe(step.expected);
            EXPECT_TRUE(fx.closes.empty()) << "step " << i;
        }
    }

    // Logs A in as alice, B as bob, C as carol.
    void login_all() {
        run({{A, R"({"type":"login","name":"alice"})", {{A, LoginResult{true, "alice", "", ""}}}},
             {B, R"({"type":"login","name":"bob"})", {{B, LoginResult{true, "bob", "", ""}}}},
             {C, R"({"type":"login","name":"carol"})", {{C, LoginResult{true, "carol", "", ""}}}}});
    }

    // alice calls bob.
    void alice_calls_bob() {
        run({{A, R"({"type":"offer","offer":{"sdp":"o"},"name":"bob"})",
              {{B, Offer{"alice", R"({"sdp":"o"})"}}}}});
    }

    Router router_;
};

Outgoing err(ConnectionId to, const char* code, const char* message) {
    return {to, Error{code, message}};
}

}  // namespace

TEST_F(RouterTable, Login) {
    run({
        {A, R"({"type":"login","name":"alice"})", {{A, LoginResult{true, "alice", "", ""}}}},
        {B, R"({"type":"login","name":"alice"})", {{B, LoginResult{false, "", "name taken", "name_taken"}}}},
        {B, R"({"type":"login","name":""})", {{B, LoginResult{false, "", "name is empty", "invalid_name"}}}},
        {B, R"({"type":"login","name":"a\u0007"})",
         {{B, LoginResult{false, "", "name contains a control character", "invalid_name"}}}},
        {B, "{\"type\":\"login\",\"name\":\"" + std::string(65, 'x') + "\"}",
         {{B, LoginResult{false, "", "name is longer than 64 characters", "invalid_name"}}}},
        {B, R"({"type":"login","name":"  "})", {{B, LoginResult{false, "", "name is only white space", "invalid_name"}}}},
        // After refusals the connection can still log in.
        {B, R"({"type":"login","name":"bob"})", {{B, LoginResult{true, "bob", "", ""}}}},
        {B, R"({"type":"login","name":"bob2"})", {err(B, "already_logged_in", "already logged in as bob")}},
        {A, "<close>", {}},
        {C, R"({"type":"login","name":"alice"})", {{C, LoginResult{true, "alice", "", ""}}}},
    });
    EXPECT_EQ(router_.user_count(), 2u);
}

TEST_F(RouterTable, FramesBeforeLogin) {
    run({
        {A, R"({"type":"offer","offer":{},"name":"bob"})", {err(A, "not_logged_in", "log in first")}},
        {A, R"({"type":"answer","answer":{}})", {err(A, "not_logged_in", "log in first")}},
        {A, R"({"type":"candidate","candidate":{}})", {err(A, "not_logged_in", "log in first")}},
        {A, R"({"type":"leave"})", {err(A, "not_logged_in", "log in first")}},
        {A, R"({"type":"users"})", {{A, UsersList{{}}}}},
    });
}

TEST_F(RouterTable, OfferIsRelayedWithTheSendersRealName) {
    login_all();
    run({
        // myName is a lie; the server knows who sent the frame.
        {A, R"({"type":"offer","offer":{"type":"offer","sdp":"v=0"},"name":"bob","myName":"carol"})",
         {{B, Offer{"alice", R"({"type":"offer","sdp":"v=0"})"}}}},
        {C, R"({"type":"offer","offer":"{\"sdp\":\"s\"}","name":"bob"})",
         {{B, Offer{"carol", R"({"sdp":"s"})"}}}},
        {A, R"({"type":"offer","offer":{},"name":"alice"})", {err(A, "cannot_call_self", "cannot call yourself")}},
        {A, R"({"type":"offer","offer":{},"name":"dave"})", {err(A, "not_online", "user dave is not online")}},
    });
    EXPECT_EQ(router_.call_count(), 2u);
}

TEST_F(RouterTable, AnswerAndCandidatesBothWays) {
    login_all();
    alice_calls_bob();
    run({
        {B, R"({"type":"answer","answer":{"sdp":"a"},"name":"alice"})",
         {{A, Answer{"bob", R"({"sdp":"a"})"}}}},
        {A, R"({"type":"candidate","candidate":{"candidate":"ca"},"name":"bob"})",
         {{B, Candidate{"alice", R"({"candidate":"ca"})"}}}},
        {B, R"({"type":"candidate","candidate":{"candidate":"cb"},"name":"alice"})",
         {{A, Candidate{"bob", R"({"candidate":"cb"})"}}}},
    });
}

TEST_F(RouterTable, CalleeWithEmptyOrMissingOrUnknownNameReachesItsPartner) {
    login_all();
    alice_calls_bob();
    run({
        {B, R"({"type":"answer","answer":{"sdp":"a"},"name":"","myName":"bob"})",
         {{A, Answer{"bob", R"({"sdp":"a"})"}}}},
        {B, R"({"type":"candidate","candidate":{"candidate":"c"}})",
         {{A, Candidate{"bob", R"({"candidate":"c"})"}}}},
        {B, R"({"type":"candidate","candidate":{"candidate":"c"},"name":"nobody"})",
         {{A, Candidate{"bob", R"({"candidate":"c"})"}}}},
        {B, R"({"type":"leave","name":""})", {{A, Leave{"bob", std::nullopt}}}},
    });
    EXPECT_EQ(router_.call_count(), 0u);
}

TEST_F(RouterTable, NoCallNoRoute) {
    login_all();
    run({
        {A, R"({"type":"answer","answer":{},"name":"bob"})", {err(A, "not_in_call", "not in a call")}},
        {A, R"({"type":"candidate","candidate":{},"name":"bob"})", {err(A, "not_in_call", "not in a call")}},
        {A, R"({"type":"leave","name":"bob"})", {err(A, "not_in_call", "not in a call")}},
        {A, R"({"type":"leave"})", {err(A, "not_in_call", "not in a call")}},
    });
    alice_calls_bob();
    run({
        // carol is online but not alice's partner: refused, not misrouted.
        {A, R"({"type":"candidate","candidate":{},"name":"carol"})",
         {err(A, "not_in_call", "not in a call with carol")}},
        {C, R"({"type":"candidate","candidate":{},"name":"alice"})", {err(C, "not_in_call", "not in a call")}},
    });
}

TEST_F(RouterTable, SeveralCallsAtOnceAreKeptApart) {
    login_all();  // bob plays the server peer: called by alice and carol
    alice_calls_bob();
    run({
        {C, R"({"type":"offer","offer":{},"name":"bob"})", {{B, Offer{"carol", "{}"}}}},
        {B, R"({"type":"answer","answer":{},"name":"alice"})", {{A, Answer{"bob", "{}"}}}},
        {B, R"({"type":"answer","answer":{},"name":"carol"})", {{C, Answer{"bob", "{}"}}}},
        {B, R"({"type":"candidate","candidate":{},"name":"ghost"})",
         {err(B, "not_in_call", "not in a call with ghost")}},
        // No name while in two calls: the most recent one (carol's).
        {B, R"({"type":"candidate","candidate":{}})", {{C, Candidate{"bob", "{}"}}}},
        {B, R"({"type":"leave","name":"alice","reason":"busy"})", {{A, Leave{"bob", "busy"}}}},
        {C, R"({"type":"candidate","candidate":{}})", {{B, Candidate{"carol", "{}"}}}},
    });
    EXPECT_EQ(router_.call_count(), 1u);
}

TEST_F(RouterTable, LeaveIsForwardedWithReason) {
    login_all();
    alice_calls_bob();
    run({
        {B, R"({"type":"leave","name":"alice","reason":"busy"})", {{A, Leave{"bob", "busy"}}}},
        {A, R"({"type":"leave","name":"bob"})", {err(A, "not_in_call", "not in a call")}},
    });
}

TEST_F(RouterTable, CloseFreesTheNameAndTellsEveryPartner) {
    login_all();
    alice_calls_bob();
    run({
        {C, R"({"type":"offer","offer":{},"name":"alice"})", {{A, Offer{"carol", "{}"}}}},
        {A, "<close>", {{B, Leave{"alice", std::nullopt}}, {C, Leave{"alice", std::nullopt}}}},
        {B, R"({"type":"candidate","candidate":{}})", {err(B, "not_in_call", "not in a call")}},
        {D, R"({"type":"login","name":"alice"})", {{D, LoginResult{true, "alice", "", ""}}}},
    });
    EXPECT_EQ(router_.call_count(), 0u);
    EXPECT_EQ(router_.user_count(), 3u);
    EXPECT_EQ(router_.connection_count(), 3u);
}

TEST_F(RouterTable, BadFramesGetAnErrorAndChangeNothing) {
    login_all();
    alice_calls_bob();
    run({
        {A, "", {err(A, "bad_frame", "not JSON: empty frame")}},
        {A, "[]", {err(A, "bad_frame", "frame is not a JSON object")}},
        {A, R"({"name":"bob"})", {err(A, "bad_frame", "frame has no \"type\"")}},
        {A, R"({"type":1})", {err(A, "bad_frame", "\"type\" must be a string")}},
        {A, R"({"type":"hello"})", {err(A, "bad_frame", "unknown type \"hello\"")}},
        {A, R"({"type":"offer","name":"bob"})", {err(A, "bad_frame", "offer: missing \"offer\"")}},
        {A, R"({"type":"candidate","candidate":true})",
         {err(A, "bad_frame", "candidate: \"candidate\" must be an object or a string")}},
        // The call is still there.
        {A, R"({"type":"candidate","candidate":{}})", {{B, Candidate{"alice", "{}"}}}},
    });
    const auto& errors = router_.counters().errors;
    EXPECT_EQ(errors.at("not_json"), 1u);
    Effects fx = router_.on_text(A, "not json", 0);
    ASSERT_EQ(fx.sends.size(), 1u);
    EXPECT_EQ(fx.sends[0].to, A);
    EXPECT_EQ(std::get<Error>(fx.sends[0].frame).message.rfind("not JSON: ", 0), 0u);
    EXPECT_EQ(errors.at("unknown_type"), 1u);
    EXPECT_EQ(router_.counters().frames_in.at("invalid"), 8u);
}

TEST_F(RouterTable, UsersListIsSentOnRequestAndPushedOnlyToSubscribers) {
    run({{A, R"({"type":"users"})", {{A, UsersList{{}}}}},
         {B, R"({"type":"login","name":"bob"})", {{B, LoginResult{true, "bob", "", ""}}}}});
    EXPECT_TRUE(router_.users_dirty());
    Effects pushed = router_.flush_users();
    EXPECT_EQ(pushed.sends, (std::vector<Outgoing>{{A, UsersList{{"bob"}}}}));
    EXPECT_FALSE(router_.users_dirty());
    // Two changes between flushes coalesce into one push of the current list.
    run({{C, R"({"type":"login","name":"carol"})", {{C, LoginResult{true, "carol", "", ""}}}},
         {A, R"({"type":"login","name":"alice"})", {{A, LoginResult{true, "alice", "", ""}}}}});
    pushed = router_.flush_users();
    EXPECT_EQ(pushed.sends, (std::vector<Outgoing>{{A, UsersList{{"alice", "bob", "carol"}}}}));
    run({{B, "<close>", {}}});
    pushed = router_.flush_users();
    EXPECT_EQ(pushed.sends, (std::vector<Outgoing>{{A, UsersList{{"alice", "carol"}}}}));
}

TEST(RouterRateLimit, FloodGetsAnErrorThenACloseAndFreesTheName) {
    Router router(RouterLimits{10, 5});  // 10 frames/s, bursts of 5
    router.on_open(A, 0);
    router.on_open(B, 0);
    router.on_text(B, R"({"type":"login","name":"bob"})", 0);
    router.on_text(A, R"({"type":"login","name":"alice"})", 0);
    router.on_text(A, R"({"type":"offer","offer":{},"name":"bob"})", 0);
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(router.on_text(A, R"({"type":"users"})", 0).closes.empty()) << i;
    Effects fx = router.on_text(A, R"({"type":"users"})", 0);  // the 6th frame at once
    ASSERT_EQ(fx.closes.size(), 1u);
    EXPECT_EQ(fx.closes[0], (Closing{A, 1008, "rate limit exceeded", "rate_limited"}));
    EXPECT_EQ(fx.sends, (std::vector<Outgoing>{
                            {A, Error{"rate_limited", "too many frames: the limit is 10 per second"}},
                            {B, Leave{"alice", std::nullopt}}}));
    EXPECT_EQ(router.user_count(), 1u);
    EXPECT_EQ(router.counters().errors.at("rate_limited"), 1u);
    // Frames still in flight from the closed connection are ignored.
    EXPECT_TRUE(router.on_text(A, R"({"type":"users"})", 0).sends.empty());
}

TEST(RouterRateLimit, TokensRefillOverTime) {
    Router router(RouterLimits{10, 2});
    router.on_open(A, 0);
    std::int64_t now = 0;
    for (int i = 0; i < 50; ++i, now += 100'000)  // exactly 10 frames/s
        EXPECT_TRUE(router.on_text(A, R"({"type":"users"})", now).closes.empty()) << i;
}

// An HTTP endpoint's caller (signal/http_sessions): logged in without a
// login frame, routed like anyone, seen and called by nobody.
TEST(RouterUnlisted, AnAdmittedCallerCallsAndIsAnsweredButIsNeitherListedNorCallable) {
    Router router(RouterLimits{0, 0});
    constexpr ConnectionId kSession = ConnectionId{1} << 62;
    router.on_open(A, 0);
    router.on_open(B, 0);
    router.on_text(A, R"({"type":"login","name":"bot"})", 0);
    router.on_text(B, R"({"type":"login","name":"alice"})", 0);
    ASSERT_TRUE(router.admit_unlisted(kSession, "whip-1", 0));
    EXPECT_EQ(router.user_count(), 2u) << "an unlisted caller is not a user";
    EXPECT_EQ(router.connection_count(), 2u);
    EXPECT_FALSE(router.admit_unlisted(kSession + 1, "whip-1", 0)) << "the name is taken";
    EXPECT_FALSE(router.admit_unlisted(kSession + 1, "bot", 0)) << "the name is taken";

    Effects offer = router.on_frame(kSession, Offer{"bot", "{}"});
    EXPECT_EQ(offer.sends, (std::vector<Outgoing>{{A, Offer{"whip-1", "{}"}}}));
    Effects answer = router.on_text(A, R"({"type":"answer","name":"whip-1","answer":{}})", 0);
    EXPECT_EQ(answer.sends, (std::vector<Outgoing>{{kSession, Answer{"bot", "{}"}}}));

    Effects users = router.on_text(B, R"({"type":"users"})", 0);
    EXPECT_EQ(users.sends, (std::vector<Outgoing>{{B, UsersList{{"alice", "bot"}}}}));
    Effects call = router.on_text(B, R"({"type":"offer","name":"whip-1","offer":{}})", 0);
    ASSERT_EQ(call.sends.size(), 1u);
    EXPECT_EQ(std::get<Error>(call.sends[0].frame).code, code::kNotOnline);

    router.flush_users();
    Effects gone = router.on_close(kSession);
    EXPECT_EQ(gone.sends, (std::vector<Outgoing>{{A, Leave{"whip-1", std::nullopt}}}));
    EXPECT_FALSE(router.users_dirty()) << "the list did not change";
    EXPECT_TRUE(router.admit_unlisted(kSession + 1, "whip-1", 0)) << "the name is free again";
}

// Pools (docs/protocol.md#pools): members share a name; each new offer goes
// to the member with the most free capacity, every later frame of a call to
// the member that took it.
namespace {

constexpr ConnectionId M1 = 11, M2 = 12, M3 = 13;

class RouterPool : public RouterTable {
protected:
    RouterPool() {
        for (ConnectionId id : {M1, M2, M3}) router_.on_open(id, 0);
        login_all();
        for (ConnectionId id : {M1, M2, M3})
            run({{id, R"({"type":"login","name":"bot","pool":true})", {{id, LoginResult{true, "bot", "", ""}}}}});
    }

    void load(ConnectionId member, unsigned calls, unsigned max_calls, bool draining = false) {
        std::string frame = R"({"type":"load","calls":)" + std::to_string(calls) +
                            R"(,"max_calls":)" + std::to_string(max_calls) +
                            R"(,"draining":)" + (draining ? "true" : "false") + "}";
        run({{member, frame, {}}});
    }

    // Where an offer from `caller` to the pool went (0: nowhere).
    ConnectionId offer_from(ConnectionId caller) {
        Effects fx = feed(caller, R"({"type":"offer","offer":{"sdp":"o"},"name":"bot"})");
        if (fx.sends.size() != 1 || !std::holds_alternative<Offer>(fx.sends[0].frame)) return 0;
        return fx.sends[0].to;
    }
};

}  // namespace

TEST_F(RouterPool, MembersShareOneNameThatIsListedOnceWhileAnyIsLeft) {
    run({
        {A, R"({"type":"users"})", {{A, UsersList{{"alice", "bob", "bot", "carol"}}}}},
        // A pool's name is not taken alone, nor a lone name joined as a pool.
        {D, R"({"type":"login","name":"bot"})", {{D, LoginResult{false, "", "name taken", "name_taken"}}}},
        {D, R"({"type":"login","name":"alice","pool":true})",
         {{D, LoginResult{false, "", "name taken by a connection that is not a pool", "name_taken"}}}},
        {M1, "<close>", {}},
        {M2, "<close>", {}},
    });
    EXPECT_TRUE(router_.flush_users().sends.empty());  // alice saw the list; members left, the name did not
    EXPECT_FALSE(router_.users_dirty());
    EXPECT_EQ(router_.user_count(), 4u);
    EXPECT_EQ(router_.pool_member_count(), 1u);
    run({{M3, "<close>", {}}});
    EXPECT_TRUE(router_.users_dirty());
    EXPECT_EQ(router_.flush_users().sends, (std::vector<Outgoing>{{A, UsersList{{"alice", "bob", "carol"}}}}));
    EXPECT_EQ(router_.pool_member_count(), 0u);
}

TEST_F(RouterPool, EachNewOfferGoesToTheMemberWithTheMostFreeCalls) {
    load(M1, 0, 3);  // 3 free
    load(M2, 0, 2);  // 2 free
    load(M3, 1, 2);  // 1 free
    EXPECT_EQ(offer_from(A), M1);
    // An offered call counts before the member's next `load` says so: M1 and
    // M2 have 2 free now, and M2 fewer calls.
    EXPECT_EQ(offer_from(B), M2);
    load(M1, 0, 8, true);  // draining: never chosen, however free
    EXPECT_EQ(offer_from(C), M3);
}

TEST_F(RouterPool, MembersThatSayNoLimitTakeTurns) {
    EXPECT_EQ(offer_from(A), M1);
    EXPECT_EQ(offer_from(B), M2);
    run({{A, R"({"type":"leave","name":"bot"})", {{M1, Leave{"alice", std::nullopt}}}}});
    EXPECT_EQ(offer_from(C), M3);  // as free as M1, and never chosen
    EXPECT_EQ(offer_from(A), M1);  // it has no call again
}

TEST_F(RouterPool, EveryLaterFrameOfACallGoesToTheMemberThatTookIt) {
    load(M1, 0, 1);
    load(M2, 0, 1);
    load(M3, 0, 0, true);
    ASSERT_EQ(offer_from(A), M1);
    ASSERT_EQ(offer_from(B), M2);
    run({
        {B, R"({"type":"candidate","candidate":{"candidate":"cb"},"name":"bot"})",
         {{M2, Candidate{"bob", R"({"candidate":"cb"})"}}}},
        {M1, R"({"type":"answer","answer":{"sdp":"a"},"name":"alice"})", {{A, Answer{"bot", R"({"sdp":"a"})"}}}},
        {A, R"({"type":"candidate","candidate":{"candidate":"ca"},"name":"bot"})",
         {{M1, Candidate{"alice", R"({"candidate":"ca"})"}}}},
        // A new offer in a call (renegotiation) goes where the call is, full or not.
        {A, R"({"type":"offer","offer":{"sdp":"o2"},"name":"bot"})", {{M1, Offer{"alice", R"({"sdp":"o2"})"}}}},
        {M2, R"({"type":"leave","name":"bob","reason":"media_timeout"})", {{B, Leave{"bot", "media_timeout"}}}},
    });
}

TEST_F(RouterPool, WhenEveryMemberIsFullOrDrainingTheCallerHearsBusy) {
    load(M1, 2, 2);
    load(M2, 0, 0, true);
    load(M3, 0, 1);
    ASSERT_EQ(offer_from(A), M3);
    run({{B, R"({"type":"offer","offer":{"sdp":"o"},"name":"bot"})", {{B, Leave{"bot", "busy"}}}},
         // Nothing was recorded for the refused call.
         {B, R"({"type":"candidate","candidate":{"candidate":"c"},"name":"bot"})",
          {err(B, "not_in_call", "not in a call")}}});
    EXPECT_EQ(router_.counters().refusals.at("busy"), 1u);
    EXPECT_EQ(router_.call_count(), 1u);
}

TEST_F(RouterPool, AMemberThatGoesAwayEndsOnlyItsOwnCalls) {
    ASSERT_EQ(offer_from(A), M1);
    ASSERT_EQ(offer_from(B), M2);
    ASSERT_EQ(offer_from(C), M3);
    run({{M2, "<close>", {{B, Leave{"bot", std::nullopt}}}},
         {A, R"({"type":"candidate","candidate":{"candidate":"c"},"name":"bot"})",
          {{M1, Candidate{"alice", R"({"candidate":"c"})"}}}}});
    EXPECT_EQ(router_.call_count(), 2u);
    EXPECT_EQ(offer_from(B), M1);  // the pool lives on
}

TEST_F(RouterPool, LoadIsOnlyForPoolMembers) {
    run({{A, R"({"type":"load","calls":0,"max_calls":2})",
          {err(A, "not_in_pool", "load is for pool members (log in with \"pool\": true)")}}});
    EXPECT_EQ(offer_from(B), M1);
}
