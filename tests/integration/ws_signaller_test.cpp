// WsSignaller against the real mediapeer-signal on 127.0.0.1:0, with a plain
// libsoup client (WsClient) on the other side of every call, and against a
// small in-process SoupServer where the test must see the raw frames it sends.
// Every wait has a deadline.
#include "peer/ws_signaller.hpp"
#include "protocol/json_writer.hpp"
#include "support/pump.hpp"
#include "support/signal_process.hpp"
#include "support/ws_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>

#include <csignal>
#include <functional>
#include <ostream>

using namespace mp::protocol;
using mp::peer::IceCandidate;
using mp::peer::SessionDescription;
using mp::peer::SignallerEvents;
using mp::peer::WsSignaller;
using mp::peer::WsSignallerOptions;
using mp::test::pump_until;
using mp::test::SignalProcess;
using mp::test::TempDir;
using mp::test::TestSession;
using mp::test::WsClient;
using testing::HasSubstr;

namespace mp::peer {
void PrintTo(const SessionDescription& d, std::ostream* os) { *os << d.type << " " << d.sdp; }
void PrintTo(const IceCandidate& c, std::ostream* os) {
    *os << c.candidate << " mid=" << c.sdp_mid << " index=" << c.sdp_mline_index;
}
}  // namespace mp::peer

namespace {

constexpr const char* kSdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

// Every event, in order, as one line each; and the arguments, typed.
struct Recorder final : SignallerEvents {
    std::vector<std::string> log;
    std::vector<std::pair<std::string, SessionDescription>> offers, answers;
    std::vector<std::pair<std::string, IceCandidate>> candidates;
    std::vector<std::pair<std::string, std::optional<std::string>>> leaves;
    std::vector<std::pair<std::string, std::string>> invalid;
    std::vector<std::string> refused, failed;
    std::function<void()> after_each;  // e.g. destroys the signaller

    void on_ready(const std::string& name) override { note("ready " + name); }
    void on_offer(const std::string& peer, const SessionDescription& offer) override {
        offers.emplace_back(peer, offer);
        note("offer from " + peer);
    }
    void on_answer(const std::string& peer, const SessionDescription& answer) override {
        answers.emplace_back(peer, answer);
        note("answer from " + peer);
    }
    void on_candidate(const std::string& peer, const IceCandidate& candidate) override {
        candidates.emplace_back(peer, candidate);
        note("candidate from " + peer);
    }
    void on_leave(const std::string& peer, const std::optional<std::string>& reason) override {
        leaves.emplace_back(peer, reason);
        note("leave from " + peer);
    }
    void on_invalid(const std::string& peer, const std::string& why) override {
        invalid.emplace_back(peer, why);
        note("invalid from " + peer);
    }
    void on_refused(const std::string& code, const std::string&) override {
        refused.push_back(code);
        note("refused");
    }
    void on_failed(const std::string& why) override {
        failed.push_back(why);
        note("failed");
    }

    // Waits until `n` events in all have arrived.
    bool wait_for(std::size_t n, int timeout_ms = mp::test::kDefaultTimeoutMs) {
        return pump_until([&] { return log.size() >= n; }, timeout_ms);
    }

private:
    void note(std::string line) {
        log.push_back(std::move(line));
        if (after_each) after_each();
    }
};

std::string offer_frame(const std::string& to, const std::string& payload_json, bool as_string) {
    JsonObjectWriter w;
    w.string("type", "offer").string("name", to);
    if (as_string)
        w.string("offer", payload_json);
    else
        w.raw("offer", payload_json);
    return w.finish();
}

// A JSON object's members, for checking what went over the wire.
class JsonDoc {
public:
    explicit JsonDoc(const std::string& text) : parser_(mp::adopt_ref(json_parser_new())) {
        if (json_parser_load_from_data(parser_.get(), text.c_str(), -1, nullptr)) {
            JsonNode* root = json_parser_get_root(parser_.get());
            if (root && JSON_NODE_HOLDS_OBJECT(root)) object_ = json_node_get_object(root);
        }
    }
    bool ok() const { return object_ != nullptr; }
    JsonNode* member(const char* name) const {
        return object_ ? json_object_get_member(object_, name) : nullptr;
    }
    std::string string(const char* name) const {
        JsonNode* node = member(name);
        return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
                   ? json_node_get_string(node)
                   : "(not a string)";
    }
    gint64 integer(const char* name) const {
        JsonNode* node = member(name);
        return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64
                   ? json_node_get_int(node)
                   : -1;
    }
    // A member that is an object, as compact JSON text ("" if it is not one).
    std::string object_text(const char* name) const {
        JsonNode* node = member(name);
        if (!node || !JSON_NODE_HOLDS_OBJECT(node)) return "";
        mp::GCharPtr text(json_to_string(node, FALSE));
        return text.get();
    }

private:
    mp::GRef<JsonParser> parser_;
    JsonObject* object_ = nullptr;
};

// A URL where nothing listens: a port bound for a moment and never listened on.
std::string closed_port_url() {
    auto socket = mp::adopt_ref(
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr));
    auto any = mp::adopt_ref(g_inet_socket_address_new_from_string("127.0.0.1", 0));
    if (!socket || !g_socket_bind(socket.get(), any.get(), FALSE, nullptr)) return "";
    auto bound = mp::adopt_ref(g_socket_get_local_address(socket.get(), nullptr));
    guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
    return "ws://127.0.0.1:" + std::to_string(port) + "/";
}

// A self-signed certificate for 127.0.0.1, as signal_server_test.cpp makes it.
bool make_certificate(const TempDir& dir, const std::string& prefix = "") {
    return mp::test::run_command(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", dir.file(prefix + "key.pem"), "-out", dir.file(prefix + "cert.pem"),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
}

// An in-process WebSocket server that shows the raw text the signaller sends
// and sends whatever the test wants, server form or not.
class RawServer {
public:
    RawServer() : server_(mp::adopt_ref(soup_server_new(nullptr, nullptr))) {
        soup_server_add_websocket_handler(server_.get(), "/", nullptr, nullptr, on_websocket, this,
                                          nullptr);
        if (!soup_server_listen_local(server_.get(), 0, SOUP_SERVER_LISTEN_IPV4_ONLY, nullptr))
            return;
        GSList* uris = soup_server_get_uris(server_.get());
        if (uris) url_ = "ws://127.0.0.1:" + std::to_string(g_uri_get_port(static_cast<GUri*>(uris->data))) + "/";
        g_slist_free_full(uris, [](gpointer uri) { g_uri_unref(static_cast<GUri*>(uri)); });
    }
    ~RawServer() {
        if (ws_) g_signal_handlers_disconnect_by_data(ws_.get(), this);
        soup_server_disconnect(server_.get());
    }
    const std::string& url() const { return url_; }
    bool wait_connected() { return pump_until([this] { return static_cast<bool>(ws_); }); }
    void send(const std::string& text) { soup_websocket_connection_send_text(ws_.get(), text.c_str()); }
    void close(gushort code) { soup_websocket_connection_close(ws_.get(), code, nullptr); }
    std::optional<std::string> next_text() {
        if (!pump_until([this] { return !inbox_.empty(); })) return std::nullopt;
        std::string text = std::move(inbox_.front());
        inbox_.pop_front();
        return text;
    }
    // Reads the login and accepts it.
    bool accept_login(const std::string& name) {
        if (!wait_connected()) return false;
        auto login = next_text();
        if (!login || JsonDoc(*login).string("name") != name) return false;
        send(serialize(ServerFrame{LoginResult{true, name, "", ""}}));
        return true;
    }
    bool wait_closed() { return pump_until([this] { return closed_; }); }
    gushort close_code() const { return soup_websocket_connection_get_close_code(ws_.get()); }
    std::size_t pending() const { return inbox_.size(); }
    int connections = 0;  // accepted so far (a reconnecting client's too)

private:
    static void on_websocket(SoupServer*, SoupServerMessage*, const char*,
                             SoupWebsocketConnection* ws, gpointer data) {
        auto* self = static_cast<RawServer*>(data);
        if (self->ws_) g_signal_handlers_disconnect_by_data(self->ws_.get(), self);
        ++self->connections;
        self->closed_ = false;
        self->ws_ = mp::GRef<SoupWebsocketConnection>::ref(ws);
        g_signal_connect(ws, "message", G_CALLBACK(on_message), self);
        g_signal_connect(ws, "closed", G_CALLBACK(+[](SoupWebsocketConnection*, gpointer d) {
                             static_cast<RawServer*>(d)->closed_ = true;
                         }),
                         self);
    }
    static void on_message(SoupWebsocketConnection*, gint, GBytes* message, gpointer data) {
        gsize size = 0;
        const char* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
        static_cast<RawServer*>(data)->inbox_.emplace_back(bytes ? bytes : "", size);
    }

    mp::GRef<SoupServer> server_;
    mp::GRef<SoupWebsocketConnection> ws_;
    std::deque<std::string> inbox_;
    bool closed_ = false;
    std::string url_;
};

// A signaller (not started) made from `o`, or nullptr after a test failure.
std::unique_ptr<WsSignaller> make_signaller(const WsSignallerOptions& o) {
    auto created = WsSignaller::create(o);
    EXPECT_TRUE(created.ok()) << created.error();
    return created.ok() ? std::move(created.value()) : nullptr;
}

WsSignallerOptions options_for(const std::string& url) {
    WsSignallerOptions o;
    o.url = url;
    return o;
}

class WsSignallerTest : public testing::Test {
protected:
    void SetUp() override { start_server(); }

    void start_server(const std::vector<std::string>& args = {}) {
        std::string error;
        server_ = SignalProcess::start(args, &error);
        ASSERT_TRUE(server_) << error;
    }
    WsSignallerOptions options(const std::string& name = "server") const {
        WsSignallerOptions o;
        o.url = server_->ws_url();
        o.name = name;
        o.connect_timeout_s = 5;
        return o;
    }
    static std::unique_ptr<WsSignaller> make(const WsSignallerOptions& o) { return make_signaller(o); }
    // Started and logged in (the first event is on_ready), or nullptr.
    std::unique_ptr<WsSignaller> ready(const WsSignallerOptions& o) {
        auto signaller = make(o);
        if (!signaller) return nullptr;
        signaller->start(events_);
        bool is_ready = events_.wait_for(1) && events_.log.front() == "ready " + o.name;
        EXPECT_TRUE(is_ready) << testing::PrintToString(events_.log) << " "
                              << testing::PrintToString(events_.failed);
        return is_ready ? std::move(signaller) : nullptr;
    }
    std::unique_ptr<WsSignaller> ready() { return ready(options()); }
    std::unique_ptr<WsClient> user(const std::string& name) {
        std::string error;
        auto client = WsClient::connect(session_, server_->ws_url(), &error);
        EXPECT_TRUE(client) << error;
        if (client) {
            EXPECT_TRUE(client->login(name)) << name << ": " << client->last_unexpected();
        }
        return client;
    }

    Recorder events_;
    TestSession session_;
    std::unique_ptr<SignalProcess> server_;
};

#define ASSERT_FRAME(client, Type, var)                                           \
    auto var = (client)->next_as<Type>();                                          \
    ASSERT_TRUE(var) << #Type " expected, got " << (client)->last_unexpected()

}  // namespace

TEST_F(WsSignallerTest, LogsInAndReportsReadyWithItsName) {
    auto signaller = ready(options("mp-1"));
    ASSERT_TRUE(signaller);
    EXPECT_EQ(events_.log, (std::vector<std::string>{"ready mp-1"}));
    auto alice = user("alice");
    alice->send(UsersRequest{});
    ASSERT_FRAME(alice, UsersList, users);
    EXPECT_EQ(users->users, (std::vector<std::string>{"alice", "mp-1"}));
}

TEST_F(WsSignallerTest, DefaultsAreTheLocalServerAndTheNameServer) {
    WsSignallerOptions defaults;
    EXPECT_EQ(defaults.url, "ws://127.0.0.1:8090/");
    EXPECT_EQ(defaults.name, "server");
    auto o = options();
    o.name = defaults.name;
    auto signaller = ready(o);
    ASSERT_TRUE(signaller);
    EXPECT_EQ(signaller->options().name, "server");
}

TEST_F(WsSignallerTest, TakenNameFailsNamingItAndNothingElse) {
    auto holder = user("server");
    auto signaller = make(options("server"));
    ASSERT_TRUE(signaller);
    signaller->start(events_);
    ASSERT_TRUE(events_.wait_for(1));
    EXPECT_EQ(events_.log, (std::vector<std::string>{"failed"}));
    EXPECT_EQ(events_.failed, (std::vector<std::string>{"name server is taken"}));
    // Sending after the failure is dropped, and nothing more is reported.
    signaller->send_sdp("server", {"offer", kSdp});
    signaller->hang_up("server", std::nullopt);
    EXPECT_TRUE(holder->nothing_pending());
    holder->send(UsersRequest{});
    ASSERT_FRAME(holder, UsersList, users);
    EXPECT_EQ(users->users, (std::vector<std::string>{"server"}));
    EXPECT_EQ(events_.log.size(), 1u);
}

TEST_F(WsSignallerTest, UnreachableUrlFailsNamingTheUrl) {
    auto o = options();
    o.url = closed_port_url();
    ASSERT_FALSE(o.url.empty());
    auto signaller = make(o);
    ASSERT_TRUE(signaller);
    signaller->start(events_);
    ASSERT_TRUE(events_.wait_for(1));
    ASSERT_EQ(events_.log, (std::vector<std::string>{"failed"}));
    EXPECT_THAT(events_.failed[0], HasSubstr("cannot connect to " + o.url + ": "));
}

TEST_F(WsSignallerTest, ServerThatNeverAnswersTheHandshakeTimesOut) {
    server_->stop(SIGSTOP, 0);  // frozen: the kernel still accepts, nothing answers
    ASSERT_TRUE(pump_until([&] { return server_->stopped(); }));
    auto o = options();
    o.connect_timeout_s = 1;
    auto signaller = make(o);
    ASSERT_TRUE(signaller);
    signaller->start(events_);
    ASSERT_TRUE(events_.wait_for(1));
    ASSERT_EQ(events_.log, (std::vector<std::string>{"failed"}));
    EXPECT_EQ(events_.failed[0], "cannot connect to " + o.url + ": timed out after 1 s");
}

TEST_F(WsSignallerTest, OfferWithObjectOrStringPayloadReachesOnOffer) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    auto alice = user("alice");
    std::string payload = mp::peer::session_description_json({"offer", kSdp});
    alice->send(offer_frame("server", payload, false));
    alice->send(offer_frame("server", payload, true));
    ASSERT_TRUE(events_.wait_for(3));
    SessionDescription expected{"offer", kSdp};
    EXPECT_EQ(events_.offers, (std::vector<std::pair<std::string, SessionDescription>>{
                                  {"alice", expected}, {"alice", expected}}));
}

TEST_F(WsSignallerTest, LargeOfferFitsTheIncomingLimit) {
    start_server({"--max-frame-bytes", "2000000"});
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    auto alice = user("alice");
    std::string sdp = kSdp;
    while (sdp.size() < 400 * 1024) sdp += "a=x-padding:0123456789abcdef0123456789abcdef\r\n";
    alice->send(offer_frame("server", mp::peer::session_description_json({"offer", sdp}), false));
    ASSERT_TRUE(events_.wait_for(2)) << testing::PrintToString(events_.failed);
    ASSERT_EQ(events_.offers.size(), 1u) << testing::PrintToString(events_.log);
    EXPECT_EQ(events_.offers[0].second.sdp, sdp);
}

TEST_F(WsSignallerTest, SendsOffersAndReceivesAnswersThroughTheServer) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    auto alice = user("alice");
    signaller->send_sdp("alice", {"offer", kSdp});
    ASSERT_FRAME(alice, Offer, offer);
    EXPECT_EQ(offer->name, "server");
    JsonDoc sent(offer->offer);
    EXPECT_EQ(sent.string("type"), "offer");
    EXPECT_EQ(sent.string("sdp"), kSdp);

    alice->send(Answer{"server", mp::peer::session_description_json({"answer", "v=0\r\nanswer"})});
    ASSERT_TRUE(events_.wait_for(2));
    ASSERT_EQ(events_.answers.size(), 1u) << testing::PrintToString(events_.log);
    EXPECT_EQ(events_.answers[0].first, "alice");
    EXPECT_EQ(events_.answers[0].second, (SessionDescription{"answer", "v=0\r\nanswer"}));
}

TEST_F(WsSignallerTest, AnswersAnOfferThroughTheServer) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    auto alice = user("alice");
    alice->send(offer_frame("server", mp::peer::session_description_json({"offer", kSdp}), false));
    ASSERT_TRUE(events_.wait_for(2));
    signaller->send_sdp("alice", {"answer", "v=0\r\nmine"});
    ASSERT_FRAME(alice, Answer, answer);
    EXPECT_EQ(answer->name, "server");
    JsonDoc sent(answer->answer);
    EXPECT_EQ(sent.string("type"), "answer");
    EXPECT_EQ(sent.string("sdp"), "v=0\r\nmine");
}

TEST_F(WsSignallerTest, CandidatesBothWaysWithMidAndIndexAndEndOfCandidatesIgnored) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    auto alice = user("alice");
    signaller->send_sdp("alice", {"offer", kSdp});
    ASSERT_FRAME(alice, Offer, offer);

    signaller->send_candidate("alice", {"candidate:1 1 UDP 2122260223 10.0.0.1 5000 typ host", "1", 1});
    ASSERT_FRAME(alice, Candidate, out);
    EXPECT_EQ(out->name, "server");
    JsonDoc sent(out->candidate);
    EXPECT_EQ(sent.string("candidate"), "candidate:1 1 UDP 2122260223 10.0.0.1 5000 typ host");
    EXPECT_EQ(sent.string("sdpMid"), "1");
    EXPECT_EQ(sent.integer("sdpMLineIndex"), 1);

    for (const char* payload : {
             R"({"candidate":"candidate:a","sdpMid":"0","sdpMLineIndex":0})",
             R"({"candidate":"candidate:b","sdpMid":"video","sdpMLineIndex":1})",
             R"({"candidate":"candidate:c"})",
             R"({"candidate":"candidate:d","sdpMid":null,"sdpMLineIndex":2})",
             R"({"candidate":"","sdpMid":"0","sdpMLineIndex":0})",  // end of candidates
             R"({"candidate":"candidate:e","sdpMid":"1","sdpMLineIndex":null})",
         })
        alice->send(Candidate{"server", payload});
    ASSERT_TRUE(events_.wait_for(6)) << testing::PrintToString(events_.log);
    using Got = std::vector<std::pair<std::string, IceCandidate>>;
    EXPECT_EQ(events_.candidates, (Got{{"alice", {"candidate:a", "0", 0}},
                                       {"alice", {"candidate:b", "video", 1}},
                                       {"alice", {"candidate:c", "", 0}},
                                       {"alice", {"candidate:d", "", 2}},
                                       {"alice", {"candidate:e", "1", 0}}}));
    EXPECT_TRUE(events_.invalid.empty()) << testing::PrintToString(events_.invalid);
}

TEST_F(WsSignallerTest, LeaveReachesOnLeaveWithItsReasonAndHangUpSendsOne) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    auto alice = user("alice");
    auto bob = user("bob");
    alice->send(offer_frame("server", mp::peer::session_description_json({"offer", kSdp}), false));
    bob->send(offer_frame("server", mp::peer::session_description_json({"offer", kSdp}), false));
    ASSERT_TRUE(events_.wait_for(3));

    alice->send(Leave{"server", "busy"});
    ASSERT_TRUE(events_.wait_for(4));
    ASSERT_EQ(events_.leaves.size(), 1u);
    EXPECT_EQ(events_.leaves[0], (std::pair<std::string, std::optional<std::string>>{"alice", "busy"}));

    signaller->hang_up("bob", "done");
    ASSERT_FRAME(bob, Leave, leave);
    EXPECT_EQ(*leave, (Leave{"server", "done"}));

    // A partner that goes away is a leave without a reason.
    alice->send(offer_frame("server", mp::peer::session_description_json({"offer", kSdp}), false));
    ASSERT_TRUE(events_.wait_for(5));
    alice.reset();
    ASSERT_TRUE(events_.wait_for(6));
    ASSERT_EQ(events_.leaves.size(), 2u);
    EXPECT_EQ(events_.leaves[1],
              (std::pair<std::string, std::optional<std::string>>{"alice", std::nullopt}));
}

TEST_F(WsSignallerTest, ErrorFrameReachesOnRefused) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    signaller->send_candidate("nobody", {"candidate:a", "0", 0});
    ASSERT_TRUE(events_.wait_for(2));
    EXPECT_EQ(events_.refused, (std::vector<std::string>{"not_in_call"}));
    signaller->send_sdp("nobody", {"offer", kSdp});
    ASSERT_TRUE(events_.wait_for(3));
    EXPECT_EQ(events_.refused.back(), "not_online");
}

TEST_F(WsSignallerTest, InvalidPayloadsReachOnInvalidNamingThePeer) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    auto alice = user("alice");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {offer_frame("server", R"({"type":"answer","sdp":"x"})", false), "type \"answer\""},
        {offer_frame("server", R"({"type":"offer"})", false), "\"sdp\""},
        {offer_frame("server", R"({"type":"offer","sdp":""})", false), "empty \"sdp\""},
        {offer_frame("server", "not json", true), "not JSON"},
        {offer_frame("server", R"(["offer"])", true), "not a JSON object"},
        {serialize(ClientFrame{Answer{"server", R"({"type":"offer","sdp":"x"})"}}), "type \"offer\""},
        {serialize(ClientFrame{Candidate{"server", R"({"candidate":"c","sdpMLineIndex":"0"})"}}),
         "\"sdpMLineIndex\""},
        {serialize(ClientFrame{Candidate{"server", R"({"candidate":"c","sdpMLineIndex":-1})"}}),
         "\"sdpMLineIndex\""},
        {serialize(ClientFrame{Candidate{"server", R"({"candidate":"c","sdpMLineIndex":0.5})"}}),
         "\"sdpMLineIndex\""},
        {serialize(ClientFrame{Candidate{"server", R"({"candidate":"c","sdpMid":3})"}}), "\"sdpMid\""},
        {serialize(ClientFrame{Candidate{"server", R"({"sdpMid":"0"})"}}), "\"candidate\""},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        alice->send(cases[i].first);
        ASSERT_TRUE(events_.wait_for(i + 2)) << cases[i].first;
        ASSERT_EQ(events_.invalid.size(), i + 1) << cases[i].first << " gave " << events_.log.back();
        EXPECT_EQ(events_.invalid[i].first, "alice");
        EXPECT_THAT(events_.invalid[i].second, HasSubstr(cases[i].second)) << cases[i].first;
    }
    EXPECT_TRUE(events_.offers.empty() && events_.answers.empty() && events_.candidates.empty());
}

TEST_F(WsSignallerTest, ServerStoppedIsAFailure) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    EXPECT_EQ(server_->stop(), 0);
    ASSERT_TRUE(events_.wait_for(2));
    EXPECT_EQ(events_.log, (std::vector<std::string>{"ready server", "failed"}));
    EXPECT_EQ(events_.failed[0], "signaling connection closed (1001)");
    signaller->send_candidate("alice", {"candidate:a", "0", 0});  // dropped, no crash
}

TEST_F(WsSignallerTest, ServerThatStopsAnsweringPingsIsAFailure) {
    auto o = options();
    o.keepalive_interval_s = 1;
    auto signaller = ready(o);
    ASSERT_TRUE(signaller);
    server_->stop(SIGSTOP, 0);  // frozen, not gone: the TCP connection stays up
    ASSERT_TRUE(pump_until([&] { return server_->stopped(); }));
    ASSERT_TRUE(events_.wait_for(2, 10000));
    EXPECT_EQ(events_.log.back(), "failed");
    EXPECT_THAT(events_.failed[0], HasSubstr("did not answer keepalive pings"));
}

TEST_F(WsSignallerTest, StopLeavesTheServerAndEndsEvents) {
    auto signaller = ready();
    ASSERT_TRUE(signaller);
    auto alice = user("alice");
    alice->send(offer_frame("server", mp::peer::session_description_json({"offer", kSdp}), false));
    ASSERT_TRUE(events_.wait_for(2));
    signaller->stop();
    signaller->stop();
    ASSERT_FRAME(alice, Leave, leave);
    EXPECT_EQ(leave->name, "server");
    signaller->send_sdp("alice", {"answer", kSdp});
    EXPECT_TRUE(alice->nothing_pending());
    signaller.reset();
    EXPECT_EQ(events_.log.size(), 2u) << testing::PrintToString(events_.log);
}

TEST_F(WsSignallerTest, MayBeDestroyedFromItsOwnEvent) {
    auto signaller = make(options());
    ASSERT_TRUE(signaller);
    events_.after_each = [&] { signaller.reset(); };
    signaller->start(events_);
    ASSERT_TRUE(pump_until([&] { return !signaller; }));
    EXPECT_EQ(events_.log, (std::vector<std::string>{"ready server"}));
    auto alice = user("alice");
    EXPECT_TRUE(alice->nothing_pending());
}

TEST_F(WsSignallerTest, WssWithTheCaFileLogsIn) {
    TempDir dir;
    ASSERT_TRUE(make_certificate(dir)) << "openssl failed";
    start_server({"--tls-cert", dir.file("cert.pem"), "--tls-key", dir.file("key.pem")});
    auto o = options();
    ASSERT_EQ(o.url.rfind("wss://", 0), 0u) << o.url;
    o.ca_file = dir.file("cert.pem");
    auto signaller = ready(o);
    ASSERT_TRUE(signaller);
}

TEST_F(WsSignallerTest, WssWithoutTheCaFileOrWithAnotherFails) {
    TempDir dir;
    ASSERT_TRUE(make_certificate(dir)) << "openssl failed";
    ASSERT_TRUE(make_certificate(dir, "other-")) << "openssl failed";
    start_server({"--tls-cert", dir.file("cert.pem"), "--tls-key", dir.file("key.pem")});
    for (const std::string& ca : {std::string(), dir.file("other-cert.pem")}) {
        Recorder events;
        auto o = options();
        o.ca_file = ca;
        auto signaller = make(o);
        ASSERT_TRUE(signaller);
        signaller->start(events);
        ASSERT_TRUE(events.wait_for(1)) << ca;
        ASSERT_EQ(events.log, (std::vector<std::string>{"failed"})) << ca;
        EXPECT_THAT(events.failed[0], HasSubstr("cannot connect to " + o.url + ": ")) << ca;
    }
}

TEST(WsSignallerCreate, BadOptionsAndCaFilesAreClearErrors) {
    TempDir dir;
    ASSERT_TRUE(g_file_set_contents(dir.file("garbage.pem").c_str(), "not a certificate", -1, nullptr));
    auto error_of = [](const WsSignallerOptions& o) {
        auto created = WsSignaller::create(o);
        return created.ok() ? std::string("(created)") : created.error();
    };
    WsSignallerOptions o;
    o.url = "http://127.0.0.1:8090/";
    EXPECT_THAT(error_of(o), HasSubstr("expected ws://HOST:PORT/ or wss://HOST:PORT/"));
    o.url = "ws:///path";
    EXPECT_THAT(error_of(o), HasSubstr("signaling URL \"ws:///path\""));
    o = {};
    o.name = "";
    EXPECT_EQ(error_of(o), "cannot log in as \"\": name is empty");
    o = {};
    o.connect_timeout_s = 0;
    EXPECT_THAT(error_of(o), HasSubstr("timeout must be at least 1 s"));
    o = {};
    o.ca_file = dir.file("missing.pem");
    EXPECT_THAT(error_of(o), HasSubstr("cannot use CA file " + dir.file("missing.pem") + ": "));
    o.ca_file = dir.file("garbage.pem");
    EXPECT_THAT(error_of(o), HasSubstr("cannot use CA file " + dir.file("garbage.pem") + ": "));
}

TEST(WsSignallerWire, SendsObjectPayloadsAndClosesWith1000) {
    RawServer raw;
    ASSERT_FALSE(raw.url().empty());
    Recorder events;
    auto signaller = make_signaller(options_for(raw.url()));
    ASSERT_TRUE(signaller);
    signaller->send_sdp("alice", {"offer", kSdp});  // before start: dropped
    signaller->start(events);
    signaller->hang_up("alice", std::nullopt);  // before ready: dropped
    ASSERT_TRUE(raw.accept_login("server"));
    ASSERT_TRUE(events.wait_for(1));

    signaller->send_sdp("alice", {"offer", kSdp});
    signaller->send_sdp("", {"answer", "v=0\r\na"});
    signaller->send_candidate("alice", {"candidate:x", "", 3});
    signaller->hang_up("alice", "busy");
    const std::vector<std::string> expected = {
        R"({"type":"offer","name":"alice","offer":{"type":"offer","sdp":"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}})",
        R"({"type":"answer","answer":{"type":"answer","sdp":"v=0\r\na"}})",
        R"({"type":"candidate","name":"alice","candidate":{"candidate":"candidate:x","sdpMid":"","sdpMLineIndex":3}})",
        R"({"type":"leave","name":"alice","reason":"busy"})",
    };
    for (const auto& frame : expected) {
        auto text = raw.next_text();
        ASSERT_TRUE(text);
        EXPECT_EQ(*text, frame);
    }
    signaller->stop();
    ASSERT_TRUE(raw.wait_closed());
    EXPECT_EQ(raw.close_code(), SOUP_WEBSOCKET_CLOSE_NORMAL);
    EXPECT_EQ(raw.pending(), 0u);
    EXPECT_EQ(events.log, (std::vector<std::string>{"ready server"}));
}

TEST(WsSignallerWire, ReadsObjectPayloadsAndSkipsFramesThatDoNotParse) {
    RawServer raw;
    ASSERT_FALSE(raw.url().empty());
    Recorder events;
    auto signaller = make_signaller(options_for(raw.url()));
    ASSERT_TRUE(signaller);
    signaller->start(events);
    ASSERT_TRUE(raw.accept_login("server"));
    raw.send("not json");
    raw.send(R"({"type":"offer","offer":{"type":"offer","sdp":"v=0"}})");  // no name
    raw.send(R"({"type":"users","users":["alice","server"]})");
    raw.send(R"({"type":"offer","name":"alice","offer":{"type":"offer","sdp":"v=0"}})");
    raw.send(R"({"type":"candidate","name":"alice","candidate":{"candidate":"c","sdpMid":"0","sdpMLineIndex":0}})");
    raw.send(R"({"type":"leave","name":"alice"})");
    raw.send(R"({"type":"error","code":"not_logged_in","message":"log in first"})");
    ASSERT_TRUE(events.wait_for(5));
    EXPECT_EQ(events.log, (std::vector<std::string>{"ready server", "offer from alice",
                                                    "candidate from alice", "leave from alice",
                                                    "refused"}));
    raw.close(4000);
    ASSERT_TRUE(events.wait_for(6));
    EXPECT_EQ(events.failed, (std::vector<std::string>{"signaling connection closed (4000)"}));
}

// A pool member's login says so, and its load reaches the server: given
// before the login, right after it; each change once; and again after a
// reconnect, since the server forgot it with the old connection.
TEST(WsSignallerWire, APoolMemberSendsItsLoadAfterEachLoginAndEachChangeOnce) {
    RawServer raw;
    ASSERT_FALSE(raw.url().empty());
    Recorder events;
    WsSignallerOptions o = options_for(raw.url());
    o.pool = true;
    o.reconnect = true;
    o.reconnect_min_s = o.reconnect_max_s = 0.05;
    auto signaller = make_signaller(o);
    ASSERT_TRUE(signaller);
    signaller->send_load({0, 2, false});  // before start: kept for the login
    signaller->start(events);
    ASSERT_TRUE(raw.wait_connected());
    EXPECT_EQ(raw.next_text(), R"({"type":"login","name":"server","pool":true})");
    raw.send(serialize(ServerFrame{LoginResult{true, "server", "", ""}}));
    EXPECT_EQ(raw.next_text(), R"({"type":"load","calls":0,"max_calls":2,"draining":false})");
    signaller->send_load({1, 2, false});
    signaller->send_load({1, 2, false});  // nothing changed: not sent
    signaller->send_load({1, 2, true});
    EXPECT_EQ(raw.next_text(), R"({"type":"load","calls":1,"max_calls":2,"draining":false})");
    EXPECT_EQ(raw.next_text(), R"({"type":"load","calls":1,"max_calls":2,"draining":true})");

    raw.close(4000);
    ASSERT_TRUE(pump_until([&] { return raw.connections == 2; }, 5000)) << testing::PrintToString(events.log);
    EXPECT_EQ(raw.next_text(), R"({"type":"login","name":"server","pool":true})");
    raw.send(serialize(ServerFrame{LoginResult{true, "server", "", ""}}));
    EXPECT_EQ(raw.next_text(), R"({"type":"load","calls":1,"max_calls":2,"draining":true})");
    signaller->hang_up("alice", std::nullopt);  // what comes next proves nothing else was sent
    EXPECT_EQ(raw.next_text(), R"({"type":"leave","name":"alice"})");
    EXPECT_EQ(events.log, (std::vector<std::string>{"ready server", "ready server"}));
}

// Load means something to a pool only: a peer alone under its name sends none.
TEST(WsSignallerWire, APeerNotInAPoolSendsNoLoad) {
    RawServer raw;
    ASSERT_FALSE(raw.url().empty());
    Recorder events;
    auto signaller = make_signaller(options_for(raw.url()));
    ASSERT_TRUE(signaller);
    signaller->start(events);
    ASSERT_TRUE(raw.wait_connected());
    EXPECT_EQ(raw.next_text(), R"({"type":"login","name":"server"})");
    raw.send(serialize(ServerFrame{LoginResult{true, "server", "", ""}}));
    ASSERT_TRUE(events.wait_for(1));
    signaller->send_load({1, 2, true});
    signaller->hang_up("alice", std::nullopt);
    EXPECT_EQ(raw.next_text(), R"({"type":"leave","name":"alice"})");
}
