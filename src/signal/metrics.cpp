#include "signal/metrics.hpp"

namespace mp::signal {

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(std::string& out, const char* name, std::uint64_t value) {
    out += name;
    out += ' ' + std::to_string(value) + '\n';
}

// Label values here are fixed identifiers chosen by the server, never client text.
void labelled(std::string& out, const char* name, const char* label,
              const std::map<std::string, std::uint64_t>& values) {
    for (const auto& [key, value] : values)
        out += std::string(name) + '{' + label + "=\"" + key + "\"} " + std::to_string(value) + '\n';
}

}  // namespace

std::string render_metrics(const Router& router, const ServerCounters& server) {
    std::string out;
    const RouterCounters& rc = router.counters();
    family(out, "mediapeer_signal_connections", "gauge", "Open WebSocket connections.");
    sample(out, "mediapeer_signal_connections", router.connection_count());
    family(out, "mediapeer_signal_connections_total", "counter", "WebSocket connections accepted.");
    sample(out, "mediapeer_signal_connections_total", server.connections_opened);
    family(out, "mediapeer_signal_users", "gauge", "Logged-in users.");
    sample(out, "mediapeer_signal_users", router.user_count());
    family(out, "mediapeer_signal_calls", "gauge", "Active calls (offers not yet ended).");
    sample(out, "mediapeer_signal_calls", router.call_count());
    family(out, "mediapeer_signal_frames_in_total", "counter",
           "Frames received, by type (invalid: did not parse or over the rate limit).");
    labelled(out, "mediapeer_signal_frames_in_total", "type", rc.frames_in);
    family(out, "mediapeer_signal_frames_out_total", "counter", "Frames sent, by type.");
    labelled(out, "mediapeer_signal_frames_out_total", "type", rc.frames_out);
    family(out, "mediapeer_signal_errors_total", "counter", "Refused frames, by kind.");
    labelled(out, "mediapeer_signal_errors_total", "kind", rc.errors);
    family(out, "mediapeer_signal_refusals_total", "counter",
           "Refused logins, error frames, upgrades and /config.json requests, by code.");
    std::map<std::string, std::uint64_t> refusals = rc.refusals;
    for (const auto& [code, n] : server.refusals) refusals[code] += n;
    labelled(out, "mediapeer_signal_refusals_total", "code", refusals);
    family(out, "mediapeer_signal_closes_total", "counter", "Closed connections, by reason.");
    labelled(out, "mediapeer_signal_closes_total", "reason", server.closes);
    family(out, "mediapeer_signal_limit_hits_total", "counter", "Times a limit was hit, by limit.");
    labelled(out, "mediapeer_signal_limit_hits_total", "limit", server.limit_hits);
    return out;
}

}  // namespace mp::signal
