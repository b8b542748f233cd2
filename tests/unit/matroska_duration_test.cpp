// Finding and writing a Matroska file's Duration value in place.
#include "media/matroska_duration.hpp"

#include <gtest/gtest.h>

using namespace mp::media;

namespace {

// EBML header, Segment of unknown size, Info with TimecodeScale and Duration 0.
std::string matroska_head() {
    std::string head("\x1a\x45\xdf\xa3\x84webm", 8);
    head += std::string("\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff", 12);
    head += std::string("\x15\x49\xa9\x66\x90", 5);
    head += std::string("\x2a\xd7\xb1\x83\x0f\x42\x40", 7);
    head += std::string("\x44\x89\x88", 3) + std::string(8, '\0');
    return head;
}

}  // namespace

TEST(MatroskaDuration, TheValueIsFoundAfterTheInfoElement) {
    std::string head = matroska_head();
    auto at = find_duration_value(head);
    ASSERT_TRUE(at);
    EXPECT_EQ(*at, head.size() - 8);
}

TEST(MatroskaDuration, NoInfoOrAnIncompleteValueIsNotFound) {
    std::string head = matroska_head();
    EXPECT_FALSE(find_duration_value(head.substr(0, 20)));
    EXPECT_FALSE(find_duration_value(head.substr(0, head.size() - 1)));
}

TEST(MatroskaDuration, MillisecondsAreWrittenAsABigEndianDouble) {
    EXPECT_EQ(duration_bytes(4000.0), std::string("\x40\xaf\x40\x00\x00\x00\x00\x00", 8));
}
