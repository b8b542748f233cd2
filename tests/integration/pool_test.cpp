// Pools and drain with the real programs: several mediapeer --pool under one
// name behind the real mediapeer-signal, which gives each new call to the
// member with most free calls as their `load` frames say. Cheap callers are
// WebSocket clients with a real SDP offer (an answer is what is counted);
// where media must be seen to go on, the callers are mediapeer-call.
#include "support/peers_fixture.hpp"

#include <glib/gstdio.h>

#include <algorithm>
#include <fstream>

using namespace mp::protocol;
using namespace mp::test;

namespace {

constexpr const char* kPool = "pool";

void write_private(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text << "\n";
    g_chmod(path.c_str(), 0600);
}

}  // namespace

class Pools : public testing::Test {
protected:
    void SetUp() override {
        std::string error;
        signal_ = SignalProcess::start({}, &error);
        ASSERT_TRUE(signal_) << error;
    }

    // A mediapeer logged in as a member of the pool `kPool`. A call that
    // never gets ICE going (a cheap caller's) is not ended by the media
    // timeout within a test.
    std::unique_ptr<Process> start_member(const std::vector<std::string>& extra, bool pool = true) {
        std::vector<std::string> argv = {built_program("mediapeer"), "--signal", signal_->ws_url(), "--name", kPool,
                                         "--ice-address", "127.0.0.1", "--media-timeout", "60"};
        if (pool) argv.push_back("--pool");
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto member = Process::start(argv);
        if (!member || !member->wait_line(std::regex("logged in as"), 10000)) {
            ADD_FAILURE() << "mediapeer did not log in: " << (member ? member->stderr_text() : "");
            return nullptr;
        }
        return member;
    }

    void start_members(int n, const std::vector<std::string>& extra) {
        for (int i = 0; i < n; ++i) members_.push_back(start_member(extra));
    }

    // Logged in as `name`, not yet calling.
    std::unique_ptr<WsClient> caller(const std::string& name) {
        std::string error;
        auto client = WsClient::connect(session_, signal_->ws_url(), &error);
        EXPECT_TRUE(client) << error;
        if (client) {
            EXPECT_TRUE(client->login(name)) << name << ": " << client->last_unexpected();
        }
        return client;
    }

    // The member that took the call of `caller` (its log names the call), or -1.
    int member_of(const std::string& caller) const {
        std::regex call(R"(\[call )" + caller + R"(#\d+\] offer:)");
        for (std::size_t i = 0; i < members_.size(); ++i)
            if (members_[i] && std::regex_search(members_[i]->stderr_text(), call)) return static_cast<int>(i);
        return -1;
    }

    // Calls the pool and waits for the answer; false (with why) without one.
    testing::AssertionResult answered(WsClient& client) {
        client.send(Offer{kPool, valid_offer()});
        auto answer = client.next_as<Answer>(10000);
        if (!answer) return testing::AssertionFailure() << "no answer: " << client.last_unexpected();
        return testing::AssertionSuccess();
    }

    // The first leave among the frames that come (candidates go before it).
    std::optional<Leave> leave_of(WsClient& client, int timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
        while (g_get_monotonic_time() < deadline) {
            auto frame = client.next(static_cast<int>((deadline - g_get_monotonic_time()) / 1000) + 1);
            if (!frame) return std::nullopt;
            if (auto* leave = std::get_if<Leave>(&*frame)) return *leave;
        }
        return std::nullopt;
    }

    std::unique_ptr<Process> start_call(const std::string& name, const std::vector<std::string>& extra) {
        std::vector<std::string> argv = {built_program("mediapeer-call"), "--signal", signal_->ws_url(), "--name",
                                         name, "--call", kPool, "--ice-address", "127.0.0.1"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return Process::start(argv);
    }

    static std::string status_url(Process& member) {
        std::smatch m;
        std::string out = member.stdout_text();  // printed before "logged in"
        return std::regex_search(out, m, std::regex("mediapeer status on (\\S+)")) ? m[1].str() : "";
    }

    std::string all_logs() const {
        std::string logs;
        for (std::size_t i = 0; i < members_.size(); ++i)
            if (members_[i]) logs += "\n--- member " + std::to_string(i) + ":\n" + members_[i]->stderr_text();
        return logs;
    }

    TestSession session_;
    std::unique_ptr<SignalProcess> signal_;
    std::vector<std::unique_ptr<Process>> members_;
};

// Six offers at once: the server spreads them two per member (their load
// frames say --max-calls 2), so no member has to refuse one itself, and the
// seventh is refused by the server.
TEST_F(Pools, ThreeBotsWithTwoCallsEachTakeSixCallsAndTheSeventhIsBusy) {
    start_members(3, {"--max-calls", "2"});
    ASSERT_FALSE(HasFailure());
    std::vector<std::unique_ptr<WsClient>> callers;
    for (int i = 0; i < 7; ++i) callers.push_back(caller("c" + std::to_string(i)));
    ASSERT_FALSE(HasFailure());
    for (int i = 0; i < 6; ++i) callers[i]->send(Offer{kPool, valid_offer()});
    for (int i = 0; i < 6; ++i)
        EXPECT_TRUE(callers[i]->next_as<Answer>(15000)) << "c" << i << ": " << callers[i]->last_unexpected() << all_logs();
    std::vector<int> taken(3, 0);
    for (int i = 0; i < 6; ++i)
        if (int m = member_of("c" + std::to_string(i)); m >= 0) ++taken[static_cast<std::size_t>(m)];
    EXPECT_EQ(taken, (std::vector<int>{2, 2, 2})) << all_logs();

    callers[6]->send(Offer{kPool, valid_offer()});
    auto busy = leave_of(*callers[6], 10000);
    ASSERT_TRUE(busy) << callers[6]->last_unexpected();
    EXPECT_EQ(busy->name, kPool);
    EXPECT_EQ(busy->reason, std::optional<std::string>("busy"));
    EXPECT_EQ(member_of("c6"), -1) << "the server sent a full member the offer" << all_logs();
    EXPECT_EQ(all_logs().find("refused the offer: busy"), std::string::npos) << all_logs();

    callers[6]->send(UsersRequest{});
    auto users = callers[6]->next_as<UsersList>(5000);
    ASSERT_TRUE(users) << callers[6]->last_unexpected();
    EXPECT_EQ(std::count(users->users.begin(), users->users.end(), kPool), 1) << testing::PrintToString(users->users);
}

// SIGTERM with --drain-seconds: the member is out of the choice at once (the
// other two take the new calls, and when they are full the next caller gets
// busy though the draining one has room), its call goes on, and it exits 0
// as soon as that call ends.
TEST_F(Pools, ADrainingMemberGetsNoNewCallAndExitsAfterItsLastCallEnds) {
    start_members(3, {"--max-calls", "2", "--drain-seconds", "30", "--http", "127.0.0.1:0"});
    ASSERT_FALSE(HasFailure());
    auto alice = caller("alice");
    ASSERT_TRUE(alice && answered(*alice));
    int m = member_of("alice");
    ASSERT_GE(m, 0) << all_logs();
    Process& draining = *members_[static_cast<std::size_t>(m)];
    std::string url = status_url(draining);
    ASSERT_FALSE(url.empty()) << draining.stdout_text();
    EXPECT_EQ(http_get(url + "healthz").status, 200u);

    gint64 sigterm_us = g_get_monotonic_time();
    draining.stop(SIGTERM, 0);
    ASSERT_TRUE(pump_until([&] { return draining.stderr_text().find("draining: 1 calls, up to 30 s") != std::string::npos; }))
        << draining.stderr_text();
    HttpReply health = http_get(url + "healthz");
    EXPECT_EQ(health.status, 503u);
    EXPECT_NE(health.body.find("draining"), std::string::npos) << health.body;
    EXPECT_EQ(sample(http_get(url + "metrics").body, "mediapeer_draining"), 1);

    std::vector<std::unique_ptr<WsClient>> later;
    for (int i = 0; i < 4; ++i) {
        later.push_back(caller("b" + std::to_string(i)));
        ASSERT_TRUE(later.back() && answered(*later.back())) << "b" << i << all_logs();
        EXPECT_NE(member_of("b" + std::to_string(i)), m) << "a draining member got b" << i << all_logs();
    }
    auto fifth = caller("b4");
    ASSERT_TRUE(fifth);
    fifth->send(Offer{kPool, valid_offer()});
    auto busy = leave_of(*fifth, 10000);
    ASSERT_TRUE(busy) << fifth->last_unexpected();
    EXPECT_EQ(busy->reason, std::optional<std::string>("busy"));
    EXPECT_EQ(member_of("b4"), -1) << all_logs();
    EXPECT_EQ(http_get(url + "healthz").status, 503u) << "still draining while its call goes on";

    alice->send(Leave{kPool, std::nullopt});
    EXPECT_EQ(draining.wait(10000), 0) << draining.stderr_text();
    EXPECT_LT(g_get_monotonic_time() - sigterm_us, 15 * G_USEC_PER_SEC) << "it waited for the drain deadline";
    EXPECT_NE(draining.stderr_text().find("[call alice#1] ended: the caller left"), std::string::npos)
        << draining.stderr_text();
}

// Each member's calls are its own: kill -9 one, and its caller gets a leave
// at once while the others' media flows to the end of their calls.
TEST_F(Pools, AKilledMemberEndsOnlyItsOwnCalls) {
    start_members(3, {"--max-calls", "1"});  // one caller per member, whatever the order
    ASSERT_FALSE(HasFailure());
    std::vector<std::unique_ptr<Process>> calls;
    for (const char* name : {"a", "b", "c"}) calls.push_back(start_call(name, {"--duration", "8"}));
    ASSERT_TRUE(pump_until([&] { return count_of(all_logs(), "ICE connected") == 3; }, 20000)) << all_logs();
    int killed = member_of("a");
    ASSERT_GE(killed, 0) << all_logs();
    gint64 kill_us = g_get_monotonic_time();
    members_[static_cast<std::size_t>(killed)]->stop(SIGKILL, 5000);

    calls[0]->wait(10000);
    EXPECT_NE(calls[0]->stdout_text().find("call ended: pool hung up"), std::string::npos) << calls[0]->stdout_text();
    EXPECT_LT(g_get_monotonic_time() - kill_us, 4 * G_USEC_PER_SEC) << "a's caller was not told at once";
    for (std::size_t i = 1; i < 3; ++i) {
        CallReport r = Peers::report_of(*calls[i], 30000);
        Peers::expect_echoed(r);
        EXPECT_GT(r.video_sent, 200) << r.out;  // 8 s at 30 frames/s: the call ran its course
        EXPECT_NE(r.out.find("call ended: the call lasted"), std::string::npos) << r.out;
    }
}

// A call that does not end by itself ends at --drain-seconds: its caller is
// told, its recording finalized, and the member exits 0.
TEST_F(Pools, ADrainThatRunsOutEndsTheCallsFinalizesTheRecordingAndExitsZero) {
    TempDir dir;
    members_.push_back(start_member({"--drain-seconds", "2", "--record-dir", dir.path()}));
    ASSERT_TRUE(members_[0]);
    Process& member = *members_[0];
    auto alice = start_call("alice", {"--duration", "60"});
    ASSERT_TRUE(pump_until([&] { return member.stderr_text().find("ICE connected") != std::string::npos; }, 15000))
        << member.stderr_text();
    pump_until([] { return false; }, 2000);  // two seconds of media in the file

    gint64 sigterm_us = g_get_monotonic_time();
    member.stop(SIGTERM, 0);
    ASSERT_TRUE(pump_until([&] { return member.stderr_text().find("draining: 1 calls, up to 2 s") != std::string::npos; }))
        << member.stderr_text();
    EXPECT_EQ(member.wait(10000), 0) << member.stderr_text();
    double took_s = static_cast<double>(g_get_monotonic_time() - sigterm_us) / G_USEC_PER_SEC;
    EXPECT_GE(took_s, 1.9) << "the call did not get its --drain-seconds";
    EXPECT_LT(took_s, 2.0 + 4.0) << member.stderr_text();
    EXPECT_NE(member.stderr_text().find("ended: draining took --drain-seconds"), std::string::npos) << member.stderr_text();

    alice->wait(10000);
    EXPECT_NE(alice->stdout_text().find("call ended: pool hung up"), std::string::npos) << alice->stdout_text();
    auto files = files_in(dir.path());
    ASSERT_EQ(files.size(), 1u);
    Discovered d = discover(files[0]);
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_TRUE(d.finalized) << files[0] << " has no Cues: the muxer never finished";
    EXPECT_NEAR(d.seconds, 4.0, 1.5) << d.text;  // two seconds before SIGTERM, two of draining
}

// A peer alone under its name (no pool) drains too: the server still sends it
// offers, which it refuses with busy; a second SIGTERM stops it at once.
TEST_F(Pools, ADrainingPeerRefusesANewOfferWithBusyAndASecondSigtermStopsIt) {
    members_.push_back(start_member({"--drain-seconds", "30"}, false));
    ASSERT_TRUE(members_[0]);
    Process& member = *members_[0];
    auto alice = caller("alice");
    ASSERT_TRUE(alice && answered(*alice));
    member.stop(SIGTERM, 0);
    ASSERT_TRUE(pump_until([&] { return member.stderr_text().find("draining: 1 calls, up to 30 s") != std::string::npos; }))
        << member.stderr_text();
    auto bob = caller("bob");
    ASSERT_TRUE(bob);
    bob->send(Offer{kPool, valid_offer()});
    auto busy = leave_of(*bob, 10000);
    ASSERT_TRUE(busy) << bob->last_unexpected();
    EXPECT_EQ(busy->reason, std::optional<std::string>("busy"));
    EXPECT_NE(member.stderr_text().find("[call bob] refused the offer: busy (draining)"), std::string::npos)
        << member.stderr_text();

    gint64 second_us = g_get_monotonic_time();
    EXPECT_EQ(member.stop(SIGTERM, 10000), 0) << member.stderr_text();
    EXPECT_LT(g_get_monotonic_time() - second_us, 6 * G_USEC_PER_SEC);
    auto leave = leave_of(*alice, 5000);
    EXPECT_TRUE(leave) << "alice's call was not hung up";
}

class PoolsWithAuth : public Pools {
protected:
    void SetUp() override {
        write_private(secret_, "pool-secret-0123456789abcdef0123456789ab");
        std::string error;
        signal_ = SignalProcess::start({"--auth-secret-file", secret_, "--allow-anonymous", "--reserved-name", kPool},
                                       &error);
        ASSERT_TRUE(signal_) << error;
    }
    std::string token_file(const std::string& file, bool pool) {
        write_private(dir_.file(file), SignalProcess::mint_token(secret_, kPool, "3600", pool));
        return dir_.file(file);
    }
    TempDir dir_;
    std::string secret_ = dir_.file("secret");
};

// Each member proves it may serve the name as one of a pool; a token for the
// name alone does not let a process join.
TEST_F(PoolsWithAuth, MembersLogInWithPoolTokensAndATokenWithoutTheClaimIsRefused) {
    std::string pool_token = token_file("pool.token", true);
    members_.push_back(start_member({"--token-file", pool_token}));
    members_.push_back(start_member({"--token-file", pool_token}));
    ASSERT_FALSE(HasFailure());
    auto alice = caller("alice");
    ASSERT_TRUE(alice && answered(*alice)) << all_logs();

    auto plain = Process::start({built_program("mediapeer"), "--signal", signal_->ws_url(), "--name", kPool, "--pool",
                                 "--token-file", token_file("plain.token", false)});
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->wait(10000), 1);
    EXPECT_NE(plain->stderr_text().find("(pool_not_allowed)"), std::string::npos) << plain->stderr_text();
}
