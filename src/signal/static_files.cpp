#include "signal/static_files.hpp"

#include "common/gobj.hpp"

#include <glib.h>

#include <cstring>

namespace mp::signal {

Result<std::string, int> static_file_path(const std::string& root, const std::string& url_path) {
    if (url_path.empty() || url_path[0] != '/' || url_path.find('\0') != std::string::npos)
        return unexpected(403);
    // Refuse ".." segments outright rather than trusting canonicalization alone.
    for (std::size_t at = 0; (at = url_path.find("..", at)) != std::string::npos; at += 2) {
        bool starts = url_path[at - 1] == '/';
        bool ends = at + 2 == url_path.size() || url_path[at + 2] == '/';
        if (starts && ends) return unexpected(403);
    }
    GCharPtr path(g_canonicalize_filename(url_path.c_str() + 1, root.c_str()));
    std::string file = path.get();
    if (file != root && file.rfind(root + "/", 0) != 0) return unexpected(403);
    if (g_file_test(file.c_str(), G_FILE_TEST_IS_DIR)) file += "/index.html";
    if (!g_file_test(file.c_str(), G_FILE_TEST_IS_REGULAR)) return unexpected(404);
    return file;
}

const char* content_type_for(const std::string& path) {
    static const struct {
        const char* suffix;
        const char* type;
    } kTypes[] = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},           {".svg", "image/svg+xml"},
        {".png", "image/png"},                   {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},                {".txt", "text/plain; charset=utf-8"},
        {".webm", "video/webm"},                 {".mp4", "video/mp4"},
    };
    for (const auto& t : kTypes)
        if (g_str_has_suffix(path.c_str(), t.suffix)) return t.type;
    return "application/octet-stream";
}

}  // namespace mp::signal
