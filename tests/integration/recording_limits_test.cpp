// Bounded recordings with the real programs: a recording finalized at
// --record-max-seconds, or when its disk runs short of --record-min-free-mib
// (a small tmpfs the test makes and fills), while the call goes on; and no
// recording at all on a disk that is short from the start.
#include "support/peers_fixture.hpp"

#include <glib/gstdio.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ostream>

using namespace mp::test;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

std::uint64_t free_bytes(const std::string& dir) {
    struct statvfs fs;
    return statvfs(dir.c_str(), &fs) == 0 ? std::uint64_t{fs.f_bavail} * fs.f_frsize : 0;
}

// Writes `path` until `dir` has `leave` bytes free, or a little less.
bool fill_up(const std::string& dir, const std::string& path, std::uint64_t leave) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) return false;
    std::string chunk(kMiB, 'x');
    bool ok = true;
    while (ok && free_bytes(dir) > leave) ok = std::fwrite(chunk.data(), 1, chunk.size(), file) == chunk.size() && std::fflush(file) == 0;
    return std::fclose(file) == 0 && ok;
}

std::vector<std::string> recordings_in(const std::string& dir) {
    std::vector<std::string> found;
    for (const auto& file : files_in(dir))
        if (g_str_has_suffix(file.c_str(), ".webm") || g_str_has_suffix(file.c_str(), ".mkv")) found.push_back(file);
    return found;
}

}  // namespace

class RecordingLimits : public Peers {
protected:
    // The bot records to `dir` (a 64 MiB tmpfs with `tmpfs`) and serves /metrics.
    void start(const std::vector<std::string>& limits, bool tmpfs) {
        if (tmpfs) {
            if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
            ASSERT_TRUE(run_command({"mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dir_.path()}));
            mounted_ = true;
        }
        bot_args_ = {"--record-dir", dir_.path(), "--http", "127.0.0.1:0"};
        bot_args_.insert(bot_args_.end(), limits.begin(), limits.end());
        Peers::SetUp();
    }
    void SetUp() override {}  // each test starts its bot with start()
    void TearDown() override {
        bot_.reset();
        if (mounted_) run_command({"umount", "-l", dir_.path()});
    }

    std::string metrics() {
        std::smatch m;
        std::string out = bot_->stdout_text();
        if (!std::regex_search(out, m, std::regex("mediapeer status on (\\S+)"))) return "";
        return http_get(m[1].str() + "metrics").body;
    }

    // Waits for the bot to log the file finalized; true if that was before the call ended.
    bool finalized_mid_call() {
        bool seen = pump_until([&] { return bot_->stderr_text().find("recording finalized") != std::string::npos; }, 15000);
        std::string log = bot_->stderr_text();
        EXPECT_TRUE(seen) << log;
        auto ended = log.find("] ended");
        return seen && (ended == std::string::npos || log.find("recording finalized") < ended);
    }

    // Waits until the call's recording holds bytes.
    void wait_for_bytes() {
        ASSERT_TRUE(pump_until([&] {
            auto files = recordings_in(dir_.path());
            GStatBuf st;
            return files.size() == 1 && g_stat(files[0].c_str(), &st) == 0 && st.st_size > 4096;
        }, 15000)) << bot_->stderr_text();
    }

    TempDir dir_;
    bool mounted_ = false;
};

TEST_F(RecordingLimits, ARecordingEndsAtMaxSecondsWhileTheCallGoesOn) {
    start({"--record-max-seconds", "2"}, false);
    if (HasFatalFailure() || IsSkipped()) return;
    auto caller = start_call("alice", {"--duration", "6"});
    ASSERT_TRUE(caller);
    EXPECT_TRUE(finalized_mid_call()) << bot_->stderr_text();
    double sent_at_limit = sample(metrics(), "mediapeer_rtp_packets_sent_total");
    CallReport r = report_of(*caller, 30000);
    expect_echoed(r);  // media still echoed for the 4 s after the limit
    EXPECT_NE(r.out.find("chat: recording stopped: reached --record-max-seconds (2 s)"), std::string::npos) << r.out;
    ASSERT_TRUE(pump_until([&] { return std::regex_search(bot_->stderr_text(), std::regex(R"(\[call alice#\d+\] ended)")); }, 10000));
    std::string m = metrics();
    EXPECT_GT(sample(m, "mediapeer_rtp_packets_sent_total"), sent_at_limit + 100) << m;
    EXPECT_EQ(sample(m, "mediapeer_recordings_stopped_total{reason=\"max_seconds\"}"), 1) << m;
    EXPECT_EQ(sample(m, "mediapeer_recordings_total"), 1) << m;
    EXPECT_EQ(count_of(bot_->stderr_text(), "recording finalized"), 1u) << bot_->stderr_text();
    auto files = recordings_in(dir_.path());
    ASSERT_EQ(files.size(), 1u);
    Discovered d = discover(files[0]);
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_TRUE(d.finalized) << files[0] << " has no Cues: the muxer never finished";
    EXPECT_NEAR(d.seconds, 2.0, 0.7) << d.text;
}

TEST_F(RecordingLimits, ARecordingIsFinalizedWhenItsDiskRunsShortAndTheCallGoesOn) {
    start({"--record-min-free-mib", "32"}, true);
    if (HasFatalFailure() || IsSkipped()) return;
    auto caller = start_call("alice", {"--duration", "6"});
    ASSERT_TRUE(caller);
    wait_for_bytes();
    ASSERT_TRUE(fill_up(dir_.path(), dir_.file("filler"), 16 * kMiB));
    EXPECT_TRUE(finalized_mid_call()) << bot_->stderr_text();
    CallReport r = report_of(*caller, 30000);
    expect_echoed(r);
    EXPECT_NE(r.out.find("chat: recording stopped: less than 32 MiB free"), std::string::npos) << r.out;
    ASSERT_TRUE(pump_until([&] { return std::regex_search(bot_->stderr_text(), std::regex(R"(\[call alice#\d+\] ended)")); }, 10000));
    std::string m = metrics();
    EXPECT_EQ(sample(m, "mediapeer_recordings_stopped_total{reason=\"low_disk\"}"), 1) << m;
    EXPECT_EQ(sample(m, "mediapeer_recordings_total"), 1) << m;
    auto files = recordings_in(dir_.path());
    ASSERT_EQ(files.size(), 1u);
    Discovered d = discover(files[0]);
    EXPECT_TRUE(d.ok) << d.text;
    EXPECT_TRUE(d.finalized) << files[0] << " has no Cues: the muxer never finished";
    EXPECT_GT(d.seconds, 0.0) << d.text;
    EXPECT_LT(d.seconds, 5.0) << d.text;
}

TEST_F(RecordingLimits, NoRecordingStartsOnADiskAlreadyShortOfSpace) {
    start({"--record-min-free-mib", "32"}, true);
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_TRUE(fill_up(dir_.path(), dir_.file("filler"), 16 * kMiB));
    expect_echoed(call("alice"));
    ASSERT_TRUE(pump_until([&] { return std::regex_search(bot_->stderr_text(), std::regex(R"(\[call alice#\d+\] ended)")); }, 10000));
    EXPECT_TRUE(recordings_in(dir_.path()).empty());
    EXPECT_NE(bot_->stderr_text().find("not recording"), std::string::npos) << bot_->stderr_text();
    std::string m = metrics();
    EXPECT_EQ(sample(m, "mediapeer_recordings_refused_total{reason=\"low_disk\"}"), 1) << m;
    EXPECT_EQ(sample(m, "mediapeer_recordings_total"), 0) << m;
}

// Files of the names the bot's recordings may take (the stem changes each
// second) are there already: the recording gets a name of its own ("-2")
// and none of them is written over.
TEST_F(RecordingLimits, ARecordingNeverWritesOverAFileOfItsName) {
    start({}, false);
    if (HasFatalFailure() || IsSkipped()) return;
    std::vector<std::string> taken;
    gint64 now_s = g_get_real_time() / G_USEC_PER_SEC;
    for (gint64 s = now_s - 1; s < now_s + 30; ++s) {
        GDateTime* at = g_date_time_new_from_unix_utc(s);
        mp::GCharPtr stamp(g_date_time_format(at, "%Y%m%dT%H%M%SZ"));
        g_date_time_unref(at);
        taken.push_back(dir_.file(std::string(stamp.get()) + "-alice.webm"));
        ASSERT_TRUE(g_file_set_contents(taken.back().c_str(), "someone's", -1, nullptr));
    }
    expect_echoed(call("alice"));
    ASSERT_TRUE(pump_until([&] { return bot_->stderr_text().find("recording finalized") != std::string::npos; }, 10000))
        << bot_->stderr_text();
    auto files = recordings_in(dir_.path());
    ASSERT_EQ(files.size(), taken.size() + 1) << bot_->stderr_text();
    std::vector<std::string> made;
    for (const auto& file : files)
        if (std::find(taken.begin(), taken.end(), file) == taken.end()) made.push_back(file);
    ASSERT_EQ(made.size(), 1u);
    EXPECT_TRUE(g_str_has_suffix(made[0].c_str(), "-alice-2.webm")) << made[0];
    EXPECT_TRUE(discover(made[0]).ok) << made[0];
    for (const auto& file : taken) {
        char* contents = nullptr;
        ASSERT_TRUE(g_file_get_contents(file.c_str(), &contents, nullptr, nullptr)) << file;
        mp::GCharPtr owned(contents);
        EXPECT_STREQ(contents, "someone's") << file << " was written over";
    }
}

struct BadLimit {
    const char* flag;
    const char* value;
};

class RecordingLimitsStartup : public testing::TestWithParam<BadLimit> {};

TEST_P(RecordingLimitsStartup, ANegativeLimitIsAClearErrorAtStartUp) {
    TempDir dir;
    auto bot = Process::start({built_program("mediapeer"), "--record-dir", dir.path(), GetParam().flag, GetParam().value});
    ASSERT_TRUE(bot);
    EXPECT_EQ(bot->wait(10000), 2);
    EXPECT_NE(bot->stderr_text().find(std::string(GetParam().flag) + " " + GetParam().value + ": give 0 (no limit) or more"),
              std::string::npos)
        << bot->stderr_text();
}

void PrintTo(const BadLimit& limit, std::ostream* out) { *out << limit.flag << " " << limit.value; }

INSTANTIATE_TEST_SUITE_P(Flags, RecordingLimitsStartup,
                         testing::Values(BadLimit{"--record-max-seconds", "-1"}, BadLimit{"--record-min-free-mib", "-5"}),
                         [](const testing::TestParamInfo<BadLimit>& info) {
                             return std::string(info.param.flag + 2) == "record-max-seconds" ? "MaxSeconds" : "MinFreeMib";
                         });
