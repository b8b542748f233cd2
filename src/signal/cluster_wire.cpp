#include "signal/cluster_wire.hpp"

#include "protocol/json_object.hpp"
#include "protocol/json_writer.hpp"

#include <array>
#include <utility>

namespace mp::signal {

using protocol::JsonObjectWriter;

namespace {

constexpr std::array<std::pair<ClusterMessage::Kind, const char*>, 7> kKinds{{
    {ClusterMessage::Kind::heartbeat, "heartbeat"},
    {ClusterMessage::Kind::online, "online"},
    {ClusterMessage::Kind::load, "load"},
    {ClusterMessage::Kind::offline, "offline"},
    {ClusterMessage::Kind::sync, "sync"},
    {ClusterMessage::Kind::state, "state"},
    {ClusterMessage::Kind::frame, "frame"},
}};

const char* kind_name(ClusterMessage::Kind kind) {
    for (auto [k, name] : kKinds)
        if (k == kind) return name;
    return "heartbeat";
}

void write_user(JsonObjectWriter& w, const NodeUser& u) {
    w.integer("connection", static_cast<long long>(u.connection)).string("name", u.name);
    w.boolean("pool", u.pool).boolean("listed", u.listed);
    w.integer("calls", u.load.calls).integer("max_calls", u.load.max_calls).boolean("draining", u.load.draining);
}

std::string user_json(const NodeUser& u) {
    JsonObjectWriter w;
    write_user(w, u);
    return w.finish();
}

// Readers that give up (nullopt) on a missing or mistyped field. json-glib
// turns some escapes JSON does not have ("\\333") into bytes that are not
// UTF-8: such a string is mistyped too.
std::optional<std::string> text(JsonObject* o, const char* field) {
    JsonNode* n = json_object_get_member(o, field);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return std::nullopt;
    const char* value = json_node_get_string(n);
    if (!g_utf8_validate(value, -1, nullptr)) return std::nullopt;
    return value;
}

std::optional<std::uint64_t> number(JsonObject* o, const char* field) {
    JsonNode* n = json_object_get_member(o, field);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) return std::nullopt;
    gint64 v = json_node_get_int(n);
    if (v < 0) return std::nullopt;
    return static_cast<std::uint64_t>(v);
}

std::optional<bool> flag(JsonObject* o, const char* field) {
    JsonNode* n = json_object_get_member(o, field);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) return std::nullopt;
    return json_node_get_boolean(n);
}

std::optional<NodeUser> read_user(JsonObject* o) {
    auto connection = number(o, "connection");
    auto name = text(o, "name");
    auto pool = flag(o, "pool");
    auto listed = flag(o, "listed");
    auto calls = number(o, "calls");
    auto max_calls = number(o, "max_calls");
    auto draining = flag(o, "draining");
    if (!connection || !name || !pool || !listed || !calls || !max_calls || !draining) return std::nullopt;
    if (*calls > protocol::kMaxLoadCalls || *max_calls > protocol::kMaxLoadCalls) return std::nullopt;
    return NodeUser{*connection, *name, *pool, *listed,
                    protocol::Load{static_cast<unsigned>(*calls), static_cast<unsigned>(*max_calls), *draining}};
}

bool read_users(JsonObject* o, std::vector<NodeUser>& out) {
    JsonNode* n = json_object_get_member(o, "users");
    if (!n || !JSON_NODE_HOLDS_ARRAY(n)) return false;
    JsonArray* array = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(array); ++i) {
        JsonNode* item = json_array_get_element(array, i);
        if (!JSON_NODE_HOLDS_OBJECT(item)) return false;
        auto user = read_user(json_node_get_object(item));
        if (!user) return false;
        out.push_back(std::move(*user));
    }
    return true;
}

// The fields each kind has beyond node and boot.
bool read_body(JsonObject* o, ClusterMessage& m) {
    using Kind = ClusterMessage::Kind;
    switch (m.kind) {
        case Kind::online:
        case Kind::load: {
            auto user = read_user(o);
            if (user) m.user = std::move(*user);
            return user.has_value();
        }
        case Kind::offline: {
            auto connection = number(o, "connection");
            if (connection) m.user.connection = *connection;
            return connection.has_value();
        }
        case Kind::state:
            return read_users(o, m.users);
        case Kind::frame: {
            auto from = number(o, "from"), to = number(o, "to");
            auto frame = text(o, "frame");
            if (!from || !to || !frame) return false;
            m.from = *from, m.to = *to, m.frame = std::move(*frame);
            return true;
        }
        default:
            return true;
    }
}

}  // namespace

std::string encode(const ClusterMessage& m) {
    using Kind = ClusterMessage::Kind;
    JsonObjectWriter w;
    w.string("type", kind_name(m.kind)).string("node", m.node).string("boot", m.boot);
    if (m.kind == Kind::online || m.kind == Kind::load) write_user(w, m.user);
    if (m.kind == Kind::offline) w.integer("connection", static_cast<long long>(m.user.connection));
    if (m.kind == Kind::frame)
        w.integer("from", static_cast<long long>(m.from)).integer("to", static_cast<long long>(m.to)).string("frame", m.frame);
    if (m.kind == Kind::state) {
        std::string users = "[";
        for (const NodeUser& u : m.users) users += (users.size() > 1 ? "," : "") + user_json(u);
        w.raw("users", users + "]");
    }
    return w.finish();
}

std::optional<ClusterMessage> decode_cluster_message(std::string_view json) {
    auto parsed = protocol::parse_json_object(json, "cluster message", protocol::Utf8::required);
    if (!parsed) return std::nullopt;
    JsonObject* o = parsed->get();
    auto type = text(o, "type");
    auto node = text(o, "node");
    auto boot = text(o, "boot");
    if (!type || !node || !boot || node->empty()) return std::nullopt;
    ClusterMessage m;
    bool known = false;
    for (auto [kind, name] : kKinds)
        if (*type == name) m.kind = kind, known = true;
    if (!known) return std::nullopt;
    m.node = std::move(*node);
    m.boot = std::move(*boot);
    if (!read_body(o, m)) return std::nullopt;
    return m;
}

}  // namespace mp::signal
