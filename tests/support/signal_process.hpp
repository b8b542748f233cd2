// The real mediapeer-signal binary, started on a loopback port for a test.
#pragma once

#include "common/gobj.hpp"

#include <gio/gio.h>

#include <memory>
#include <string>
#include <vector>

namespace mp::test {

class SignalProcess {
public:
    // Starts `$MEDIAPEER_SIGNAL --listen 127.0.0.1:0 ARGS...` and waits for its
    // "listening on URL" line. nullptr (and `error`) if it exits or times out.
    static std::unique_ptr<SignalProcess> start(const std::vector<std::string>& args,
                                                std::string* error = nullptr);
    // Runs it to completion (for start-up errors): exit status and stderr.
    static int run_to_exit(const std::vector<std::string>& args, std::string* stderr_text);
    ~SignalProcess();

    const std::string& url() const { return url_; }  // http(s)://127.0.0.1:PORT/
    std::string ws_url(const std::string& path = "/") const;

    // Sends `signal` and waits for the exit; the exit status, or -1 on timeout.
    int stop(int signal = SIGTERM, int timeout_ms = 5000);
    std::string stderr_text() const;

private:
    SignalProcess() = default;
    GRef<GSubprocess> process_;
    std::string url_;
    std::string stderr_path_;
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

// Runs a command to completion; true when it exits 0.
bool run_command(const std::vector<std::string>& argv, std::string* output = nullptr);

}  // namespace mp::test
