// The server peer's side of a call's chat, plugged in by mediapeer (the
// native caller only prints what it hears): every message is answered,
// "/stats" with what the call received so far.
#pragma once

#include "peer/call.hpp"

#include <string>

namespace mp::peer {

// Main thread: `text` came from `call`'s other side.
void answer_chat(Call& call, const std::string& text);

}  // namespace mp::peer
