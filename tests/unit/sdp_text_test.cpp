// SDP as the WHIP/WHEP endpoints handle it: an offer's mids and credentials,
// a PATCH's sdpfrag, and candidates spliced into an answer.
#include "protocol/sdp_text.hpp"

#include <gtest/gtest.h>

using namespace mp::protocol;

namespace {

const std::string kOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:sess\r\na=ice-pwd:sesspwd\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a0\r\na=ice-ufrag:line\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v1\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";

}  // namespace

TEST(SdpSummary, GivesEachMLinesMidAndTheSessionCredentials) {
    auto summary = summarize_sdp(kOffer);
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->mids, (std::vector<std::string>{"a0", "v1", ""}));
    EXPECT_EQ(summary->ice_ufrag, "sess");
    EXPECT_EQ(summary->ice_pwd, "sesspwd");
}

TEST(SdpSummary, TakesTheFirstMLinesCredentialsWithoutSessionOnes) {
    auto summary = summarize_sdp("v=0\nm=audio 9 RTP/AVP 0\na=ice-ufrag:u1\na=ice-pwd:p1\nm=video 9 RTP/AVP 96\na=ice-ufrag:u2\n");
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->ice_ufrag, "u1") << "LF-only lines are read too";
    EXPECT_EQ(summary->ice_pwd, "p1");
}

TEST(SdpSummary, RefusesWhatIsNotSdp) {
    for (const std::string& text : {std::string(""), std::string("hello"), std::string("v=0\r\ns=-\r\n"),
                                    std::string("s=-\r\nv=0\r\nm=audio 9 RTP/AVP 0\r\n"),
                                    std::string("v=0\r\nm=audio 9 RTP/AVP 0\r\nX=upper\r\n"),
                                    std::string("v=0\r\nm=audio 9 RTP/AVP 0\r\na=x\x01y\r\n"),
                                    std::string("v=0\r\nm=audio 9 RTP/AVP 0\r\na=\xff\r\n"),
                                    "v=0\r\nm=audio 9 RTP/AVP 0\r\na=" + std::string(kMaxSdpBytes, 'x') + "\r\n"})
        EXPECT_FALSE(summarize_sdp(text)) << text.substr(0, 40);
}

TEST(SdpFrag, ReadsCredentialsCandidatesByMidAndTheEnd) {
    auto frag = parse_sdpfrag(
        "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uY\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
        "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host\r\nm=video 9 RTP/AVP 0\r\na=mid:1\r\n"
        "a=candidate:2 1 udp 2122194687 198.51.100.2 61765 typ host\r\na=end-of-candidates\r\n");
    ASSERT_TRUE(frag) << frag.error();
    EXPECT_EQ(frag->ice_ufrag, "EsAw");
    EXPECT_EQ(frag->ice_pwd, "P2uY");
    EXPECT_EQ(frag->candidates,
              (std::vector<SdpCandidate>{{"candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host", "0", 0},
                                         {"candidate:2 1 udp 2122194687 198.51.100.2 61765 typ host", "1", 0}}));
    EXPECT_TRUE(frag->end_of_candidates);
}

TEST(SdpFrag, RefusesACandidateOutsideAnMLineAndBrokenLines) {
    EXPECT_FALSE(parse_sdpfrag("a=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n"));
    EXPECT_FALSE(parse_sdpfrag("m=audio 9 RTP/AVP 0\r\nnot a line\r\n"));
    auto empty = parse_sdpfrag("");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->candidates.empty());
    EXPECT_FALSE(empty->end_of_candidates);
}

TEST(SdpWithCandidates, PutsEachCandidateAtTheEndOfItsSectionOnceAndMarksTheEnd) {
    std::string sdp = "v=0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n"
                      "m=video 9 RTP/AVP 96\r\na=mid:1\r\n";
    std::string merged = sdp_with_candidates(
        sdp,
        {{"candidate:1 1 udp 1 192.0.2.1 1 typ host", "0", 0},  // already there
         {"candidate:2 1 udp 1 192.0.2.1 2 typ host", "1", 1},
         {"candidate:3 1 udp 1 192.0.2.1 3 typ host\r\na=injected", "1", 1},  // not one line
         {"not-a-candidate", "1", 1},
         {"candidate:4 1 udp 1 192.0.2.1 4 typ host", "9", 9}},  // no such m-line
        true);
    EXPECT_EQ(merged,
              "v=0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n"
              "a=end-of-candidates\r\nm=video 9 RTP/AVP 96\r\na=mid:1\r\na=candidate:2 1 udp 1 192.0.2.1 2 typ host\r\n"
              "a=end-of-candidates\r\n");
    EXPECT_EQ(sdp_with_candidates(merged, {}, true), merged) << "an end already marked is not repeated";
}
