// Small pieces signallers use at their boundary (the WebSocket one here, the
// benchmarks' Janus one).
#pragma once

#include "common/guarded.hpp"
#include "protocol/json_writer.hpp"

#include <glib.h>
#include <json-glib/json-glib.h>

#include <string>
#include <string_view>

namespace mp::peer::support {

// Runs a callback from libsoup/GLib through the one guard (common/guarded.hpp),
// logging "what where: message". Only janus_signaller.cpp still calls it,
// until it moves to mp::guarded as ws_signaller.cpp has.
template <typename Fn>
void guarded(const char* what, const char* where, Fn&& fn) {
    run_guarded(std::forward<Fn>(fn),
                [&](const char* message) { g_critical("%s %s: %s", what, where, message); });
}

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
