// The ICE servers handed to clients by GET /config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mp::signal {

struct IceOptions {
    std::vector<std::string> stun_urls;
    std::vector<std::string> turn_urls;
    std::string turn_user;      // static credentials, or the user id in REST usernames
    std::string turn_password;  // static credentials
    std::string turn_secret;    // coturn use-auth-secret: credentials per request
    std::int64_t turn_ttl_s = 24 * 3600;
};

// What is wrong with the options (a URL scheme, TURN without credentials), or nothing.
std::optional<std::string> invalid_ice_options_reason(const IceOptions& options);

struct TurnCredential {
    std::string username;    // "<expiry unix time>:<user>"
    std::string credential;  // base64(HMAC-SHA1(secret, username))
};

// coturn's REST scheme (draft-uberti-behave-turn-rest): valid until `expires_unix`.
TurnCredential turn_rest_credential(const std::string& secret, const std::string& user,
                                    std::int64_t expires_unix);

struct IceServer {
    std::vector<std::string> urls;
    std::string username;    // TURN only
    std::string credential;  // TURN only
};

// The servers of the options, with credentials for `user` (below).
std::vector<IceServer> ice_servers(const IceOptions& options, std::int64_t now_unix,
                                   const std::string& user = {});

// The Link header values of a WHIP/WHEP answer (RFC 9725 4.6), one per URL:
// <turn:host?transport=udp>; rel="ice-server"; username="u"; credential="c";
// credential-type="password".
std::vector<std::string> ice_server_links(const std::vector<IceServer>& servers);

// {"iceServers":[{"urls":[...]}, {"urls":[...],"username":...,"credential":...}]}
// `user`: the user id in --turn-secret user names (empty: --turn-user, else "mediapeer").
std::string ice_config_json(const IceOptions& options, std::int64_t now_unix,
                            const std::string& user = {});

}  // namespace mp::signal
