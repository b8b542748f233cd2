#include "media/file_source.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"

#include <gst/pbutils/pbutils.h>
#include <glib/gstdio.h>
#include <unistd.h>

namespace mp::media {

namespace {

constexpr GstClockTime kProbeTimeout = 10 * GST_SECOND;

struct Stream {
    std::optional<std::string> type;
    std::string encoding;
};

Stream first_stream(GList* streams) {
    if (!streams) return {};
    CapsPtr caps(gst_discoverer_stream_info_get_caps(GST_DISCOVERER_STREAM_INFO(streams->data)));
    if (!caps || gst_caps_is_empty(caps.get())) return {};
    return {std::string(gst_structure_get_name(gst_caps_get_structure(caps.get(), 0))),
            passthrough_encoding(caps.get())};
}

}  // namespace

std::string passthrough_encoding(const GstCaps* caps) {
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    std::string type = gst_structure_get_name(s);
    if (type == "video/x-vp8") return "VP8";
    if (type == "audio/x-opus") return "OPUS";
    if (type != "video/x-h264") return "";
    const char* profile = gst_structure_get_string(s, "profile");
    bool baseline = profile && (g_str_equal(profile, "constrained-baseline") || g_str_equal(profile, "baseline"));
    return baseline ? "H264" : "";
}

Result<FileSource, std::string> probe_file(const std::string& path) {
    if (!g_file_test(path.c_str(), G_FILE_TEST_IS_REGULAR))
        return unexpected(path + ": no such file");
    if (g_access(path.c_str(), R_OK) != 0) return unexpected(path + ": not readable");
    GErrorSlot error;
    GCharPtr absolute(g_canonicalize_filename(path.c_str(), nullptr));
    GCharPtr uri(g_filename_to_uri(absolute.get(), nullptr, error.out()));
    if (!uri) return unexpected(path + ": " + error.message());
    GRef<GstDiscoverer> discoverer = adopt_ref(gst_discoverer_new(kProbeTimeout, error.out()));
    if (!discoverer) return unexpected(std::string("cannot inspect media files: ") + error.message());
    GRef<GstDiscovererInfo> info =
        adopt_ref(gst_discoverer_discover_uri(discoverer.get(), uri.get(), error.out()));
    if (!info || gst_discoverer_info_get_result(info.get()) != GST_DISCOVERER_OK)
        return unexpected(path + ": not a playable media file" +
                          (error ? std::string(" (") + error.message() + ")" : std::string()));
    FileSource file;
    file.path = path;
    GList* video = gst_discoverer_info_get_video_streams(info.get());
    GList* audio = gst_discoverer_info_get_audio_streams(info.get());
    Stream first_video = first_stream(video), first_audio = first_stream(audio);
    file.video_type = first_video.type;
    file.video_encoding = first_video.encoding;
    file.audio_type = first_audio.type;
    file.audio_encoding = first_audio.encoding;
    gst_discoverer_stream_info_list_free(video);
    gst_discoverer_stream_info_list_free(audio);
    file.duration_s = static_cast<double>(gst_discoverer_info_get_duration(info.get())) / GST_SECOND;
    if (!file.video_type && !file.audio_type) return unexpected(path + ": has no audio or video stream");
    return file;
}

}  // namespace mp::media
