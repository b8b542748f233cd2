#include "support/process.hpp"

#include "support/pump.hpp"

#include <glib/gstdio.h>

#include <unistd.h>

namespace mp::test {

struct Process::Output {
    std::vector<std::string> lines;
    bool closed = false;
    GRef<GDataInputStream> stream;
};

namespace {

std::vector<const char*> c_argv(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    return argv;
}

std::string slurp(const std::string& path) {
    char* contents = nullptr;
    if (!g_file_get_contents(path.c_str(), &contents, nullptr, nullptr)) return "";
    GCharPtr owned(contents);
    return contents;
}

// Reads lines until EOF, each appended to output->lines.
void read_lines(std::shared_ptr<Process::Output> output) {
    GDataInputStream* stream = output->stream.get();
    g_data_input_stream_read_line_async(
        stream, G_PRIORITY_DEFAULT, nullptr,
        [](GObject* source, GAsyncResult* result, gpointer data) {
            auto out = take<Process::Output>(data);
            GCharPtr line(g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result,
                                                               nullptr, nullptr));
            if (!line) {
                out->closed = true;
                return;
            }
            out->lines.emplace_back(line.get());
            read_lines(out);
        },
        hold(output));
}

}  // namespace

std::unique_ptr<Process> Process::start(const std::vector<std::string>& argv, std::string* error) {
    std::unique_ptr<Process> p(new Process());
    GCharPtr tmp(g_build_filename(g_get_tmp_dir(), "mediapeer-test-XXXXXX.log", nullptr));
    int fd = g_mkstemp(tmp.get());
    if (fd >= 0) close(fd);
    p->stderr_path_ = tmp.get();
    auto launcher = adopt_ref(g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE));
    g_subprocess_launcher_set_stderr_file_path(launcher.get(), p->stderr_path_.c_str());
    GError* raw = nullptr;
    p->process_ = adopt_ref(g_subprocess_launcher_spawnv(launcher.get(), c_argv(argv).data(), &raw));
    if (!p->process_) {
        GErrorPtr e(raw);
        if (error) *error = argv[0] + ": " + e->message;
        return nullptr;
    }
    p->output_ = std::make_shared<Output>();
    p->output_->stream =
        adopt_ref(g_data_input_stream_new(g_subprocess_get_stdout_pipe(p->process_.get())));
    read_lines(p->output_);
    return p;
}

Process::~Process() {
    if (process_) {
        g_subprocess_force_exit(process_.get());  // a no-op once it has exited
        g_subprocess_wait(process_.get(), nullptr, nullptr);
    }
    g_remove(stderr_path_.c_str());
}

std::optional<std::smatch> Process::wait_line(const std::regex& pattern, int timeout_ms) {
    std::optional<std::smatch> found;
    pump_until(
        [&] {
            for (; lines_seen_ < output_->lines.size(); ++lines_seen_) {
                std::smatch m;
                if (std::regex_search(output_->lines[lines_seen_], m, pattern)) {
                    found = m;
                    ++lines_seen_;
                    return true;
                }
            }
            return output_->closed;
        },
        timeout_ms);
    return found;
}

int Process::wait(int timeout_ms) {
    auto exited = std::make_shared<bool>(false);
    g_subprocess_wait_async(
        process_.get(), nullptr,
        [](GObject*, GAsyncResult*, gpointer data) { *take<bool>(data) = true; }, hold(exited));
    if (!pump_until([&] { return *exited && output_->closed; }, timeout_ms)) return -1;
    if (g_subprocess_get_if_exited(process_.get())) return g_subprocess_get_exit_status(process_.get());
    return 128 + g_subprocess_get_term_sig(process_.get());
}

int Process::stop(int signal, int timeout_ms) {
    g_subprocess_send_signal(process_.get(), signal);
    return wait(timeout_ms);
}

bool Process::stopped() const {
    std::string stat = slurp(std::string("/proc/") + g_subprocess_get_identifier(process_.get()) +
                             "/stat");
    auto end_of_name = stat.rfind(')');  // "PID (name) STATE ..."
    return end_of_name != std::string::npos && end_of_name + 2 < stat.size() &&
           stat[end_of_name + 2] == 'T';
}

int Process::open_fds() const {
    std::string dir = std::string("/proc/") + g_subprocess_get_identifier(process_.get()) + "/fd";
    GDir* fds = g_dir_open(dir.c_str(), 0, nullptr);
    if (!fds) return -1;
    int n = 0;
    while (g_dir_read_name(fds)) ++n;
    g_dir_close(fds);
    return n;
}

int Process::threads() const {
    std::string status = slurp(std::string("/proc/") + g_subprocess_get_identifier(process_.get()) +
                               "/status");
    std::smatch m;
    return std::regex_search(status, m, std::regex(R"(Threads:\s+(\d+))")) ? std::stoi(m[1]) : -1;
}

std::string Process::stdout_text() const {
    std::string text;
    for (const auto& line : output_->lines) text += line + "\n";
    return text;
}

std::string Process::stderr_text() const { return slurp(stderr_path_); }

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

int free_loopback_port(GSocketType type) {
    auto protocol = type == G_SOCKET_TYPE_DATAGRAM ? G_SOCKET_PROTOCOL_UDP : G_SOCKET_PROTOCOL_TCP;
    GRef<GSocket> socket = adopt_ref(g_socket_new(G_SOCKET_FAMILY_IPV4, type, protocol, nullptr));
    GRef<GInetAddress> loopback = adopt_ref(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
    GRef<GSocketAddress> any = adopt_ref(g_inet_socket_address_new(loopback.get(), 0));
    if (!socket || !g_socket_bind(socket.get(), any.get(), FALSE, nullptr)) return -1;
    GRef<GSocketAddress> bound = adopt_ref(g_socket_get_local_address(socket.get(), nullptr));
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
}

std::string built_program(const std::string& name) {
    const char* build = g_getenv("MEDIAPEER_BUILD");
    return std::string(build ? build : "build") + "/src/" + name;
}

bool run_command(const std::vector<std::string>& argv, std::string* output) {
    char* out = nullptr;
    int status = 0;
    gboolean ran = g_spawn_sync(nullptr, const_cast<char**>(c_argv(argv).data()), nullptr,
                                static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL),
                                nullptr, nullptr, &out, nullptr, &status, nullptr);
    GCharPtr owned(out);
    if (output) *output = out ? out : "";
    return ran && g_spawn_check_wait_status(status, nullptr);
}

}  // namespace mp::test
