// Keeping a Matroska/WebM file's Duration true while it is being written.
// The muxer writes Duration (as 0) in the header and the real value only when
// it finishes; a process killed mid-recording (kill -9, power loss) would
// leave a file whose players and gst-discoverer say it lasts 0 s although its
// clusters hold every second up to the kill. Rewriting the 8 bytes of the
// Duration value every second keeps what is on disk within a second of true.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mp::media {

// Where the Duration value (an 8-byte big-endian float) sits in a Matroska
// file's first bytes, if they hold it.
std::optional<std::size_t> find_duration_value(std::string_view head);

// The 8 bytes of `ms` as Matroska writes a float (TimecodeScale 1 ms).
std::string duration_bytes(double ms);

// Rewrites the Duration of the file at `path` in place; false if the file
// does not (yet) hold a Duration to rewrite.
bool write_duration(const std::string& path, double ms);

}  // namespace mp::media
