#include "support/signal_process.hpp"

#include "support/pump.hpp"
#include "support/ws_client.hpp"

#include <glib/gstdio.h>

#include <cstdlib>
#include <regex>

namespace mp::test {

namespace {

std::vector<const char*> c_argv(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    return argv;
}

std::string binary() {
    const char* path = g_getenv("MEDIAPEER_SIGNAL");
    return path ? path : "build/src/mediapeer-signal";
}

std::string slurp(const std::string& path) {
    char* contents = nullptr;
    if (!g_file_get_contents(path.c_str(), &contents, nullptr, nullptr)) return "";
    GCharPtr owned(contents);
    return contents;
}

}  // namespace

TempDir::TempDir() {
    GCharPtr dir(g_dir_make_tmp("mediapeer-test-XXXXXX", nullptr));
    path_ = dir ? dir.get() : "";
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    GDir* dir = g_dir_open(path_.c_str(), 0, nullptr);
    while (const char* name = dir ? g_dir_read_name(dir) : nullptr) g_remove(file(name).c_str());
    if (dir) g_dir_close(dir);
    g_rmdir(path_.c_str());
}

std::unique_ptr<SignalProcess> SignalProcess::start(const std::vector<std::string>& args,
                                                    std::string* error) {
    std::unique_ptr<SignalProcess> p(new SignalProcess());
    GCharPtr tmp(g_build_filename(g_get_tmp_dir(), "mediapeer-signal-XXXXXX.log", nullptr));
    int fd = g_mkstemp(tmp.get());
    if (fd >= 0) close(fd);
    p->stderr_path_ = tmp.get();
    std::vector<std::string> full = {binary(), "--listen", "127.0.0.1:0"};
    full.insert(full.end(), args.begin(), args.end());
    auto launcher = adopt_ref(g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE));
    g_subprocess_launcher_set_stderr_file_path(launcher.get(), p->stderr_path_.c_str());
    GError* raw = nullptr;
    p->process_ = adopt_ref(
        g_subprocess_launcher_spawnv(launcher.get(), c_argv(full).data(), &raw));
    if (!p->process_) {
        GErrorPtr e(raw);
        if (error) *error = e->message;
        return nullptr;
    }
    auto lines = adopt_ref(g_data_input_stream_new(g_subprocess_get_stdout_pipe(p->process_.get())));
    struct State {
        bool done = false;
        std::string line;
    };
    auto state = std::make_shared<State>();
    g_data_input_stream_read_line_async(
        lines.get(), G_PRIORITY_DEFAULT, nullptr,
        [](GObject* source, GAsyncResult* result, gpointer data) {
            auto s = take<State>(data);
            GCharPtr line(g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result,
                                                               nullptr, nullptr));
            if (line) s->line = line.get();
            s->done = true;
        },
        hold(state));
    std::smatch m;
    static const std::regex kListening("listening on (\\S+)");
    if (!pump_until([&] { return state->done; }) ||
        !std::regex_search(state->line, m, kListening)) {
        if (error) *error = "no \"listening on\" line; stderr: " + p->stderr_text();
        return nullptr;
    }
    p->url_ = m[1];
    return p;
}

int SignalProcess::run_to_exit(const std::vector<std::string>& args, std::string* stderr_text) {
    std::vector<std::string> full = {binary()};
    full.insert(full.end(), args.begin(), args.end());
    char* err = nullptr;
    int status = 0;
    gboolean ran = g_spawn_sync(nullptr, const_cast<char**>(c_argv(full).data()), nullptr,
                                G_SPAWN_STDOUT_TO_DEV_NULL, nullptr, nullptr, nullptr, &err,
                                &status, nullptr);
    GCharPtr owned(err);
    if (stderr_text) *stderr_text = err ? err : "";
    if (!ran) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

SignalProcess::~SignalProcess() {
    if (process_) {
        g_subprocess_force_exit(process_.get());  // a no-op once it has exited
        g_subprocess_wait(process_.get(), nullptr, nullptr);
    }
    g_remove(stderr_path_.c_str());
}

std::string SignalProcess::ws_url(const std::string& path) const {
    return mp::test::ws_url(url_, path);
}

int SignalProcess::stop(int signal, int timeout_ms) {
    g_subprocess_send_signal(process_.get(), signal);
    auto exited = std::make_shared<bool>(false);
    g_subprocess_wait_async(
        process_.get(), nullptr,
        [](GObject*, GAsyncResult*, gpointer data) { *take<bool>(data) = true; },
        hold(exited));
    if (!pump_until([&] { return *exited; }, timeout_ms)) return -1;
    if (g_subprocess_get_if_exited(process_.get())) return g_subprocess_get_exit_status(process_.get());
    return 128 + g_subprocess_get_term_sig(process_.get());
}

std::string SignalProcess::stderr_text() const { return slurp(stderr_path_); }

bool run_command(const std::vector<std::string>& argv, std::string* output) {
    char* out = nullptr;
    int status = 0;
    gboolean ran = g_spawn_sync(nullptr, const_cast<char**>(c_argv(argv).data()), nullptr,
                                static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL), nullptr, nullptr,
                                &out, nullptr, &status, nullptr);
    GCharPtr owned(out);
    if (output) *output = out ? out : "";
    return ran && g_spawn_check_wait_status(status, nullptr);
}

}  // namespace mp::test
