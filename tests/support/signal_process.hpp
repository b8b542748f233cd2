// The real mediapeer-signal binary, started on a loopback port for a test.
#pragma once

#include "support/process.hpp"

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
    // A token for `name` from `mediapeer-signal --auth-secret-file FILE --mint-token`
    // (with `pool`, `--pool`: also for joining the pool of `name`).
    static std::string mint_token(const std::string& secret_file, const std::string& name,
                                  const std::string& ttl_s = "3600", bool pool = false);

    const std::string& url() const { return url_; }  // http(s)://127.0.0.1:PORT/
    std::string ws_url(const std::string& path = "/") const;

    // Sends `signal` and waits for the exit; the exit status, or -1 on timeout.
    int stop(int signal = SIGTERM, int timeout_ms = 5000) { return process_->stop(signal, timeout_ms); }
    std::string stderr_text() const { return process_->stderr_text(); }
    bool stopped() const { return process_->stopped(); }
    int open_fds() const { return process_->open_fds(); }

private:
    std::unique_ptr<Process> process_;
    std::string url_;
};

}  // namespace mp::test
