// Command-line flags for the programs, and the key file that can hold them
// (--config FILE): a group named like the program whose keys are the long
// flag names, e.g.
//   [mediapeer]
//   signal = wss://signal.example.org/
//   record-dir = /var/lib/mediapeer
//   ice-address = 10.0.0.5;10.0.0.6
// Flags on the command line win over the file. An unknown group or key, or a
// value a flag would not take, is an error before anything starts.
#pragma once

#include "common/gobj.hpp"
#include "common/result.hpp"

#include <glib.h>

#include <cstring>
#include <string>
#include <vector>

namespace mp::app {

namespace flags_detail {

// "--config FILE" or "--config=FILE", looked for before parsing.
inline std::string config_path(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (g_str_equal(argv[i], "--config") && i + 1 < argc) return argv[i + 1];
        if (g_str_has_prefix(argv[i], "--config=")) return argv[i] + std::strlen("--config=");
    }
    return "";
}

inline bool given(int argc, char** argv, const std::string& name) {
    std::string flag = "--" + name;
    for (int i = 1; i < argc; ++i)
        if (argv[i] == flag || g_str_has_prefix(argv[i], (flag + "=").c_str())) return true;
    return false;
}

// The file's keys as flags, minus the ones the command line gives.
inline Result<std::vector<std::string>, std::string> config_arguments(const std::string& program,
                                                                     const std::string& path,
                                                                     const std::vector<GOptionEntry>& entries,
                                                                     int argc, char** argv) {
    std::unique_ptr<GKeyFile, decltype(&g_key_file_free)> keys(g_key_file_new(), g_key_file_free);
    GErrorSlot error;
    if (!g_key_file_load_from_file(keys.get(), path.c_str(), G_KEY_FILE_NONE, error.out()))
        return unexpected(path + ": " + error.message());
    gsize groups_n = 0;
    GStrv groups = g_key_file_get_groups(keys.get(), &groups_n);
    std::vector<std::string> group_names(groups, groups + groups_n);
    g_strfreev(groups);
    for (const auto& group : group_names)
        if (group != program) return unexpected(path + ": unknown group [" + group + "] (this is " + program + ")");
    std::vector<std::string> args;
    if (group_names.empty()) return args;
    gsize keys_n = 0;
    GStrv names = g_key_file_get_keys(keys.get(), program.c_str(), &keys_n, nullptr);
    std::vector<std::string> key_names(names, names + keys_n);
    g_strfreev(names);
    for (const auto& key : key_names) {
        const GOptionEntry* entry = nullptr;
        for (const auto& e : entries)
            if (e.long_name && key == e.long_name && key != "config") entry = &e;
        if (!entry) return unexpected(path + ": [" + program + "] unknown key " + key + " (keys are the long flag names; see --help)");
        if (given(argc, argv, key)) continue;
        if (entry->arg == G_OPTION_ARG_NONE) {
            gboolean on = g_key_file_get_boolean(keys.get(), program.c_str(), key.c_str(), error.out());
            if (error) return unexpected(path + ": [" + program + "] " + key + ": give true or false");
            if (on) args.push_back("--" + key);
        } else if (entry->arg == G_OPTION_ARG_STRING_ARRAY || entry->arg == G_OPTION_ARG_FILENAME_ARRAY) {
            GStrv values = g_key_file_get_string_list(keys.get(), program.c_str(), key.c_str(), nullptr, nullptr);
            for (GStrv v = values; v && *v; ++v) args.push_back("--" + key + "=" + *v);
            g_strfreev(values);
        } else {
            GCharPtr value(g_key_file_get_string(keys.get(), program.c_str(), key.c_str(), nullptr));
            args.push_back("--" + key + "=" + (value ? value.get() : ""));
        }
    }
    return args;
}

inline bool parse_into(const char* summary, std::vector<GOptionEntry> entries, int& argc, char**& argv,
                       std::string& error_out) {
    entries.push_back(GOptionEntry{});
    GOptionContext* context = g_option_context_new(summary);
    g_option_context_add_main_entries(context, entries.data(), nullptr);
    GErrorSlot error;
    bool ok = g_option_context_parse(context, &argc, &argv, error.out());
    g_option_context_free(context);
    if (!ok) error_out = error.message();
    return ok;
}

}  // namespace flags_detail

// Parses the --config file (if any), then argv, into `entries`' storage;
// false after printing why.
inline bool parse_flags(const char* program, const char* summary, std::vector<GOptionEntry> entries,
                        int& argc, char**& argv) {
    char* config = nullptr;  // read by hand above; the entry is for --help
    struct FreeAtReturn {
        char** value;
        ~FreeAtReturn() { g_free(*value); }
    } free_config{&config};
    entries.push_back({"config", 0, 0, G_OPTION_ARG_FILENAME, &config,
                       "Read flags from this key file first: group [PROGRAM], keys named like the flags; "
                       "flags given here win",
                       "FILE"});
    std::string error;
    std::string path = flags_detail::config_path(argc, argv);
    if (!path.empty()) {
        auto args = flags_detail::config_arguments(program, path, entries, argc, argv);
        if (!args) {
            g_printerr("%s: %s\n", program, args.error().c_str());
            return false;
        }
        std::vector<char*> file_argv = {const_cast<char*>(program)};
        for (auto& a : *args) file_argv.push_back(a.data());
        int file_argc = static_cast<int>(file_argv.size());
        char** file_args = file_argv.data();
        if (!flags_detail::parse_into(summary, entries, file_argc, file_args, error)) {
            g_printerr("%s: %s: %s\n", program, path.c_str(), error.c_str());
            return false;
        }
    }
    if (!flags_detail::parse_into(summary, entries, argc, argv, error)) {
        g_printerr("%s: %s (see --help)\n", program, error.c_str());
        return false;
    }
    return true;
}

}  // namespace mp::app
