// Tokens and the login rules: what TokenKey accepts and refuses, and what
// the router answers a login with a TokenGate.
#include "signal/auth.hpp"
#include "signal/router.hpp"

#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <jwt.h>

#include <cstdlib>
#include <fstream>
#include <memory>

using namespace mp::signal;
using mp::protocol::LoginResult;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes
constexpr std::int64_t kNow = 1'800'000'000;

// A token made by libjwt with any algorithm and claims (the refused kinds).
std::string token_with(jwt_alg_t alg, const std::string& key, const std::string& claims_json) {
    jwt_t* jwt = nullptr;
    EXPECT_EQ(jwt_new(&jwt), 0);
    EXPECT_EQ(jwt_add_grants_json(jwt, claims_json.c_str()), 0);
    EXPECT_EQ(jwt_set_alg(jwt, alg, key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                          static_cast<int>(key.size())),
              0);
    char* text = jwt_encode_str(jwt);
    std::string out = text ? text : "";
    std::free(text);
    jwt_free(jwt);
    return out;
}

std::string claims(const std::string& sub, std::int64_t exp) {
    return R"({"sub":")" + sub + R"(","exp":)" + std::to_string(exp) + "}";
}

std::string code_of(const mp::Result<TokenClaims, Refusal>& r) { return r ? "ok" : r.error().code; }

}  // namespace

TEST(TokenKey, AcceptsWhatItMints) {
    TokenKey key(kSecret);
    auto claims = key.verify(key.mint("server", kNow, 60), kNow);
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims->subject, "server");
    EXPECT_EQ(claims->expires_unix, kNow + 60);
}

TEST(TokenKey, RefusesEachBadTokenWithItsCode) {
    TokenKey key(kSecret);
    EXPECT_EQ(code_of(key.verify(key.mint("a", kNow - 120, 60), kNow)), "token_expired");
    EXPECT_EQ(code_of(key.verify(token_with(JWT_ALG_HS256, kSecret, claims("a", kNow)), kNow)),
              "token_expired");  // exp is the first second it is no longer valid
    EXPECT_EQ(code_of(key.verify(token_with(JWT_ALG_HS256, kSecret,
                                            R"({"sub":"a","exp":)" + std::to_string(kNow + 60) +
                                                R"(,"nbf":)" + std::to_string(kNow + 30) + "}"),
                                 kNow)),
              "token_not_yet_valid");
    EXPECT_EQ(code_of(key.verify(token_with(JWT_ALG_HS256, kSecret, R"({"sub":"a"})"), kNow)), "unauthorized");
    EXPECT_EQ(code_of(key.verify(token_with(JWT_ALG_HS256, kSecret,
                                            R"({"sub":"a","exp":")" + std::to_string(kNow + 60) + "\"}"),
                                 kNow)),
              "unauthorized");  // exp as a string
    EXPECT_EQ(code_of(key.verify(token_with(JWT_ALG_HS256, kSecret,
                                            R"({"sub":"a","exp":)" + std::to_string(kNow + 60) + ".5}"),
                                 kNow)),
              "unauthorized");  // exp as a fraction: integers only
    EXPECT_EQ(code_of(key.verify(token_with(JWT_ALG_HS256, kSecret, R"({"exp":)" + std::to_string(kNow + 60) + "}"),
                                 kNow)),
              "unauthorized");  // no sub
    std::string other_key(32, 'x');
    EXPECT_EQ(code_of(key.verify(TokenKey(other_key).mint("a", kNow, 60), kNow)), "unauthorized");
    EXPECT_EQ(code_of(key.verify(token_with(JWT_ALG_NONE, "", claims("a", kNow + 60)), kNow)), "unauthorized");
    EXPECT_EQ(code_of(key.verify(token_with(JWT_ALG_HS512, kSecret, claims("a", kNow + 60)), kNow)),
              "unauthorized");  // our key, another algorithm
    EXPECT_EQ(code_of(key.verify("", kNow)), "unauthorized");
    EXPECT_EQ(code_of(key.verify("not.a.token", kNow)), "unauthorized");
    EXPECT_EQ(code_of(key.verify(std::string(9000, 'a'), kNow)), "unauthorized");
}

TEST(TokenKey, RefusesATamperedClaim) {
    TokenKey key(kSecret);
    std::string token = key.mint("alice", kNow, 60);
    std::string forged = token_with(JWT_ALG_HS256, "y" + kSecret, claims("server", kNow + 60));
    // alice's header and signature around a payload that says "server".
    auto first = token.find('.'), last = token.rfind('.');
    auto f_first = forged.find('.'), f_last = forged.rfind('.');
    std::string spliced = token.substr(0, first) + forged.substr(f_first, f_last - f_first) + token.substr(last);
    EXPECT_EQ(code_of(key.verify(spliced, kNow)), "unauthorized");
}

class SecretFile : public testing::Test {
protected:
    std::string write(const std::string& contents, int mode) {
        std::ofstream(path_) << contents;
        g_chmod(path_.c_str(), mode);
        return path_;
    }
    void TearDown() override { g_unlink(path_.c_str()); }
    std::string path_ = std::string(g_get_tmp_dir()) + "/mediapeer-secret-test-" + std::to_string(getpid());
};

TEST_F(SecretFile, ReadsAnOwnerOnlyKeyWithoutItsNewline) {
    auto secret = read_secret_file(write(kSecret + "\n", 0600));
    ASSERT_TRUE(secret) << secret.error();
    EXPECT_EQ(*secret, kSecret);
}

TEST_F(SecretFile, RefusesAGroupOrWorldReadableFileAndAShortKey) {
    auto readable = read_secret_file(write(kSecret, 0640));
    ASSERT_FALSE(readable);
    EXPECT_NE(readable.error().find("readable by group or others"), std::string::npos) << readable.error();
    EXPECT_FALSE(read_secret_file(write(kSecret, 0604)));
    auto short_key = read_secret_file(write("0123456789abcdef0123456789abcde\n", 0600));
    ASSERT_FALSE(short_key);
    EXPECT_NE(short_key.error().find("at least 32"), std::string::npos) << short_key.error();
    EXPECT_FALSE(read_secret_file(path_ + ".missing"));
}

namespace {

LoginResult login_answer(Router& router, ConnectionId id, const std::string& frame) {
    Effects fx = router.on_text(id, frame, 0);
    EXPECT_EQ(fx.sends.size(), 1u) << frame;
    if (fx.sends.empty()) return {};
    return std::get<LoginResult>(fx.sends[0].frame);
}

std::string login(const std::string& name, const std::string& token = "") {
    std::string f = R"({"type":"login","name":")" + name + "\"";
    if (!token.empty()) f += R"(,"token":")" + token + "\"";
    return f + "}";
}

}  // namespace

TEST(RouterWithTokens, EveryLoginNeedsAValidTokenForItsName) {
    TokenKey key(kSecret);
    TokenGate gate(key, LoginRules{}, [] { return kNow; });
    Router router({0, 0}, &gate);
    for (ConnectionId id : {1, 2, 3}) router.on_open(id, 0);
    EXPECT_EQ(login_answer(router, 1, login("alice")).code, "token_required");
    // Who is online is not told before a login proved a name.
    Effects users = router.on_text(1, R"({"type":"users"})", 0);
    ASSERT_EQ(users.sends.size(), 1u);
    EXPECT_EQ(std::get<mp::protocol::Error>(users.sends[0].frame).code, "not_logged_in");
    EXPECT_EQ(login_answer(router, 1, login("alice", key.mint("bob", kNow, 60))).code, "wrong_name");
    EXPECT_EQ(login_answer(router, 1, login("alice", key.mint("alice", kNow - 90, 60))).code, "token_expired");
    EXPECT_EQ(login_answer(router, 1, login("alice", TokenKey(std::string(32, 'z')).mint("alice", kNow, 60))).code,
              "unauthorized");
    EXPECT_EQ(login_answer(router, 1, login("alice", key.mint("alice", kNow, 60))),
              (LoginResult{true, "alice", "", ""}));
    // A valid token for a taken name: taken. A bad one: refused before that is told.
    EXPECT_EQ(login_answer(router, 2, login("alice", key.mint("alice", kNow, 60))).code, "name_taken");
    EXPECT_EQ(login_answer(router, 2, login("alice")).code, "token_required");
    EXPECT_EQ(router.user_count(), 1u);
    EXPECT_EQ(router.counters().refusals.at("token_required"), 2u);
    EXPECT_EQ(router.counters().refusals.at("name_taken"), 1u);
}

TEST(RouterWithTokens, OpenLobbyKeepsReservedNamesForTheirTokens) {
    TokenKey key(kSecret);
    TokenGate gate(key, LoginRules{true, {"server"}}, [] { return kNow; });
    Router router({0, 0}, &gate);
    for (ConnectionId id : {1, 2, 3}) router.on_open(id, 0);
    EXPECT_TRUE(login_answer(router, 1, login("alice")).success);
    auto anonymous_server = login_answer(router, 2, login("server"));
    EXPECT_FALSE(anonymous_server.success);
    EXPECT_EQ(anonymous_server.code, "reserved_name");
    // A token is checked whenever one is given, even where none is needed.
    EXPECT_EQ(login_answer(router, 2, login("bob", key.mint("bob", kNow - 90, 60))).code, "token_expired");
    EXPECT_TRUE(login_answer(router, 3, login("server", key.mint("server", kNow, 60))).success);
}

TEST(RouterWithTokens, OnlyATokenWithThePoolClaimJoinsAPool) {
    TokenKey key(kSecret);
    TokenGate gate(key, LoginRules{true, {}}, [] { return kNow; });
    Router router({0, 0}, &gate);
    for (ConnectionId id : {1, 2, 3}) router.on_open(id, 0);
    auto pool_login = [](const std::string& token) {
        std::string f = R"({"type":"login","name":"bot","pool":true)";
        if (!token.empty()) f += R"(,"token":")" + token + "\"";
        return f + "}";
    };
    EXPECT_EQ(login_answer(router, 1, pool_login("")).code, "pool_not_allowed");  // even in an open lobby
    EXPECT_EQ(login_answer(router, 1, pool_login(key.mint("bot", kNow, 60))).code, "pool_not_allowed");
    EXPECT_EQ(login_answer(router, 1, pool_login(key.mint("other", kNow, 60, true))).code, "wrong_name");
    EXPECT_TRUE(login_answer(router, 1, pool_login(key.mint("bot", kNow, 60, true))).success);
    EXPECT_TRUE(login_answer(router, 2, pool_login(key.mint("bot", kNow, 60, true))).success);
    EXPECT_EQ(router.pool_member_count(), 2u);
}

TEST(TokenKey, ThePoolClaimIsOnlyAJsonTrue) {
    TokenKey key(kSecret);
    EXPECT_TRUE(key.verify(key.mint("bot", kNow, 60, true), kNow)->pool);
    EXPECT_FALSE(key.verify(key.mint("bot", kNow, 60), kNow)->pool);
    EXPECT_FALSE(key.verify(token_with(JWT_ALG_HS256, kSecret, R"({"sub":"bot","exp":)" + std::to_string(kNow + 60) + R"(,"pool":"true"})"), kNow)->pool);
    EXPECT_FALSE(key.verify(token_with(JWT_ALG_HS256, kSecret, R"({"sub":"bot","exp":)" + std::to_string(kNow + 60) + R"(,"pool":1})"), kNow)->pool);
}

TEST(RouterWithoutTokens, IgnoresATokenAndTakesAnyFreeName) {
    Router router({0, 0});
    router.on_open(1, 0);
    EXPECT_TRUE(login_answer(router, 1, login("server", "whatever")).success);
}
