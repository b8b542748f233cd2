// Trust with the real mediapeer-signal: tokens at login (each refusal with
// its code), an open lobby with reserved names, the Origin check and
// /config.json's TURN credentials behind a token. Tokens are made by
// `mediapeer-signal --mint-token`, by the docs' Python and Node examples, and
// (for the kinds it refuses) by libjwt directly.
#include "integration/signal_fixture.hpp"
#include "support/process.hpp"

#include <glib/gstdio.h>
#include <jwt.h>

#include <cstdlib>
#include <fstream>

using namespace mp::protocol;
using mp::test::SignalProcess;
using mp::test::TempDir;
using mp::test::TestSession;

namespace {

const std::string kSecret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

std::int64_t now_unix() { return g_get_real_time() / G_USEC_PER_SEC; }

// Any algorithm, any claims: what a client might send us.
std::string jwt_token(jwt_alg_t alg, const std::string& key, const std::string& claims_json) {
    jwt_t* jwt = nullptr;
    jwt_new(&jwt);
    jwt_add_grants_json(jwt, claims_json.c_str());
    jwt_set_alg(jwt, alg, key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                static_cast<int>(key.size()));
    char* text = jwt_encode_str(jwt);
    std::string out = text ? text : "";
    std::free(text);
    jwt_free(jwt);
    return out;
}

std::string claims(const std::string& sub, std::int64_t exp, std::optional<std::int64_t> nbf = {}) {
    std::string json = R"({"sub":")" + sub + R"(","exp":)" + std::to_string(exp);
    if (nbf) json += R"(,"nbf":)" + std::to_string(*nbf);
    return json + "}";
}

}  // namespace

class AuthServer : public mp::test::SignalServer {
protected:
    void SetUp() override {
        std::ofstream(secret_file_) << kSecret << "\n";
        g_chmod(secret_file_.c_str(), 0600);
    }
    void start_auth(std::vector<std::string> more = {}) {
        std::vector<std::string> args = {"--auth-secret-file", secret_file_};
        args.insert(args.end(), more.begin(), more.end());
        start(args);
    }
    std::string mint(const std::string& name) { return SignalProcess::mint_token(secret_file_, name, "60"); }
    // The code of the login's refusal, or "ok".
    std::string login_code(const std::string& name, const std::optional<std::string>& token) {
        auto client = connect();
        if (!client) return "no connection";
        client->send(Login{name, token});
        auto result = client->next_as<LoginResult>();
        if (!result) return "no login reply: " + client->last_unexpected();
        if (result->success) return result->my_name == name ? "ok" : "ok as " + result->my_name;
        EXPECT_FALSE(result->message.empty());
        return result->code;
    }

    TempDir dir_;
    std::string secret_file_ = dir_.file("secret");
};

TEST_F(AuthServer, EachBadLoginIsRefusedWithItsCodeAndAValidTokenIsTaken) {
    start_auth();
    std::int64_t now = now_unix();
    EXPECT_EQ(login_code("alice", std::nullopt), "token_required");
    EXPECT_EQ(login_code("alice", mint("bob")), "wrong_name");
    EXPECT_EQ(login_code("alice", jwt_token(JWT_ALG_HS256, kSecret, claims("alice", now - 10))), "token_expired");
    EXPECT_EQ(login_code("alice", jwt_token(JWT_ALG_HS256, kSecret, claims("alice", now + 600, now + 300))),
              "token_not_yet_valid");
    EXPECT_EQ(login_code("alice", jwt_token(JWT_ALG_HS256, std::string(64, 'k'), claims("alice", now + 60))),
              "unauthorized");
    EXPECT_EQ(login_code("alice", jwt_token(JWT_ALG_NONE, "", claims("alice", now + 60))), "unauthorized");
    EXPECT_EQ(login_code("alice", jwt_token(JWT_ALG_HS256, kSecret, R"({"sub":"alice"})")), "unauthorized");
    EXPECT_EQ(login_code("alice", "garbage"), "unauthorized");
    auto alice = connect();
    ASSERT_TRUE(alice->login("alice", mint("alice")));
    EXPECT_EQ(metric(R"(mediapeer_signal_refusals_total{code="unauthorized"})"), 4);
    EXPECT_EQ(metric(R"(mediapeer_signal_refusals_total{code="token_required"})"), 1);
    EXPECT_EQ(metric("mediapeer_signal_users"), 1);
}

TEST_F(AuthServer, TokensMintedByTheDocsExamplesAreAccepted) {
    start_auth();
    std::string source = std::getenv("MEDIAPEER_SOURCE");
    std::string python, node;
    ASSERT_TRUE(mp::test::run_command({"python3", source + "/docs/examples/mint_token.py", secret_file_, "alice"},
                                      &python));
    ASSERT_TRUE(mp::test::run_command({"node", source + "/docs/examples/mint_token.mjs", secret_file_, "bob"},
                                      &node));
    EXPECT_EQ(login_code("alice", mp::test::trimmed(python)), "ok");
    EXPECT_EQ(login_code("bob", mp::test::trimmed(node)), "ok");
}

TEST_F(AuthServer, OpenLobbyLetsAnyoneInButNotAsAReservedName) {
    start_auth({"--allow-anonymous", "--reserved-name", "server"});
    auto alice = connect();
    ASSERT_TRUE(alice->login("alice"));
    EXPECT_EQ(login_code("server", std::nullopt), "reserved_name");
    EXPECT_EQ(login_code("server", mint("alice")), "wrong_name");
    auto bot = connect();
    EXPECT_TRUE(bot->login("server", mint("server")));
    EXPECT_EQ(metric(R"(mediapeer_signal_refusals_total{code="reserved_name"})"), 1);
}

TEST_F(AuthServer, SecretFileOthersCanReadIsRefusedAtStartUp) {
    g_chmod(secret_file_.c_str(), 0644);
    std::string err;
    EXPECT_NE(mp::test::SignalProcess::run_to_exit({"--auth-secret-file", secret_file_}, &err), 0);
    EXPECT_NE(err.find("readable by group or others"), std::string::npos) << err;
    std::ofstream(secret_file_) << "too short\n";
    g_chmod(secret_file_.c_str(), 0600);
    EXPECT_NE(mp::test::SignalProcess::run_to_exit({"--auth-secret-file", secret_file_}, &err), 0);
    EXPECT_NE(err.find("at least 32"), std::string::npos) << err;
}

TEST_F(AuthServer, UpgradeFromAnotherSitesPageIsForbidden) {
    start_auth({"--allowed-origin", "https://app.example.org"});
    std::string ws = server_->ws_url();
    std::string own = server_->url().substr(0, server_->url().size() - 1);  // no trailing slash
    EXPECT_EQ(session_.websocket_refusal_status(ws, 5000, "https://evil.example.com"), 403u);
    EXPECT_EQ(session_.websocket_refusal_status(ws, 5000, "https://app.example.org"), 0u);  // 101
    EXPECT_EQ(session_.websocket_refusal_status(ws, 5000, own), 0u);
    EXPECT_EQ(session_.websocket_refusal_status(ws), 0u);  // native clients send no Origin
    EXPECT_EQ(metric(R"(mediapeer_signal_refusals_total{code="origin_not_allowed"})"), 1);
}

TEST_F(AuthServer, ListedOriginsAloneTurnTheCheckOnWithoutAuth) {
    start({"--allowed-origin", "https://app.example.org"});
    EXPECT_EQ(session_.websocket_refusal_status(server_->ws_url(), 5000, "https://evil.example.com"), 403u);
    EXPECT_EQ(session_.websocket_refusal_status(server_->ws_url(), 5000, "https://app.example.org"), 0u);
}

TEST_F(AuthServer, WithoutAuthOrListedOriginsAnyOriginConnects) {
    start();
    EXPECT_EQ(session_.websocket_refusal_status(server_->ws_url(), 5000, "https://evil.example.com"), 0u);
}

TEST_F(AuthServer, AnOpenLobbysAnonymousUsersGetStunButNoRelay) {
    start_auth({"--allow-anonymous", "--stun", "stun:127.0.0.1:3478", "--turn", "turn:127.0.0.1:3478",
                "--turn-secret", "coturn-secret"});
    std::string url = server_->url() + "config.json";
    auto anonymous = session_.get(url);
    ASSERT_EQ(anonymous.status, 200u) << anonymous.body;
    EXPECT_EQ(anonymous.body, R"({"iceServers":[{"urls":["stun:127.0.0.1:3478"]}]})");
    auto bad = session_.get(url + "?token=garbage");
    EXPECT_EQ(bad.status, 401u);  // a token given is checked
    auto bearer = session_.get(url, 5000, {{"Authorization", "Bearer " + mint("alice")}});
    ASSERT_EQ(bearer.status, 200u) << bearer.body;
    EXPECT_NE(bearer.body.find(R"("username":")"), std::string::npos) << bearer.body;
}

TEST_F(AuthServer, TurnCredentialsOnlyForAValidTokenAndNamedAfterItsUser) {
    start_auth({"--turn", "turn:127.0.0.1:3478", "--turn-secret", "coturn-secret"});
    std::string url = server_->url() + "config.json";
    auto anonymous = session_.get(url);
    EXPECT_EQ(anonymous.status, 401u);
    EXPECT_NE(anonymous.body.find(R"("code":"token_required")"), std::string::npos) << anonymous.body;
    EXPECT_EQ(anonymous.body.find("credential"), std::string::npos);
    auto expired = session_.get(url, 5000, {{"Authorization", "Bearer " + jwt_token(JWT_ALG_HS256, kSecret,
                                                                                   claims("alice", now_unix() - 5))}});
    EXPECT_EQ(expired.status, 401u);
    EXPECT_NE(expired.body.find(R"("code":"token_expired")"), std::string::npos) << expired.body;
    auto bearer = session_.get(url, 5000, {{"Authorization", "Bearer " + mint("alice")}});
    ASSERT_EQ(bearer.status, 200u) << bearer.body;
    EXPECT_TRUE(std::regex_search(bearer.body, std::regex(R"re("username":"\d+:alice","credential":")re")))
        << bearer.body;
    auto query = session_.get(url + "?token=" + mint("bob"));
    ASSERT_EQ(query.status, 200u) << query.body;
    EXPECT_TRUE(std::regex_search(query.body, std::regex(R"re("username":"\d+:bob")re"))) << query.body;
}

TEST_F(AuthServer, APoolMemberNeedsATokenMintedWithPool) {
    start_auth({"--allow-anonymous"});
    auto pool_login = [this](const std::optional<std::string>& token) {
        auto member = connect();
        if (member) member->send(Login{"bot", token, true});
        return member;
    };
    auto code_of = [](mp::test::WsClient& member) {
        auto result = member.next_as<LoginResult>();
        if (!result) return "no login reply: " + member.last_unexpected();
        return result->success ? std::string("ok") : result->code;
    };
    auto anonymous = pool_login(std::nullopt);
    EXPECT_EQ(code_of(*anonymous), "pool_not_allowed");
    auto plain_token = pool_login(mint("bot"));
    EXPECT_EQ(code_of(*plain_token), "pool_not_allowed");
    auto first = pool_login(SignalProcess::mint_token(secret_file_, "bot", "60", true));
    EXPECT_EQ(code_of(*first), "ok");
    auto second = pool_login(SignalProcess::mint_token(secret_file_, "bot", "60", true));
    EXPECT_EQ(code_of(*second), "ok");
    EXPECT_TRUE(metric_reaches("mediapeer_signal_pool_members", 2));
    EXPECT_EQ(metric("mediapeer_signal_users"), 1);
    EXPECT_EQ(metric(R"(mediapeer_signal_refusals_total{code="pool_not_allowed"})"), 2);
}
