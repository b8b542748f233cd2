// Pipeline templates: any file text read as a user's --pipeline FILE.
#include "media/pipeline_template.hpp"

#include <glib/gstdio.h>
#include <gst/gst.h>

#include <cstddef>
#include <cstdint>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static bool ready = (gst_init(nullptr, nullptr), true);
    (void)ready;
    static const std::string path = std::string(g_get_tmp_dir()) + "/fuzz-" + std::to_string(getpid()) + ".pipeline";
    if (!g_file_set_contents(path.c_str(), reinterpret_cast<const char*>(data), static_cast<gssize>(size), nullptr))
        return 0;
    auto loaded = mp::media::load_template(path, g_get_tmp_dir(), nullptr);
    if (loaded) {
        mp::media::MediaLine line{0, "video", "VP8", 96, "application/x-rtp", 1, true, true};
        mp::media::expand(loaded->video.loop, line, nullptr);
        mp::media::expand(loaded->video.send, line, nullptr);
    }
    return 0;
}
