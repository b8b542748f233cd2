// Small pieces signallers use at their boundary (the WebSocket and WHIP ones,
// the benchmarks' Janus one).
#pragma once

#include "protocol/json_writer.hpp"

#include <glib.h>
#include <json-glib/json-glib.h>

#include <string>
#include <string_view>

namespace mp::peer::support {

// Text from the network, quoted and escaped for a log line.
inline std::string quoted(std::string_view text) {
    std::string out;
    protocol::append_json_string(out, text);
    return out;
}

inline bool holds(JsonNode* node, GType type) {
    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

inline bool absent(JsonNode* node) { return !node || JSON_NODE_HOLDS_NULL(node); }

}  // namespace mp::peer::support
