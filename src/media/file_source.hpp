// A media file to stream (--play): checked once at start-up, so that a
// missing, unreadable or unplayable file is an error then, not at a call.
#pragma once

#include "common/result.hpp"

#include <gst/gst.h>

#include <optional>
#include <string>

namespace mp::media {

struct FileSource {
    std::string path;
    // The file's first stream of each kind, as its media type
    // ("video/x-vp8", "video/x-h264", "audio/x-opus", "audio/mpeg", ...).
    std::optional<std::string> video_type, audio_type;
    // The codec a call can take as it is ("VP8", "H264", "OPUS"), "" when
    // the stream must be transcoded (another codec, or H.264 above
    // constrained baseline, which WebRTC peers negotiate).
    std::string video_encoding, audio_encoding;
    double duration_s = 0;

    // The stream's media type of `kind` ("video"/"audio"), if the file has one.
    const std::optional<std::string>& type_of(const std::string& kind) const {
        return kind == "video" ? video_type : audio_type;
    }
    const std::string& encoding_of(const std::string& kind) const {
        return kind == "video" ? video_encoding : audio_encoding;
    }
};

// Reads the file's streams (GstDiscoverer). The error names the file and why.
Result<FileSource, std::string> probe_file(const std::string& path);

// Our encoding name for a stream's caps ("VP8", "H264", "OPUS"), "" if a
// call cannot take it as it is.
std::string passthrough_encoding(const GstCaps* caps);

}  // namespace mp::media
