// TURN for real: Debian's coturn on loopback with a generated config, its
// credentials handed out by mediapeer-signal's /config.json, and a caller
// whose ICE may only use relays. The call connects through coturn, and the
// pair in use is a relay pair.
#include "support/peers_fixture.hpp"

#include <gio/gio.h>

using namespace mp::test;

namespace {

// coturn with `auth` (config lines) on 127.0.0.1, relaying on loopback only.
class Coturn {
public:
    static std::unique_ptr<Coturn> start(const std::string& auth) {
        auto turn = std::unique_ptr<Coturn>(new Coturn);
        mp::GCharPtr program(g_find_program_in_path("turnserver"));
        if (!program) {
            ADD_FAILURE() << "no turnserver: install coturn (apt-get install -y coturn; scripts/test does)";
            return nullptr;
        }
        turn->port = mp::test::free_loopback_port(G_SOCKET_TYPE_DATAGRAM);
        std::string config = turn->dir.path() + "/turnserver.conf";
        std::string text = "listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nlistening-port=" + std::to_string(turn->port) +
                           "\nrealm=mediapeer\nfingerprint\nno-tls\nno-dtls\nno-cli\nallow-loopback-peers\n"
                           "no-multicast-peers\nlog-file=stdout\nsimple-log\n" + auth;
        if (!g_file_set_contents(config.c_str(), text.c_str(), -1, nullptr)) return nullptr;
        turn->process = Process::start({"turnserver", "-c", config});
        if (!turn->process || !turn->process->wait_line(std::regex("Relay ports initialization done"), 10000)) {
            ADD_FAILURE() << "coturn did not start: " << (turn->process ? turn->process->stderr_text() : "");
            return nullptr;
        }
        return turn;
    }
    std::string url() const { return "turn:127.0.0.1:" + std::to_string(port); }

    TempDir dir;
    int port = 0;
    std::unique_ptr<Process> process;
};

// mediapeer-signal handing out `turn_flags`, the echo bot, and a caller
// restricted to relays.
class RelayCall : public testing::Test {
protected:
    void call_through(const std::vector<std::string>& signal_flags) {
        std::string error;
        signal_ = SignalProcess::start(signal_flags, &error);
        ASSERT_TRUE(signal_) << error;
        bot_ = Process::start({built_program("mediapeer"), "--signal", signal_->ws_url(), "--ice-address", "127.0.0.1"});
        ASSERT_TRUE(bot_ && bot_->wait_line(std::regex("logged in as"), 10000));
        auto caller = Process::start({built_program("mediapeer-call"), "--signal", signal_->ws_url(), "--name", "alice",
                                      "--call", "server", "--ice-address", "127.0.0.1", "--relay", "--duration", "2"});
        ASSERT_TRUE(caller);
        CallReport r = Peers::report_of(*caller, 30000);
        EXPECT_NE(r.out.find("ice: local relay, remote "), std::string::npos) << r.out;
        Peers::expect_echoed(r);
        EXPECT_NE(caller->stderr_text().find("ICE servers from the signaling server: no STUN, 1 TURN"), std::string::npos)
            << caller->stderr_text();
    }

    std::unique_ptr<SignalProcess> signal_;
    std::unique_ptr<Process> bot_;
};

}  // namespace

TEST_F(RelayCall, ThroughCoturnWithTimeLimitedCredentialsFromTheSignalingServer) {
    auto turn = Coturn::start("use-auth-secret\nstatic-auth-secret=s3cret\n");
    ASSERT_TRUE(turn);
    call_through({"--turn", turn->url(), "--turn-secret", "s3cret"});
}

TEST_F(RelayCall, ThroughCoturnWithAStaticUser) {
    auto turn = Coturn::start("lt-cred-mech\nuser=alice:pass+word/1\n");
    ASSERT_TRUE(turn);
    call_through({"--turn", turn->url(), "--turn-user", "alice", "--turn-password", "pass+word/1"});
}
