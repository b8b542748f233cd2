// Recording: the caller's media written to a file as it arrives (no
// re-encoding), beside whatever the inner behaviour does with it. VP8/Opus go
// to WebM, H.264 to Matroska. The file is finalized (EOS through the muxer)
// when the call ends, however it ends.
#pragma once

#include "media/media.hpp"

#include <memory>
#include <string>

namespace mp::media {

// `path_stem`: the file's path without extension (".webm" or ".mkv" is added).
std::unique_ptr<MediaBehaviour> make_recording(std::unique_ptr<MediaBehaviour> inner,
                                               std::string path_stem);

// To exactly `path`: ".webm" (VP8/Opus only) or ".mkv".
std::unique_ptr<MediaBehaviour> make_recording_to(std::unique_ptr<MediaBehaviour> inner, std::string path);

// "<dir>/<UTC time>-<caller>", the caller's name made safe for a file name.
std::string recording_stem(const std::string& dir, const std::string& caller);

}  // namespace mp::media
