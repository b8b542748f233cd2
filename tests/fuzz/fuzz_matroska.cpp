// The Matroska Duration rewriter on any file head: found or not, a rewrite
// changes only the 8 bytes it names.
#include "media/matroska_duration.hpp"

#include <glib.h>
#include <glib/gstdio.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string head(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 4096));  // what it reads
    auto at = mp::media::find_duration_value(head);
    if (at && *at + 8 > head.size()) __builtin_trap();
    static const std::string path = std::string(g_get_tmp_dir()) + "/fuzz-" + std::to_string(getpid()) + ".webm";
    if (!g_file_set_contents(path.c_str(), head.data(), static_cast<gssize>(head.size()), nullptr)) return 0;
    bool written = mp::media::write_duration(path, 1234.5);
    gchar* raw = nullptr;
    gsize length = 0;
    if (!g_file_get_contents(path.c_str(), &raw, &length, nullptr)) __builtin_trap();
    std::string after(raw, length);
    g_free(raw);
    if (after.size() != head.size()) __builtin_trap();
    if (written != at.has_value()) __builtin_trap();
    if (written) after.replace(*at, 8, head.substr(*at, 8));
    if (after != head) __builtin_trap();
    return 0;
}
