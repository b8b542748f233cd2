#include "protocol/frames.hpp"

#include "common/gobj.hpp"
#include "protocol/json_object.hpp"
#include "protocol/json_writer.hpp"

#include <json-glib/json-glib.h>

#include <cstring>

namespace mp::protocol {

void append_json_string(std::string& out, std::string_view text) {
    static const char* const kHex = "0123456789abcdef";
    out += '"';
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 0xf];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
}

const char* to_string(ParseErrorKind kind) {
    switch (kind) {
    case ParseErrorKind::not_json: return "not_json";
    case ParseErrorKind::not_object: return "not_object";
    case ParseErrorKind::missing_type: return "missing_type";
    case ParseErrorKind::type_not_string: return "type_not_string";
    case ParseErrorKind::unknown_type: return "unknown_type";
    case ParseErrorKind::missing_field: return "missing_field";
    case ParseErrorKind::wrong_field_type: return "wrong_field_type";
    }
    return "unknown";
}

namespace {

// Thrown inside the parser only; parse_*_frame turns it into a Result.
struct ParseFailure {
    ParseError error;
};

[[noreturn]] void fail(ParseErrorKind kind, std::string message) {
    throw ParseFailure{ParseError{kind, std::move(message)}};
}

// Reads the fields of one frame object, naming the frame type in every error.
class FieldReader {
public:
    FieldReader(JsonObject* object, const char* type) : object_(object), type_(type) {}

    std::string required_string(const char* field) const {
        auto value = optional_string(field);
        if (!value) fail(ParseErrorKind::missing_field, prefix() + "missing \"" + field + "\"");
        return *value;
    }

    // A missing field and an explicit null both read as absent.
    std::optional<std::string> optional_string(const char* field) const {
        JsonNode* node = member(field);
        if (!node || JSON_NODE_HOLDS_NULL(node)) return std::nullopt;
        if (!is_string(node)) wrong_type(field, "a string");
        return utf8(field, json_node_get_string(node));
    }

    // An SDP or candidate: a JSON object (kept as compact JSON text) or a string.
    std::string required_payload(const char* field) const {
        JsonNode* node = member(field);
        if (!node || JSON_NODE_HOLDS_NULL(node))
            fail(ParseErrorKind::missing_field, prefix() + "missing \"" + field + "\"");
        if (is_string(node)) return utf8(field, json_node_get_string(node));
        if (!JSON_NODE_HOLDS_OBJECT(node)) wrong_type(field, "an object or a string");
        GCharPtr text(json_to_string(node, FALSE));
        return utf8(field, text.get());
    }

    bool required_bool(const char* field) const {
        JsonNode* node = member(field);
        if (!node) fail(ParseErrorKind::missing_field, prefix() + "missing \"" + field + "\"");
        if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN)
            wrong_type(field, "a boolean");
        return json_node_get_boolean(node);
    }

    bool optional_bool(const char* field, bool absent) const {
        JsonNode* node = member(field);
        if (!node || JSON_NODE_HOLDS_NULL(node)) return absent;
        return required_bool(field);
    }

    // A whole number from 0 to `max`.
    unsigned required_count(const char* field, unsigned max) const {
        JsonNode* node = member(field);
        if (!node) fail(ParseErrorKind::missing_field, prefix() + "missing \"" + field + "\"");
        if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
            wrong_type(field, "a whole number");
        gint64 value = json_node_get_int(node);
        if (value < 0 || value > static_cast<gint64>(max))
            wrong_type(field, ("from 0 to " + std::to_string(max)).c_str());
        return static_cast<unsigned>(value);
    }

    std::vector<std::string> required_strings(const char* field) const {
        JsonNode* node = member(field);
        if (!node) fail(ParseErrorKind::missing_field, prefix() + "missing \"" + field + "\"");
        if (!JSON_NODE_HOLDS_ARRAY(node)) wrong_type(field, "an array of strings");
        std::vector<std::string> out;
        JsonArray* array = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(array); ++i) {
            JsonNode* item = json_array_get_element(array, i);
            if (!is_string(item)) wrong_type(field, "an array of strings");
            out.push_back(utf8(field, json_node_get_string(item)));
        }
        return out;
    }

private:
    // json-glib turns some escapes JSON does not have ("\\622") into bytes
    // that are not UTF-8; forwarded, they would fail the receiver's WebSocket.
    std::string utf8(const char* field, const char* text) const {
        if (!g_utf8_validate(text, -1, nullptr)) wrong_type(field, "valid UTF-8");
        return text;
    }
    JsonNode* member(const char* field) const {
        return json_object_get_member(object_, field);
    }
    static bool is_string(JsonNode* node) {
        return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING;
    }
    [[noreturn]] void wrong_type(const char* field, const char* expected) const {
        fail(ParseErrorKind::wrong_field_type,
             prefix() + "\"" + field + "\" must be " + expected);
    }
    std::string prefix() const { return std::string(type_) + ": "; }

    JsonObject* object_;
    const char* type_;
};

// Parses `text` into a root object and hands its `type` and fields to `read`.
template <typename Frame, typename Read>
Result<Frame, ParseError> parse_frame(std::string_view text, Read&& read) {
    auto parsed = parse_json_object(text, "frame");
    if (!parsed) {
        // An escaped NUL and empty text are "not JSON" to clients (docs/protocol.md).
        const JsonObjectError& e = parsed.error();
        auto kind = e.kind == JsonObjectErrorKind::not_object ? ParseErrorKind::not_object : ParseErrorKind::not_json;
        return unexpected(ParseError{kind, e.message});
    }
    JsonObject* object = parsed->get();
    JsonNode* type = json_object_get_member(object, "type");
    if (!type || JSON_NODE_HOLDS_NULL(type))
        return unexpected(ParseError{ParseErrorKind::missing_type, "frame has no \"type\""});
    if (!JSON_NODE_HOLDS_VALUE(type) || json_node_get_value_type(type) != G_TYPE_STRING)
        return unexpected(
            ParseError{ParseErrorKind::type_not_string, "\"type\" must be a string"});
    const char* type_name = json_node_get_string(type);
    try {
        return read(std::string_view(type_name), FieldReader(object, type_name));
    } catch (ParseFailure& failure) {
        return unexpected(std::move(failure.error));
    }
}

[[noreturn]] void unknown_type(std::string_view type) {
    std::string message = "unknown type ";
    append_json_string(message, type);  // quoted and escaped: the type is client text
    fail(ParseErrorKind::unknown_type, std::move(message));
}

// offer, answer, candidate and leave have the same fields in both directions.
template <typename Frame>
std::optional<Frame> read_call_frame(std::string_view type, const FieldReader& f) {
    if (type == "offer") return Offer{f.required_string("name"), f.required_payload("offer")};
    if (type == "answer")
        return Answer{f.optional_string("name").value_or(""), f.required_payload("answer")};
    if (type == "candidate")
        return Candidate{f.optional_string("name").value_or(""), f.required_payload("candidate")};
    if (type == "leave")
        return Leave{f.optional_string("name").value_or(""), f.optional_string("reason")};
    return std::nullopt;
}

}  // namespace

Result<ClientFrame, ParseError> parse_client_frame(std::string_view text) {
    return parse_frame<ClientFrame>(text, [](std::string_view type,
                                             const FieldReader& f) -> ClientFrame {
        if (type == "login")
            return Login{f.required_string("name"), f.optional_string("token"), f.optional_bool("pool", false)};
        if (type == "users") return UsersRequest{};
        if (type == "load")
            return Load{f.required_count("calls", kMaxLoadCalls), f.required_count("max_calls", kMaxLoadCalls),
                        f.optional_bool("draining", false)};
        if (auto call = read_call_frame<ClientFrame>(type, f)) return *call;
        unknown_type(type);
    });
}

Result<ServerFrame, ParseError> parse_server_frame(std::string_view text) {
    return parse_frame<ServerFrame>(text, [](std::string_view type,
                                             const FieldReader& f) -> ServerFrame {
        if (type == "login") {
            LoginResult r;
            r.success = f.required_bool("success");
            r.my_name = f.optional_string("myName").value_or("");
            r.message = f.optional_string("message").value_or("");
            r.code = f.optional_string("code").value_or("");
            return r;
        }
        if (type == "error")
            return Error{f.optional_string("code").value_or(""), f.required_string("message")};
        if (type == "users") return UsersList{f.required_strings("users")};
        if (auto call = read_call_frame<ServerFrame>(type, f)) return *call;
        unknown_type(type);
    });
}

namespace {

// Clients send payloads as objects (docs/protocol.md); text that is not an object
// is sent as the string it is.
void client_payload(JsonObjectWriter& w, const char* key, const std::string& payload) {
    if (parse_json_object(payload, "payload"))
        w.raw(key, payload);
    else
        w.string(key, payload);
}

void optional_name(JsonObjectWriter& w, const std::string& name) {
    if (!name.empty()) w.string("name", name);
}

}  // namespace

std::string serialize(const ClientFrame& frame) {
    JsonObjectWriter w;
    w.string("type", type_name(frame));
    std::visit(
        [&w](const auto& f) {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, Login>) {
                w.string("name", f.name);
                if (f.token) w.string("token", *f.token);
                if (f.pool) w.boolean("pool", true);
            } else if constexpr (std::is_same_v<T, Load>) {
                w.integer("calls", f.calls).integer("max_calls", f.max_calls).boolean("draining", f.draining);
            } else if constexpr (std::is_same_v<T, Offer>) {
                w.string("name", f.name);
                client_payload(w, "offer", f.offer);
            } else if constexpr (std::is_same_v<T, Answer>) {
                optional_name(w, f.name);
                client_payload(w, "answer", f.answer);
            } else if constexpr (std::is_same_v<T, Candidate>) {
                optional_name(w, f.name);
                client_payload(w, "candidate", f.candidate);
            } else if constexpr (std::is_same_v<T, Leave>) {
                optional_name(w, f.name);
                if (f.reason) w.string("reason", *f.reason);
            }
        },
        frame);
    return w.finish();
}

std::string serialize(const ServerFrame& frame) {
    JsonObjectWriter w;
    w.string("type", type_name(frame));
    std::visit(
        [&w](const auto& f) {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, LoginResult>) {
                w.boolean("success", f.success);
                if (f.success) {
                    w.string("myName", f.my_name);
                } else {
                    w.string("code", f.code);
                    w.string("message", f.message);
                }
            } else if constexpr (std::is_same_v<T, Offer>) {
                w.string("offer", f.offer).string("name", f.name);
            } else if constexpr (std::is_same_v<T, Answer>) {
                w.string("answer", f.answer).string("name", f.name);
            } else if constexpr (std::is_same_v<T, Candidate>) {
                w.string("candidate", f.candidate).string("name", f.name);
            } else if constexpr (std::is_same_v<T, Leave>) {
                w.string("name", f.name);
                if (f.reason) w.string("reason", *f.reason);
            } else if constexpr (std::is_same_v<T, Error>) {
                w.string("code", f.code);
                w.string("message", f.message);
            } else if constexpr (std::is_same_v<T, UsersList>) {
                w.strings("users", f.users);
            }
        },
        frame);
    return w.finish();
}

namespace {
struct TypeName {
    const char* operator()(const Login&) const { return "login"; }
    const char* operator()(const LoginResult&) const { return "login"; }
    const char* operator()(const Offer&) const { return "offer"; }
    const char* operator()(const Answer&) const { return "answer"; }
    const char* operator()(const Candidate&) const { return "candidate"; }
    const char* operator()(const Leave&) const { return "leave"; }
    const char* operator()(const Error&) const { return "error"; }
    const char* operator()(const UsersRequest&) const { return "users"; }
    const char* operator()(const Load&) const { return "load"; }
    const char* operator()(const UsersList&) const { return "users"; }
};
}  // namespace

const char* type_name(const ClientFrame& frame) { return std::visit(TypeName{}, frame); }
const char* type_name(const ServerFrame& frame) { return std::visit(TypeName{}, frame); }

std::optional<std::string> invalid_user_name_reason(std::string_view name) {
    if (name.find('\0') != std::string_view::npos) return "name contains a control character";
    if (!g_utf8_validate(name.data(), static_cast<gssize>(name.size()), nullptr))
        return "name is not valid UTF-8";
    glong chars = g_utf8_strlen(name.data(), static_cast<gssize>(name.size()));
    if (chars == 0) return "name is empty";
    if (static_cast<std::size_t>(chars) > kMaxUserNameChars)
        return "name is longer than 64 characters";
    bool only_space = true;
    for (const char* p = name.data(); p < name.data() + name.size(); p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
            return "name contains a control character";
        if (!g_unichar_isspace(c)) only_space = false;
    }
    if (only_space) return "name is only white space";
    return std::nullopt;
}

}  // namespace mp::protocol
