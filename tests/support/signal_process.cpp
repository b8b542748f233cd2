#include "support/signal_process.hpp"

#include "support/ws_client.hpp"

#include <gtest/gtest.h>

namespace mp::test {

std::unique_ptr<SignalProcess> SignalProcess::start(const std::vector<std::string>& args,
                                                    std::string* error) {
    std::vector<std::string> argv = {built_program("mediapeer-signal"), "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::unique_ptr<SignalProcess> p(new SignalProcess());
    p->process_ = Process::start(argv, error);
    if (!p->process_) return nullptr;
    static const std::regex kListening("listening on (\\S+)");
    auto m = p->process_->wait_line(kListening);
    if (!m) {
        if (error) *error = "no \"listening on\" line; stderr: " + p->process_->stderr_text();
        return nullptr;
    }
    p->url_ = (*m)[1];
    return p;
}

int SignalProcess::run_to_exit(const std::vector<std::string>& args, std::string* stderr_text) {
    std::vector<std::string> argv = {built_program("mediapeer-signal")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto p = Process::start(argv);
    if (!p) return -1;
    int status = p->wait(10000);
    if (stderr_text) *stderr_text = p->stderr_text();
    return status;
}

std::string SignalProcess::mint_token(const std::string& secret_file, const std::string& name,
                                      const std::string& ttl_s, bool pool) {
    std::string out;
    std::vector<std::string> command = {built_program("mediapeer-signal"), "--auth-secret-file", secret_file,
                                        "--mint-token", name, "--token-ttl", ttl_s};
    if (pool) command.push_back("--pool");
    if (!run_command(command, &out))
        ADD_FAILURE() << "mediapeer-signal --mint-token " << name << " failed";
    return trimmed(out);
}

std::string SignalProcess::ws_url(const std::string& path) const {
    return mp::test::ws_url(url_, path);
}

}  // namespace mp::test
