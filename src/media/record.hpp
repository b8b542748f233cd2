// Recording: the caller's media written to a file as it arrives (no
// re-encoding), beside whatever the inner behaviour does with it. VP8/Opus go
// to WebM, H.264 to Matroska. The file is finalized (EOS through the muxer)
// when the call ends, however it ends, or earlier at a limit (its length,
// the free space on its disk) while the call goes on.
#pragma once

#include "common/result.hpp"
#include "media/media.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mp::media {

// What a recording may take; 0 is no limit.
struct RecordLimits {
    unsigned max_seconds = 0;          // finalized at this length, the call goes on
    std::uint64_t min_free_bytes = 0;  // not started, or finalized, under this much free space
};

// `path_stem`: the file's path without extension: ".webm" or ".mkv" is added,
// and "-2", "-3"... before it when that file exists already.
std::unique_ptr<MediaBehaviour> make_recording(std::unique_ptr<MediaBehaviour> inner,
                                               std::string path_stem, RecordLimits limits = {});

// To exactly `path`: ".webm" (VP8/Opus only) or ".mkv".
std::unique_ptr<MediaBehaviour> make_recording_to(std::unique_ptr<MediaBehaviour> inner, std::string path);

// "<dir>/<UTC time>-<caller>", the caller's name made safe for a file name.
std::string recording_stem(const std::string& dir, const std::string& caller);

// Creates the first of `stem + extension`, `stem-2 + extension`, `-3`...
// that does not exist (O_EXCL: two recordings never share a file): its path,
// or why none could be created.
Result<std::string, std::string> claim_recording_path(const std::string& stem, const std::string& extension);

// Bytes an unprivileged writer may still use on the file system of `path`.
std::optional<std::uint64_t> free_bytes(const std::string& path);

}  // namespace mp::media
