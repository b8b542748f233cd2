// The server peer's data-channel answers.
#include "peer/chat.hpp"

#include <gtest/gtest.h>

using namespace mp::peer;

TEST(Chat, EchoesTextAndExplainsCommands) {
    EXPECT_EQ(chat_reply("hello"), "echo: hello");
    EXPECT_EQ(chat_reply(""), "echo: ");
    EXPECT_NE(chat_reply("/help")->find("/stats"), std::string::npos);
    EXPECT_EQ(chat_reply("/stats"), std::nullopt);  // answered once the stats arrive
}

TEST(Chat, StatsLine) {
    CallStats s;
    s.codecs = "VP8, OPUS";
    s.packets_received = 1200;
    s.packets_lost = 3;
    s.bytes_received = 1'000'000;
    s.seconds = 8;
    s.rtt_ms = 1.25;
    EXPECT_EQ(format_stats(s),
              "codec VP8, OPUS; bitrate in 1000 kbit/s; packets received 1200, lost 3; rtt 1.2 ms");
    s.rtt_ms.reset();
    s.seconds = 0;
    EXPECT_EQ(format_stats(s),
              "codec VP8, OPUS; bitrate in 0 kbit/s; packets received 1200, lost 3; rtt unknown");
}
