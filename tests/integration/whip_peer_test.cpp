// WHIP to the real server peer: mediapeer answers an HTTP offer like any
// other, and the 201 holds its candidates and their end (mediapeer says when
// it has gathered them all, so the endpoint does not wait them out).
#include "support/http_exchange.hpp"
#include "support/peers_fixture.hpp"
#include "support/pump.hpp"

using namespace mp::test;

namespace {

// A browser's offer, by hand: Opus and VP8 both ways, bundled, trickle ICE.
std::string browser_offer() {
    std::string fingerprint = "a=fingerprint:sha-256 ";
    for (int i = 0; i < 32; ++i) fingerprint += (i ? ":" : "") + std::string("AB");
    std::string media_common = "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:wh1p\r\n"
                               "a=ice-pwd:whippwdwhippwdwhippwdwh\r\na=ice-options:trickle\r\n" +
                               fingerprint + "\r\na=setup:actpass\r\n";
    return "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
           "a=msid-semantic: WMS\r\n"
           "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" + media_common +
           "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
           "a=fmtp:111 minptime=10;useinbandfec=1\r\na=ssrc:1001 cname:whiptest\r\n"
           "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" + media_common +
           "a=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:96 VP8/90000\r\n"
           "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=ssrc:2002 cname:whiptest\r\n";
}

// mediapeer-call as a WHIP client (`--whip`) or WHEP player (`--whep`) of
// `path` on the signaling server, for a 2 s call; its report.
CallReport http_call(const SignalProcess& signal, const std::string& flag, const std::string& path,
                     const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {built_program("mediapeer-call"), flag, signal.url() + path,
                                     "--ice-address", "127.0.0.1", "--duration", "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto caller = Process::start(argv);
    EXPECT_TRUE(caller);
    return caller ? Peers::report_of(*caller, 30000) : CallReport{};
}

}  // namespace

TEST_F(Peers, AWhipOfferIsAnsweredByTheServerPeerWithEveryCandidateAndTheirEnd) {
    auto created = mp::test::http(session_, HttpRequest{"POST", signal_->url() + "whip/server", browser_offer(),
                                                        "application/sdp", {}}, 10000);
    ASSERT_EQ(created.status, 201u) << created.body << created.error << bot_->stderr_text();
    EXPECT_NE(created.body.find("a=candidate:"), std::string::npos) << created.body;
    EXPECT_NE(created.body.find("127.0.0.1"), std::string::npos) << created.body;
    EXPECT_NE(created.body.find("a=end-of-candidates"), std::string::npos)
        << "mediapeer did not say it had sent every candidate: " << created.body;
    auto deleted = mp::test::http(session_, HttpRequest{"DELETE", signal_->url() + created.header("Location").substr(1),
                                                        {}, {}, {}});
    EXPECT_EQ(deleted.status, 200u) << deleted.body;
    EXPECT_TRUE(pump_until([&] { return bot_->stderr_text().find("] ended: ") != std::string::npos; }, 10000))
        << "the DELETE did not end the call: " << bot_->stderr_text();
}

// mediapeer-call as a WHIP client: its offer POSTed, its candidates PATCHed,
// its hang-up a DELETE; the server peer echoes what it sends.
TEST_F(Peers, MediapeerCallAsAWhipClientGetsItsMediaBackFromTheServerPeer) {
    CallReport r = http_call(*signal_, "--whip", "whip/server");
    expect_echoed(r);
    EXPECT_NE(r.err.find("whip: session ended (200)"), std::string::npos) << "no DELETE: " << r.err;
    EXPECT_TRUE(pump_until([&] { return bot_->stderr_text().find("] ended: ") != std::string::npos; }, 10000))
        << bot_->stderr_text();
}

TEST_F(Peers, MediapeerCallAsAWhipClientSaysWhyItsOfferWasRefused) {
    CallReport r = http_call(*signal_, "--whip", "whip/nobody");
    EXPECT_NE(r.status, 0);
    EXPECT_NE((r.out + r.err).find("(not_online)"), std::string::npos) << r.out << r.err;
}

// One-way offers. A WHEP player's offer only receives: a test-source bot
// sends it its pattern and tone, which mediapeer-call --whep records; an echo
// has nothing of its own and refuses it, saying why.
class WhepPlayers : public Peers {
protected:
    WhepPlayers() { bot_args_ = {"--name", "tester", "--pipeline", "test"}; }
    mp::test::TempDir dir_;
};

TEST_F(WhepPlayers, MediapeerCallAsAWhepPlayerReceivesATestSourcesVideoAndAudio) {
    std::string recording = dir_.path() + "/played.webm";
    CallReport r = http_call(*signal_, "--whep", "whep/tester", {"--record", recording});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.video_sent, 0) << "a player sends nothing: " << r.out;
    EXPECT_GT(r.video_received, 30) << r.out;
    EXPECT_GT(r.audio_received, 50) << r.out;
    EXPECT_NE(bot_->stderr_text().find("answering video VP8 sendonly; audio OPUS sendonly"), std::string::npos)
        << bot_->stderr_text();
    Discovered d = discover(recording);
    EXPECT_TRUE(d.ok && d.finalized) << d.text;
    EXPECT_NE(d.text.find("VP8"), std::string::npos) << d.text;
    EXPECT_NE(d.text.find("Opus"), std::string::npos) << d.text;
}

TEST_F(Peers, AnEchoRefusesAWhepOfferAndThePlayerIsToldWhy) {
    CallReport r = http_call(*signal_, "--whep", "whep/server");
    EXPECT_NE(r.status, 0);
    std::string said = r.out + r.err;
    EXPECT_NE(said.find("(offer_refused)"), std::string::npos) << said;
    EXPECT_NE(said.find("only receives media"), std::string::npos) << said;
    EXPECT_NE(bot_->stderr_text().find("refused the offer: the offer only receives media"), std::string::npos)
        << bot_->stderr_text();
}
