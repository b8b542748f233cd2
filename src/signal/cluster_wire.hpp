// What signaling nodes tell each other through Redis pub/sub (docs/cluster.md):
// JSON messages, one per PUBLISH. Pure: json-glib only.
#pragma once

#include "protocol/frames.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mp::signal {

// One user of a node, as other nodes mirror it.
struct NodeUser {
    std::uint64_t connection = 0;  // the id on its own node
    std::string name;
    bool pool = false;
    bool listed = true;
    protocol::Load load;
    bool operator==(const NodeUser&) const = default;
};

struct ClusterMessage {
    enum class Kind {
        heartbeat,  // the node lives (each heartbeat period)
        online,     // `user` logged in
        load,       // `user`'s load changed
        offline,    // `user` is gone (only its connection is sent)
        sync,       // a node (re)joined: everyone, send your `state`
        state,      // all `users` of the node, replacing what others mirror
        frame,      // on the receiver's own channel: `frame` from `from` to `to`
    };
    Kind kind = Kind::heartbeat;
    std::string node;  // the sender
    std::string boot;  // the sender's run: a new one means it restarted
    NodeUser user;
    std::vector<NodeUser> users;
    std::uint64_t from = 0, to = 0;
    std::string frame;  // a server frame, serialized
    bool operator==(const ClusterMessage&) const = default;
};

std::string encode(const ClusterMessage& message);
// Nothing when the text is not a message of ours (a foreign publisher, a
// newer version): it is dropped and counted.
std::optional<ClusterMessage> decode_cluster_message(std::string_view text);

}  // namespace mp::signal
