// Test source: a moving pattern and a tone, encoded in the negotiated codec,
// sent to the other side; what arrives is depayloaded and counted.
#pragma once

#include "media/media.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

namespace mp::media {

// Frames (video) or packets (audio) received, and their bytes, after depayloading.
struct ReceivedCount {
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> bytes{0};
};
struct ReceivedMedia {
    ReceivedCount video;
    ReceivedCount audio;
};

std::unique_ptr<MediaBehaviour> make_test_source(std::shared_ptr<ReceivedMedia> received);

}  // namespace mp::media
