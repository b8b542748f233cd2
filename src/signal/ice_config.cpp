#include "signal/ice_config.hpp"

#include "common/gobj.hpp"
#include "common/quoted.hpp"
#include "protocol/json_writer.hpp"

#include <glib.h>

namespace mp::signal {

namespace {

bool has_scheme(const std::string& url, std::initializer_list<const char*> schemes) {
    for (const char* s : schemes)
        if (url.rfind(s, 0) == 0 && url.size() > std::char_traits<char>::length(s)) return true;
    return false;
}

std::string json_array(const std::vector<std::string>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        protocol::append_json_string(out, values[i]);
    }
    return out + "]";
}

}  // namespace

std::optional<std::string> invalid_ice_options_reason(const IceOptions& o) {
    for (const auto& url : o.stun_urls)
        if (!has_scheme(url, {"stun:", "stuns:"}))
            return "--stun " + url + ": expected a stun: or stuns: URL";
    for (const auto& url : o.turn_urls)
        if (!has_scheme(url, {"turn:", "turns:"}))
            return "--turn " + url + ": expected a turn: or turns: URL";
    if (o.turn_urls.empty()) return std::nullopt;
    if (o.turn_secret.empty() && (o.turn_user.empty() || o.turn_password.empty()))
        return "--turn needs --turn-user and --turn-password, or --turn-secret";
    if (!o.turn_secret.empty() && !o.turn_password.empty())
        return "--turn-secret and --turn-password exclude each other";
    if (o.turn_ttl_s <= 0) return "--turn-ttl must be positive";
    return std::nullopt;
}

TurnCredential turn_rest_credential(const std::string& secret, const std::string& user,
                                    std::int64_t expires_unix) {
    TurnCredential c;
    c.username = std::to_string(expires_unix) + ":" + user;
    GHmacPtr hmac(g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar*>(secret.data()),
                             secret.size()));
    g_hmac_update(hmac.get(), reinterpret_cast<const guchar*>(c.username.data()),
                  static_cast<gssize>(c.username.size()));
    guint8 digest[20];
    gsize digest_len = sizeof digest;
    g_hmac_get_digest(hmac.get(), digest, &digest_len);
    GCharPtr b64(g_base64_encode(digest, digest_len));
    c.credential = b64.get();
    return c;
}

std::vector<IceServer> ice_servers(const IceOptions& o, std::int64_t now_unix, const std::string& user) {
    std::vector<IceServer> servers;
    if (!o.stun_urls.empty()) servers.push_back(IceServer{o.stun_urls, {}, {}});
    if (!o.turn_urls.empty()) {
        TurnCredential c{o.turn_user, o.turn_password};
        if (!o.turn_secret.empty())
            c = turn_rest_credential(o.turn_secret,
                                     !user.empty()            ? user
                                     : !o.turn_user.empty()   ? o.turn_user
                                                              : "mediapeer",
                                     now_unix + o.turn_ttl_s);
        servers.push_back(IceServer{o.turn_urls, c.username, c.credential});
    }
    return servers;
}

std::vector<std::string> ice_server_links(const std::vector<IceServer>& servers) {
    std::vector<std::string> links;
    for (const IceServer& server : servers)
        for (const std::string& url : server.urls) {
            std::string link = "<" + url + ">; rel=\"ice-server\"";
            if (!server.username.empty())
                link += "; username=" + backslash_quoted(server.username) +
                        "; credential=" + backslash_quoted(server.credential) + "; credential-type=\"password\"";
            links.push_back(std::move(link));
        }
    return links;
}

std::string ice_config_json(const IceOptions& o, std::int64_t now_unix, const std::string& user) {
    std::string servers;
    for (const IceServer& server : ice_servers(o, now_unix, user)) {
        if (!servers.empty()) servers += ',';
        protocol::JsonObjectWriter entry;
        entry.raw("urls", json_array(server.urls));
        if (!server.username.empty())
            entry.string("username", server.username).string("credential", server.credential);
        servers += entry.finish();
    }
    return protocol::JsonObjectWriter().raw("iceServers", "[" + servers + "]").finish();
}

}  // namespace mp::signal
