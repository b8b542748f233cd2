// A real libsoup WebSocket client (and HTTP GET) for integration tests.
#pragma once

#include "common/gobj.hpp"
#include "protocol/frames.hpp"

#include <libsoup/soup.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mp::test {

// Trusts exactly one certificate (the test's self-signed one), or none.
class TestSession {
public:
    TestSession();
    void trust(GTlsCertificate* certificate) { trusted_ = GRef<GTlsCertificate>::ref(certificate); }
    SoupSession* get() const { return session_.get(); }
    SoupMessage* new_message(const char* method, const std::string& url) const;

    struct Response {
        guint status = 0;
        std::string body;
        std::string content_type;
        std::string error;  // transport error, if any
    };
    using Headers = std::vector<std::pair<std::string, std::string>>;
    Response get(const std::string& url, int timeout_ms = 5000, const Headers& headers = {}) const;
    // The upgrade refused with an HTTP status (e.g. 503): that status; else 0.
    // With `origin`, the upgrade carries it as a browser's would.
    guint websocket_refusal_status(const std::string& url, int timeout_ms = 5000,
                                   const std::string& origin = {}) const;

private:
    GRef<SoupSession> session_;
    GRef<GTlsCertificate> trusted_;
};

class WsClient {
public:
    // Connects and waits for the handshake; nullptr (and `error`) on failure.
    static std::unique_ptr<WsClient> connect(const TestSession& session, const std::string& url,
                                             std::string* error = nullptr);
    ~WsClient();

    void send(const std::string& text);
    void send(const protocol::ClientFrame& frame) { send(protocol::serialize(frame)); }
    void send_binary(const std::string& bytes);
    void close(gushort code = SOUP_WEBSOCKET_CLOSE_NORMAL);

    // The next text frame, waiting up to `timeout_ms`.
    std::optional<std::string> next_text(int timeout_ms = 5000);
    // The next frame, parsed; nullopt on timeout or a frame that does not parse.
    std::optional<protocol::ServerFrame> next(int timeout_ms = 5000);
    // The next frame must be of type T; returns it or nullopt (and logs why).
    template <typename T>
    std::optional<T> next_as(int timeout_ms = 5000) {
        auto frame = next(timeout_ms);
        if (!frame) return std::nullopt;
        if (auto* f = std::get_if<T>(&*frame)) return *f;
        last_unexpected_ = protocol::serialize(*frame);
        return std::nullopt;
    }
    const std::string& last_unexpected() const { return last_unexpected_; }

    // Logs in (with a token, if given) and expects success.
    bool login(const std::string& name, const std::optional<std::string>& token = std::nullopt);
    // Proves that nothing else arrived: sends a frame the server refuses and
    // expects the refusal as the very next frame.
    bool nothing_pending();

    bool wait_closed(int timeout_ms = 5000);
    bool closed() const { return closed_; }
    // The close code the server sent.
    gushort close_code() const;
    std::size_t pending() const { return inbox_.size(); }

private:
    WsClient() = default;
    static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer self);
    static void on_closed(SoupWebsocketConnection*, gpointer self);

    GRef<SoupWebsocketConnection> ws_;
    std::deque<std::string> inbox_;
    bool closed_ = false;
    std::string last_unexpected_;
};

// Turns http(s)://host:port/ into ws(s)://host:port/PATH.
std::string ws_url(const std::string& http_url, const std::string& path = "");

}  // namespace mp::test
