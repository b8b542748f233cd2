#include "peer/webrtc_stats.hpp"

#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <map>

namespace mp::peer {

namespace {

gboolean add_stats(GQuark, const GValue* value, gpointer data) {
    if (!GST_VALUE_HOLDS_STRUCTURE(value)) return TRUE;
    const GstStructure* s = gst_value_get_structure(value);
    auto& stats = *static_cast<CallStats*>(data);
    GstWebRTCStatsType type;
    if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr)) return TRUE;
    if (type == GST_WEBRTC_STATS_INBOUND_RTP) {
        guint64 packets = 0, bytes = 0;
        gint64 lost = 0;
        gst_structure_get_uint64(s, "packets-received", &packets);
        gst_structure_get_uint64(s, "bytes-received", &bytes);
        gst_structure_get_int64(s, "packets-lost", &lost);
        stats.packets_received += packets;
        stats.bytes_received += bytes;
        stats.packets_lost += lost;
    } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
        double rtt = 0;
        if (gst_structure_get_double(s, "round-trip-time", &rtt) && rtt > 0)
            stats.rtt_ms = std::max(stats.rtt_ms.value_or(0), rtt * 1000);
    }
    return TRUE;
}

// Stats entries by their "id".
std::map<std::string, const GstStructure*> stats_by_id(const GstStructure* reply) {
    std::map<std::string, const GstStructure*> entries;
    gst_structure_foreach(
        reply,
        [](GQuark, const GValue* value, gpointer data) -> gboolean {
            if (!GST_VALUE_HOLDS_STRUCTURE(value)) return TRUE;
            const GstStructure* entry = gst_value_get_structure(value);
            if (const char* id = gst_structure_get_string(entry, "id"))
                (*static_cast<std::map<std::string, const GstStructure*>*>(data))[id] = entry;
            return TRUE;
        },
        &entries);
    return entries;
}

std::string string_field(const GstStructure* s, const char* name) {
    if (!s) return "";
    if (const char* text = gst_structure_get_string(s, name)) return text;
    // Some versions give the candidate type as an enum.
    const GValue* value = gst_structure_get_value(s, name);
    if (value && G_VALUE_HOLDS_ENUM(value)) {
        GEnumValue* e = g_enum_get_value(G_ENUM_CLASS(g_type_class_peek(G_VALUE_TYPE(value))), g_value_get_enum(value));
        return e ? e->value_nick : "";
    }
    return "";
}

}  // namespace

CallStats received_stats(const GstStructure* reply) {
    CallStats stats;
    if (reply) gst_structure_foreach(reply, add_stats, &stats);
    return stats;
}

SelectedPair selected_pair(const GstStructure* reply) {
    if (!reply) return {};
    auto entries = stats_by_id(reply);
    for (const auto& [id, entry] : entries) {
        std::string pair_id = string_field(entry, "selected-candidate-pair-id");
        if (pair_id.empty() || !entries.count(pair_id)) continue;
        const GstStructure* pair = entries[pair_id];
        auto local = entries.find(string_field(pair, "local-candidate-id"));
        auto remote = entries.find(string_field(pair, "remote-candidate-id"));
        return {local == entries.end() ? "" : string_field(local->second, "candidate-type"),
                remote == entries.end() ? "" : string_field(remote->second, "candidate-type")};
    }
    return {};
}

}  // namespace mp::peer
