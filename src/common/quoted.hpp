// Text in double quotes with `"` and `\` escaped by a backslash: the form of
// a gst-launch property value and of an HTTP quoted-string (RFC 9110 5.6.4).
#pragma once

#include <string>
#include <string_view>

namespace mp {

inline std::string backslash_quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

}  // namespace mp
