// Recording file names: two recordings of one caller in the same second get
// two files, never one overwritten.
#include "media/record.hpp"

#include "common/gobj.hpp"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <string>

using namespace mp::media;

namespace {

struct ScratchDir {
    ScratchDir() : path(mp::GCharPtr(g_dir_make_tmp("recording-path-XXXXXX", nullptr)).get()) {}
    ~ScratchDir() {
        if (GDir* d = g_dir_open(path.c_str(), 0, nullptr)) {
            while (const char* name = g_dir_read_name(d)) g_remove((path + "/" + name).c_str());
            g_dir_close(d);
        }
        g_rmdir(path.c_str());
    }
    std::string path;
};

}  // namespace

TEST(RecordingPath, TheSameCallerInTheSameSecondGetsDistinctFiles) {
    ScratchDir dir;
    std::string stem = recording_stem(dir.path, "alice");
    auto first = claim_recording_path(stem, ".webm");
    auto second = claim_recording_path(stem, ".webm");
    auto third = claim_recording_path(stem, ".webm");
    ASSERT_TRUE(first && second && third);
    EXPECT_NE(*first, *second);
    EXPECT_NE(*second, *third);
    EXPECT_EQ(*first, stem + ".webm");
    EXPECT_EQ(*second, stem + "-2.webm");
    EXPECT_EQ(*third, stem + "-3.webm");
    for (const auto& path : {*first, *second, *third}) EXPECT_TRUE(g_file_test(path.c_str(), G_FILE_TEST_EXISTS)) << path;
}

TEST(RecordingPath, AFileOfTheNameIsNeverTakenOver) {
    ScratchDir dir;
    std::string stem = dir.path + "/20240101T000000Z-bob";
    ASSERT_TRUE(g_file_set_contents((stem + ".mkv").c_str(), "someone's", -1, nullptr));
    auto claimed = claim_recording_path(stem, ".mkv");
    ASSERT_TRUE(claimed);
    EXPECT_EQ(*claimed, stem + "-2.mkv");
    char* kept = nullptr;
    ASSERT_TRUE(g_file_get_contents((stem + ".mkv").c_str(), &kept, nullptr, nullptr));
    mp::GCharPtr owned(kept);
    EXPECT_STREQ(kept, "someone's");
}

TEST(RecordingPath, AnUnwritableDirectoryIsAnError) {
    auto claimed = claim_recording_path("/nonexistent/dir/stem", ".webm");
    ASSERT_FALSE(claimed);
    EXPECT_NE(claimed.error().find("/nonexistent/dir/stem.webm"), std::string::npos) << claimed.error();
}

TEST(RecordingPath, RecordingStemKeepsTheCallerSafe) {
    std::string stem = recording_stem("/r", "a/b c");
    EXPECT_EQ(stem.rfind("/r/", 0), 0u) << stem;
    EXPECT_TRUE(g_str_has_suffix(stem.c_str(), "-a_b_c")) << stem;
}
