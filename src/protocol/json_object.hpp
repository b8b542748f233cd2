// Text from outside that must be one JSON object, read with json-glib:
// refused before parsing where json-glib would read it wrong, then parsed,
// then checked to be an object. Pure: GLib and json-glib only.
#pragma once

#include "common/result.hpp"

#include <json-glib/json-glib.h>

#include <memory>
#include <string>
#include <string_view>

namespace mp::protocol {

struct JsonObjectUnref {
    void operator()(JsonObject* object) const { json_object_unref(object); }
};
// A reference to a parsed object, which keeps every node in it alive.
using JsonObjectPtr = std::unique_ptr<JsonObject, JsonObjectUnref>;

enum class JsonObjectErrorKind {
    escaped_nul,  // a \u0000 escape: json-glib ends the string there ("a\u0000b" reads as "a")
    not_utf8,     // only with Utf8::required
    not_json,     // json-glib refused it
    empty,        // no JSON value at all
    not_object,   // JSON, but an array, a string, a number...
};

struct JsonObjectError {
    JsonObjectErrorKind kind;
    std::string message;  // for people: "frame contains \u0000", "not JSON: <json-glib's words>"...
};

enum class Utf8 {
    unchecked,  // the caller checks what it takes out (json-glib lets some invalid UTF-8 through)
    required,   // refused up front, before json-glib sees it
};

// `text` as the root object of a JSON document. `what` names the text in
// messages: "<what> contains \u0000", "<what> is not UTF-8", "not JSON: ...",
// "not JSON: empty <what>", "<what> is not a JSON object".
Result<JsonObjectPtr, JsonObjectError> parse_json_object(std::string_view text, std::string_view what,
                                                         Utf8 utf8 = Utf8::unchecked);

}  // namespace mp::protocol
