// The server's WebSocket layer on the wire, with a client that sends whatever
// frames a test writes: what a browser never sends, and clients that misbehave.
#include "integration/signal_fixture.hpp"
#include "protocol/websocket_codec.hpp"
#include "support/client_frames.hpp"
#include "support/raw_ws_client.hpp"

#include <algorithm>

using namespace mp::protocol;
using mp::test::client_frame;
using mp::test::client_text;
using mp::test::RawWsClient;
using mp::test::SignalServer;
namespace ws = mp::protocol::ws;

namespace {

class WebSocketWire : public SignalServer {
protected:
    std::unique_ptr<RawWsClient> raw(const std::string& early_bytes = "") {
        std::string error;
        auto client = RawWsClient::connect(server_->url(), early_bytes, &error);
        EXPECT_TRUE(client) << error;
        return client;
    }
    // The client's next frame must be a close with `code`, then EOF.
    static void expect_close(RawWsClient& client, std::uint16_t code) {
        std::optional<RawWsClient::Frame> frame;
        while ((frame = client.read_frame()) && frame->opcode != 0x8) {
        }
        ASSERT_TRUE(frame) << "no close frame";
        EXPECT_EQ(ws::close_code(frame->payload), code);
        EXPECT_TRUE(client.wait_eof());
    }
};

}  // namespace

TEST_F(WebSocketWire, FramesSentWithTheUpgradeRequestAreRead) {
    auto client = raw(client_text(R"({"type":"login","name":"early"})"));
    auto frame = client->read_frame();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->payload, R"({"type":"login","success":true,"myName":"early"})");
}

TEST_F(WebSocketWire, FragmentedMessageIsJoined) {
    auto client = raw();
    client->send(client_frame(0x1, R"({"type":"log)", false) + client_frame(0x9, "ping") +
                 client_frame(0x0, R"(in","name":"frag"})", true));
    auto pong = client->read_frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->opcode, 0xA);
    EXPECT_EQ(pong->payload, "ping");
    auto login = client->read_frame();
    ASSERT_TRUE(login);
    EXPECT_EQ(login->payload, R"({"type":"login","success":true,"myName":"frag"})");
}

TEST_F(WebSocketWire, FragmentsCannotGrowAMessagePastTheLimit) {
    auto alice = user("alice");
    auto client = raw();
    std::string stream;
    for (int i = 0; i < 40; ++i) stream += client_frame(i ? 0x0 : 0x1, std::string(2048, 'x'), false);
    client->send(stream);  // 80 KiB so far, each fragment 2 KiB
    expect_close(*client, ws::kCloseTooBig);
    EXPECT_TRUE(alice->nothing_pending());
    EXPECT_EQ(metric(R"(mediapeer_signal_limit_hits_total{limit="frame_size"})"), 1);
}

TEST_F(WebSocketWire, TextThatIsNotUtf8Closes1007) {
    auto client = raw();
    client->send(client_text("\xff\xfe"));
    expect_close(*client, ws::kCloseInvalidPayload);
}

TEST_F(WebSocketWire, UnmaskedFrameCloses1002) {
    auto client = raw();
    client->send(client_frame(0x1, R"({"type":"users"})", true, false));
    expect_close(*client, ws::kCloseProtocolError);
    EXPECT_TRUE(metric_reaches(R"(mediapeer_signal_closes_total{reason="protocol_error"})", 1));
}

// Each case on its own connection, with a user beside it who hears nothing of it.
TEST_F(WebSocketWire, EveryFailTheConnectionCaseClosesWithItsCodeAndOnlyThatConnection) {
    auto bystander = user("bystander");
    for (const auto& hostile : mp::test::hostile_frames()) {
        SCOPED_TRACE(hostile.what);
        auto client = raw(client_text(R"({"type":"users"})"));
        ASSERT_TRUE(client->read_frame());  // the list: the connection works
        client->send(hostile.bytes);
        expect_close(*client, hostile.code);
        EXPECT_TRUE(bystander->nothing_pending());
    }
    EXPECT_TRUE(user("after"));
    EXPECT_EQ(server_->stderr_text().find("CRITICAL"), std::string::npos) << server_->stderr_text();
}

// Keepalive pings are spread over the interval: every connection is pinged
// once per interval, never all of them in the same tick.
TEST_F(WebSocketWire, KeepalivePingsAreSpreadOverTheInterval) {
    start({"--ping-interval", "1", "--ping-timeout", "3"});
    std::vector<std::unique_ptr<RawWsClient>> clients;
    for (int i = 0; i < 20; ++i) clients.push_back(raw());
    // When each client's first ping arrives, polling all of them in turn.
    std::vector<gint64> first_ping_us(clients.size(), 0);
    gint64 deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (std::count(first_ping_us.begin(), first_ping_us.end(), 0) > 0 && g_get_monotonic_time() < deadline) {
        for (std::size_t i = 0; i < clients.size(); ++i) {
            if (first_ping_us[i]) continue;
            if (auto frame = clients[i]->read_frame(1)) {
                ASSERT_EQ(frame->opcode, 0x9);
                first_ping_us[i] = g_get_monotonic_time();
                clients[i]->send(client_frame(0xA, frame->payload));
            }
        }
    }
    ASSERT_EQ(std::count(first_ping_us.begin(), first_ping_us.end(), 0), 0) << "not every client was pinged in 3 s";
    auto [earliest, latest] = std::minmax_element(first_ping_us.begin(), first_ping_us.end());
    EXPECT_GT(*latest - *earliest, 300 * 1000) << "every ping came at once";
    for (auto& client : clients) {  // and again one interval later, as answered
        auto frame = client->read_frame(3000);
        ASSERT_TRUE(frame);
        EXPECT_EQ(frame->opcode, 0x9);
    }
}

TEST_F(WebSocketWire, ClientCloseIsEchoedAndTheNameFreed) {
    auto client = raw(client_text(R"({"type":"login","name":"leaver"})"));
    ASSERT_TRUE(client->read_frame());
    client->send(client_frame(0x8, ws::close_payload(4000, "done")));
    expect_close(*client, 4000);
    EXPECT_TRUE(user("leaver"));
}

TEST_F(WebSocketWire, ClientThatStopsReadingIsDroppedAndItsPartnerHearsLeave) {
    start({"--max-frames-per-second", "0"});
    auto sender = user("sender");
    // Logs in, takes the call, then never reads again.
    auto sink = raw(client_text(R"({"type":"login","name":"sink"})"));
    ASSERT_TRUE(sink->read_frame());  // logged in
    sender->send(Offer{"sink", "{}"});
    std::string big(60 * 1024, 'c');
    for (int i = 0; i < 600 && !sender->pending(); ++i) sender->send(Candidate{"sink", big});
    auto leave = sender->next_as<Leave>(10000);
    ASSERT_TRUE(leave) << sender->last_unexpected();
    EXPECT_EQ(leave->name, "sink");
    EXPECT_EQ(metric(R"(mediapeer_signal_closes_total{reason="slow_reader"})"), 1);
}
