// What the RTP forwarder lets through to SRTP: each sequence number once,
// and nothing SRTP's replay window would refuse (srtpenc fails the whole
// call on such a packet).
#include "media/rtp_forward.hpp"

#include <gtest/gtest.h>

using mp::media::SentWindow;

TEST(SentWindow, PassesAStreamInOrder) {
    SentWindow w;
    for (guint16 s = 100; s < 300; ++s) EXPECT_TRUE(w.first_time(s)) << s;
}

TEST(SentWindow, DropsASecondCopy) {
    SentWindow w;
    for (guint16 s = 10; s <= 20; ++s) w.first_time(s);
    EXPECT_FALSE(w.first_time(20));
    EXPECT_FALSE(w.first_time(15)) << "a retransmission of what went out already";
}

TEST(SentWindow, PassesALatePacketOnceIfRecent) {
    SentWindow w;
    w.first_time(1);
    w.first_time(3);  // 2 is missing: asked for again
    w.first_time(4);
    EXPECT_TRUE(w.first_time(2)) << "the retransmission";
    EXPECT_FALSE(w.first_time(2)) << "the original, arriving after all";
}

TEST(SentWindow, DropsWhatIsTooOld) {
    SentWindow w;
    w.first_time(1000);
    w.first_time(1000 + SentWindow::kSize);
    EXPECT_FALSE(w.first_time(1000)) << "just behind the window";
    EXPECT_TRUE(w.first_time(1001)) << "just inside the window, never seen";
    EXPECT_FALSE(w.first_time(1001)) << "seen now";
}

TEST(SentWindow, FollowsTheSequenceNumberAcrossItsWrap) {
    SentWindow w;
    EXPECT_TRUE(w.first_time(65534));
    EXPECT_TRUE(w.first_time(1));  // 65535 and 0 missing
    EXPECT_TRUE(w.first_time(0));
    EXPECT_TRUE(w.first_time(65535));
    EXPECT_FALSE(w.first_time(65534));
    EXPECT_TRUE(w.first_time(2));
}

TEST(SentWindow, AJumpAheadStartsAFreshWindow) {
    SentWindow w;
    w.first_time(10);
    EXPECT_TRUE(w.first_time(5000));
    EXPECT_TRUE(w.first_time(4999)) << "never seen, inside the new window";
    EXPECT_FALSE(w.first_time(10)) << "far behind now";
}
