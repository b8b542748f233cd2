#include "protocol/json_object.hpp"

#include "common/gobj.hpp"

namespace mp::protocol {

namespace {

Unexpected<JsonObjectError> refused(JsonObjectErrorKind kind, std::string message) {
    return unexpected(JsonObjectError{kind, std::move(message)});
}

// The messages are made only for what is refused: frames are parsed on the relay's hot path.
std::string named(std::string_view what, const char* rest) { return std::string(what) + rest; }

}  // namespace

Result<JsonObjectPtr, JsonObjectError> parse_json_object(std::string_view text, std::string_view what,
                                                         Utf8 utf8) {
    if (text.find("\\u0000") != std::string_view::npos)
        return refused(JsonObjectErrorKind::escaped_nul, named(what, " contains \\u0000"));
    // json-glib lets some invalid UTF-8 through, and what it read from it
    // would be refused once written out again.
    if (utf8 == Utf8::required && !g_utf8_validate_len(text.data(), text.size(), nullptr))
        return refused(JsonObjectErrorKind::not_utf8, named(what, " is not UTF-8"));
    auto parser = adopt_ref(json_parser_new_immutable());
    GErrorSlot error;
    if (!json_parser_load_from_data(parser.get(), text.data(), static_cast<gssize>(text.size()), error.out()))
        return refused(JsonObjectErrorKind::not_json, std::string("not JSON: ") + error.message());
    JsonNode* root = json_parser_get_root(parser.get());
    if (!root) return refused(JsonObjectErrorKind::empty, "not JSON: empty " + std::string(what));
    if (!JSON_NODE_HOLDS_OBJECT(root))
        return refused(JsonObjectErrorKind::not_object, named(what, " is not a JSON object"));
    // Our reference outlives the parser's.
    return JsonObjectPtr(json_object_ref(json_node_get_object(root)));
}

}  // namespace mp::protocol
