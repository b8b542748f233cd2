// Flags both peers take: where signaling is, who we are, how ICE may go.
#pragma once

#include "app/flags.hpp"
#include "peer/call.hpp"
#include "peer/ice_servers.hpp"
#include "peer/ws_signaller.hpp"

#include <glib.h>

#include <algorithm>
#include <string>
#include <vector>

namespace mp::app {

struct PeerFlags {
    char* signal = nullptr;
    char* name = nullptr;
    char* ca = nullptr;
    char* token_file = nullptr;
    char** ice_addresses = nullptr;
    char* stun = nullptr;
    char** turn = nullptr;
    gint media_timeout = 10;

    ~PeerFlags() {
        g_free(signal);
        g_free(name);
        g_free(ca);
        g_free(token_file);
        g_free(stun);
        g_strfreev(ice_addresses);
        g_strfreev(turn);
    }

    // The option entries; `default_name` is shown in --help.
    std::vector<GOptionEntry> entries() {
        return {
            {"signal", 0, 0, G_OPTION_ARG_STRING, &signal,
             "Signaling server (default ws://127.0.0.1:8090/; wss:// too)", "URL"},
            {"name", 0, 0, G_OPTION_ARG_STRING, &name, "User name to log in as", "NAME"},
            {"ca", 0, 0, G_OPTION_ARG_FILENAME, &ca,
             "PEM certificate to trust for a wss:// server (e.g. self-signed)", "FILE"},
            {"token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
             "Log in with the token (JWT) in this file; read again before each reconnect", "FILE"},
            {"ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ice_addresses,
             "Local address ICE may use (repeatable; default: all)", "ADDR"},
            {"stun", 0, 0, G_OPTION_ARG_STRING, &stun, "STUN server", "stun://HOST:PORT"},
            {"turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &turn, "TURN server (repeatable)",
             "turn://USER:PASSWORD@HOST:PORT"},
            {"media-timeout", 0, 0, G_OPTION_ARG_INT, &media_timeout,
             "End a call after this long without a packet from the other side (default 10, 0 = never; "
             "a call we only send on hears only reports, 2.5-7.5 s apart)", "SECONDS"},
        };
    }

    peer::WsSignallerOptions signaller(const char* default_name) const {
        peer::WsSignallerOptions o;
        if (signal) o.url = signal;
        o.name = name ? name : default_name;
        if (ca) o.ca_file = ca;
        if (token_file) o.token_file = token_file;
        return o;
    }

    // The ICE servers of --stun/--turn only.
    peer::CallOptions call() const {
        peer::CallOptions o;
        for (char** a = ice_addresses; a && *a; ++a) o.ice_addresses.emplace_back(*a);
        if (stun) o.stun_server = stun;
        for (char** t = turn; t && *t; ++t) o.turn_servers.emplace_back(*t);
        o.media_timeout_s = static_cast<unsigned>(std::max(media_timeout, 0));
        return o;
    }

    // Without --stun or --turn, the ICE servers come from the signaling
    // server's /config.json (what browsers get); none if it has none.
    peer::CallOptions call(const peer::WsSignallerOptions& signalling) const {
        peer::CallOptions o = call();
        if (!stun && !turn) {
            std::string token;  // the file was read when the signaller was made
            if (!signalling.token_file.empty()) {
                if (auto read = peer::read_token_file(signalling.token_file)) token = *read;
            }
            auto servers = peer::fetch_ice_servers(signalling.url, signalling.ca_file, token);
            if (servers) {
                o.stun_server = servers->stun;
                o.turn_servers = servers->turn;
                g_message("ICE servers from the signaling server: %s STUN, %zu TURN",
                          o.stun_server.empty() ? "no" : o.stun_server.c_str(), o.turn_servers.size());
            } else {
                g_message("no ICE servers (%s): direct connections only", servers.error().c_str());
            }
        }
        return o;
    }
};

}  // namespace mp::app
