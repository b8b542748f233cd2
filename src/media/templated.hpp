// The media behaviour a pipeline template describes (echo, test, play, or a
// user's own): per media line, the template's fragment is built into the
// call's pipeline around webrtcbin.
#pragma once

#include "media/file_source.hpp"
#include "media/media.hpp"
#include "media/pipeline_template.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

namespace mp::media {

// What passed one way on a line, and its bytes. Where a template's fragment
// carries the line, a buffer is an encoded frame (video) or packet (audio),
// counted as it enters the payloader (sent) or leaves the depayloader
// (received); on a forwarded line (loop = {forward}) it is an RTP packet.
struct FlowCount {
    std::atomic<std::uint64_t> buffers{0};
    std::atomic<std::uint64_t> bytes{0};

    void add(GstBuffer* buffer) {
        ++buffers;
        bytes += gst_buffer_get_size(buffer);
    }
};
struct MediaCounts {
    FlowCount video_sent, audio_sent;
    FlowCount video_received, audio_received;
};

struct TemplateSettings {
    std::shared_ptr<const PipelineTemplate> pipeline;
    std::shared_ptr<const FileSource> file;  // what {file} plays, if the template does
    bool loop = false;                        // a source that ends starts again; else the call ends
    std::shared_ptr<MediaCounts> counts;      // optional
};

std::unique_ptr<MediaBehaviour> make_templated(TemplateSettings settings);

// The reason a call ends with when what it played is over (not a failure).
inline constexpr const char* kFileEnded = "the file ended";

}  // namespace mp::media
