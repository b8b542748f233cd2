#include "support/raw_ws_client.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mp::test {

std::unique_ptr<RawWsClient> RawWsClient::connect(const std::string& http_url,
                                                  const std::string& early_bytes,
                                                  std::string* error) {
    std::unique_ptr<RawWsClient> c(new RawWsClient());
    auto client = adopt_ref(g_socket_client_new());
    GError* raw = nullptr;
    c->connection_ = adopt_ref(g_socket_client_connect_to_uri(client.get(), http_url.c_str(), 0,
                                                              nullptr, &raw));
    if (!c->connection_) {
        GErrorPtr e(raw);
        if (error) *error = e->message;
        return nullptr;
    }
    c->socket_ = g_socket_connection_get_socket(c->connection_.get());
    std::string request =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!c->send(request + early_bytes)) {
        if (error) *error = "could not send the upgrade request";
        return nullptr;
    }
    std::string response;
    std::size_t end;
    while ((end = response.find("\r\n\r\n")) == std::string::npos) {
        if (!c->receive(5000, response)) {
            if (error) *error = "no complete upgrade response";
            return nullptr;
        }
    }
    if (response.rfind("HTTP/1.1 101", 0) != 0) {
        if (error) *error = "upgrade refused: " + response.substr(0, response.find("\r\n"));
        return nullptr;
    }
    c->decode(std::string_view(response).substr(end + 4));  // frames that came with the 101
    return c;
}

bool RawWsClient::send(const std::string& bytes) {
    GOutputStream* out = g_io_stream_get_output_stream(G_IO_STREAM(connection_.get()));
    return g_output_stream_write_all(out, bytes.data(), bytes.size(), nullptr, nullptr, nullptr);
}

bool RawWsClient::receive(int timeout_ms, std::string& into) {
    char chunk[65536];
    g_socket_set_timeout(socket_, static_cast<guint>((timeout_ms + 999) / 1000));
    gssize n = g_socket_receive(socket_, chunk, sizeof chunk, nullptr, nullptr);
    if (n <= 0) return false;
    into.append(chunk, static_cast<std::size_t>(n));
    return true;
}

void RawWsClient::decode(std::string_view bytes) {
    std::vector<protocol::ws::Message> decoded;
    if (auto failure = decoder_.feed(bytes, decoded))
        ADD_FAILURE() << "the server's framing is broken: " << failure->reason;
    for (auto& message : decoded) messages_.push_back(std::move(message));
}

std::optional<RawWsClient::Frame> RawWsClient::read_frame(int timeout_ms) {
    std::string bytes;
    while (messages_.empty()) {
        bytes.clear();
        if (decoder_.failed() || !receive(timeout_ms, bytes)) return std::nullopt;
        decode(bytes);
    }
    protocol::ws::Message message = std::move(messages_.front());
    messages_.pop_front();
    return Frame{static_cast<std::uint8_t>(message.opcode), std::move(message.payload)};
}

bool RawWsClient::wait_eof(int timeout_ms) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    char chunk[65536];
    while (g_get_monotonic_time() < deadline) {
        g_socket_set_timeout(socket_, 1);
        GError* raw = nullptr;
        gssize n = g_socket_receive(socket_, chunk, sizeof chunk, nullptr, &raw);
        GErrorPtr error(raw);
        if (n == 0) return true;
        if (n < 0 && !g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) return true;
    }
    return false;
}

}  // namespace mp::test
