#include "janus/janus_messages.hpp"

#include "protocol/json_object.hpp"

#include "common/gobj.hpp"
#include "peer/signaller_support.hpp"
#include "protocol/json_writer.hpp"

#include <json-glib/json-glib.h>

#include <array>

namespace mp::bench {

namespace {

using peer::support::absent;
using peer::support::holds;
using peer::support::quoted;

// Member `name` of `object` as a string; `fallback` when absent, an error
// when it is something else.
Result<std::string, std::string> string_member(JsonObject* object, const char* name,
                                               std::string fallback = {}) {
    JsonNode* node = json_object_get_member(object, name);
    if (absent(node)) return fallback;
    if (!holds(node, G_TYPE_STRING)) return unexpected("\"" + std::string(name) + "\" must be a string");
    return std::string(json_node_get_string(node));
}

// A Janus id (session, handle): a positive integer; 0 when absent.
Result<guint64, std::string> id_member(JsonObject* object, const char* name) {
    JsonNode* node = json_object_get_member(object, name);
    if (absent(node)) return guint64{0};
    if (!holds(node, G_TYPE_INT64) || json_node_get_int(node) <= 0)
        return unexpected("\"" + std::string(name) + "\" must be a positive integer");
    return static_cast<guint64>(json_node_get_int(node));
}

Result<gint64, std::string> int_member(JsonObject* object, const char* name) {
    JsonNode* node = json_object_get_member(object, name);
    if (absent(node)) return gint64{0};
    if (!holds(node, G_TYPE_INT64)) return unexpected("\"" + std::string(name) + "\" must be an integer");
    return json_node_get_int(node);
}

// Member `name` as an object, nullptr when absent; an error when not an object.
Result<JsonObject*, std::string> object_member(JsonObject* object, const char* name) {
    JsonNode* node = json_object_get_member(object, name);
    if (absent(node)) return static_cast<JsonObject*>(nullptr);
    if (!JSON_NODE_HOLDS_OBJECT(node)) return unexpected("\"" + std::string(name) + "\" must be an object");
    return json_node_get_object(node);
}

std::string compact_json(JsonNode* node) {
    GCharPtr text(json_to_string(node, FALSE));
    return text ? text.get() : "";
}

JanusKind kind_of(std::string_view word) {
    static constexpr std::array<std::pair<std::string_view, JanusKind>, 12> kKinds{{
        {"success", JanusKind::success},     {"ack", JanusKind::ack},
        {"error", JanusKind::error},         {"event", JanusKind::event},
        {"trickle", JanusKind::trickle},     {"hangup", JanusKind::hangup},
        {"detached", JanusKind::detached},   {"webrtcup", JanusKind::webrtcup},
        {"media", JanusKind::media},         {"slowlink", JanusKind::slowlink},
        {"keepalive", JanusKind::keepalive}, {"timeout", JanusKind::timeout},
    }};
    for (const auto& [name, kind] : kKinds)
        if (name == word) return kind;
    return JanusKind::other;
}

Result<peer::SessionDescription, std::string> parse_jsep(JsonObject* jsep) {
    auto type = string_member(jsep, "type");
    if (!type) return unexpected("jsep: " + type.error());
    auto sdp = string_member(jsep, "sdp");
    if (!sdp) return unexpected("jsep: " + sdp.error());
    if (*type != "offer" && *type != "answer")
        return unexpected("jsep: type " + quoted(*type) + ", expected \"offer\" or \"answer\"");
    if (sdp->empty()) return unexpected(std::string("jsep: no \"sdp\""));
    return peer::SessionDescription{*type, *sdp};
}

// "trickle": {"candidate": {"candidate", "sdpMid", "sdpMLineIndex"}} or {"completed": true}.
std::optional<std::string> parse_trickle(JsonObject* object, JanusMessage& message) {
    auto candidate = object_member(object, "candidate");
    if (!candidate) return "trickle: " + candidate.error();
    if (!*candidate) return std::string("trickle: no \"candidate\" object");
    JsonNode* completed = json_object_get_member(*candidate, "completed");
    if (holds(completed, G_TYPE_BOOLEAN) && json_node_get_boolean(completed)) {
        message.candidates_completed = true;
        return std::nullopt;
    }
    auto text = string_member(*candidate, "candidate");
    auto mid = string_member(*candidate, "sdpMid");
    auto index = int_member(*candidate, "sdpMLineIndex");
    if (!text) return "trickle: " + text.error();
    if (!mid) return "trickle: " + mid.error();
    if (!index || *index < 0 || *index > G_MAXUINT)
        return std::string("trickle: \"sdpMLineIndex\" must be an integer >= 0");
    if (text->empty()) {
        message.candidates_completed = true;
        return std::nullopt;
    }
    message.candidate = peer::IceCandidate{*text, *mid, static_cast<unsigned>(*index)};
    return std::nullopt;
}

// "plugindata": {"plugin": "...", "data": {...}}; the plugin's own errors are
// data.error and data.error_code.
std::optional<std::string> parse_plugin_data(JsonObject* object, JanusMessage& message) {
    auto plugindata = object_member(object, "plugindata");
    if (!plugindata) return plugindata.error();
    if (!*plugindata) return std::nullopt;
    auto data = object_member(*plugindata, "data");
    if (!data) return "plugindata: " + data.error();
    if (!*data) return std::nullopt;
    message.plugin_data = compact_json(json_object_get_member(*plugindata, "data"));
    auto error = string_member(*data, "error");
    auto code = int_member(*data, "error_code");
    if (!error) return "plugindata: " + error.error();
    if (!code) return "plugindata: " + code.error();
    message.error = *error;
    message.error_code = *code;
    if (message.error_code && message.error.empty()) message.error = "plugin error";
    return std::nullopt;
}

// The few fields of "media", "slowlink" and "webrtcup" worth a log line.
std::string media_detail(JsonObject* object) {
    std::string detail;
    for (const char* name : {"type", "mid", "receiving", "uplink", "lost", "nacks"}) {
        JsonNode* node = json_object_get_member(object, name);
        if (!node || !JSON_NODE_HOLDS_VALUE(node)) continue;
        detail += (detail.empty() ? "" : " ") + std::string(name) + "=" + compact_json(node);
    }
    return detail;
}

// What every message may carry: its word, transaction, session, sender, reason.
std::optional<std::string> parse_envelope(JsonObject* object, JanusMessage& message) {
    auto janus = string_member(object, "janus");
    if (!janus) return janus.error();
    if (janus->empty()) return std::string("no \"janus\" string");
    message.janus = *janus;
    message.kind = kind_of(*janus);
    auto transaction = string_member(object, "transaction");
    auto session = id_member(object, "session_id");
    auto sender = id_member(object, "sender");
    auto reason = string_member(object, "reason");
    if (!transaction) return transaction.error();
    if (!session) return session.error();
    if (!sender) return sender.error();
    if (!reason) return reason.error();
    message.transaction = *transaction;
    message.session_id = *session;
    message.sender = *sender;
    message.reason = *reason;
    return std::nullopt;
}

// "data": {"id": N} of a create or attach reply; "error": {"code", "reason"}.
std::optional<std::string> parse_data_and_error(JsonObject* object, JanusMessage& message) {
    auto data = object_member(object, "data");
    if (!data) return data.error();
    if (*data) {
        auto id = id_member(*data, "id");
        if (!id) return "data: " + id.error();
        message.data_id = *id;
    }
    auto error = object_member(object, "error");
    if (!error) return error.error();
    if (!*error) {
        if (message.kind == JanusKind::error) return std::string("an \"error\" without an \"error\" object");
        return std::nullopt;
    }
    auto code = int_member(*error, "code");
    auto text = string_member(*error, "reason", "no reason given");
    if (!code) return "error: " + code.error();
    if (!text) return "error: " + text.error();
    message.error_code = *code;
    message.error = *text;
    return std::nullopt;
}

Result<JanusMessage, std::string> parse_janus_object(JsonObject* object) {
    JanusMessage message;
    if (auto why = parse_envelope(object, message)) return unexpected(*why);
    if (auto why = parse_data_and_error(object, message)) return unexpected(*why);
    if (auto why = parse_plugin_data(object, message)) return unexpected(*why);
    auto jsep = object_member(object, "jsep");
    if (!jsep) return unexpected(jsep.error());
    if (*jsep) {
        auto description = parse_jsep(*jsep);
        if (!description) return unexpected(description.error());
        message.jsep = *description;
    }
    if (message.kind == JanusKind::trickle)
        if (auto why = parse_trickle(object, message)) return unexpected(*why);
    if (message.kind == JanusKind::media || message.kind == JanusKind::slowlink ||
        message.kind == JanusKind::webrtcup)
        message.detail = media_detail(object);
    return message;
}

}  // namespace

Result<JanusMessage, std::string> parse_janus_message(std::string_view text) {
    auto object = protocol::parse_json_object(text, "message");
    if (!object) return unexpected(object.error().message);
    return parse_janus_object(object->get());
}

std::optional<std::string> janus_reply_problem(const JanusMessage& reply, std::string_view transaction) {
    if (reply.transaction == transaction) return std::nullopt;
    if (reply.transaction.empty()) return "reply " + quoted(reply.janus) + " carries no transaction";
    return "reply " + quoted(reply.janus) + " carries transaction " + quoted(reply.transaction) + ", not " +
           quoted(transaction);
}

std::string janus_request_text(std::string_view verb, std::string_view transaction, JanusMembers members) {
    protocol::JsonObjectWriter writer;
    writer.string("janus", verb).string("transaction", transaction);
    for (const auto& [key, json] : members) writer.raw(key, json);
    return writer.finish();
}

std::string janus_refusal_code(gint64 error_code) { return "janus_" + std::to_string(error_code); }

}  // namespace mp::bench
