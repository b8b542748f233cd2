#include "protocol/sdp_text.hpp"

#include <glib.h>

#include <algorithm>
#include <optional>

namespace mp::protocol {

namespace {

// The lines of an SDP text, CRLF or LF ended (RFC 8866 allows both on input).
std::vector<std::string_view> sdp_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) lines.push_back(line);
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return lines;
}

bool has_control_character(std::string_view line) {
    return std::any_of(line.begin(), line.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

// Why `text` cannot be SDP lines, or empty: UTF-8, no control characters
// inside a line, each line `x=...` with x a lower-case letter.
std::string invalid_lines_reason(std::string_view text, const std::vector<std::string_view>& lines) {
    if (text.size() > kMaxSdpBytes) return "longer than " + std::to_string(kMaxSdpBytes) + " bytes";
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) return "not UTF-8";
    for (std::string_view line : lines) {
        if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
            return "a line is not of the form x=...";
        if (has_control_character(line)) return "a line holds a control character";
    }
    return {};
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// The value of an `a=NAME:value` line, or nothing when the line is another.
std::optional<std::string_view> attribute(std::string_view line, std::string_view name) {
    if (!starts_with(line, "a=") || !starts_with(line.substr(2), name)) return std::nullopt;
    std::string_view rest = line.substr(2 + name.size());
    if (rest.empty()) return rest;
    if (rest.front() != ':') return std::nullopt;
    return rest.substr(1);
}

}  // namespace

Result<SdpSummary, std::string> summarize_sdp(std::string_view sdp) {
    auto lines = sdp_lines(sdp);
    if (auto why = invalid_lines_reason(sdp, lines); !why.empty()) return unexpected(why);
    if (lines.empty() || lines.front() != "v=0") return unexpected(std::string("does not start with v=0"));
    SdpSummary summary;
    bool in_media = false;
    for (std::string_view line : lines) {
        if (starts_with(line, "m=")) {
            summary.mids.emplace_back();
            in_media = true;
        } else if (auto mid = attribute(line, "mid"); mid && in_media) {
            summary.mids.back() = *mid;
        } else if (auto ufrag = attribute(line, "ice-ufrag"); ufrag && summary.ice_ufrag.empty()) {
            summary.ice_ufrag = *ufrag;
        } else if (auto pwd = attribute(line, "ice-pwd"); pwd && summary.ice_pwd.empty()) {
            summary.ice_pwd = *pwd;
        }
    }
    if (summary.mids.empty()) return unexpected(std::string("has no m-line"));
    return summary;
}

Result<SdpFrag, std::string> parse_sdpfrag(std::string_view text) {
    auto lines = sdp_lines(text);
    if (auto why = invalid_lines_reason(text, lines); !why.empty()) return unexpected(why);
    SdpFrag frag;
    std::string mid;
    bool in_media = false;
    for (std::string_view line : lines) {
        if (starts_with(line, "m=")) {
            in_media = true;
            mid.clear();
        } else if (auto value = attribute(line, "mid"); value && in_media) {
            mid = *value;
        } else if (auto ufrag = attribute(line, "ice-ufrag")) {
            frag.ice_ufrag = *ufrag;
        } else if (auto pwd = attribute(line, "ice-pwd")) {
            frag.ice_pwd = *pwd;
        } else if (starts_with(line, "a=candidate:")) {
            if (!in_media) return unexpected(std::string("a candidate before any m-line"));
            frag.candidates.push_back(SdpCandidate{std::string(line.substr(2)), mid, 0});
        } else if (line == "a=end-of-candidates") {
            frag.end_of_candidates = true;
        }
    }
    return frag;
}

std::string sdp_with_candidates(std::string_view sdp, const std::vector<SdpCandidate>& candidates,
                                bool ended) {
    auto lines = sdp_lines(sdp);
    // Each section's lines, the session's first; candidates go at a section's end.
    std::vector<std::vector<std::string>> sections(1);
    for (std::string_view line : lines) {
        if (starts_with(line, "m=")) sections.emplace_back();
        sections.back().emplace_back(line);
    }
    for (const SdpCandidate& c : candidates) {
        std::size_t section = c.mline_index + 1;
        std::string line = "a=" + c.candidate;
        if (section >= sections.size() || !starts_with(c.candidate, "candidate:") ||
            has_control_character(c.candidate))
            continue;
        auto& target = sections[section];
        if (std::find(target.begin(), target.end(), line) == target.end()) target.push_back(line);
    }
    std::string out;
    for (std::size_t i = 0; i < sections.size(); ++i) {
        bool marked = false;
        for (const auto& line : sections[i]) {
            out += line + "\r\n";
            marked = marked || line == "a=end-of-candidates";
        }
        if (ended && i > 0 && !marked) out += "a=end-of-candidates\r\n";
    }
    return out;
}

}  // namespace mp::protocol
