#include "peer/chat_responder.hpp"

#include "peer/chat.hpp"

namespace mp::peer {

void answer_chat(Call& call, const std::string& text) {
    if (auto reply = chat_reply(text)) return call.send_chat(*reply);
    call.read_stats([weak = call.weak_from_this()](const CallStats& stats) {
        if (auto live = weak.lock()) live->send_chat(format_stats(stats));
    });
}

}  // namespace mp::peer
