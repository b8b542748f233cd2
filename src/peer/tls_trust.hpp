// The one way the peers' HTTP and WebSocket clients (the WebSocket and WHIP
// signallers, the /config.json fetch) take a --ca file.
#pragma once

#include "common/gobj.hpp"

#include <libsoup/soup.h>

#include <optional>
#include <string>

namespace mp::peer::support {

// With a CA file (PEM), `session` trusts only its certificates for TLS; the
// error says why the file cannot be used. No file: the system's trust.
inline std::optional<std::string> trust_only(SoupSession* session, const std::string& ca_file) {
    if (ca_file.empty()) return std::nullopt;
    GError* raw = nullptr;
    auto database = adopt_ref(g_tls_file_database_new(ca_file.c_str(), &raw));
    GErrorPtr error(raw);
    if (!database) return "cannot use CA file " + ca_file + ": " + error->message;
    g_object_set(session, "tls-database", database.get(), nullptr);
    return std::nullopt;
}

}  // namespace mp::peer::support
