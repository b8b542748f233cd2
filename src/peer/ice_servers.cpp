#include "peer/ice_servers.hpp"

#include "peer/tls_trust.hpp"

#include "common/gobj.hpp"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

namespace mp::peer {

namespace {

constexpr guint kFetchTimeoutS = 5;

std::vector<std::string> urls_of(JsonObject* server) {
    std::vector<std::string> urls;
    JsonNode* node = json_object_get_member(server, "urls");
    if (!node) node = json_object_get_member(server, "url");  // the older spelling
    if (!node) return urls;
    if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
        urls.emplace_back(json_node_get_string(node));
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray* array = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(array); ++i) {
            JsonNode* item = json_array_get_element(array, i);
            if (JSON_NODE_HOLDS_VALUE(item) && json_node_get_value_type(item) == G_TYPE_STRING)
                urls.emplace_back(json_node_get_string(item));
        }
    }
    return urls;
}

std::string member_string(JsonObject* object, const char* name) {
    JsonNode* node = json_object_get_member(object, name);
    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
               ? json_node_get_string(node)
               : "";
}

std::string escaped(const std::string& text) {
    GCharPtr e(g_uri_escape_string(text.c_str(), nullptr, FALSE));
    return e.get();
}

// "turn:host:port?transport=udp" → "turn://user:password@host:port?transport=udp".
void add_server(IceServers& out, const std::string& url, const std::string& user, const std::string& password) {
    auto colon = url.find(':');
    if (colon == std::string::npos) return;
    std::string scheme = url.substr(0, colon), rest = url.substr(colon + 1);
    if (rest.rfind("//", 0) == 0) rest = rest.substr(2);
    if (scheme == "stun" || scheme == "stuns") {
        if (out.stun.empty()) out.stun = "stun://" + rest;
    } else if (scheme == "turn" || scheme == "turns") {
        out.turn.push_back(scheme + "://" + escaped(user) + ":" + escaped(password) + "@" + rest);
    }
}

}  // namespace

Result<IceServers, std::string> parse_ice_servers(const std::string& json) {
    GRef<JsonParser> parser = adopt_ref(json_parser_new());
    GErrorSlot error;
    if (!json_parser_load_from_data(parser.get(), json.data(), static_cast<gssize>(json.size()), error.out()))
        return unexpected(std::string("not JSON: ") + error.message());
    JsonNode* root = json_parser_get_root(parser.get());
    JsonObject* object = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : nullptr;
    JsonNode* list = object ? json_object_get_member(object, "iceServers") : nullptr;
    if (!list || !JSON_NODE_HOLDS_ARRAY(list)) return unexpected(std::string("no iceServers list"));
    IceServers out;
    JsonArray* servers = json_node_get_array(list);
    for (guint i = 0; i < json_array_get_length(servers); ++i) {
        JsonNode* item = json_array_get_element(servers, i);
        if (!JSON_NODE_HOLDS_OBJECT(item)) continue;
        JsonObject* server = json_node_get_object(item);
        for (const auto& url : urls_of(server))
            add_server(out, url, member_string(server, "username"), member_string(server, "credential"));
    }
    return out;
}

std::string config_url_of(const std::string& signal_url) {
    GUri* uri = g_uri_parse(signal_url.c_str(), G_URI_FLAGS_NONE, nullptr);
    if (!uri) return "";
    bool tls = g_str_equal(g_uri_get_scheme(uri), "wss");
    GCharPtr text(g_uri_join(G_URI_FLAGS_NONE, tls ? "https" : "http", nullptr, g_uri_get_host(uri),
                             g_uri_get_port(uri), "/config.json", nullptr, nullptr));
    g_uri_unref(uri);
    return text.get();
}

Result<IceServers, std::string> fetch_ice_servers(const std::string& signal_url, const std::string& ca_file,
                                                  const std::string& token) {
    std::string url = config_url_of(signal_url);
    if (url.empty()) return unexpected("not a URL: " + signal_url);
    GRef<SoupSession> session = adopt_ref(soup_session_new_with_options("timeout", kFetchTimeoutS, nullptr));
    if (auto why = support::trust_only(session.get(), ca_file)) return unexpected(*why);
    GErrorSlot error;
    GRef<SoupMessage> message = adopt_ref(soup_message_new("GET", url.c_str()));
    if (!message) return unexpected("not a URL: " + url);
    if (!token.empty())
        soup_message_headers_replace(soup_message_get_request_headers(message.get()), "Authorization",
                                     ("Bearer " + token).c_str());
    GBytesPtr body(soup_session_send_and_read(session.get(), message.get(), nullptr, error.out()));
    if (!body) return unexpected(url + ": " + error.message());
    if (soup_message_get_status(message.get()) != SOUP_STATUS_OK)
        return unexpected(url + ": HTTP " + std::to_string(soup_message_get_status(message.get())));
    gsize size = 0;
    const char* data = static_cast<const char*>(g_bytes_get_data(body.get(), &size));
    auto servers = parse_ice_servers(std::string(data, size));
    if (!servers) return unexpected(url + ": " + servers.error());
    return servers;
}

}  // namespace mp::peer
