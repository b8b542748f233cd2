#include "signal/http_reply.hpp"

#include "protocol/json_writer.hpp"

namespace mp::signal {

void reply_text_failure(SoupServerMessage* msg, guint status, const std::string& why) {
    std::string body = std::to_string(status) + " " + soup_status_get_phrase(status) + ": " + why + "\n";
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, body.data(), body.size());
    soup_server_message_set_status(msg, status, nullptr);
}

void reply_refusal(SoupServerMessage* msg, guint status, const Refusal& refusal) {
    std::string body =
        protocol::JsonObjectWriter().string("code", refusal.code).string("message", refusal.message).finish();
    SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(response, "Cache-Control", "no-store");
    if (status == SOUP_STATUS_UNAUTHORIZED)
        soup_message_headers_replace(response, "WWW-Authenticate", "Bearer realm=\"mediapeer\"");
    soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body.data(), body.size());
    soup_server_message_set_status(msg, status, nullptr);
}

}  // namespace mp::signal
