// Test source: a moving pattern and a tone, encoded in the negotiated codec,
// sent to the other side; what arrives is depayloaded and counted.
#pragma once

#include "media/media.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

namespace mp::media {

// Encoded frames (video) or packets (audio) and their bytes: sent as they
// enter the payloader, received as they leave the depayloader.
struct FlowCount {
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> bytes{0};
};
struct MediaCounts {
    FlowCount video_sent, audio_sent;
    FlowCount video_received, audio_received;
};

std::unique_ptr<MediaBehaviour> make_test_source(std::shared_ptr<MediaCounts> counts);

}  // namespace mp::media
