// The programs together with auth on: the bot proves its name with a token
// file (read again before each reconnect), callers come in anonymously or
// with tokens of their own.
#include "support/peers_fixture.hpp"

#include <glib/gstdio.h>

#include <fstream>

using namespace mp::test;

namespace {

void write_private(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text << "\n";
    g_chmod(path.c_str(), 0600);
}

}  // namespace

class PeersWithAuth : public Peers {
protected:
    void SetUp() override {
        write_private(secret_, "first-secret-0123456789abcdef0123456789");
        std::string error;
        signal_ = SignalProcess::start(signal_args(), &error);
        ASSERT_TRUE(signal_) << error;
        write_private(bot_token_, mint("server"));
        bot_ = start_bot({"--token-file", bot_token_});
        ASSERT_TRUE(bot_);
    }
    std::vector<std::string> signal_args() const {
        return {"--auth-secret-file", secret_, "--allow-anonymous", "--reserved-name", "server"};
    }
    std::string mint(const std::string& name) const { return SignalProcess::mint_token(secret_, name); }

    TempDir dir_;
    std::string secret_ = dir_.file("secret"), bot_token_ = dir_.file("bot.token");
};

TEST_F(PeersWithAuth, AnonymousAndTokenCallersAreEchoedByTheBotWithItsToken) {
    expect_echoed(call("alice"));
    // The bot's /config.json request carried its token (without, it gets 401).
    EXPECT_NE(bot_->stderr_text().find("ICE servers from the signaling server"), std::string::npos)
        << bot_->stderr_text();
    std::string carol_token = dir_.file("carol.token");
    write_private(carol_token, mint("carol"));
    expect_echoed(call("carol", {"--token-file", carol_token}));
}

TEST_F(PeersWithAuth, ABotWithoutItsTokenCannotBeServer) {
    auto impostor = Process::start({built_program("mediapeer"), "--signal", signal_->ws_url(), "--name", "server2"});
    ASSERT_TRUE(impostor);
    EXPECT_TRUE(impostor->wait_line(std::regex("logged in as server2"), 10000)) << impostor->stderr_text();
    auto second = Process::start({built_program("mediapeer"), "--signal", signal_->ws_url()});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->wait(10000), 1);
    EXPECT_NE(second->stderr_text().find("(reserved_name)"), std::string::npos) << second->stderr_text();
}

TEST_F(PeersWithAuth, TheBotLogsInWithItsReplacedTokenAfterASignalingRestart) {
    std::string listen = signal_->url().substr(std::string("http://").size());
    listen.pop_back();  // the trailing '/'
    ASSERT_EQ(signal_->stop(SIGTERM), 0);
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("reconnecting") != std::string::npos; }, 10000))
        << bot_->stderr_text();
    // A new key: the bot's old token is worthless; the operator replaces its file in place.
    std::string old_token = mint("server");
    write_private(secret_, "second-secret-0123456789abcdef0123456789");
    write_private(bot_token_, mint("server"));
    std::vector<std::string> args = signal_args();
    args.insert(args.end(), {"--listen", listen});
    std::string error;
    ASSERT_TRUE(pump_until([&] { return bool(signal_ = SignalProcess::start(args, &error)); }, 10000)) << error;
    EXPECT_TRUE(pump_until([&] { return count_of(bot_->stdout_text(), "logged in as server") == 2; }, 20000))
        << bot_->stderr_text();
    auto probe = WsClient::connect(session_, signal_->ws_url());
    ASSERT_TRUE(probe);
    probe->send(mp::protocol::Login{"server-old", old_token});
    auto refused = probe->next_as<mp::protocol::LoginResult>();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->code, "unauthorized");  // the old token would not have done
    expect_echoed(call("alice"));
}
