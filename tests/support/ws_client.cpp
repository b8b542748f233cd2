#include "support/ws_client.hpp"

#include "support/http_exchange.hpp"
#include "support/pump.hpp"

#include <gtest/gtest.h>

namespace mp::test {

namespace {

gboolean accept_trusted(SoupMessage*, GTlsCertificate* peer, GTlsCertificateFlags, gpointer data) {
    auto* trusted = static_cast<GTlsCertificate*>(data);
    return trusted && g_tls_certificate_is_same(trusted, peer);
}

}  // namespace

TestSession::TestSession() : session_(adopt_ref(soup_session_new())) {
    g_object_set(session_.get(), "timeout", 10u, "idle-timeout", 0u, nullptr);
}

SoupMessage* TestSession::new_message(const char* method, const std::string& url) const {
    SoupMessage* msg = soup_message_new(method, url.c_str());
    if (msg)
        g_signal_connect(msg, "accept-certificate", G_CALLBACK(accept_trusted), trusted_.get());
    return msg;
}

TestSession::Response TestSession::get(const std::string& url, int timeout_ms,
                                       const Headers& headers) const {
    HttpResponse reply = http(*this, HttpRequest{"GET", url, {}, {}, headers}, timeout_ms);
    Response r;
    r.status = reply.status;
    r.body = std::move(reply.body);
    r.error = std::move(reply.error);
    std::string type = reply.header("Content-Type");
    r.content_type = type.substr(0, type.find(';'));
    return r;
}

namespace {

struct ConnectState {
    bool done = false;
    GRef<SoupWebsocketConnection> ws;
    GErrorPtr error;
};

std::shared_ptr<ConnectState> start_connect(SoupSession* session, SoupMessage* msg,
                                            const std::string& origin = {}) {
    auto state = std::make_shared<ConnectState>();
    soup_session_websocket_connect_async(
        session, msg, origin.empty() ? nullptr : origin.c_str(), nullptr, G_PRIORITY_DEFAULT, nullptr,
        [](GObject* source, GAsyncResult* result, gpointer data) {
            auto s = take<ConnectState>(data);
            GError* error = nullptr;
            s->ws = adopt_ref(soup_session_websocket_connect_finish(SOUP_SESSION(source), result,
                                                                   &error));
            s->error.reset(error);
            s->done = true;
        },
        hold(state));
    return state;
}

}  // namespace

guint TestSession::websocket_refusal_status(const std::string& url, int timeout_ms,
                                           const std::string& origin) const {
    auto msg = adopt_ref(new_message("GET", url));
    auto state = start_connect(session_.get(), msg.get(), origin);
    if (!pump_until([&] { return state->done; }, timeout_ms)) return 0;
    return state->ws ? 0 : soup_message_get_status(msg.get());
}

std::unique_ptr<WsClient> WsClient::connect(const TestSession& session, const std::string& url,
                                            std::string* error) {
    auto msg = adopt_ref(session.new_message("GET", url));
    if (!msg) {
        if (error) *error = "bad URL " + url;
        return nullptr;
    }
    auto state = start_connect(session.get(), msg.get());
    if (!pump_until([&] { return state->done; })) {
        if (error) *error = "WebSocket handshake timed out";
        return nullptr;
    }
    if (state->error) {
        if (error) *error = state->error->message;
        return nullptr;
    }
    std::unique_ptr<WsClient> client(new WsClient());
    client->ws_ = state->ws;
    soup_websocket_connection_set_max_incoming_payload_size(client->ws_.get(), 0);
    g_signal_connect(client->ws_.get(), "message", G_CALLBACK(on_message), client.get());
    g_signal_connect(client->ws_.get(), "closed", G_CALLBACK(on_closed), client.get());
    return client;
}

WsClient::~WsClient() {
    if (!ws_) return;
    g_signal_handlers_disconnect_by_data(ws_.get(), this);
    if (soup_websocket_connection_get_state(ws_.get()) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(ws_.get(), SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
}

void WsClient::on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer self) {
    if (type != SOUP_WEBSOCKET_DATA_TEXT) return;
    gsize size = 0;
    const char* data = static_cast<const char*>(g_bytes_get_data(message, &size));
    static_cast<WsClient*>(self)->inbox_.emplace_back(data, size);
}

void WsClient::on_closed(SoupWebsocketConnection*, gpointer self) {
    static_cast<WsClient*>(self)->closed_ = true;
}

void WsClient::send(const std::string& text) {
    soup_websocket_connection_send_text(ws_.get(), text.c_str());
}

void WsClient::send_binary(const std::string& bytes) {
    soup_websocket_connection_send_binary(ws_.get(), bytes.data(), bytes.size());
}

void WsClient::close(gushort code) {
    soup_websocket_connection_close(ws_.get(), code, nullptr);
}

std::optional<std::string> WsClient::next_text(int timeout_ms) {
    if (!pump_until([this] { return !inbox_.empty() || closed_; }, timeout_ms) || inbox_.empty())
        return std::nullopt;
    std::string text = std::move(inbox_.front());
    inbox_.pop_front();
    return text;
}

std::optional<protocol::ServerFrame> WsClient::next(int timeout_ms) {
    auto text = next_text(timeout_ms);
    if (!text) {
        last_unexpected_ = closed_ ? "(connection closed)" : "(nothing arrived)";
        return std::nullopt;
    }
    auto frame = protocol::parse_server_frame(*text);
    if (!frame) {
        last_unexpected_ = *text + " (" + frame.error().message + ")";
        return std::nullopt;
    }
    return *frame;
}

bool WsClient::login(const std::string& name, const std::optional<std::string>& token) {
    send(protocol::Login{name, token});
    auto result = next_as<protocol::LoginResult>();
    return result && result->success && result->my_name == name;
}

bool WsClient::nothing_pending() {
    // An unknown type is answered with an error and changes nothing else
    // (a `users` request would subscribe this client to pushes).
    send(std::string(R"({"type":"barrier"})"));
    auto reply = next_as<protocol::Error>();
    return reply && reply->code == "bad_frame" && reply->message == R"(unknown type "barrier")";
}

bool WsClient::wait_closed(int timeout_ms) {
    return pump_until([this] { return closed_; }, timeout_ms);
}

gushort WsClient::close_code() const {
    return soup_websocket_connection_get_close_code(ws_.get());
}

std::string ws_url(const std::string& http_url, const std::string& path) {
    std::string base = http_url;
    if (base.rfind("https://", 0) == 0)
        base = "wss://" + base.substr(8);
    else if (base.rfind("http://", 0) == 0)
        base = "ws://" + base.substr(7);
    if (!base.empty() && base.back() == '/' && !path.empty() && path.front() == '/') base.pop_back();
    return base + path;
}

}  // namespace mp::test
