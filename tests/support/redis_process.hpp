// A real redis-server for a test: on a free loopback port, in the
// foreground, without persistence (no RDB, no AOF, its directory a scratch
// one); killed, frozen and restarted on the same port at will.
#pragma once

#include "support/process.hpp"

#include <memory>
#include <string>

namespace mp::test {

class RedisProcess {
public:
    // Starts `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no
    // --daemonize no` on a free port and waits until it answers PING.
    // nullptr (and `error`) if it is not installed, exits or times out.
    static std::unique_ptr<RedisProcess> start(std::string* error = nullptr);
    ~RedisProcess();  // kills it if it still runs

    int port() const { return port_; }
    std::string url() const;  // redis://127.0.0.1:PORT
    bool running() const { return process_ != nullptr; }

    // SIGKILL, then waits for the exit: its clients' connections are reset.
    bool kill();
    // Starts it again on the same port (killing it first if it runs) and
    // waits until it answers PING; the data is gone.
    bool restart(std::string* error = nullptr);
    // SIGSTOP / SIGCONT, each waiting until it took effect. Frozen, it still
    // accepts connections (the kernel does) and answers nothing.
    bool pause();
    bool resume();

    // Sends PING on a connection of its own: true on +PONG within the time.
    bool answers_ping(int timeout_ms = 1000) const;
    // What it logged (stdout and stderr) since it was last started.
    std::string log() const;

private:
    RedisProcess() = default;
    bool launch(std::string* error);

    TempDir dir_;
    int port_ = 0;
    std::unique_ptr<Process> process_;
    std::string last_log_;  // of the run kill() ended
};

}  // namespace mp::test
