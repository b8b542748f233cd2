// Pipeline templates: placeholders, the shipped templates, what a template
// asks of the answer, and when a file's stream can pass through untouched.
#include "media/pipeline_template.hpp"

#include "common/gst_ptr.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

using namespace mp::media;

namespace {

class PipelineTemplates : public testing::Test {
protected:
    static void SetUpTestSuite() { gst_init(nullptr, nullptr); }

    static MediaLine line(const char* kind, const char* encoding) {
        MediaLine l;
        l.kind = kind;
        l.encoding = encoding;
        l.payload_type = 102;
        l.ssrc = 4000000000u;
        return l;
    }

    static FileSource file(std::string video_encoding) {
        FileSource f;
        f.path = "/media/a \"quoted\" name.mkv";
        f.video_type = "video/x-h264";
        f.video_encoding = std::move(video_encoding);
        return f;
    }
};

}  // namespace

TEST_F(PipelineTemplates, PlaceholdersBecomeTheLinesElements) {
    auto vp8 = expand("{depay} ! {parse} ! {pay}", line("video", "VP8"), nullptr);
    ASSERT_TRUE(vp8) << vp8.error();
    EXPECT_EQ(*vp8, "rtpvp8depay name=depay ! identity silent=true ! "
                    "rtpvp8pay name=pay pt=102 ssrc=4000000000 picture-id-mode=15-bit");
    auto h264 = expand("{depay} ! {parse} ! {pay}", line("video", "H264"), nullptr);
    ASSERT_TRUE(h264);
    EXPECT_NE(h264->find("rtph264depay name=depay ! h264parse ! capsfilter caps=video/x-h264,stream-format=byte-stream"),
              std::string::npos)
        << *h264;
    auto opus = expand("{encoder}", line("audio", "OPUS"), nullptr);
    ASSERT_TRUE(opus);
    EXPECT_EQ(opus->rfind("opusenc", 0), 0u) << *opus;
}

TEST_F(PipelineTemplates, ACapsListInBracesIsNotAPlaceholder) {
    auto text = expand("video/x-raw,format={ I420, NV12 } ! {pay}", line("video", "VP8"), nullptr);
    ASSERT_TRUE(text);
    EXPECT_EQ(text->rfind("video/x-raw,format={ I420, NV12 } ! rtpvp8pay", 0), 0u) << *text;
}

TEST_F(PipelineTemplates, AnUnknownPlaceholderIsAnError) {
    auto text = expand("{depay} ! {payy}", line("video", "VP8"), nullptr);
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error(), "unknown placeholder {payy}");
}

TEST_F(PipelineTemplates, FilePlaceholdersQuoteThePathAndPassThroughOnlyWhatWasNegotiated) {
    FileSource baseline = file("H264"), high = file("");
    EXPECT_EQ(*expand("filesrc location={file}", line("video", "H264"), &baseline),
              R"(filesrc location="/media/a \"quoted\" name.mkv")");
    EXPECT_EQ(*expand("{file-caps}", line("video", "H264"), &baseline), "capsfilter caps=video/x-h264");
    EXPECT_EQ(*expand("{convert}", line("video", "H264"), &baseline), "h264parse");
    EXPECT_EQ(expand("{convert}", line("video", "H264"), &high)->rfind("decodebin ! videoconvert", 0), 0u);
    EXPECT_NE(expand("{convert}", line("video", "VP8"), &baseline)->find("vp8enc"), std::string::npos);
    auto no_audio = expand("{file-caps}", line("audio", "OPUS"), &baseline);
    ASSERT_FALSE(no_audio);
    EXPECT_NE(no_audio.error().find("has no audio stream"), std::string::npos);
    EXPECT_FALSE(expand("{file}", line("video", "VP8"), nullptr));
}

TEST_F(PipelineTemplates, SendSourceIsTheSendFragmentWithoutItsPayloader) {
    EXPECT_EQ(send_source("videotestsrc ! {encoder} ! {pay}  "), "videotestsrc ! {encoder}");
}

TEST_F(PipelineTemplates, TheShippedTemplatesLoadAndSayWhatTheyDo) {
    auto echo = load_template("echo", MP_PIPELINES_DIR, nullptr);
    ASSERT_TRUE(echo) << echo.error();
    EXPECT_TRUE(echo->sends() && echo->receives());
    EXPECT_TRUE(echo->video.forwards() && echo->audio.forwards()) << "the default echo forwards RTP";
    auto repay = load_template("echo-repay", MP_PIPELINES_DIR, nullptr);
    ASSERT_TRUE(repay) << repay.error();
    EXPECT_FALSE(repay->video.forwards());
    auto test = load_template("test", MP_PIPELINES_DIR, nullptr);
    ASSERT_TRUE(test) << test.error();
    EXPECT_TRUE(test->sends());
    EXPECT_FALSE(test->receives()) << "the test source answers send-only";
    FileSource f = file("H264");
    f.audio_type = "audio/x-opus";
    f.audio_encoding = "OPUS";
    auto play = load_template("play", MP_PIPELINES_DIR, &f);
    ASSERT_TRUE(play) << play.error();
    EXPECT_TRUE(play->uses_file());
    auto without_file = load_template("play", MP_PIPELINES_DIR, nullptr);
    ASSERT_FALSE(without_file);
    EXPECT_NE(without_file.error().find("give --play FILE"), std::string::npos);
}

TEST_F(PipelineTemplates, OnlyWebrtcCodecsPassThrough) {
    auto encoding = [](const char* caps) {
        mp::CapsPtr c(gst_caps_from_string(caps));
        return passthrough_encoding(c.get());
    };
    EXPECT_EQ(encoding("video/x-vp8"), "VP8");
    EXPECT_EQ(encoding("audio/x-opus"), "OPUS");
    EXPECT_EQ(encoding("video/x-h264,profile=constrained-baseline"), "H264");
    EXPECT_EQ(encoding("video/x-h264,profile=high"), "");
    EXPECT_EQ(encoding("video/x-vp9"), "");
    EXPECT_EQ(encoding("audio/mpeg,mpegversion=4"), "");
}
