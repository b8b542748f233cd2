// Tokens: HS256 JWTs (RFC 7519) whose `sub` is the one name a login may take,
// made and checked by libjwt; and the login rules built on them (anonymous
// logins, reserved names).
#pragma once

#include "common/result.hpp"
#include "signal/login_gate.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mp::signal {

inline constexpr std::size_t kMinSecretBytes = 32;

// The key in `path`, trailing white space (the newline of `openssl rand -hex
// 32 > FILE`) dropped: at least kMinSecretBytes, in a file only its owner may
// read. The error says what is wrong.
Result<std::string, std::string> read_secret_file(const std::string& path);

struct TokenClaims {
    std::string subject;          // `sub`: the name it proves
    std::int64_t expires_unix = 0;  // `exp`
    bool pool = false;              // `"pool": true`: may join the pool of `sub`
};

class TokenKey {
public:
    explicit TokenKey(std::string secret) : secret_(std::move(secret)) {}

    // The claims of a token signed with this key (HS256 only) and valid at
    // `now_unix` (`exp` required and in the future, `nbf` if given in the past).
    Result<TokenClaims, Refusal> verify(const std::string& token, std::int64_t now_unix) const;
    // A token for `subject`, valid from `now_unix` for `ttl_s` seconds; with
    // `pool`, also for joining the pool of that name.
    std::string mint(const std::string& subject, std::int64_t now_unix, std::int64_t ttl_s,
                     bool pool = false) const;

private:
    std::string secret_;
};

struct LoginRules {
    // Logins without a token may take any free name but the reserved ones.
    bool allow_anonymous = false;
    std::vector<std::string> reserved_names;
};

// The LoginGate of a server with --auth-secret-file: every token is checked,
// and a login without one is let in only as the rules allow.
class TokenGate final : public LoginGate {
public:
    TokenGate(TokenKey key, LoginRules rules, std::function<std::int64_t()> now_unix)
        : key_(std::move(key)), rules_(std::move(rules)), now_unix_(std::move(now_unix)) {}

    std::optional<Refusal> refuse(const std::string& name, const std::optional<std::string>& token,
                                  bool pool) const override;
    // A token's claims now (for /config.json).
    Result<TokenClaims, Refusal> verify(const std::string& token) const {
        return key_.verify(token, now_unix_());
    }

private:
    bool reserved(const std::string& name) const;

    TokenKey key_;
    LoginRules rules_;
    std::function<std::int64_t()> now_unix_;
};

}  // namespace mp::signal
