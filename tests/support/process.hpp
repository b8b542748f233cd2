// A program under test, run as a child process: its stdout read line by line,
// its stderr kept in a file, every wait with a deadline.
#pragma once

#include "common/gobj.hpp"

#include <gio/gio.h>

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace mp::test {

class Process {
public:
    static std::unique_ptr<Process> start(const std::vector<std::string>& argv,
                                          std::string* error = nullptr);
    ~Process();  // kills it if it still runs

    // Waits for a stdout line matching `pattern`; its match, or nullopt on
    // timeout or exit.
    std::optional<std::smatch> wait_line(const std::regex& pattern, int timeout_ms = 5000);
    // Waits for the exit: the exit status (128 + signal if killed), -1 on timeout.
    int wait(int timeout_ms);
    // Sends `signal`, then waits as above.
    int stop(int signal, int timeout_ms = 5000);

    // Stopped by a signal (SIGSTOP), from /proc: a signal takes effect a little later.
    bool stopped() const;
    // Open file descriptors and threads now, from /proc (for leak checks).
    int open_fds() const;
    int threads() const;

    std::string stdout_text() const;
    std::string stderr_text() const;

    struct Output;

private:
    Process() = default;
    GRef<GSubprocess> process_;
    std::shared_ptr<Output> output_;
    std::string stderr_path_;
    std::size_t lines_seen_ = 0;
};

// A scratch directory removed (with its files) when the object goes away.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// A free port on 127.0.0.1 for a socket of `type` (TCP: G_SOCKET_TYPE_STREAM,
// UDP: G_SOCKET_TYPE_DATAGRAM): the kernel's pick, released again, so another
// process may take it meanwhile. -1 when none could be had.
int free_loopback_port(GSocketType type);

// The path of a program built by this project: $MEDIAPEER_BUILD/src/NAME.
std::string built_program(const std::string& name);

// Runs a command to completion; true when it exits 0.
bool run_command(const std::vector<std::string>& argv, std::string* output = nullptr);

// How often `what` occurs in `text` (log lines, say).
inline std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// `text` without the white space at its end (a command's output line).
inline std::string trimmed(std::string text) {
    while (!text.empty() && g_ascii_isspace(text.back())) text.pop_back();
    return text;
}

}  // namespace mp::test
