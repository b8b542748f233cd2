// The real mediapeer-signal binary on 127.0.0.1:0, driven by real libsoup
// WebSocket and HTTP clients. Every wait has a deadline.
#include "integration/signal_fixture.hpp"
#include "support/client_frames.hpp"
#include "support/raw_ws_client.hpp"

#include <regex>

using namespace mp::protocol;
using mp::test::SignalProcess;
using mp::test::TestSession;
using mp::test::WsClient;
using mp::test::SignalServer;

TEST_F(SignalServer, LoginOnBothWebSocketPaths) {
    auto alice = connect("/");
    auto bob = connect("/ws");
    ASSERT_TRUE(alice && bob);
    EXPECT_TRUE(alice->login("alice"));
    EXPECT_TRUE(bob->login("bob"));
    alice->send(UsersRequest{});
    ASSERT_FRAME(alice, UsersList, users);
    EXPECT_EQ(users->users, (std::vector<std::string>{"alice", "bob"}));
}

TEST_F(SignalServer, TakenNameIsRefusedAndFreedOnClose) {
    auto alice = user("alice");
    auto impostor = connect();
    impostor->send(Login{"alice", std::nullopt});
    ASSERT_FRAME(impostor, LoginResult, refused);
    EXPECT_FALSE(refused->success);
    EXPECT_EQ(refused->code, "name_taken");
    alice->close();
    ASSERT_TRUE(alice->wait_closed());
    ASSERT_TRUE(mp::test::pump_until([&] { return metric("mediapeer_signal_users") == 0; }));
    EXPECT_TRUE(impostor->login("alice"));
}

TEST_F(SignalServer, OfferIsRelayedWithSenderNameAndPayloadAsString) {
    auto alice = user("alice");
    auto bob = user("bob");
    // Object payload, and a lie in myName.
    alice->send(std::string(
        R"({"type":"offer","offer":{"type":"offer","sdp":"v=0\r\n"},"name":"bob","myName":"eve"})"));
    ASSERT_FRAME(bob, Offer, from_object);
    EXPECT_EQ(from_object->name, "alice");
    EXPECT_EQ(from_object->offer, R"({"type":"offer","sdp":"v=0\r\n"})");
    // The raw frame carries the payload as a JSON string the reference page can JSON.parse.
    alice->send(std::string(R"({"type":"offer","offer":"{\"sdp\":\"s\"}","name":"bob"})"));
    auto raw = bob->next_text();
    ASSERT_TRUE(raw);
    EXPECT_EQ(*raw, R"({"type":"offer","offer":"{\"sdp\":\"s\"}","name":"alice"})");
}

TEST_F(SignalServer, AnswerAndCandidatesBothWaysWithTheCalleesEmptyName) {
    auto alice = user("alice");
    auto bob = user("bob");
    alice->send(Offer{"bob", R"({"sdp":"o"})"});
    ASSERT_FRAME(bob, Offer, offer);
    // The reference page's callee sends its own (empty) text box as `name`.
    bob->send(std::string(R"({"type":"answer","answer":{"sdp":"a"},"name":"","myName":"bob"})"));
    ASSERT_FRAME(alice, Answer, answer);
    EXPECT_EQ(*answer, (Answer{"bob", R"({"sdp":"a"})"}));
    bob->send(std::string(R"({"type":"candidate","candidate":{"candidate":"cb","sdpMid":"0","sdpMLineIndex":0}})"));
    ASSERT_FRAME(alice, Candidate, from_bob);
    EXPECT_EQ(*from_bob, (Candidate{"bob", R"({"candidate":"cb","sdpMid":"0","sdpMLineIndex":0})"}));
    alice->send(Candidate{"bob", R"({"candidate":"ca","sdpMid":"0","sdpMLineIndex":0})"});
    ASSERT_FRAME(bob, Candidate, from_alice);
    EXPECT_EQ(*from_alice, (Candidate{"alice", R"({"candidate":"ca","sdpMid":"0","sdpMLineIndex":0})"}));
}

TEST_F(SignalServer, LeaveEndsTheCallWithItsReason) {
    auto alice = user("alice");
    auto bob = user("bob");
    ASSERT_NO_FATAL_FAILURE(call_bob(*alice, *bob));
    bob->send(Leave{"alice", "busy"});
    ASSERT_FRAME(alice, Leave, leave);
    EXPECT_EQ(*leave, (Leave{"bob", "busy"}));
    EXPECT_TRUE(metric_reaches("mediapeer_signal_calls", 0));
    alice->send(Candidate{"bob", "{}"});
    ASSERT_FRAME(alice, Error, error);
    EXPECT_EQ(error->code, "not_in_call");
}

TEST_F(SignalServer, PartnerHearsLeaveWhenAClientDisconnectsMidCall) {
    auto alice = user("alice");
    auto bob = user("bob");
    ASSERT_NO_FATAL_FAILURE(call_bob(*alice, *bob));
    bob.reset();  // closes the socket
    ASSERT_FRAME(alice, Leave, leave);
    EXPECT_EQ(leave->name, "bob");
    auto bob_again = connect();
    EXPECT_TRUE(bob_again->login("bob"));
}

TEST_F(SignalServer, BadInputGetsAnErrorAndTheConnectionStaysUsable) {
    auto alice = user("alice");
    auto bob = user("bob");
    ASSERT_NO_FATAL_FAILURE(call_bob(*alice, *bob));
    auto carol = user("carol");
    auto fresh = connect();
    // Clients match the code; the message is for people.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"not json", "bad_frame"},
        {"[1]", "bad_frame"},
        {R"({"name":"bob"})", "bad_frame"},
        {R"({"type":3})", "bad_frame"},
        {R"({"type":"dance"})", "bad_frame"},
        {R"({"type":"offer","name":"bob"})", "bad_frame"},
        {R"({"type":"offer","offer":{},"name":7})", "bad_frame"},
        {R"({"type":"candidate","candidate":false,"name":"alice"})", "bad_frame"},
        {R"({"type":"login","name":"carol2"})", "already_logged_in"},
        {R"({"type":"offer","offer":{},"name":"carol"})", "cannot_call_self"},
        {R"({"type":"offer","offer":{},"name":"nobody"})", "not_online"},
        {R"({"type":"answer","answer":{},"name":"alice"})", "not_in_call"},
        {R"({"type":"candidate","candidate":{}})", "not_in_call"},
        {R"({"type":"leave"})", "not_in_call"},
    };
    for (const auto& [text, code] : cases) {
        carol->send(text);
        auto error = carol->next_as<Error>();
        ASSERT_TRUE(error) << text << " -> " << carol->last_unexpected();
        EXPECT_EQ(error->code, code) << text << " -> " << error->message;
        EXPECT_FALSE(error->message.empty()) << text;
    }
    fresh->send(Offer{"bob", "{}"});
    ASSERT_FRAME(fresh, Error, before_login);
    EXPECT_EQ(before_login->code, "not_logged_in");
    for (const std::string& name : std::vector<std::string>{"", std::string(65, 'x'), "a\tb", " "}) {
        fresh->send(Login{name, std::nullopt});
        ASSERT_FRAME(fresh, LoginResult, refused);
        EXPECT_FALSE(refused->success);
        EXPECT_EQ(refused->code, "invalid_name") << refused->message;
    }
    // carol is still usable, and nobody else was touched.
    carol->send(Offer{"alice", "{}"});
    ASSERT_FRAME(alice, Offer, to_alice);
    EXPECT_EQ(to_alice->name, "carol");
    bob->send(Candidate{"alice", "{}"});
    ASSERT_FRAME(alice, Candidate, call_goes_on);
    EXPECT_TRUE(bob->nothing_pending());
    EXPECT_FALSE(carol->closed());
    EXPECT_GE(metric(R"(mediapeer_signal_errors_total{kind="not_in_a_call"})"), 3);
}

TEST_F(SignalServer, BinaryFrameClosesOnlyItsSenderWith1003) {
    auto alice = user("alice");
    auto bob = user("bob");
    ASSERT_NO_FATAL_FAILURE(call_bob(*alice, *bob));
    auto mallory = user("mallory");
    mallory->send_binary("\x01\x02");
    ASSERT_TRUE(mallory->wait_closed());
    EXPECT_EQ(mallory->close_code(), 1003);
    bob->send(Candidate{"alice", "{}"});
    ASSERT_FRAME(alice, Candidate, call_goes_on);
    EXPECT_TRUE(metric_reaches(R"(mediapeer_signal_closes_total{reason="binary_frame"})", 1));
}

TEST_F(SignalServer, OversizeFrameClosesOnlyItsSenderWhileACallGoesOn) {
    auto alice = user("alice");
    auto bob = user("bob");
    ASSERT_NO_FATAL_FAILURE(call_bob(*alice, *bob));
    auto mallory = user("mallory");
    std::string huge = R"({"type":"candidate","candidate":")" + std::string(70 * 1024, 'x') + "\"}";
    mallory->send(huge);
    ASSERT_TRUE(mallory->wait_closed());
    EXPECT_EQ(mallory->close_code(), 1009);
    bob->send(Candidate{"alice", R"({"candidate":"still here"})"});
    ASSERT_FRAME(alice, Candidate, call_goes_on);
    EXPECT_EQ(call_goes_on->candidate, R"({"candidate":"still here"})");
    // A frame just under the limit is fine.
    alice->send(Candidate{"bob", std::string(60 * 1024, 'y')});
    ASSERT_FRAME(bob, Candidate, big_but_allowed);
    EXPECT_TRUE(metric_reaches(R"(mediapeer_signal_limit_hits_total{limit="frame_size"})", 1));
    EXPECT_EQ(metric("mediapeer_signal_users"), 2);
}

TEST_F(SignalServer, FloodGetsAnErrorThenA1008Close) {
    start({"--max-frames-per-second", "5", "--frame-burst", "10"});
    auto flooder = user("flooder");
    for (int i = 0; i < 30; ++i) flooder->send(UsersRequest{});
    bool saw_error = false;
    while (auto text = flooder->next_text()) {
        if (text->find("too many frames") != std::string::npos) saw_error = true;
    }
    EXPECT_TRUE(saw_error);
    ASSERT_TRUE(flooder->wait_closed());
    EXPECT_EQ(flooder->close_code(), 1008);
    EXPECT_TRUE(metric_reaches(R"(mediapeer_signal_limit_hits_total{limit="frames_per_second"})", 1));
    EXPECT_TRUE(user("flooder"));  // the name was freed
}

TEST_F(SignalServer, ConnectionLimitRefusesTheUpgradeWith503) {
    start({"--max-connections", "2"});
    auto a = connect();
    auto b = connect();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(session_.websocket_refusal_status(server_->ws_url()), 503u);
    EXPECT_EQ(metric(R"(mediapeer_signal_limit_hits_total{limit="connections"})"), 1);
    b.reset();
    ASSERT_TRUE(metric_reaches("mediapeer_signal_connections", 1));
    EXPECT_TRUE(connect());
}

TEST_F(SignalServer, HealthzAndMetricsFollowWhatHappens) {
    auto health = session_.get(server_->url() + "healthz");
    EXPECT_EQ(health.status, 200u);
    EXPECT_EQ(health.content_type, "application/json");
    EXPECT_NE(health.body.find(R"("status":"ok")"), std::string::npos) << health.body;
    auto metrics = session_.get(server_->url() + "metrics");
    EXPECT_EQ(metrics.status, 200u);
    EXPECT_EQ(metrics.content_type, "text/plain");
    EXPECT_EQ(metric("mediapeer_signal_users"), 0);

    auto alice = user("alice");
    auto bob = user("bob");
    ASSERT_NO_FATAL_FAILURE(call_bob(*alice, *bob));
    bob->send(Candidate{"", "{}"});
    ASSERT_FRAME(alice, Candidate, candidate);
    alice->send(std::string("{"));
    ASSERT_FRAME(alice, Error, error);
    EXPECT_EQ(metric("mediapeer_signal_connections"), 2);
    EXPECT_EQ(metric("mediapeer_signal_users"), 2);
    EXPECT_EQ(metric("mediapeer_signal_calls"), 1);
    EXPECT_EQ(metric(R"(mediapeer_signal_frames_in_total{type="login"})"), 2);
    EXPECT_EQ(metric(R"(mediapeer_signal_frames_in_total{type="offer"})"), 1);
    EXPECT_EQ(metric(R"(mediapeer_signal_frames_in_total{type="invalid"})"), 1);
    EXPECT_EQ(metric(R"(mediapeer_signal_frames_out_total{type="candidate"})"), 1);
    EXPECT_EQ(metric(R"(mediapeer_signal_errors_total{kind="not_json"})"), 1);
    health = session_.get(server_->url() + "healthz");
    EXPECT_NE(health.body.find(R"("users":2,"calls":1)"), std::string::npos) << health.body;
    alice.reset();
    EXPECT_TRUE(metric_reaches(R"(mediapeer_signal_closes_total{reason="client"})", 1));
    EXPECT_EQ(metric("mediapeer_signal_calls"), 0);
}

TEST_F(SignalServer, UsersPushGoesOnlyToSubscribers) {
    auto watcher = connect();
    auto quiet = user("quiet");
    watcher->send(UsersRequest{});
    ASSERT_FRAME(watcher, UsersList, initial);
    EXPECT_EQ(initial->users, std::vector<std::string>{"quiet"});
    auto alice = user("alice");
    ASSERT_FRAME(watcher, UsersList, pushed);
    EXPECT_EQ(pushed->users, (std::vector<std::string>{"alice", "quiet"}));
    EXPECT_TRUE(quiet->nothing_pending());
}

TEST_F(SignalServer, ConfigJsonStatic) {
    start({"--stun", "stun:127.0.0.1:3478", "--turn", "turn:127.0.0.1:3478", "--turn-user",
           "bison", "--turn-password", "liao"});
    auto r = session_.get(server_->url() + "config.json");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, R"({"iceServers":[{"urls":["stun:127.0.0.1:3478"]},)"
                      R"({"urls":["turn:127.0.0.1:3478"],"username":"bison","credential":"liao"}]})");
}

TEST_F(SignalServer, ConfigJsonTurnSecretGivesVerifiableTimeLimitedCredentials) {
    start({"--turn", "turn:127.0.0.1:3478", "--turn-secret", "s3cret", "--turn-ttl", "600"});
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    auto r = session_.get(server_->url() + "config.json");
    gint64 after = g_get_real_time() / G_USEC_PER_SEC;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        r.body, m, std::regex(R"re("username":"((\d+):mediapeer)","credential":"([^"]+)")re")))
        << r.body;
    gint64 expires = std::stoll(m[2]);
    EXPECT_GE(expires, before + 600);
    EXPECT_LE(expires, after + 600);
    // What coturn computes for use-auth-secret: base64(HMAC-SHA1(secret, username)).
    std::string username = m[1];
    guint8 digest[20];
    gsize size = sizeof digest;
    mp::GHmacPtr hmac(g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar*>("s3cret"), 6));
    g_hmac_update(hmac.get(), reinterpret_cast<const guchar*>(username.data()), -1);
    g_hmac_get_digest(hmac.get(), digest, &size);
    mp::GCharPtr expected(g_base64_encode(digest, size));
    EXPECT_EQ(m[3], expected.get());
}

TEST_F(SignalServer, ServesThePageAndRefusesPathsOutsideTheWebRoot) {
    mp::test::TempDir root;
    ASSERT_TRUE(g_file_set_contents(root.file("index.html").c_str(), "<p>hello</p>", -1, nullptr));
    ASSERT_TRUE(g_file_set_contents(root.file("app.js").c_str(), "let x;", -1, nullptr));
    start({"--web-root", root.path()});
    auto index = session_.get(server_->url());
    EXPECT_EQ(index.status, 200u);
    EXPECT_EQ(index.body, "<p>hello</p>");
    EXPECT_EQ(index.content_type, "text/html");
    auto js = session_.get(server_->url() + "app.js");
    EXPECT_EQ(js.content_type, "text/javascript");
    EXPECT_EQ(session_.get(server_->url() + "missing.html").status, 404u);
    auto escape = session_.get(server_->url() + "%2e%2e/%2e%2e/etc/passwd");
    EXPECT_TRUE(escape.status == 403u || escape.status == 404u) << escape.status;
    EXPECT_EQ(escape.body.find("root:"), std::string::npos);
}

// Chromium shows its own error page for a 4xx with an empty body.
TEST_F(SignalServer, ErrorAnswersCarryAShortTextBody) {
    auto missing = session_.get(server_->url() + "missing.html");
    EXPECT_EQ(missing.status, 404u);
    EXPECT_EQ(missing.body.rfind("404 Not Found: ", 0), 0u) << missing.body;
    EXPECT_EQ(missing.content_type, "text/plain");
    std::string out;
    ASSERT_TRUE(mp::test::run_command({"curl", "-s", "-X", "POST", "-w", " %{http_code}", server_->url() + "x"}, &out));
    EXPECT_EQ(out, "405 Method Not Allowed: only GET and HEAD are served here\n 405");
    ASSERT_TRUE(mp::test::run_command({"curl", "-s", "-w", " %{http_code}", "-H", "Connection: Upgrade", "-H",
                                       "Upgrade: websocket", server_->url() + "elsewhere"},
                                      &out));
    EXPECT_EQ(out, "404 Not Found: the WebSocket is on / and /ws\n 404");
}

TEST_F(SignalServer, VanishedClientIsDroppedByKeepaliveAndItsNameFreed) {
    start({"--ping-interval", "1", "--ping-timeout", "2"});
    auto alice = user("alice");
    // A raw client that logs in, calls alice, then never reads or answers a ping again.
    std::string error;
    auto ghost = mp::test::RawWsClient::connect(
        server_->url(), mp::test::client_text(R"({"type":"login","name":"ghost"})") +
                            mp::test::client_text(R"({"type":"offer","offer":{},"name":"alice"})"),
        &error);
    ASSERT_TRUE(ghost) << error;
    ASSERT_FRAME(alice, Offer, offer);
    EXPECT_EQ(offer->name, "ghost");
    // No answer to pings: dropped within ping-timeout + ping-interval (3 s here).
    auto leave = alice->next_as<Leave>(6000);
    ASSERT_TRUE(leave) << alice->last_unexpected();
    EXPECT_EQ(leave->name, "ghost");
    EXPECT_TRUE(user("ghost"));
    EXPECT_TRUE(metric_reaches(R"(mediapeer_signal_closes_total{reason="keepalive_timeout"})", 1));
}

TEST_F(SignalServer, SigtermClosesEveryWebSocketWith1001AndExitsZero) {
    auto alice = user("alice");
    auto bob = connect();
    EXPECT_EQ(server_->stop(SIGTERM), 0);
    ASSERT_TRUE(alice->wait_closed());
    ASSERT_TRUE(bob->wait_closed());
    EXPECT_EQ(alice->close_code(), 1001);
    EXPECT_EQ(bob->close_code(), 1001);
}

// The reference notes' page (rtc.js), frame for frame: `send()` adds `name`
// from the "their username" box and `myName` once connectedUser is set, the
// callee's box is empty, payloads are RTCSessionDescription/RTCIceCandidate
// objects and every received payload goes through JSON.parse().
TEST_F(SignalServer, ReferencePageCallFlow) {
    auto caller = connect();  // user 222 calls 111, as in the notes' log
    auto callee = connect();
    caller->send(std::string(R"({"type":"login","name":"222"})"));
    callee->send(std::string(R"({"type":"login","name":"111"})"));
    ASSERT_FRAME(caller, LoginResult, caller_login);
    ASSERT_FRAME(callee, LoginResult, callee_login);
    EXPECT_TRUE(caller_login->success && callee_login->success);

    caller->send(std::string(
        R"({"type":"offer","offer":{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"},"name":"111","myName":"222"})"));
    auto offer_text = callee->next_text();
    ASSERT_TRUE(offer_text);
    auto offer = parse_server_frame(*offer_text);
    ASSERT_TRUE(offer.ok());
    const auto& o = std::get<Offer>(*offer);
    EXPECT_EQ(o.name, "222");  // onOffer(data.offer, data.name): connectedUser = "222"
    // JSON.parse(offer) must give back the description object.
    EXPECT_EQ(o.offer, R"({"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"})");

    caller->send(std::string(
        R"({"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2113937151 127.0.0.1 54214 typ host generation 0","sdpMid":"0","sdpMLineIndex":0},"name":"111","myName":"222"})"));
    ASSERT_FRAME(callee, Candidate, c1);
    EXPECT_EQ(c1->name, "222");
    // The callee's "their username" box is empty.
    callee->send(std::string(
        R"({"type":"answer","answer":{"type":"answer","sdp":"v=0\r\n"},"name":"","myName":"111"})"));
    ASSERT_FRAME(caller, Answer, answer);
    EXPECT_EQ(answer->answer, R"({"type":"answer","sdp":"v=0\r\n"})");
    callee->send(std::string(
        R"({"type":"candidate","candidate":{"candidate":"candidate:2 1 udp 2113937151 127.0.0.1 49996 typ host generation 0","sdpMid":"0","sdpMLineIndex":0},"name":"","myName":"111"})"));
    ASSERT_FRAME(caller, Candidate, c2);
    EXPECT_EQ(c2->name, "111");
    // Hang up: send({type: "leave"}) with the box's value as name.
    caller->send(std::string(R"({"type":"leave","name":"111","myName":"222"})"));
    ASSERT_FRAME(callee, Leave, leave);
    EXPECT_EQ(leave->name, "222");
    EXPECT_TRUE(metric_reaches("mediapeer_signal_calls", 0));
}

TEST(SignalServerStartup, BadOptionsAreClearErrors) {
    std::string err;
    EXPECT_EQ(SignalProcess::run_to_exit({"--listen", "localhost"}, &err), 1);
    EXPECT_NE(err.find("expected ADDR:PORT"), std::string::npos) << err;
    EXPECT_EQ(SignalProcess::run_to_exit({"--turn", "turn:127.0.0.1:3478"}, &err), 1);
    EXPECT_NE(err.find("--turn needs --turn-user and --turn-password"), std::string::npos) << err;
    EXPECT_EQ(SignalProcess::run_to_exit({"--no-such-flag"}, &err), 2);
    EXPECT_NE(err.find("Unknown option --no-such-flag"), std::string::npos) << err;
}

namespace {

// A self-signed certificate for 127.0.0.1, made by the test.
bool make_certificate(const mp::test::TempDir& dir) {
    return mp::test::run_command(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", dir.file("key.pem"), "-out", dir.file("cert.pem"), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
}

}  // namespace

TEST(SignalServerTls, ServesHttpsAndWssWithTheGivenCertificate) {
    mp::test::TempDir dir;
    ASSERT_TRUE(make_certificate(dir)) << "openssl failed";
    std::string error;
    auto server = SignalProcess::start(
        {"--tls-cert", dir.file("cert.pem"), "--tls-key", dir.file("key.pem")}, &error);
    ASSERT_TRUE(server) << error;
    EXPECT_EQ(server->url().rfind("https://127.0.0.1:", 0), 0u) << server->url();
    EXPECT_EQ(server->ws_url().rfind("wss://", 0), 0u);

    TestSession untrusting;
    EXPECT_EQ(untrusting.get(server->url() + "healthz").status, 0u) << "accepted an unknown cert";

    TestSession session;
    auto cert = mp::adopt_ref(g_tls_certificate_new_from_file(dir.file("cert.pem").c_str(), nullptr));
    ASSERT_TRUE(cert);
    session.trust(cert.get());
    EXPECT_EQ(session.get(server->url() + "healthz").status, 200u);
    auto alice = WsClient::connect(session, server->ws_url(), &error);
    ASSERT_TRUE(alice) << error;
    auto bob = WsClient::connect(session, server->ws_url("/ws"), &error);
    ASSERT_TRUE(bob) << error;
    EXPECT_TRUE(alice->login("alice"));
    EXPECT_TRUE(bob->login("bob"));
    alice->send(Offer{"bob", "{}"});
    ASSERT_FRAME(bob, Offer, offer);
    EXPECT_EQ(offer->name, "alice");
}

TEST(SignalServerTls, BadOrUnreadableCertificateIsAClearErrorAndNonZeroExit) {
    mp::test::TempDir dir;
    ASSERT_TRUE(make_certificate(dir));
    ASSERT_TRUE(g_file_set_contents(dir.file("garbage.pem").c_str(), "not a certificate", -1, nullptr));
    std::string err;
    EXPECT_EQ(SignalProcess::run_to_exit({"--listen", "127.0.0.1:0", "--tls-cert",
                                          dir.file("missing.pem"), "--tls-key", dir.file("key.pem")},
                                         &err), 1);
    EXPECT_NE(err.find("cannot use TLS certificate " + dir.file("missing.pem")), std::string::npos)
        << err;
    EXPECT_EQ(SignalProcess::run_to_exit({"--listen", "127.0.0.1:0", "--tls-cert",
                                          dir.file("garbage.pem"), "--tls-key", dir.file("key.pem")},
                                         &err), 1);
    EXPECT_NE(err.find("cannot use TLS certificate"), std::string::npos) << err;
    EXPECT_EQ(SignalProcess::run_to_exit({"--listen", "127.0.0.1:0", "--tls-cert",
                                          dir.file("cert.pem")}, &err), 1);
    EXPECT_NE(err.find("--tls-cert and --tls-key go together"), std::string::npos) << err;
}

// docs/protocol.md#pools over the real server: one name, calls spread by load.
TEST_F(SignalServer, APoolOfThreeServesOneNameAndSpreadsNewCallsByLoad) {
    std::vector<std::unique_ptr<WsClient>> members;
    for (unsigned max_calls : {1u, 2u, 1u}) {
        members.push_back(connect());
        members.back()->send(Login{"bot", std::nullopt, true});
        ASSERT_FRAME(members.back(), LoginResult, joined);
        ASSERT_TRUE(joined->success) << joined->message;
        members.back()->send(Load{0, max_calls, false});
    }
    auto alice = user("alice");
    alice->send(UsersRequest{});
    ASSERT_FRAME(alice, UsersList, listed);
    EXPECT_EQ(listed->users, (std::vector<std::string>{"alice", "bot"}));
    // Four callers for four free calls: the member with two takes two.
    std::vector<std::unique_ptr<WsClient>> callers;
    for (const char* name : {"c1", "c2", "c3", "c4"}) {
        callers.push_back(user(name));
        callers.back()->send(Offer{"bot", "{}"});
    }
    std::vector<std::size_t> offers_taken;
    for (auto& member : members) {
        std::size_t n = 0;
        while (member->next_as<Offer>(500)) ++n;
        offers_taken.push_back(n);
    }
    EXPECT_EQ(offers_taken, (std::vector<std::size_t>{1, 2, 1}));
    auto dave = user("dave");  // alice is subscribed to `users`, which change
    dave->send(Offer{"bot", "{}"});
    ASSERT_FRAME(dave, Leave, busy);
    EXPECT_EQ(busy->name, "bot");
    EXPECT_EQ(busy->reason, std::optional<std::string>("busy"));
    EXPECT_EQ(metric("mediapeer_signal_pool_members"), 3);
    EXPECT_EQ(metric(R"(mediapeer_signal_refusals_total{code="busy"})"), 1);
}
