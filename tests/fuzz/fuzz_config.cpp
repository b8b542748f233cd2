// Config key files (--config FILE): any text, read against a set of flags of
// each kind.
#include "app/flags.hpp"

#include <cstddef>
#include <cstdint>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static char* text = nullptr;
    static char** list = nullptr;
    static gboolean on = FALSE;
    static gint number = 0;
    static std::vector<GOptionEntry> entries = {
        {"signal", 0, 0, G_OPTION_ARG_STRING, &text, "", ""},
        {"ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &list, "", ""},
        {"loop", 0, 0, G_OPTION_ARG_NONE, &on, "", nullptr},
        {"max-calls", 0, 0, G_OPTION_ARG_INT, &number, "", ""},
    };
    static const std::string path = std::string(g_get_tmp_dir()) + "/fuzz-" + std::to_string(getpid()) + ".conf";
    if (!g_file_set_contents(path.c_str(), reinterpret_cast<const char*>(data), static_cast<gssize>(size), nullptr))
        return 0;
    std::string program = "mediapeer";
    std::string config = "--config=" + path;
    char* argv[] = {program.data(), config.data(), nullptr};
    int argc = 2;
    char** args = argv;
    mp::app::parse_flags("mediapeer", "", entries, argc, args);
    g_free(text);
    text = nullptr;
    g_strfreev(list);
    list = nullptr;
    return 0;
}
