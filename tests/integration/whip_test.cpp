// WHIP (RFC 9725) and WHEP on the real mediapeer-signal, each HTTP rule on
// the wire: the callee is a WebSocket client of the test that answers (or
// refuses) like a bot would, the publisher a libsoup HTTP client.
#include "integration/signal_fixture.hpp"
#include "protocol/codes.hpp"
#include "protocol/json_object.hpp"
#include "protocol/json_writer.hpp"
#include "support/http_exchange.hpp"

#include <glib/gstdio.h>

#include <fstream>

using namespace mp::protocol;
using mp::test::HttpExchange;
using mp::test::HttpRequest;
using mp::test::HttpResponse;

namespace {

const std::string kOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "a=ice-ufrag:ufA1\r\na=ice-pwd:pwdpwdpwdpwdpwdpwdpwdpwd\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n";
const std::string kAnswer =
    "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:ufB2\r\na=ice-pwd:pwdBpwdBpwdBpwdBpwdBpwdB\r\n"
    "a=mid:0\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n";
const std::string kBotCandidate = "candidate:1 1 UDP 2122260223 127.0.0.1 40000 typ host";
const std::string kSecret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

std::string candidate_json(const std::string& candidate, const std::string& mid, int index) {
    return R"({"candidate":")" + candidate + R"(","sdpMid":")" + mid + R"(","sdpMLineIndex":)" +
           std::to_string(index) + "}";
}

std::string answer_json() { return JsonObjectWriter().string("type", "answer").string("sdp", kAnswer).finish(); }

// A JSON payload's string member, or "".
std::string member(const std::string& json, const char* name) {
    auto object = parse_json_object(json, "payload");
    if (!object) return "";
    JsonNode* node = json_object_get_member(object->get(), name);
    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
               ? json_node_get_string(node)
               : "";
}

// The section of an SDP from its n-th m-line (0-based) to the next.
std::string section(const std::string& sdp, int n) {
    std::size_t at = 0;
    for (int i = 0; i <= n; ++i) {
        at = sdp.find("m=", at + 1);
        if (at == std::string::npos) return "";
    }
    return sdp.substr(at, sdp.find("\r\nm=", at) - at);
}

}  // namespace

class Whip : public mp::test::SignalServer {
protected:
    void SetUp() override {
        start({"--stun", "stun:stun.example.net:3478", "--http-answer-timeout", "2"});
        bot_ = user("bot");
    }

    std::unique_ptr<HttpExchange> post(const std::string& path = "whip/bot", const std::string& sdp = kOffer,
                                       const std::string& type = "application/sdp",
                                       mp::test::TestSession::Headers headers = {}) {
        return HttpExchange::send(session_, HttpRequest{"POST", server_->url() + path, sdp, type, headers});
    }
    HttpResponse request(const std::string& method, const std::string& path, const std::string& body = {},
                         const std::string& type = {}, mp::test::TestSession::Headers headers = {}) {
        return mp::test::http(session_, HttpRequest{method, server_->url() + path.substr(1), body, type, headers});
    }
    // The bot takes the offer: the caller's name, or "" (and a failure).
    std::string take_offer() {
        auto offer = bot_->next_as<Offer>();
        EXPECT_TRUE(offer) << bot_->last_unexpected();
        if (!offer) return "";
        EXPECT_EQ(member(offer->offer, "type"), "offer");
        EXPECT_EQ(member(offer->offer, "sdp"), kOffer);
        return offer->name;
    }
    // The bot answers `caller` with one candidate, and the end of them if `end`.
    void answer(const std::string& caller, bool end = true) {
        bot_->send(Answer{caller, answer_json()});
        bot_->send(Candidate{caller, candidate_json(kBotCandidate, "0", 0)});
        if (end) bot_->send(Candidate{caller, candidate_json("", "0", 0)});
    }
    // A session made and answered: the 201.
    HttpResponse created(mp::test::TestSession::Headers headers = {}) {
        auto exchange = post("whip/bot", kOffer, "application/sdp", headers);
        caller_ = take_offer();
        answer(caller_);
        HttpResponse r = exchange->wait();
        EXPECT_EQ(r.status, 201u) << r.body << r.error;
        return r;
    }
    static std::string code_of(const HttpResponse& r) { return member(r.body, "code"); }

    std::unique_ptr<mp::test::WsClient> bot_;
    std::string caller_;
};

TEST_F(Whip, APostIsAnOfferFromAnUnlistedCallerAndTheAnswerWithItsCandidatesIsTheCreated) {
    HttpResponse r = created();
    EXPECT_EQ(caller_.rfind("whip-", 0), 0u) << caller_;
    EXPECT_EQ(r.header("Content-Type"), "application/sdp");
    EXPECT_EQ(r.header("Location").rfind("/sessions/", 0), 0u) << r.header("Location");
    EXPECT_GE(r.header("Location").size(), std::string("/sessions/").size() + 32) << "the URL is the secret";
    std::string etag = r.header("ETag");
    ASSERT_GE(etag.size(), 3u);
    EXPECT_EQ(etag.front(), '"') << "a strong ETag is quoted, no W/";
    EXPECT_EQ(r.all("Link"), std::vector<std::string>{R"(<stun:stun.example.net:3478>; rel="ice-server")"});
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
    EXPECT_NE(section(r.body, 0).find("a=" + kBotCandidate + "\r\n"), std::string::npos) << r.body;
    EXPECT_NE(section(r.body, 0).find("a=end-of-candidates"), std::string::npos) << r.body;
    EXPECT_NE(section(r.body, 1).find("a=end-of-candidates"), std::string::npos) << r.body;
    // Unlisted: nobody sees or calls whip-N.
    auto alice = user("alice");
    alice->send(UsersRequest{});
    ASSERT_FRAME(alice, UsersList, list);
    EXPECT_EQ(list->users, (std::vector<std::string>{"alice", "bot"}));
    alice->send(Offer{caller_, "{}"});
    ASSERT_FRAME(alice, Error, refused);
    EXPECT_EQ(refused->code, code::kNotOnline);
    EXPECT_TRUE(metric_reaches("mediapeer_signal_http_sessions", 1));
    EXPECT_EQ(metric("mediapeer_signal_users"), 2);
}

TEST_F(Whip, WithoutAnEndOfCandidatesTheCreatedWaitsOnlyTheCandidateWait) {
    auto exchange = post();
    std::string caller = take_offer();
    answer(caller, /*end=*/false);
    HttpResponse r = exchange->wait(3000);
    ASSERT_EQ(r.status, 201u) << r.error;
    EXPECT_NE(section(r.body, 0).find("a=" + kBotCandidate), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("a=end-of-candidates"), std::string::npos) << r.body;
}

TEST_F(Whip, APostThatCannotBeAnOfferIsRefusedWithItsStatusAndCode) {
    struct Case {
        const char* what;
        std::string path, body, type;
        guint status;
        const char* code;
    };
    for (const Case& c : std::vector<Case>{
             {"a name nobody holds", "whip/nobody", kOffer, "application/sdp", 404, code::kNotOnline},
             {"no name", "whip/", kOffer, "application/sdp", 404, code::kNotOnline},
             {"another content type", "whip/bot", kOffer, "text/plain", 415, code::kUnsupportedMediaType},
             {"no SDP", "whip/bot", "hello", "application/sdp", 400, code::kBadSdp},
             {"SDP without an m-line", "whip/bot", "v=0\r\ns=-\r\n", "application/sdp", 400, code::kBadSdp},
         }) {
        HttpResponse r = post(c.path, c.body, c.type)->wait();
        EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
        EXPECT_EQ(code_of(r), c.code) << c.what;
        EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*") << c.what;
    }
    HttpResponse get = request("GET", "/whip/bot");
    EXPECT_EQ(get.status, 405u);
    EXPECT_EQ(code_of(get), code::kMethodNotAllowed);
    EXPECT_TRUE(bot_->nothing_pending()) << "no refused POST reaches the callee";
}

TEST_F(Whip, ABusyCalleeIs503WithRetryAfter) {
    auto exchange = post();
    bot_->send(Leave{take_offer(), std::string(code::kBusy)});
    HttpResponse r = exchange->wait();
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(code_of(r), code::kBusy);
    EXPECT_EQ(r.header("Retry-After"), "5");
}

TEST_F(Whip, ACalleeThatLeavesWithAnotherReasonRefusesTheOffer) {
    auto exchange = post();
    bot_->send(Leave{take_offer(), std::string("nothing_to_send")});
    HttpResponse r = exchange->wait();
    EXPECT_EQ(r.status, 422u) << r.body;
    EXPECT_EQ(code_of(r), code::kOfferRefused);
    EXPECT_NE(member(r.body, "message").find("nothing_to_send"), std::string::npos) << r.body;
}

TEST_F(Whip, NoAnswerInTimeIs504AndTheCalleeHearsLeave) {
    auto exchange = post();
    std::string caller = take_offer();
    HttpResponse r = exchange->wait(5000);
    EXPECT_EQ(r.status, 504u) << r.body << r.error;
    EXPECT_EQ(code_of(r), code::kNoAnswer);
    ASSERT_FRAME(bot_, Leave, leave);
    EXPECT_EQ(leave->name, caller);
}

TEST_F(Whip, AClientThatGivesUpBeforeTheAnswerEndsTheCall) {
    metric("mediapeer_signal_http_sessions");  // the test's keep-alive connection, open
    int fds = server_->open_fds();
    auto exchange = post();
    std::string caller = take_offer();
    exchange->cancel();
    ASSERT_FRAME(bot_, Leave, leave);
    EXPECT_EQ(leave->name, caller);
    EXPECT_TRUE(metric_reaches("mediapeer_signal_http_sessions", 0));
    EXPECT_EQ(metric(R"(mediapeer_signal_http_session_answers_total{status="504"})"), -1)
        << "the call ended when the client left, not when the answer timed out";
    EXPECT_TRUE(mp::test::pump_until([&] { return server_->open_fds() <= fds; }))
        << "the server still holds the connection: " << server_->open_fds() << " fds, " << fds << " before";
}

TEST_F(Whip, PatchRelaysTheClientsCandidatesToTheCallee) {
    HttpResponse r = created();
    std::string frag = "a=ice-ufrag:ufA1\r\na=ice-pwd:pwdpwdpwdpwdpwdpwdpwdpwd\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
                       "a=mid:1\r\na=candidate:7 1 UDP 2122194687 127.0.0.1 50000 typ host\r\na=end-of-candidates\r\n";
    HttpResponse patched = request("PATCH", r.header("Location"), frag, "application/trickle-ice-sdpfrag",
                                   {{"If-Match", r.header("ETag")}});
    EXPECT_EQ(patched.status, 204u) << patched.body;
    ASSERT_FRAME(bot_, Candidate, first);
    EXPECT_EQ(first->name, caller_);
    EXPECT_EQ(member(first->candidate, "candidate"), "candidate:7 1 UDP 2122194687 127.0.0.1 50000 typ host");
    EXPECT_EQ(member(first->candidate, "sdpMid"), "1");
    EXPECT_NE(first->candidate.find("\"sdpMLineIndex\":1"), std::string::npos) << first->candidate;
    ASSERT_FRAME(bot_, Candidate, end);
    EXPECT_EQ(member(end->candidate, "candidate"), "") << "the end of candidates";
}

TEST_F(Whip, PatchNeedsTheETagAndRefusesAnIceRestart) {
    HttpResponse r = created();
    std::string url = r.header("Location"), etag = r.header("ETag");
    std::string trickle = "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:7 1 UDP 1 127.0.0.1 50000 typ host\r\n";
    std::string restart = "a=ice-ufrag:NEW1\r\na=ice-pwd:newnewnewnewnewnewnewnew\r\n" + trickle;
    struct Case {
        const char* what;
        std::string url, body, type;
        mp::test::TestSession::Headers headers;
        guint status;
        const char* code;
    };
    for (const Case& c : std::vector<Case>{
             {"no If-Match", url, trickle, "application/trickle-ice-sdpfrag", {}, 428, code::kIfMatchRequired},
             {"another ETag", url, trickle, "application/trickle-ice-sdpfrag", {{"If-Match", "\"x\""}}, 412,
              code::kEtagMismatch},
             {"a restart (If-Match *)", url, restart, "application/trickle-ice-sdpfrag", {{"If-Match", "*"}}, 422,
              code::kIceRestartUnsupported},
             {"new credentials", url, restart, "application/trickle-ice-sdpfrag", {{"If-Match", etag}}, 422,
              code::kIceRestartUnsupported},
             {"another content type", url, trickle, "application/sdp", {{"If-Match", etag}}, 415,
              code::kUnsupportedMediaType},
             {"no such session", "/sessions/0123", trickle, "application/trickle-ice-sdpfrag", {{"If-Match", etag}},
              404, code::kNoSuchSession},
         }) {
        HttpResponse p = request("PATCH", c.url, c.body, c.type, c.headers);
        EXPECT_EQ(p.status, c.status) << c.what << ": " << p.body;
        EXPECT_EQ(code_of(p), c.code) << c.what;
    }
    EXPECT_TRUE(bot_->nothing_pending()) << "no refused PATCH relays a candidate";
}

TEST_F(Whip, DeleteEndsTheCall) {
    HttpResponse r = created();
    HttpResponse deleted = request("DELETE", r.header("Location"));
    EXPECT_EQ(deleted.status, 200u) << deleted.body;
    ASSERT_FRAME(bot_, Leave, leave);
    EXPECT_EQ(leave->name, caller_);
    EXPECT_EQ(request("DELETE", r.header("Location")).status, 404u);
    EXPECT_TRUE(metric_reaches("mediapeer_signal_http_sessions", 0));
    EXPECT_EQ(metric("mediapeer_signal_calls"), 0);
}

TEST_F(Whip, TheCalleesLeaveEndsTheSession) {
    HttpResponse r = created();
    bot_->send(Leave{caller_, std::nullopt});
    EXPECT_TRUE(metric_reaches("mediapeer_signal_http_sessions", 0));
    HttpResponse gone = request("DELETE", r.header("Location"));
    EXPECT_EQ(gone.status, 404u);
    EXPECT_EQ(code_of(gone), code::kNoSuchSession);
}

TEST_F(Whip, OptionsAnswersTheBrowsersPreflight) {
    HttpResponse endpoint = request("OPTIONS", "/whip/bot", {}, {},
                                    {{"Origin", "https://other.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(endpoint.status, 204u);
    EXPECT_EQ(endpoint.header("Accept-Post"), "application/sdp");
    EXPECT_EQ(endpoint.header("Access-Control-Allow-Origin"), "*");
    EXPECT_NE(endpoint.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
    EXPECT_NE(endpoint.header("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
    EXPECT_NE(endpoint.header("Access-Control-Expose-Headers").find("Location"), std::string::npos);
    HttpResponse r = created();
    HttpResponse resource = request("OPTIONS", r.header("Location"));
    EXPECT_EQ(resource.status, 204u);
    EXPECT_EQ(resource.header("Accept-Patch"), "application/trickle-ice-sdpfrag");
    EXPECT_NE(resource.header("Access-Control-Allow-Methods").find("PATCH"), std::string::npos);
    EXPECT_NE(resource.header("Access-Control-Allow-Headers").find("If-Match"), std::string::npos);
}

TEST_F(Whip, WhepIsTheSameExchangeFromAWhepCaller) {
    auto exchange = post("whep/bot");
    auto offer = bot_->next_as<Offer>();
    ASSERT_TRUE(offer) << bot_->last_unexpected();
    EXPECT_EQ(offer->name.rfind("whep-", 0), 0u) << offer->name;
    answer(offer->name);
    EXPECT_EQ(exchange->wait().status, 201u);
}

class WhipAuth : public mp::test::SignalServer {
protected:
    void SetUp() override {
        std::ofstream(secret_file_) << kSecret << "\n";
        g_chmod(secret_file_.c_str(), 0600);
        start({"--auth-secret-file", secret_file_});
    }
    std::string mint(const std::string& name) {
        return mp::test::SignalProcess::mint_token(secret_file_, name, "60");
    }
    mp::test::TempDir dir_;
    std::string secret_file_ = dir_.path() + "/secret";
};

TEST_F(WhipAuth, APostNeedsABearerTokenAndASessionIsItsTokensOnly) {
    auto bot = connect();
    ASSERT_TRUE(bot->login("bot", mint("bot")));
    auto bearer = [](const std::string& token) { return mp::test::TestSession::Headers{{"Authorization", "Bearer " + token}}; };
    auto post = [&](mp::test::TestSession::Headers headers) {
        return HttpExchange::send(session_, HttpRequest{"POST", server_->url() + "whip/bot", kOffer,
                                                        "application/sdp", headers});
    };
    HttpResponse none = post({})->wait();
    EXPECT_EQ(none.status, 401u);
    EXPECT_EQ(member(none.body, "code"), code::kTokenRequired);
    EXPECT_NE(none.header("WWW-Authenticate").find("Bearer"), std::string::npos);
    HttpResponse forged = post(bearer("not.a.token"))->wait();
    EXPECT_EQ(forged.status, 401u);
    EXPECT_EQ(member(forged.body, "code"), code::kUnauthorized);
    EXPECT_TRUE(bot->nothing_pending()) << "no unauthorized offer reaches the callee";

    auto exchange = post(bearer(mint("publisher")));
    ASSERT_FRAME(bot, Offer, offer);
    bot->send(Answer{offer->name, answer_json()});
    bot->send(Candidate{offer->name, candidate_json("", "0", 0)});
    HttpResponse r = exchange->wait();
    ASSERT_EQ(r.status, 201u) << r.body;
    std::string url = server_->url() + r.header("Location").substr(1);
    HttpResponse other = mp::test::http(session_, HttpRequest{"DELETE", url, {}, {}, bearer(mint("someone-else"))});
    EXPECT_EQ(other.status, 403u);
    EXPECT_EQ(member(other.body, "code"), code::kNotYourSession);
    EXPECT_EQ(mp::test::http(session_, HttpRequest{"DELETE", url, {}, {}, {}}).status, 401u);
    EXPECT_EQ(mp::test::http(session_, HttpRequest{"DELETE", url, {}, {}, bearer(mint("publisher"))}).status, 200u);
}

namespace {

// What the server sends on one raw TCP connection after `request` (a
// request's head, and whatever of its body the test sends), until it closes
// the connection or `timeout_ms` pass; "" when it cannot connect.
std::string raw_exchange(const std::string& http_url, const std::string& request, int timeout_ms = 3000) {
    GUri* uri = g_uri_parse(http_url.c_str(), G_URI_FLAGS_NONE, nullptr);
    mp::GRef<GSocketClient> client = mp::adopt_ref(g_socket_client_new());
    mp::GRef<GSocketConnection> connection = mp::adopt_ref(
        g_socket_client_connect_to_host(client.get(), g_uri_get_host(uri), g_uri_get_port(uri), nullptr, nullptr));
    g_uri_unref(uri);
    if (!connection) return "";
    GSocket* socket = g_socket_connection_get_socket(connection.get());
    GOutputStream* out = g_io_stream_get_output_stream(G_IO_STREAM(connection.get()));
    g_output_stream_write_all(out, request.data(), request.size(), nullptr, nullptr, nullptr);  // fails once shut
    std::string received;
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    char buffer[4096];
    while (g_get_monotonic_time() < deadline) {
        if (!g_socket_condition_timed_wait(socket, G_IO_IN, deadline - g_get_monotonic_time(), nullptr, nullptr))
            break;
        gssize n = g_socket_receive(socket, buffer, sizeof buffer, nullptr, nullptr);
        if (n <= 0) break;  // closed (or reset)
        received.append(buffer, static_cast<std::size_t>(n));
    }
    return received;
}

std::string chunked(const std::string& body, std::size_t chunk_bytes) {
    std::string out;
    for (std::size_t at = 0; at < body.size(); at += chunk_bytes) {
        std::string piece = body.substr(at, chunk_bytes);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        out += size + piece + "\r\n";
    }
    return out + "0\r\n\r\n";
}

}  // namespace

// libsoup would read any body into memory before a handler could look at it.
TEST_F(Whip, ABodyOverTheLimitIsRefusedAtItsHeadersAndNeverKept) {
    std::string head = "POST /whip/bot HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n";
    // A client that waits for 100 Continue is told at once, its 100 MB never sent.
    std::string told = raw_exchange(server_->url(), head + "Expect: 100-continue\r\nContent-Length: 100000000\r\n\r\n");
    EXPECT_EQ(told.rfind("HTTP/1.1 413", 0), 0u) << told;
    EXPECT_NE(told.find("\"code\":\"bad_sdp\""), std::string::npos) << told;
    // One that sends it anyway gets the 413 after its body, which is dropped as it comes.
    std::string sent = raw_exchange(server_->url(), head + "Content-Length: 2000000\r\n\r\n" + std::string(2000000, 'v'));
    EXPECT_EQ(sent.rfind("HTTP/1.1 413", 0), 0u) << sent.substr(0, 200);
    // Any other path too: no request here has a body over 64 KiB.
    std::string other = raw_exchange(server_->url(), "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                                                     "Content-Length: 100000000\r\n\r\n");
    EXPECT_EQ(other.rfind("HTTP/1.1 413", 0), 0u) << other;
    EXPECT_TRUE(bot_->nothing_pending()) << "no refused POST reaches the callee";
}

TEST_F(Whip, AChunkedBodyIsReadUpToTheLimitAndPastItsConnectionIsShut) {
    std::string head = "POST /whip/nobody HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n"
                       "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string small = raw_exchange(server_->url(), head + chunked(kOffer, 100));
    EXPECT_EQ(small.rfind("HTTP/1.1 404", 0), 0u) << "a chunked offer is read and routed: " << small;
    EXPECT_NE(small.find(code::kNotOnline), std::string::npos) << small;
    std::string large = raw_exchange(server_->url(), head + chunked(std::string(200 * 1024, 'v'), 8192));
    EXPECT_EQ(large.find("HTTP/1.1 2"), std::string::npos) << large;
    EXPECT_EQ(large.find("HTTP/1.1 4"), std::string::npos) << "shut, not answered: " << large;
}
