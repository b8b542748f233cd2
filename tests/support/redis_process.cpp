#include "support/redis_process.hpp"

#include "support/pump.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace mp::test {

namespace {

constexpr int kStartTimeoutMs = 10000;

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// Waits for `events` on `fd` until `deadline` (monotonic µs).
bool ready(int fd, short events, gint64 deadline) {
    for (;;) {
        gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
        if (left_ms <= 0) return false;
        pollfd p{fd, events, 0};
        int n = poll(&p, 1, static_cast<int>(left_ms));
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return false;
    }
}

bool connect_loopback(int fd, int port, gint64 deadline) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) return true;
    if (errno != EINPROGRESS || !ready(fd, POLLOUT, deadline)) return false;
    int error = 0;
    socklen_t size = sizeof error;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
}

}  // namespace

std::unique_ptr<RedisProcess> RedisProcess::start(std::string* error) {
    GCharPtr program(g_find_program_in_path("redis-server"));
    if (!program) {
        if (error) *error = "no redis-server: apt-get install -y redis-server (scripts/test does)";
        return nullptr;
    }
    std::unique_ptr<RedisProcess> redis(new RedisProcess());
    for (int tries = 0; tries < 3; ++tries) {  // the free port may have been taken meanwhile
        redis->port_ = free_loopback_port(G_SOCKET_TYPE_STREAM);  // taken meanwhile: start() tries again
        if (redis->launch(error)) return redis;
    }
    return nullptr;
}

RedisProcess::~RedisProcess() = default;  // Process kills it

bool RedisProcess::launch(std::string* error) {
    process_ = Process::start({"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir_.path()},
                              error);
    if (!process_) return false;
    // Its log line first (no line: it exited, a taken port say), then PING on a connection of ours.
    static const std::regex kReady("Ready to accept connections");
    if (process_->wait_line(kReady, kStartTimeoutMs) &&
        pump_until([&] { return answers_ping(200); }, kStartTimeoutMs))
        return true;
    if (error) *error = "redis-server on port " + std::to_string(port_) + " did not answer PING: " + log();
    process_.reset();
    return false;
}

std::string RedisProcess::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

bool RedisProcess::kill() {
    if (!process_) return true;
    bool exited = process_->stop(SIGKILL) >= 0;
    last_log_ = log();
    process_.reset();
    return exited;
}

bool RedisProcess::restart(std::string* error) {
    if (process_ && !kill()) return false;
    return launch(error);
}

bool RedisProcess::pause() {
    if (!process_) return false;
    process_->stop(SIGSTOP, 0);  // sends it; does not wait for an exit
    return pump_until([&] { return process_->stopped(); });
}

bool RedisProcess::resume() {
    if (!process_) return false;
    process_->stop(SIGCONT, 0);
    return pump_until([&] { return !process_->stopped(); });
}

bool RedisProcess::answers_ping(int timeout_ms) const {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0 || !connect_loopback(fd.get(), port_, deadline)) return false;
    static const std::string kPing = "PING\r\n", kPong = "+PONG\r\n";
    if (send(fd.get(), kPing.data(), kPing.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(kPing.size())) return false;
    std::string got;
    while (got.size() < kPong.size() && ready(fd.get(), POLLIN, deadline)) {
        char buffer[64];
        ssize_t n = recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) return false;
        got.append(buffer, static_cast<std::size_t>(n));
    }
    return got.starts_with(kPong);
}

std::string RedisProcess::log() const {
    if (!process_) return last_log_;
    return process_->stdout_text() + process_->stderr_text();
}

}  // namespace mp::test
