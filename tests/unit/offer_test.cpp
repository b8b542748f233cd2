// What the server peer answers an offer with: codec choice, directions,
// refusals. SDP written as Chromium writes it.
#include "peer/offer.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

using namespace mp::peer;

namespace {

std::string sdp(const std::string& media) {
    return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n" + media;
}

const std::string kVideoVp9H264 =
    "m=video 9 UDP/TLS/RTP/SAVPF 98 100 102 127\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtpmap:98 VP9/90000\r\n"
    "a=rtpmap:100 H264/90000\r\na=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032\r\n"
    "a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtpmap:127 H264/90000\r\na=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
const std::string kVideoVp8First =
    "m=video 9 UDP/TLS/RTP/SAVPF 96 127\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtpmap:127 H264/90000\r\na=fmtp:127 packetization-mode=1;profile-level-id=42e01f\r\n";
const std::string kAudioBundleOnly =
    "m=audio 0 UDP/TLS/RTP/SAVPF 111 9\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=bundle-only\r\na=recvonly\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=rtpmap:9 G722/8000\r\n";

MediaWishes prefer_h264() {
    MediaWishes wishes;
    wishes.prefer_h264 = true;
    return wishes;
}

// A test source's: media of its own, nothing taken.
MediaWishes only_sends() {
    MediaWishes wishes;
    wishes.video = wishes.audio = KindWishes{true, false, false};
    return wishes;
}

std::string refusal(const std::string& text, const MediaWishes& wishes) {
    auto message = parse_sdp(text);
    EXPECT_TRUE(message.ok()) << message.error();
    auto p = plan_answer(message->get(), wishes);
    return p.ok() ? "" : p.error();
}

OfferPlan plan(const std::string& text, MediaWishes wishes = {}) {
    auto message = parse_sdp(text);
    EXPECT_TRUE(message.ok()) << message.error();
    auto p = plan_answer(message->get(), wishes);
    EXPECT_TRUE(p.ok()) << p.error();
    return p.ok() ? *p : OfferPlan{};
}

class Offers : public testing::Test {
protected:
    static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

}  // namespace

TEST_F(Offers, H264OnlyConstrainedBaselineWithPacketizationMode1) {
    OfferPlan p = plan(sdp(kVideoVp9H264));
    ASSERT_EQ(p.lines.size(), 1u);
    EXPECT_EQ(p.lines[0].encoding, "H264");
    EXPECT_EQ(p.lines[0].payload_type, 127);
    EXPECT_EQ(p.lines[0].rtp_caps.find("application/x-rtp"), 0u) << p.lines[0].rtp_caps;
    EXPECT_EQ(p.lines[0].rtp_caps.find("profile="), std::string::npos) << p.lines[0].rtp_caps;
    EXPECT_TRUE(p.lines[0].we_send && p.lines[0].we_receive);
}

TEST_F(Offers, TheOffersOrderDecidesUnlessH264IsPreferred) {
    EXPECT_EQ(plan(sdp(kVideoVp8First)).lines[0].encoding, "VP8");
    EXPECT_EQ(plan(sdp(kVideoVp8First), prefer_h264()).lines[0].encoding, "H264");
}

TEST_F(Offers, DirectionsFollowWhatTheOfferAllows) {
    MediaWishes sends_and_takes;  // a test source being recorded
    sends_and_takes.video = sends_and_takes.audio = KindWishes{true, false, true};
    OfferPlan p = plan(sdp(kVideoVp8First + kAudioBundleOnly), sends_and_takes);
    ASSERT_EQ(p.lines.size(), 2u);
    // The caller only sends video: we only receive it.
    EXPECT_FALSE(p.lines[0].we_send);
    EXPECT_TRUE(p.lines[0].we_receive);
    // The caller only receives audio (a bundle-only line, port 0): we only send it.
    EXPECT_EQ(p.lines[1].encoding, "OPUS");
    EXPECT_TRUE(p.lines[1].we_send);
    EXPECT_FALSE(p.lines[1].we_receive);
    // A behaviour that only sends never receives.
    EXPECT_FALSE(plan(sdp(kVideoVp9H264), only_sends()).lines[0].we_receive);
}

const std::string kVideoRecvonly =
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n";
const std::string kAudioRecvonly =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\n";
const std::string kAudioSendonly =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n";

TEST_F(Offers, AWhepOfferGetsATestSourcesMediaAndIsAnsweredSendonly) {
    OfferPlan p = plan(sdp(kVideoRecvonly + kAudioRecvonly), only_sends());
    ASSERT_EQ(p.lines.size(), 2u);
    for (const auto& line : p.lines) EXPECT_TRUE(line.we_send && !line.we_receive) << line.kind;
    EXPECT_EQ(p.answered, "video VP8 sendonly; audio OPUS sendonly");
}

TEST_F(Offers, AnEchoRefusesAnOfferThatOnlyReceives) {
    std::string why = refusal(sdp(kVideoRecvonly + kAudioRecvonly), MediaWishes{});
    EXPECT_NE(why.find("only receives media"), std::string::npos) << why;
    EXPECT_NE(why.find("sends back what it receives"), std::string::npos) << why;
}

TEST_F(Offers, AWhipOfferIsTakenByAnEchoOrARecordingWithNothingSentBack) {
    OfferPlan p = plan(sdp(kVideoVp8First + kAudioSendonly));  // an echo, or an echo being recorded
    ASSERT_EQ(p.lines.size(), 2u);
    for (const auto& line : p.lines) EXPECT_TRUE(!line.we_send && line.we_receive) << line.kind;
    EXPECT_EQ(p.answered, "video VP8 recvonly; audio OPUS recvonly");
}

TEST_F(Offers, ABotThatOnlySendsRefusesAnOfferThatOnlySends) {
    std::string why = refusal(sdp(kVideoVp8First + kAudioSendonly), only_sends());
    EXPECT_NE(why.find("only sends media, and this peer takes none"), std::string::npos) << why;
}

TEST_F(Offers, EachKindFollowsItsOwnWishes) {
    MediaWishes wishes;  // video echoed, audio a tone of its own
    wishes.audio = KindWishes{true, false, false};
    OfferPlan p = plan(sdp(kVideoRecvonly + kAudioRecvonly), wishes);
    ASSERT_EQ(p.lines.size(), 2u);
    EXPECT_FALSE(p.lines[0].we_send);  // nothing of ours to echo
    EXPECT_TRUE(p.lines[1].we_send);
}

TEST_F(Offers, NoSupportedCodecIsRefusedNamingWhatWasOffered) {
    auto message = parse_sdp(sdp("m=video 9 UDP/TLS/RTP/SAVPF 98\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
                                 "a=rtpmap:98 VP9/90000\r\n"
                                 "m=audio 9 UDP/TLS/RTP/SAVPF 9\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
                                 "a=rtpmap:9 G722/8000\r\n"));
    ASSERT_TRUE(message.ok());
    auto p = plan_answer(message->get(), {});
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().find("VP9"), std::string::npos) << p.error();
    EXPECT_NE(p.error().find("G722"), std::string::npos) << p.error();
}

TEST_F(Offers, GarbageIsNotSdp) {
    EXPECT_FALSE(parse_sdp("this is not SDP").ok());
    EXPECT_FALSE(parse_sdp("v=0\r\n").ok());  // no m= line
}

namespace {

// aiortc's way: each bundled m-line has ICE credentials of its own.
std::string with_credentials(const char* video_ufrag, const char* audio_ufrag) {
    return sdp(std::string("m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:") +
               video_ufrag + "\r\na=ice-pwd:" + video_ufrag + "pwdpwdpwdpwdpwdpwd\r\na=rtpmap:96 VP8/90000\r\n" +
               "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=ice-ufrag:" + audio_ufrag +
               "\r\na=ice-pwd:" + audio_ufrag + "pwdpwdpwdpwdpwdpwd\r\na=rtpmap:111 opus/48000/2\r\n");
}

}  // namespace

TEST_F(Offers, BundledLinesTakeTheBundleTagsIceCredentials) {
    auto message = parse_sdp(with_credentials("VVVV", "AAAA"));
    ASSERT_TRUE(message.ok());
    EXPECT_EQ(unify_bundle_credentials(message->get()), "0");
    const GstSDPMedia* audio = gst_sdp_message_get_media(message->get(), 1);
    EXPECT_STREQ(gst_sdp_media_get_attribute_val(audio, "ice-ufrag"), "VVVV");
    EXPECT_STREQ(gst_sdp_media_get_attribute_val(audio, "ice-pwd"), "VVVVpwdpwdpwdpwdpwdpwd");
    EXPECT_EQ(gst_sdp_media_attributes_len(audio), gst_sdp_media_attributes_len(gst_sdp_message_get_media(message->get(), 0)))
        << "an attribute was added instead of replaced";
}

TEST_F(Offers, AnOfferWithOneSetOfCredentialsIsLeftAsItIs) {
    auto same = parse_sdp(with_credentials("VVVV", "VVVV"));
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(unify_bundle_credentials(same->get()), "");
    // Without a bundle each line has a transport of its own: its credentials stay.
    std::string text = with_credentials("VVVV", "AAAA");
    text.replace(text.find("a=group:BUNDLE 0 1\r\n"), 20, "");
    auto unbundled = parse_sdp(text);
    ASSERT_TRUE(unbundled.ok());
    EXPECT_EQ(unify_bundle_credentials(unbundled->get()), "");
    EXPECT_STREQ(gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(unbundled->get(), 1), "ice-ufrag"), "AAAA");
}
