#include "signal/metrics.hpp"

#include "signal/cluster.hpp"

#include "common/prometheus_text.hpp"

namespace mp::signal {

namespace {

// Label values here are fixed identifiers chosen by the server, never client text.
void labelled(PrometheusText& out, const char* name, const char* label,
              const std::map<std::string, std::uint64_t>& values) {
    for (const auto& [key, value] : values) out.sample(name, {{label, key}}, value);
}

}  // namespace

std::string render_metrics(const Router& router, const ServerCounters& server, const HttpSessionCounts& sessions) {
    PrometheusText out;
    const RouterCounters& rc = router.counters();
    out.single("mediapeer_signal_connections", MetricType::gauge, "Open WebSocket connections.",
               std::uint64_t{router.connection_count()});
    out.single("mediapeer_signal_connections_total", MetricType::counter, "WebSocket connections accepted.",
               server.connections_opened);
    out.single("mediapeer_signal_users", MetricType::gauge, "Logged-in users (a pool's name counts once).",
               std::uint64_t{router.user_count()});
    out.single("mediapeer_signal_pool_members", MetricType::gauge, "Connections serving a name as pool members.",
               std::uint64_t{router.pool_member_count()});
    out.single("mediapeer_signal_http_sessions", MetricType::gauge, "Open WHIP and WHEP sessions.",
               std::uint64_t{sessions.open});
    out.family("mediapeer_signal_http_session_answers_total", MetricType::counter,
               "Answers of the WHIP and WHEP endpoints, by HTTP status.");
    labelled(out, "mediapeer_signal_http_session_answers_total", "status", sessions.answers);
    out.single("mediapeer_signal_calls", MetricType::gauge, "Active calls (offers not yet ended).",
               std::uint64_t{router.call_count()});
    out.family("mediapeer_signal_frames_in_total", MetricType::counter,
               "Frames received, by type (invalid: did not parse or over the rate limit).");
    labelled(out, "mediapeer_signal_frames_in_total", "type", rc.frames_in);
    out.family("mediapeer_signal_frames_out_total", MetricType::counter, "Frames sent, by type.");
    labelled(out, "mediapeer_signal_frames_out_total", "type", rc.frames_out);
    out.family("mediapeer_signal_errors_total", MetricType::counter, "Refused frames, by kind.");
    labelled(out, "mediapeer_signal_errors_total", "kind", rc.errors);
    out.family("mediapeer_signal_refusals_total", MetricType::counter,
               "Refused logins, error frames, upgrades and /config.json requests, by code.");
    std::map<std::string, std::uint64_t> refusals = rc.refusals;
    for (const auto& [code, n] : server.refusals) refusals[code] += n;
    labelled(out, "mediapeer_signal_refusals_total", "code", refusals);
    out.family("mediapeer_signal_closes_total", MetricType::counter, "Closed connections, by reason.");
    labelled(out, "mediapeer_signal_closes_total", "reason", server.closes);
    out.family("mediapeer_signal_limit_hits_total", MetricType::counter, "Times a limit was hit, by limit.");
    labelled(out, "mediapeer_signal_limit_hits_total", "limit", server.limit_hits);
    return out.take();
}

std::string render_cluster_metrics(const Cluster& cluster) {
    PrometheusText out;
    const ClusterCounters& c = cluster.counters();
    out.single("mediapeer_signal_cluster_up", MetricType::gauge, "1 while this node reaches the cluster's Redis.",
               std::uint64_t{cluster.up() ? 1u : 0u});
    out.single("mediapeer_signal_cluster_nodes", MetricType::gauge, "Other nodes heard within 3 heartbeats.",
               std::uint64_t{cluster.remote_nodes()});
    out.single("mediapeer_signal_cluster_remote_users", MetricType::gauge, "Other nodes' users mirrored here.",
               std::uint64_t{cluster.remote_users()});
    out.single("mediapeer_signal_cluster_relays_out_total", MetricType::counter, "Frames sent to users on other nodes.",
               c.relays_out);
    out.single("mediapeer_signal_cluster_relays_in_total", MetricType::counter, "Frames from users on other nodes.",
               c.relays_in);
    out.single("mediapeer_signal_cluster_relays_refused_total", MetricType::counter,
               "Frames for other nodes refused while Redis was unreachable.", c.relays_refused);
    out.single("mediapeer_signal_cluster_messages_dropped_total", MetricType::counter,
               "Cluster messages not understood, or for users not known here.", c.messages_dropped);
    out.single("mediapeer_signal_cluster_nodes_lost_total", MetricType::counter,
               "Nodes forgotten: silent for 3 heartbeats, or restarted.", c.nodes_lost);
    out.single("mediapeer_signal_cluster_redis_outages_total", MetricType::counter,
               "Times Redis became unreachable.", c.redis_outages);
    return out.take();
}

}  // namespace mp::signal
