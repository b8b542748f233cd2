#include "support/raw_ws_client.hpp"

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
    std::size_t end;
    while ((end = c->buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (!c->fill(5000)) {
            if (error) *error = "no complete upgrade response";
            return nullptr;
        }
    }
    if (c->buffer_.rfind("HTTP/1.1 101", 0) != 0) {
        if (error) *error = "upgrade refused: " + c->buffer_.substr(0, c->buffer_.find("\r\n"));
        return nullptr;
    }
    c->buffer_.erase(0, end + 4);
    return c;
}

bool RawWsClient::send(const std::string& bytes) {
    GOutputStream* out = g_io_stream_get_output_stream(G_IO_STREAM(connection_.get()));
    return g_output_stream_write_all(out, bytes.data(), bytes.size(), nullptr, nullptr, nullptr);
}

bool RawWsClient::fill(int timeout_ms) {
    char chunk[65536];
    g_socket_set_timeout(socket_, static_cast<guint>((timeout_ms + 999) / 1000));
    gssize n = g_socket_receive(socket_, chunk, sizeof chunk, nullptr, nullptr);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
}

std::optional<RawWsClient::Frame> RawWsClient::read_frame(int timeout_ms) {
    for (;;) {
        if (buffer_.size() >= 2) {
            auto* p = reinterpret_cast<const unsigned char*>(buffer_.data());
            std::uint64_t length = p[1] & 0x7F;
            std::size_t header = 2;
            if (length >= 126) {
                std::size_t bytes = length == 126 ? 2 : 8;
                header += bytes;
                if (buffer_.size() >= header) {
                    length = 0;
                    for (std::size_t i = 0; i < bytes; ++i) length = (length << 8) | p[2 + i];
                }
            }
            if (buffer_.size() >= header && buffer_.size() >= header + length) {
                Frame f{static_cast<std::uint8_t>(p[0] & 0x0F), buffer_.substr(header, length)};
                buffer_.erase(0, header + length);
                return f;
            }
        }
        if (!fill(timeout_ms)) return std::nullopt;
    }
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
