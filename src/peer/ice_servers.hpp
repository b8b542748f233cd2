// ICE servers for a peer that was given none on the command line: read from
// the signaling server's /config.json (the list browsers get), turned into
// the URLs webrtcbin takes (stun://host:port, turn://user:password@host:port).
#pragma once

#include "common/result.hpp"

#include <string>
#include <vector>

namespace mp::peer {

struct IceServers {
    std::string stun;               // webrtcbin takes one
    std::vector<std::string> turn;  // with credentials in the URL
};

// Pure: the body of /config.json ({"iceServers":[{"urls":..., "username", "credential"}]}).
Result<IceServers, std::string> parse_ice_servers(const std::string& json);

// http(s)://host:port/config.json of a ws(s):// signaling URL.
std::string config_url_of(const std::string& signal_url);

// Blocking GET (at start-up, bounded by a timeout); `ca_file` as for wss.
// With `token` (a server with auth: /config.json needs one), sent as Bearer.
Result<IceServers, std::string> fetch_ice_servers(const std::string& signal_url, const std::string& ca_file,
                                                  const std::string& token = {});

}  // namespace mp::peer
