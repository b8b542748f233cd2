#include "signal/auth.hpp"

#include "common/gobj.hpp"
#include "protocol/codes.hpp"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <jwt.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>

namespace mp::signal {

namespace {

namespace code = protocol::code;

// Far longer than any token of ours; more is not worth decoding.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;

struct JwtDeleter {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

const unsigned char* key_bytes(const std::string& secret) {
    return reinterpret_cast<const unsigned char*>(secret.data());
}

// A claim's value when it is a JSON value of `type`, else nullopt (libjwt
// 1.10 reads a string or a fraction as the integer 0, so the claim's JSON is
// read here).
template <typename T>
std::optional<T> typed_claim(jwt_t* jwt, const char* name, GType type, T (*get)(JsonNode*)) {
    std::unique_ptr<char, decltype(&std::free)> json(jwt_get_grants_json(jwt, name), &std::free);
    if (!json) return std::nullopt;
    auto parser = adopt_ref(json_parser_new_immutable());
    if (!json_parser_load_from_data(parser.get(), json.get(), -1, nullptr)) return std::nullopt;
    JsonNode* node = json_parser_get_root(parser.get());
    if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != type) return std::nullopt;
    return get(node);
}

std::optional<std::int64_t> int_claim(jwt_t* jwt, const char* name) {
    return typed_claim<std::int64_t>(jwt, name, G_TYPE_INT64, [](JsonNode* n) -> std::int64_t { return json_node_get_int(n); });
}

// Only a JSON `true` grants: "true", 1 or a missing claim do not.
bool true_claim(jwt_t* jwt, const char* name) {
    auto value = typed_claim<bool>(jwt, name, G_TYPE_BOOLEAN, [](JsonNode* n) -> bool { return json_node_get_boolean(n); });
    return value.value_or(false);
}

Refusal unauthorized(std::string why) { return Refusal{code::kUnauthorized, std::move(why)}; }

}  // namespace

Result<std::string, std::string> read_secret_file(const std::string& path) {
    GStatBuf st;
    if (g_stat(path.c_str(), &st) != 0)
        return unexpected("--auth-secret-file " + path + ": " + g_strerror(errno));
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return unexpected("--auth-secret-file " + path +
                          ": readable by group or others; only its owner may read it (chmod 600)");
    gchar* raw = nullptr;
    gsize size = 0;
    GErrorSlot error;
    if (!g_file_get_contents(path.c_str(), &raw, &size, error.out()))
        return unexpected("--auth-secret-file " + path + ": " + error.message());
    GCharPtr contents(raw);
    std::string secret(contents.get(), size);
    while (!secret.empty() && g_ascii_isspace(secret.back())) secret.pop_back();
    if (secret.size() < kMinSecretBytes)
        return unexpected("--auth-secret-file " + path + ": the key is " +
                          std::to_string(secret.size()) + " bytes; HS256 needs at least " +
                          std::to_string(kMinSecretBytes) + " (e.g. openssl rand -hex 32)");
    return secret;
}

Result<TokenClaims, Refusal> TokenKey::verify(const std::string& token, std::int64_t now_unix) const {
    if (token.empty() || token.size() > kMaxTokenBytes) return unexpected(unauthorized("token is malformed"));
    jwt_t* raw = nullptr;
    // libjwt checks the signature with the header's algorithm (and refuses
    // "none" when given a key); only HS256 is ours.
    if (jwt_decode(&raw, token.c_str(), key_bytes(secret_), static_cast<int>(secret_.size())) != 0)
        return unexpected(unauthorized("token is malformed or not signed with this server's key"));
    JwtPtr jwt(raw);
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256)
        return unexpected(unauthorized("token is not signed with HS256"));
    const char* subject = jwt_get_grant(jwt.get(), "sub");
    if (!subject || !*subject) return unexpected(unauthorized("token has no \"sub\""));
    auto expires = int_claim(jwt.get(), "exp");
    if (!expires) return unexpected(unauthorized("token has no integer \"exp\""));
    if (*expires <= now_unix) return unexpected(Refusal{code::kTokenExpired, "token expired"});
    if (auto not_before = int_claim(jwt.get(), "nbf"); not_before && *not_before > now_unix)
        return unexpected(Refusal{code::kTokenNotYetValid, "token is not valid yet (nbf)"});
    return TokenClaims{subject, *expires, true_claim(jwt.get(), "pool")};
}

std::string TokenKey::mint(const std::string& subject, std::int64_t now_unix, std::int64_t ttl_s,
                           bool pool) const {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) return "";
    JwtPtr jwt(raw);
    if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, key_bytes(secret_), static_cast<int>(secret_.size())) != 0 ||
        jwt_add_grant(jwt.get(), "sub", subject.c_str()) != 0 ||
        jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now_unix)) != 0 ||
        jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(now_unix + ttl_s)) != 0 ||
        (pool && jwt_add_grant_bool(jwt.get(), "pool", 1) != 0))
        return "";
    std::unique_ptr<char, decltype(&std::free)> text(jwt_encode_str(jwt.get()), &std::free);
    return text ? text.get() : "";
}

std::optional<Refusal> TokenGate::refuse(const std::string& name, const std::optional<std::string>& token,
                                         bool pool) const {
    if (!token && pool) return Refusal{code::kPoolNotAllowed, "joining a pool needs a token with \"pool\": true"};
    if (!token) {
        if (!rules_.allow_anonymous)
            return Refusal{code::kTokenRequired, "this server needs a token to log in"};
        if (reserved(name)) return Refusal{code::kReservedName, "name is reserved: log in with its token"};
        return std::nullopt;
    }
    auto claims = verify(*token);
    if (!claims) return claims.error();
    if (claims->subject != name) return Refusal{code::kWrongName, "token is for another name"};
    if (pool && !claims->pool)
        return Refusal{code::kPoolNotAllowed, "this token does not allow joining a pool (no \"pool\": true)"};
    return std::nullopt;
}

bool TokenGate::reserved(const std::string& name) const {
    return std::find(rules_.reserved_names.begin(), rules_.reserved_names.end(), name) !=
           rules_.reserved_names.end();
}

}  // namespace mp::signal
