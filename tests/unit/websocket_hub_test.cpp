// The hub with real sockets (socket pairs): one connection whose handling
// throws is failed alone (1011), and what the others were sent leaves at once.
#include "signal/websocket_hub.hpp"
#include "support/client_frames.hpp"
#include "support/pump.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

using namespace mp::signal;
using mp::test::client_text;
using mp::test::pump_until;

namespace {

// The client end of a socket pair: writes frames, collects what arrives.
struct ClientEnd {
    int fd = -1;
    std::string received;
    ~ClientEnd() {
        if (fd >= 0) ::close(fd);
    }
    void write(const std::string& bytes) const { ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size())); }
    void read_some() {
        char buffer[4096];
        ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    }
    // The first server frame once it is all here.
    std::optional<std::pair<std::uint8_t, std::string>> frame() const {
        ws::Decoder decoder(1 << 20, ws::Sender::server);
        std::vector<ws::Message> messages;
        decoder.feed(received, messages);
        if (messages.empty()) return std::nullopt;
        return std::make_pair(static_cast<std::uint8_t>(messages[0].opcode), messages[0].payload);
    }
};

mp::GRef<GIOStream> server_end(int fd) {
    GSocket* socket = g_socket_new_from_fd(fd, nullptr);
    auto stream = mp::adopt_ref(G_IO_STREAM(g_socket_connection_factory_create_connection(socket)));
    g_object_unref(socket);  // the connection holds it
    return stream;
}

class Events final : public WebSocketEvents {
public:
    WebSocketHub* hub = nullptr;
    WebSocketId other = 0;
    std::vector<std::string> failures;
    void on_text(WebSocketId, std::string_view text) override {
        if (text != "boom") return;
        hub->send_text(other, "hello");
        throw std::runtime_error("a handler threw");
    }
    void on_binary(WebSocketId) override {}
    void on_failure(WebSocketId, const ws::Failure& failure) override { failures.push_back(failure.label); }
    void on_closed(WebSocketId) override {}
};

}  // namespace

TEST(WebSocketHub, AThrowingHandlerFailsItsConnectionAloneAndTheOthersOutputLeavesAtOnce) {
    Events events;
    WebSocketHub hub(events, WebSocketLimits{});
    events.hub = &hub;
    ClientEnd a, b;
    int pair_a[2], pair_b[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair_a), 0);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair_b), 0);
    a.fd = pair_a[1];
    b.fd = pair_b[1];
    auto stream_a = server_end(pair_a[0]), stream_b = server_end(pair_b[0]);
    hub.adopt(stream_a.get());
    events.other = hub.adopt(stream_b.get());
    ASSERT_TRUE(pump_until([&] { return hub.open_connections().size() == 2; }));
    g_test_expect_message(nullptr, G_LOG_LEVEL_CRITICAL, "*a handler threw*");
    a.write(client_text("boom"));
    // Nothing else happens on b's socket: only the hub's own flush can bring it "hello".
    ASSERT_TRUE(pump_until([&] { b.read_some(); return b.frame().has_value(); }, 2000)) << "b got nothing";
    EXPECT_EQ(b.frame()->first, 0x1);
    EXPECT_EQ(b.frame()->second, "hello");
    ASSERT_TRUE(pump_until([&] { a.read_some(); return a.frame().has_value(); }, 2000)) << "a was not closed";
    EXPECT_EQ(a.frame()->first, 0x8);
    EXPECT_EQ(ws::close_code(a.frame()->second), ws::kCloseInternalError);
    EXPECT_EQ(events.failures, (std::vector<std::string>{"internal_error"}));
    EXPECT_EQ(hub.open_connections().size(), 1u);
}
