// signal-load: a load generator for mediapeer-signal and the Node.js baseline
// relay (bench/baseline/relay.js). It starts the server pinned to one CPU,
// pins itself to another, and measures with N WebSocket clients in pairs.
// `--server cluster` starts a redis-server and two mediapeer-signal nodes of
// one cluster instead (docs/cluster.md), half the clients on each and every
// pair split across them, so that every relayed frame crosses nodes:
//   - connect time: N WebSockets open, N logged in, N/2 calls set up (offer);
//   - relay throughput at saturation: candidate frames per second with a
//     bounded window of frames in flight per client;
//   - relay latency p50/p99 at a paced aggregate rate (1,000 frames/s);
//   - server RSS per connection.
// Single-threaded on purpose: epoll, non-blocking sockets and the server's own
// WebSocket codec (protocol/websocket_codec: masked client frames out, server
// frames decoded), so one core of load outruns one core of server. A libsoup
// client would sit on the same GMainContext poll() over all N sockets whose
// per-wakeup cost dominates the server's profile at 5,000 connections.
// Only 127.0.0.1; every loop is bounded in time; it stops by itself.
#include "protocol/websocket_codec.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef MP_SIGNAL_SERVER
#define MP_SIGNAL_SERVER "build/src/mediapeer-signal"
#endif
#ifndef MP_NODE_RELAY
#define MP_NODE_RELAY "bench/baseline/relay.js"
#endif
#ifndef MP_REDIS_SERVER
#define MP_REDIS_SERVER "/usr/bin/redis-server"
#endif

namespace {

namespace ws = mp::protocol::ws;

constexpr std::int64_t kNsPerSec = 1'000'000'000;
// The users list of 5,000 names is 45 KB; nothing the server sends comes near this.
constexpr std::uint64_t kMaxServerMessageBytes = 16 * 1024 * 1024;

std::int64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * kNsPerSec + ts.tv_nsec;
}

double seconds_since(std::int64_t start_ns) {
    return static_cast<double>(now_ns() - start_ns) / kNsPerSec;
}

// ---------------------------------------------------------------- options

struct Options {
    std::size_t clients = 5000;
    std::vector<std::string> servers = {"ours", "node"};  // --server: ours, node, cluster, in this order
    std::size_t rounds = 1;  // the list of servers run this many times, interleaved
    std::string keepalive = "both";  // ours with its default keepalive (on), --ping-interval 0 (off), or both
    std::string server_bin = MP_SIGNAL_SERVER;
    std::string node_bin = "/usr/bin/node";
    std::string relay_js = MP_NODE_RELAY;
    std::string redis_bin = MP_REDIS_SERVER;
    double warmup_s = 1;
    double seconds = 10;         // throughput measurement
    std::size_t window = 8;      // candidate frames in flight per client
    double latency_rate = 1000;  // frames/s across all pairs
    double latency_seconds = 10;
    std::size_t connect_window = 256;  // handshakes + logins in progress at once
    double connect_timeout_s = 60;
    int server_cpu = 0;
    int client_cpu = 1;
    std::vector<int> cluster_cpus;  // node a, node b, redis; empty: all on --server-cpu
};

void usage(FILE* to) {
    std::fprintf(to,
                 "usage: signal-load [--clients N] [--server ours|node|cluster|both|LIST] [--rounds N]\n"
                 "  [--keepalive on|off|both]\n"
                 "  [--server-bin PATH] [--node PATH] [--relay-js PATH] [--redis-server PATH]\n"
                 "  [--seconds S] [--warmup S] [--window N]\n"
                 "  [--latency-rate FPS] [--latency-seconds S]\n"
                 "  [--connect-window N] [--connect-timeout S]\n"
                 "  [--server-cpu CPU] [--client-cpu CPU] [--cluster-cpus A,B,REDIS]\n"
                 "--server takes a comma-separated list (both = ours,node); cluster is ours as two nodes\n"
                 "  sharing a redis-server, every pair split across them (keepalive on only);\n"
                 "  --rounds N runs the list N times, interleaved\n"
                 "defaults: --clients 5000 --server both --rounds 1 --keepalive both --seconds 10 --warmup 1\n"
                 "  --window 8 --cluster-cpus: all three on --server-cpu\n"
                 "  --latency-rate 1000 --latency-seconds 10 --connect-window 256\n"
                 "  --server-bin %s --relay-js %s\n",
                 MP_SIGNAL_SERVER, MP_NODE_RELAY);
}

[[noreturn]] void bad_usage(const std::string& why) {
    std::fprintf(stderr, "signal-load: %s\n", why.c_str());
    usage(stderr);
    std::exit(2);
}

double to_number(const std::string& flag, const std::string& text) {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0)
        bad_usage(flag + ": expected a non-negative number, got '" + text + "'");
    return v;
}

// "ours,cluster" -> {"ours", "cluster"}; "both" -> ours, node.
std::vector<std::string> server_list(const std::string& text) {
    std::vector<std::string> list;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (item == "both") {
            list.insert(list.end(), {"ours", "node"});
        } else if (item == "ours" || item == "node" || item == "cluster") {
            list.push_back(item);
        } else {
            bad_usage("--server: ours, node, cluster or both (or a comma-separated list), not '" + item + "'");
        }
    }
    if (list.empty()) bad_usage("--server: empty");
    return list;
}

std::vector<int> cpu_list(const std::string& flag, const std::string& text) {
    std::vector<int> cpus;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) cpus.push_back(static_cast<int>(to_number(flag, item)));
    if (cpus.size() != 3) bad_usage(flag + ": three CPUs, node a's, node b's and redis-server's: 0,0,0");
    return cpus;
}

// Applies one flag; false when `flag` is not a known valued flag.
bool apply_flag(Options& o, const std::string& flag, const std::string& v) {
    auto number = [&] { return to_number(flag, v); };
    auto count = [&] { return static_cast<std::size_t>(number()); };
    const std::map<std::string, std::function<void()>> setters = {
        {"--clients", [&] { o.clients = count(); }},
        {"--server", [&] { o.servers = server_list(v); }},
        {"--rounds", [&] { o.rounds = count(); }},
        {"--redis-server", [&] { o.redis_bin = v; }},
        {"--cluster-cpus", [&] { o.cluster_cpus = cpu_list(flag, v); }},
        {"--keepalive", [&] { o.keepalive = v; }},
        {"--server-bin", [&] { o.server_bin = v; }},
        {"--node", [&] { o.node_bin = v; }},
        {"--relay-js", [&] { o.relay_js = v; }},
        {"--seconds", [&] { o.seconds = number(); }},
        {"--warmup", [&] { o.warmup_s = number(); }},
        {"--window", [&] { o.window = count(); }},
        {"--latency-rate", [&] { o.latency_rate = number(); }},
        {"--latency-seconds", [&] { o.latency_seconds = number(); }},
        {"--connect-window", [&] { o.connect_window = count(); }},
        {"--connect-timeout", [&] { o.connect_timeout_s = number(); }},
        {"--server-cpu", [&] { o.server_cpu = static_cast<int>(count()); }},
        {"--client-cpu", [&] { o.client_cpu = static_cast<int>(count()); }},
    };
    auto setter = setters.find(flag);
    if (setter == setters.end()) return false;
    setter->second();
    return true;
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            usage(stdout);
            std::exit(0);
        }
        std::string flag = arg, value;
        if (auto eq = arg.find('='); eq != std::string::npos) {
            flag = arg.substr(0, eq);
            value = arg.substr(eq + 1);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            bad_usage(arg + ": missing value");
        }
        if (!apply_flag(o, flag, value)) bad_usage("unknown flag " + flag);
    }
    if (o.clients < 2 || o.clients % 2) bad_usage("--clients must be even and at least 2");
    if (o.rounds < 1) bad_usage("--rounds: at least 1");
    if (o.keepalive != "on" && o.keepalive != "off" && o.keepalive != "both")
        bad_usage("--keepalive must be on, off or both");
    if (o.window < 1 || o.connect_window < 1) bad_usage("--window, --connect-window: at least 1");
    if (o.seconds <= 0 || o.latency_rate <= 0) bad_usage("--seconds, --latency-rate: positive");
    return o;
}

// ---------------------------------------------------------------- system

// N sockets need N descriptors; the usual soft limit is 1,024.
void raise_fd_limit() {
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

bool pin_to_cpu(pid_t pid, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(pid, sizeof set, &set) == 0;
}

// A "Key: value" line of /proc/PID/status, in kB; -1 when absent.
long proc_status_kib(pid_t pid, const char* key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    std::size_t key_len = std::strlen(key);
    while (std::getline(in, line))
        if (line.compare(0, key_len, key) == 0 && line.size() > key_len && line[key_len] == ':')
            return std::strtol(line.c_str() + key_len + 1, nullptr, 10);
    return -1;
}

// utime + stime of every thread of PID, in seconds.
double proc_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto paren = stat.rfind(')');  // the command name may hold spaces
    if (paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(paren + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
    unsigned long long utime = 0, stime = 0;
    fields >> utime >> stime;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Time PID's main thread was runnable but waited for a CPU (the second field
// of /proc/PID/schedstat, ns), in seconds: what sharing a core costs it.
double proc_wait_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
    unsigned long long run_ns = 0, wait_ns = 0;
    in >> run_ns >> wait_ns;
    return static_cast<double>(wait_ns) / 1e9;
}

double self_cpu_seconds() {
    rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return s(usage.ru_utime) + s(usage.ru_stime);
}

// TcpExt ListenOverflows: SYNs dropped because a listen queue was full
// (machine-wide; only this benchmark listens on loopback while it runs).
long listen_overflows() {
    std::ifstream in("/proc/net/netstat");
    std::string names, values;
    while (std::getline(in, names) && std::getline(in, values)) {
        if (names.rfind("TcpExt:", 0) != 0) continue;
        std::istringstream n(names), v(values);
        std::string name, value;
        while (n >> name && v >> value)
            if (name == "ListenOverflows") return std::strtol(value.c_str(), nullptr, 10);
    }
    return -1;
}

// ---------------------------------------------------------------- server process

struct ServerProcess {
    pid_t pid = -1;
    int stdout_fd = -1;  // kept open: a later write must not SIGPIPE the server
    std::uint16_t port = 0;
};

// Forks `argv` pinned to `cpu`, with its stdout on a pipe; dies with us.
ServerProcess spawn(const std::vector<std::string>& argv, int cpu) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return {};
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (!pin_to_cpu(0, cpu)) std::fprintf(stderr, "signal-load: cannot pin to CPU %d\n", cpu);
        dup2(fds[1], STDOUT_FILENO);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        std::fprintf(stderr, "signal-load: cannot run %s: %s\n", args[0], std::strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return {};
    }
    return {pid, fds[0], 0};
}

// Reads the server's stdout until "... listening on http://ADDR:PORT/".
bool wait_listening(ServerProcess& s, double timeout_s) {
    std::string text;
    std::int64_t deadline = now_ns() + static_cast<std::int64_t>(timeout_s * kNsPerSec);
    while (now_ns() < deadline) {
        pollfd p{s.stdout_fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[512];
        ssize_t n = read(s.stdout_fd, buf, sizeof buf);
        if (n <= 0) return false;  // exited
        text.append(buf, static_cast<std::size_t>(n));
        auto at = text.find("listening on http://");
        auto eol = at == std::string::npos ? at : text.find('\n', at);
        if (eol == std::string::npos) continue;
        auto colon = text.rfind(':', eol);
        s.port = static_cast<std::uint16_t>(std::strtoul(text.c_str() + colon + 1, nullptr, 10));
        return s.port != 0;
    }
    return false;
}

// A TCP port on 127.0.0.1 free now (redis-server cannot be told to pick one).
std::uint16_t free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof at;
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0 &&
              getsockname(fd, reinterpret_cast<sockaddr*>(&at), &len) == 0;
    close(fd);
    return ok ? ntohs(at.sin_port) : 0;
}

// A blocking socket connected to 127.0.0.1:port, with 1 s timeouts; -1 if refused.
int connect_loopback(std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval second{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &second, sizeof second);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) return fd;
    close(fd);
    return -1;
}

// "GET path" on 127.0.0.1:port: the whole response (status line, headers,
// body), or "" when the server did not answer.
std::string http_get(std::uint16_t port, const std::string& path) {
    int fd = connect_loopback(port);
    if (fd < 0) return "";
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    std::string response;
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        char buf[4096];
        for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    return response;
}

// Polls every 50 ms until `ready()` or `timeout_s`.
bool wait_for(double timeout_s, const std::function<bool()>& ready) {
    std::int64_t deadline = now_ns() + static_cast<std::int64_t>(timeout_s * kNsPerSec);
    while (now_ns() < deadline) {
        if (ready()) return true;
        usleep(50'000);
    }
    return ready();
}

void stop(ServerProcess& s) {
    if (s.pid <= 0) return;
    kill(s.pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // 5 s, then no more patience
        if (waitpid(s.pid, nullptr, WNOHANG) == s.pid) break;
        if (i == 99) {
            kill(s.pid, SIGKILL);
            waitpid(s.pid, nullptr, 0);
        }
        usleep(50'000);
    }
    close(s.stdout_fd);
    s = {};
}

// What one run starts: the processes serving the clients (one, or the
// cluster's two nodes), then any helper (the cluster's redis-server).
struct Servers {
    std::vector<ServerProcess> processes;
    std::vector<std::string> names;  // for the report: "server", "node a", "redis"
    std::size_t serving = 0;         // processes[0, serving) take clients, round-robin
};

void stop(Servers& servers) {
    for (ServerProcess& p : servers.processes) stop(p);
}

// ---------------------------------------------------------------- the load

enum class State { idle, connecting, upgrading, open, logged_in, closed };
enum class Phase { connect, quiet, saturate, paced };

struct Conn {
    int fd = -1;
    State state = State::idle;
    std::uint32_t peer = 0;  // index of the call partner
    ws::MaskKey mask{};
    bool dirty = false;  // `out` has bytes to flush
    std::string in;      // the HTTP response, until it is whole
    ws::Decoder decoder{kMaxServerMessageBytes, ws::Sender::server};
    std::string out;
    std::size_t out_at = 0;
};

struct Figures {
    std::size_t clients = 0;
    bool held = false;          // all N logged in and in calls
    std::string failure;        // why not, or why a later phase failed
    double login_s = 0;         // N logged in
    double connect_s = 0;       // N logged in, N/2 calls set up
    long listen_overflows = 0;  // during the connect phase
    long rss_idle_kib = 0;
    long rss_loaded_kib = 0;
    double throughput_fps = 0;
    double server_cpu_pct = 0;  // during the throughput window: all processes', summed
    double client_cpu_pct = 0;
    std::size_t latency_samples = 0;
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
    double paced_server_cpu_pct = 0;  // what the paced rate costs the server
    std::vector<double> cpu_pct, paced_cpu_pct;  // per process of Servers, in its order
    std::vector<double> paced_wait_pct;          // per process: % of the paced phase runnable, waiting for its CPU
    std::vector<long> process_rss_kib;            // per process, all logged in
    std::uint64_t offer_retries = 0;              // offers refused not_online (a mirror not there yet)
    std::size_t serving = 0;                      // processes that took clients
    std::uint64_t lost = 0;           // candidates sent and never received
    std::uint64_t error_frames = 0;
    std::string first_error;
};

class Load {
public:
    Load(const Options& o, const Servers& servers);
    ~Load();
    Figures run();

private:
    bool connect_all(Figures& f);
    void quiet(double seconds);
    void saturate(Figures& f);
    void paced(Figures& f);
    bool drain(double timeout_s);

    void open_next();
    void fail(Conn& c, const std::string& why);
    void loop_until(std::int64_t deadline_ns, const std::function<bool()>& done);
    void on_event(std::uint32_t index, std::uint32_t events);
    void on_connected(Conn& c);
    void on_readable(std::uint32_t index);
    bool on_upgrade_response(Conn& c);
    void take_frames(std::uint32_t index, std::string_view data);
    void on_message(std::uint32_t index, const ws::Message& message);
    void on_text(std::uint32_t index, std::string_view text);
    void on_candidate(std::uint32_t index, std::string_view text);
    void on_logged_in(std::uint32_t index);
    void send_offer(std::uint32_t caller);
    void retry_offers();
    std::vector<double> cpu_seconds() const;
    std::vector<double> wait_seconds() const;
    long serving_rss_kib() const;
    void on_tick();
    void send_text(std::uint32_t index, std::string_view text);
    void send_frame(std::uint32_t index, ws::Opcode opcode, std::string_view payload);
    void send_candidate(std::uint32_t from);
    void flush(Conn& c);
    void flush_dirty();

    const Options& o_;
    const Servers& servers_;
    int epoll_ = -1;
    int timer_ = -1;
    std::vector<Conn> conns_;
    std::vector<std::uint32_t> dirty_;
    std::vector<char> scratch_ = std::vector<char>(256 * 1024);
    std::vector<ws::Message> messages_;  // what one read decoded
    Phase phase_ = Phase::connect;
    std::string failure_;

    // connect phase
    std::size_t opened_ = 0, in_progress_ = 0, logged_in_ = 0, calls_ = 0;
    std::vector<std::pair<std::int64_t, std::uint32_t>> offers_due_;  // (when, caller)
    std::uint64_t offer_retries_ = 0;
    // relay phases
    std::uint64_t sent_ = 0, received_ = 0;
    std::vector<std::int64_t> latencies_ns_;
    std::int64_t paced_start_ns_ = 0;
    std::uint64_t paced_sent_ = 0;
    std::uint32_t paced_next_ = 0;
    std::uint64_t error_frames_ = 0;
    std::string first_error_;
};

constexpr std::uint32_t kTimerIndex = UINT32_MAX;
constexpr std::uint32_t kServerOutIndex = UINT32_MAX - 16;  // + the process's index in Servers

std::string user_name(std::uint32_t index) { return "u" + std::to_string(index + 1); }

Load::Load(const Options& o, const Servers& servers) : o_(o), servers_(servers), conns_(o.clients) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    // A server that logs to stdout (GLib sends debug messages there) must not
    // block on a full pipe: its output is read and dropped.
    for (std::uint32_t i = 0; i < servers.processes.size(); ++i) {
        int out = servers.processes[i].stdout_fd;
        fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = kServerOutIndex + i;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, out, &ev);
    }
    std::uint32_t seed = 0x9e3779b9u;
    for (std::uint32_t i = 0; i < conns_.size(); ++i) {
        // Pairs (0,1), (2,3), ...: the even one calls. Client i connects to
        // serving process i % serving: with two nodes every pair is split.
        conns_[i].peer = i ^ 1u;
        seed = seed * 1664525u + 1013904223u;
        std::uint32_t key = seed | 1u;  // never 0: masking must be real work, as for a browser
        std::memcpy(conns_[i].mask.data(), &key, sizeof key);
    }
    latencies_ns_.reserve(static_cast<std::size_t>(o.latency_rate * o.latency_seconds) + 16);
}

Load::~Load() {
    // Reset, not FIN: no TIME_WAIT left to eat the ephemeral ports of the next run.
    linger abort{1, 0};
    for (Conn& c : conns_) {
        if (c.fd < 0) continue;
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        close(c.fd);
    }
    if (timer_ >= 0) close(timer_);
    if (epoll_ >= 0) close(epoll_);
}

// utime + stime of each process, in its order in Servers.
std::vector<double> Load::cpu_seconds() const {
    std::vector<double> seconds;
    for (const ServerProcess& p : servers_.processes) seconds.push_back(proc_cpu_seconds(p.pid));
    return seconds;
}

std::vector<double> Load::wait_seconds() const {
    std::vector<double> seconds;
    for (const ServerProcess& p : servers_.processes) seconds.push_back(proc_wait_seconds(p.pid));
    return seconds;
}

// The serving processes' RSS, summed (the cluster's redis-server is not in it).
long Load::serving_rss_kib() const {
    long sum = 0;
    for (std::size_t i = 0; i < servers_.serving; ++i) sum += proc_status_kib(servers_.processes[i].pid, "VmRSS");
    return sum;
}

// CPU % of one core per process between `before` and now, and their sum.
double cpu_pct_since(const std::vector<double>& before, const std::vector<double>& after, double elapsed_s,
                     std::vector<double>& each) {
    each.clear();
    for (std::size_t i = 0; i < before.size(); ++i) each.push_back(100 * (after[i] - before[i]) / elapsed_s);
    return std::accumulate(each.begin(), each.end(), 0.0);
}

Figures Load::run() {
    Figures f;
    f.clients = conns_.size();
    f.rss_idle_kib = serving_rss_kib();
    if (connect_all(f)) {
        quiet(0.5);  // let the server settle before reading its RSS
        f.rss_loaded_kib = serving_rss_kib();
        for (const ServerProcess& p : servers_.processes) f.process_rss_kib.push_back(proc_status_kib(p.pid, "VmRSS"));
        saturate(f);
        if (f.failure.empty()) paced(f);
    }
    f.offer_retries = offer_retries_;
    f.error_frames = error_frames_;
    f.first_error = first_error_;
    if (f.failure.empty() && !failure_.empty()) f.failure = failure_;
    return f;
}

// ---- connect phase

bool Load::connect_all(Figures& f) {
    long overflows_before = listen_overflows();
    std::int64_t start = now_ns();
    auto deadline = start + static_cast<std::int64_t>(o_.connect_timeout_s * kNsPerSec);
    while (opened_ < conns_.size() && in_progress_ < o_.connect_window) open_next();
    loop_until(deadline, [&] {
        if (logged_in_ == conns_.size() && f.login_s == 0) f.login_s = seconds_since(start);
        return calls_ == conns_.size() / 2 || !failure_.empty();
    });
    f.connect_s = seconds_since(start);
    f.listen_overflows = listen_overflows() - overflows_before;
    f.held = calls_ == conns_.size() / 2 && failure_.empty();
    if (!f.held) {
        char why[200];
        std::snprintf(why, sizeof why,
                      "%zu of %zu opened, %zu logged in, %zu of %zu calls after %.1f s", opened_,
                      conns_.size(), logged_in_, calls_, conns_.size() / 2, f.connect_s);
        f.failure = failure_.empty() ? why : failure_ + " (" + why + ")";
    }
    return f.held;
}

void Load::open_next() {
    std::uint32_t index = static_cast<std::uint32_t>(opened_++);
    Conn& c = conns_[index];
    ++in_progress_;
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(c, std::string("socket: ") + std::strerror(errno));
    int one = 1;  // small frames: latency must not wait for Nagle
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(servers_.processes[index % servers_.serving].port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u32 = index;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    c.state = State::connecting;
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)
        return fail(c, std::string("connect: ") + std::strerror(errno));
}

void Load::fail(Conn& c, const std::string& why) {
    if (c.state == State::closed) return;
    c.state = State::closed;
    if (failure_.empty())
        failure_ =
            "client " + user_name(static_cast<std::uint32_t>(&c - conns_.data())) + ": " + why;
}

void Load::on_connected(Conn& c) {
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error) return fail(c, std::string("connect: ") + std::strerror(error));
    c.state = State::upgrading;
    auto index = static_cast<std::size_t>(&c - conns_.data());
    c.out += "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" +
             std::to_string(servers_.processes[index % servers_.serving].port) +
             "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    flush(c);
}

// The 101 response is complete in c.in: switch to frames and log in.
bool Load::on_upgrade_response(Conn& c) {
    auto end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
        fail(c, "upgrade refused: " + c.in.substr(0, c.in.find('\r')));
        return false;
    }
    c.in.erase(0, end + 4);
    c.state = State::open;
    auto index = static_cast<std::uint32_t>(&c - conns_.data());
    send_text(index, "{\"type\":\"login\",\"name\":\"" + user_name(index) + "\"}");
    return true;
}

void Load::on_logged_in(std::uint32_t index) {
    Conn& c = conns_[index];
    c.state = State::logged_in;
    ++logged_in_;
    --in_progress_;
    while (opened_ < conns_.size() && in_progress_ < o_.connect_window) open_next();
    if (conns_[c.peer].state != State::logged_in) return;
    send_offer(std::min(index, c.peer));
}

void Load::send_offer(std::uint32_t caller) {
    std::string callee = user_name(caller ^ 1u);
    send_text(caller,
              R"({"type":"offer","offer":{"type":"offer","sdp":"v=0"},"name":")" + callee + "\"}");
}

// Across nodes the callee's node has told the caller's that the callee is
// online through Redis, and that may come after the generator heard the
// callee's login: an offer refused not_online is sent again 2 ms later.
void Load::retry_offers() {
    std::int64_t now = now_ns();
    auto due = [&](const std::pair<std::int64_t, std::uint32_t>& offer) { return offer.first <= now; };
    for (const auto& offer : offers_due_)
        if (due(offer)) send_offer(offer.second);
    std::erase_if(offers_due_, due);
}

// ---- the event loop

void Load::loop_until(std::int64_t deadline_ns, const std::function<bool()>& done) {
    epoll_event events[1024];
    while (!done()) {
        std::int64_t left_ms = (deadline_ns - now_ns()) / 1'000'000;
        if (left_ms <= 0) break;
        std::int64_t wait_ms = std::min<std::int64_t>(left_ms, offers_due_.empty() ? 50 : 2);
        int n = epoll_wait(epoll_, events, 1024, static_cast<int>(wait_ms));
        if (n < 0 && errno != EINTR) {
            failure_ = std::string("epoll_wait: ") + std::strerror(errno);
            return;
        }
        for (int i = 0; i < n; ++i) on_event(events[i].data.u32, events[i].events);
        if (!offers_due_.empty()) retry_offers();
        flush_dirty();
    }
}

void Load::on_event(std::uint32_t index, std::uint32_t events) {
    if (index == kTimerIndex) return on_tick();
    if (index >= kServerOutIndex && index < kTimerIndex) {
        int out = servers_.processes[index - kServerOutIndex].stdout_fd;
        if (read(out, scratch_.data(), scratch_.size()) <= 0)
            epoll_ctl(epoll_, EPOLL_CTL_DEL, out, nullptr);  // it exited
        return;
    }
    Conn& c = conns_[index];
    if (c.state == State::closed) return;
    if (events & EPOLLERR) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len);
        return fail(c, std::string("socket error: ") + std::strerror(error));
    }
    if ((events & EPOLLOUT) && c.state == State::connecting) on_connected(c);
    if ((events & EPOLLOUT) && c.out_at < c.out.size()) flush(c);
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) on_readable(index);
}

void Load::on_readable(std::uint32_t index) {
    Conn& c = conns_[index];
    for (int reads = 0; reads < 64; ++reads) {
        ssize_t n = read(c.fd, scratch_.data(), scratch_.size());
        if (n == 0) return fail(c, "the server closed the connection");
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                fail(c, std::string("read: ") + std::strerror(errno));
            return;
        }
        std::string_view data(scratch_.data(), static_cast<std::size_t>(n));
        if (c.state == State::upgrading) {
            c.in.append(data);
            if (!on_upgrade_response(c)) continue;
            std::string early = std::move(c.in);  // frames that came with the 101
            c.in.clear();
            take_frames(index, early);
        } else {
            take_frames(index, data);
        }
        if (c.state == State::closed) return;
        // Edge-triggered: a short read emptied the socket; new bytes bring a new edge.
        if (static_cast<std::size_t>(n) < scratch_.size()) return;
    }
    // Still bytes after 64 full reads: re-arm so the next round comes back to them.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u32 = index;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
}

// Decodes what the server sent (the decoder keeps an incomplete tail) and
// handles every message it completes.
void Load::take_frames(std::uint32_t index, std::string_view data) {
    messages_.clear();
    auto failure = conns_[index].decoder.feed(data, messages_);
    for (const ws::Message& message : messages_) {
        if (conns_[index].state == State::closed) return;
        on_message(index, message);
    }
    if (failure) fail(conns_[index], "the server's framing is broken: " + failure->reason);
}

void Load::on_message(std::uint32_t index, const ws::Message& message) {
    switch (message.opcode) {
    case ws::Opcode::text:
        return on_text(index, message.payload);
    case ws::Opcode::close:
        return fail(conns_[index], "the server closed the WebSocket, code " +
                                       std::to_string(ws::close_code(message.payload)));
    case ws::Opcode::ping:
        return send_frame(index, ws::Opcode::pong, message.payload);  // a browser answers keepalive pings
    default:
        return;
    }
}

void Load::on_text(std::uint32_t index, std::string_view text) {
    auto starts = [&](std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; };
    if (starts("{\"type\":\"candidate\"")) return on_candidate(index, text);
    if (starts("{\"type\":\"login\"") && text.find("\"success\":true") != std::string_view::npos)
        return on_logged_in(index);
    if (starts("{\"type\":\"offer\"") && phase_ == Phase::connect) {
        ++calls_;
        return;
    }
    if (starts("{\"type\":\"error\"") && phase_ == Phase::connect &&
        text.find("\"code\":\"not_online\"") != std::string_view::npos) {
        ++offer_retries_;
        offers_due_.emplace_back(now_ns() + 2'000'000, index);
        return;
    }
    ++error_frames_;  // errors, refused logins, leaves: none is expected
    if (first_error_.empty())
        first_error_ = user_name(index) + " got " + std::string(text.substr(0, 200));
    if (starts("{\"type\":\"login\"")) fail(conns_[index], "login refused: " + std::string(text));
}

// ---- candidates

// The candidate's foundation carries the send time (20 digits, ns), so the
// receiver measures latency without any table of sent frames.
constexpr std::string_view kCandidateHead =
    "{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"candidate:";
constexpr std::string_view kCandidateTail =
    R"( 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0},"name":")";

void Load::send_candidate(std::uint32_t from) {
    char text[256];
    std::size_t n = kCandidateHead.size();
    std::memcpy(text, kCandidateHead.data(), n);
    std::snprintf(text + n, 21, "%020" PRId64, now_ns());
    n += 20;
    std::memcpy(text + n, kCandidateTail.data(), kCandidateTail.size());
    n += kCandidateTail.size();
    n += static_cast<std::size_t>(
        std::snprintf(text + n, sizeof text - n, "u%u\"}", (from ^ 1u) + 1));
    send_text(from, std::string_view(text, n));
    ++sent_;
}

// The sender is the peer; a frame naming anyone else was misrouted.
void Load::on_candidate(std::uint32_t index, std::string_view text) {
    std::int64_t received_at = now_ns();
    std::uint32_t sender = conns_[index].peer;
    char name_tail[32];
    int tail = std::snprintf(name_tail, sizeof name_tail, "\"name\":\"u%u\"}", sender + 1);
    auto at = text.find("candidate:");
    if (at == std::string_view::npos || text.size() < at + 30 ||
        !text.ends_with(std::string_view(name_tail, static_cast<std::size_t>(tail)))) {
        ++error_frames_;
        if (first_error_.empty()) first_error_ = user_name(index) + " got " + std::string(text);
        return;
    }
    std::int64_t sent_at = 0;
    std::from_chars(text.data() + at + 10, text.data() + at + 30, sent_at);
    ++received_;
    if (phase_ == Phase::paced) latencies_ns_.push_back(received_at - sent_at);
    if (phase_ == Phase::saturate) send_candidate(sender);  // keeps the sender's window full
}

void Load::send_text(std::uint32_t index, std::string_view text) {
    send_frame(index, ws::Opcode::text, text);
}

void Load::send_frame(std::uint32_t index, ws::Opcode opcode, std::string_view payload) {
    Conn& c = conns_[index];
    if (c.state == State::closed) return;
    ws::append_client_frame(c.out, opcode, payload, c.mask);
    if (!c.dirty) {
        c.dirty = true;
        dirty_.push_back(index);
    }
}

void Load::flush(Conn& c) {
    while (c.out_at < c.out.size() && c.state != State::closed) {
        ssize_t n = send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN) return;  // EPOLLOUT brings us back
            if (errno != EINTR) fail(c, std::string("send: ") + std::strerror(errno));
            continue;
        }
        c.out_at += static_cast<std::size_t>(n);
    }
    c.out.clear();
    c.out_at = 0;
}

// Writes are batched: one send() per connection per round of events.
void Load::flush_dirty() {
    for (std::uint32_t index : dirty_) {
        conns_[index].dirty = false;
        if (conns_[index].state != State::connecting) flush(conns_[index]);
    }
    dirty_.clear();
}

// ---- relay phases

void Load::quiet(double seconds) {
    phase_ = Phase::quiet;
    loop_until(now_ns() + static_cast<std::int64_t>(seconds * kNsPerSec),
               [&] { return !failure_.empty(); });
}

bool Load::drain(double timeout_s) {
    loop_until(now_ns() + static_cast<std::int64_t>(timeout_s * kNsPerSec),
               [&] { return received_ == sent_ || !failure_.empty(); });
    return received_ == sent_;
}

void Load::saturate(Figures& f) {
    phase_ = Phase::saturate;
    for (std::uint32_t i = 0; i < conns_.size(); ++i)
        for (std::size_t k = 0; k < o_.window; ++k) send_candidate(i);
    flush_dirty();
    auto run_for = [&](double s) {
        loop_until(now_ns() + static_cast<std::int64_t>(s * kNsPerSec),
                   [&] { return !failure_.empty(); });
    };
    run_for(o_.warmup_s);
    std::uint64_t received_before = received_;
    std::vector<double> server_cpu = cpu_seconds();
    double self_cpu = self_cpu_seconds();
    std::int64_t start = now_ns();
    run_for(o_.seconds);
    double elapsed = seconds_since(start);
    f.throughput_fps = static_cast<double>(received_ - received_before) / elapsed;
    f.server_cpu_pct = cpu_pct_since(server_cpu, cpu_seconds(), elapsed, f.cpu_pct);
    f.client_cpu_pct = 100 * (self_cpu_seconds() - self_cpu) / elapsed;
    phase_ = Phase::quiet;
    if (!drain(10)) f.lost += sent_ - received_;
    if (!failure_.empty()) f.failure = failure_;
}

void Load::on_tick() {
    std::uint64_t expirations = 0;
    if (read(timer_, &expirations, sizeof expirations) < 0) return;
    double due = seconds_since(paced_start_ns_) * o_.latency_rate;
    std::uint64_t total = static_cast<std::uint64_t>(o_.latency_rate * o_.latency_seconds);
    std::uint64_t target = std::min<std::uint64_t>(total, static_cast<std::uint64_t>(due));
    for (; paced_sent_ < target; ++paced_sent_) {
        send_candidate(paced_next_);
        // Round-robin over every client: each sends to its own partner.
        paced_next_ = (paced_next_ + 1) % static_cast<std::uint32_t>(conns_.size());
    }
}

void Load::paced(Figures& f) {
    phase_ = Phase::paced;
    std::uint64_t sent_before = sent_, received_before = received_;
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    itimerspec every_ms{{0, 1'000'000}, {0, 1'000'000}};
    timerfd_settime(timer_, 0, &every_ms, nullptr);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = kTimerIndex;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, timer_, &ev);
    paced_start_ns_ = now_ns();
    std::vector<double> server_cpu = cpu_seconds(), server_wait = wait_seconds();
    std::uint64_t total = static_cast<std::uint64_t>(o_.latency_rate * o_.latency_seconds);
    loop_until(paced_start_ns_ + static_cast<std::int64_t>((o_.latency_seconds + 1) * kNsPerSec),
               [&] { return paced_sent_ >= total || !failure_.empty(); });
    epoll_ctl(epoll_, EPOLL_CTL_DEL, timer_, nullptr);
    f.paced_server_cpu_pct =
        cpu_pct_since(server_cpu, cpu_seconds(), seconds_since(paced_start_ns_), f.paced_cpu_pct);
    cpu_pct_since(server_wait, wait_seconds(), seconds_since(paced_start_ns_), f.paced_wait_pct);
    drain(5);
    f.lost += (sent_ - sent_before) - (received_ - received_before);
    std::vector<std::int64_t>& v = latencies_ns_;
    f.latency_samples = v.size();
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    auto pct = [&](double q) {
        std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
        return static_cast<double>(v[std::clamp<std::size_t>(rank, 1, v.size()) - 1]) / 1e6;
    };
    f.p50_ms = pct(0.50);
    f.p99_ms = pct(0.99);
    f.max_ms = static_cast<double>(v.back()) / 1e6;
}

// ---------------------------------------------------------------- runs and report

constexpr const char* kOurs = "mediapeer-signal";  // as users run it: keepalive on
constexpr const char* kOursNoKeepalive = "mediapeer-signal --ping-interval 0";
constexpr const char* kNode = "node ws relay";
constexpr const char* kCluster = "2 nodes + Redis, cross-node";  // ours as users run it: keepalive on

enum class Server { ours, ours_no_keepalive, node, cluster };

struct Run {
    std::string label;
    Figures figures;
    std::vector<std::string> processes;  // Servers::names
    std::string notes;                   // the cluster's Redis and relay counters
};

// The node run, compared with the first of ours (one round, both ran).
const Run* node_run(const std::vector<Run>& runs) {
    auto nodes = std::count_if(runs.begin(), runs.end(), [](const Run& r) { return r.label == kNode; });
    return runs.size() >= 2 && nodes == 1 && runs.back().label == kNode ? &runs.back() : nullptr;
}

// "name 12%, name 3%" over a per-process figure.
template <typename T>
std::string per_process(const Run& r, const std::vector<T>& values, double scale, const char* unit) {
    std::string text;
    for (std::size_t i = 0; i < values.size() && i < r.processes.size(); ++i) {
        char item[96];
        std::snprintf(item, sizeof item, "%s%s %.1f%s", i ? ", " : "", r.processes[i].c_str(),
                      static_cast<double>(values[i]) * scale, unit);
        text += item;
    }
    return text;
}

void print_run(const Run& r) {
    const Figures& f = r.figures;
    std::printf("  connect: all logged in %.3f s, all calls set up %.3f s, listen overflows %ld\n",
                f.login_s, f.connect_s, f.listen_overflows);
    std::printf("  RSS: idle %ld KiB, loaded %ld KiB\n", f.rss_idle_kib, f.rss_loaded_kib);
    std::printf("  relay: %.0f frames/s, server CPU %.0f%%, load generator CPU %.0f%%\n",
                f.throughput_fps, f.server_cpu_pct, f.client_cpu_pct);
    std::printf(
        "  latency: %zu samples, p50 %.3f ms, p99 %.3f ms, max %.3f ms, server CPU %.0f%%; "
        "lost %" PRIu64 "\n",
        f.latency_samples, f.p50_ms, f.p99_ms, f.max_ms, f.paced_server_cpu_pct, f.lost);
    if (r.processes.size() > 1) {
        std::printf("  CPU at saturation: %s\n", per_process(r, f.cpu_pct, 1, "%").c_str());
        std::printf("  CPU at paced rate: %s\n", per_process(r, f.paced_cpu_pct, 1, "%").c_str());
        std::printf("  waiting for a CPU at paced rate: %s\n", per_process(r, f.paced_wait_pct, 1, "%").c_str());
        std::printf("  RSS all logged in: %s\n", per_process(r, f.process_rss_kib, 1 / 1024.0, " MiB").c_str());
        std::printf("  offers sent again after not_online: %" PRIu64 "\n", f.offer_retries);
    }
    if (f.error_frames)
        std::printf("  unexpected frames: %" PRIu64 " (first: %s)\n", f.error_frames,
                    f.first_error.c_str());
    if (!f.failure.empty()) std::printf("  FAILED: %s\n", f.failure.c_str());
    std::printf("%s", r.notes.c_str());
    std::fflush(stdout);
}

// One table row: a figure per run (NaN: "–"), and ours/node when both ran.
void print_row(const std::vector<Run>& runs, const char* what, const char* format,
               double (*figure)(const Figures&)) {
    std::printf("| %s |", what);
    for (const Run& r : runs) {
        double value = figure(r.figures);
        std::printf(" ");
        if (std::isnan(value))
            std::printf("–");
        else
            std::printf(format, value);
        std::printf(" |");
    }
    if (const Run* node_figures = node_run(runs)) {
        double ours = figure(runs[0].figures), node = figure(node_figures->figures);
        if (node != 0 && !std::isnan(node))
            std::printf(" %.2f |", ours / node);
        else
            std::printf(" – |");
    }
    std::printf("\n");
}

// Process i's CPU at saturation, NaN when the run had no process i.
double cpu_of(const Figures& f, std::size_t i) {
    return i < f.cpu_pct.size() ? f.cpu_pct[i] : std::nan("");
}

// What one serving process relays: frames received by the clients / serving
// processes. Each cross-node frame is read from a client by one node and
// written to its receiver by the other, so that is also the frames each node
// takes in and each node gives out.
double per_node_fps(const Figures& f) {
    return f.serving ? f.throughput_fps / static_cast<double>(f.serving) : std::nan("");
}

// The same over the share of a core the serving processes used: what one
// would relay on a core of its own, if it scaled linearly.
double per_node_core_fps(const Figures& f) {
    double cpu = 0;
    for (std::size_t i = 0; i < f.serving && i < f.cpu_pct.size(); ++i) cpu += f.cpu_pct[i];
    return cpu > 0 ? f.throughput_fps / (cpu / 100) : std::nan("");
}

void print_cpu_rows(const std::vector<Run>& runs) {
    using F = const Figures&;
    bool cluster = std::any_of(runs.begin(), runs.end(), [](const Run& r) { return r.label == kCluster; });
    if (!cluster) return;
    print_row(runs, "frames/s per node at saturation (throughput / nodes)", "%.0f", per_node_fps);
    print_row(runs, "frames/s per node per core of node CPU at saturation", "%.0f", per_node_core_fps);
    print_row(runs, "node a (or the server) CPU at saturation (%)", "%.0f", [](F f) { return cpu_of(f, 0); });
    print_row(runs, "node b CPU at saturation (%)", "%.0f", [](F f) { return cpu_of(f, 1); });
    print_row(runs, "redis-server CPU at saturation (%)", "%.0f", [](F f) { return cpu_of(f, 2); });
    print_row(runs, "redis-server CPU at paced rate (%)", "%.0f", [](F f) {
        return f.paced_cpu_pct.size() > 2 ? f.paced_cpu_pct[2] : std::nan("");
    });
}

void print_table(const Options& o, const std::vector<Run>& runs) {
    std::printf("\n| %zu clients, %zu pairs | ", o.clients, o.clients / 2);
    for (const Run& r : runs) std::printf("%s | ", r.label.c_str());
    std::printf("%s\n|---|", node_run(runs) ? "ours/node |" : "");
    for (std::size_t i = 0; i < runs.size() + (node_run(runs) ? 1 : 0); ++i) std::printf("---:|");
    std::printf("\n");
    using F = const Figures&;
    print_row(runs, "all logged in (s)", "%.2f", [](F f) { return f.login_s; });
    print_row(runs, "all logged in and in calls: connect time (s)", "%.2f",
              [](F f) { return f.connect_s; });
    print_row(runs, "listen queue overflows while connecting", "%.0f",
              [](F f) { return static_cast<double>(f.listen_overflows); });
    print_row(runs, "relay throughput at saturation (frames/s)", "%.0f",
              [](F f) { return f.throughput_fps; });
    print_row(runs, "server CPU at saturation (% of one core, processes summed)", "%.0f",
              [](F f) { return f.server_cpu_pct; });
    print_cpu_rows(runs);
    print_row(runs, "load generator CPU at saturation (%)", "%.0f",
              [](F f) { return f.client_cpu_pct; });
    print_row(runs, "relay latency p50 at paced rate (ms)", "%.3f", [](F f) { return f.p50_ms; });
    print_row(runs, "relay latency p99 at paced rate (ms)", "%.3f", [](F f) { return f.p99_ms; });
    print_row(runs, "relay latency max at paced rate (ms)", "%.3f", [](F f) { return f.max_ms; });
    print_row(runs, "server CPU at paced rate (% of one core, processes summed)", "%.0f",
              [](F f) { return f.paced_server_cpu_pct; });
    print_row(runs, "servers runnable but waiting for a CPU at paced rate (%, summed)", "%.1f",
              [](F f) { return std::accumulate(f.paced_wait_pct.begin(), f.paced_wait_pct.end(), 0.0); });
    print_row(runs, "server RSS idle (MiB)", "%.1f", [](F f) { return f.rss_idle_kib / 1024.0; });
    print_row(runs, "server RSS, all logged in (MiB)", "%.1f",
              [](F f) { return f.rss_loaded_kib / 1024.0; });
    print_row(runs, "server RSS per connection (KiB)", "%.2f", [](F f) {
        return f.held ? static_cast<double>(f.rss_loaded_kib - f.rss_idle_kib) /
                            static_cast<double>(f.clients)
                      : 0;
    });
    print_row(runs, "frames lost", "%.0f", [](F f) { return static_cast<double>(f.lost); });
}

const char* verdict(bool met) { return met ? "met" : "NOT met"; }

// Each cluster run beside the single node's run of its round (the last
// mediapeer-signal run before it, else the first after it).
void print_cluster_targets(const Options& o, const std::vector<Run>& runs) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (runs[i].label != kCluster) continue;
        const Run* single = nullptr;
        for (std::size_t j = 0; j < runs.size(); ++j)
            if (runs[j].label == kOurs && (j < i || !single)) single = &runs[j];
        const Figures& c = runs[i].figures;
        std::printf("\ntargets (cluster, the table's run %zu):\n", i + 1);
        std::printf("- cross-node p99 < 2 ms at 1,000 frames/s: %s (p99 %.3f ms at %.0f frames/s)\n",
                    verdict(c.latency_samples > 0 && c.p99_ms < 2 && o.latency_rate >= 1000), c.p99_ms,
                    o.latency_rate);
        if (!single) continue;
        const Figures& s = single->figures;
        double ratio = s.throughput_fps > 0 ? per_node_fps(c) / s.throughput_fps : 0;
        double core_ratio = per_node_core_fps(s) > 0 ? per_node_core_fps(c) / per_node_core_fps(s) : 0;
        std::printf("- each node's throughput >= 50%% of a single node's (pair's frames/s / 2 vs the single\n"
                    "  node's, on the same CPUs): %s (%.0f vs %.0f frames/s: %.0f%%)\n",
                    verdict(ratio >= 0.5), per_node_fps(c), s.throughput_fps, 100 * ratio);
        std::printf("- the same per core of node CPU (frames/s / node CPU share): %s (%.0f vs %.0f: %.0f%%)\n",
                    verdict(core_ratio >= 0.5), per_node_core_fps(c), per_node_core_fps(s), 100 * core_ratio);
    }
}

void print_targets(const Options& o, const std::vector<Run>& runs) {
    print_cluster_targets(o, runs);
    if (runs.empty() || runs[0].label != kOurs) return;  // the targets are for what users run
    const Figures& ours = runs[0].figures;
    std::printf("\ntargets (mediapeer-signal):\n");
    std::printf("- 5,000 users held: %s (%zu clients, %s)\n",
                verdict(ours.held && o.clients >= 5000), o.clients,
                ours.held ? "all logged in and in calls" : ours.failure.c_str());
    if (const Run* node = node_run(runs))
        std::printf("- throughput >= the Node relay's on one core: %s (%.0f vs %.0f frames/s)\n",
                    verdict(ours.throughput_fps >= node->figures.throughput_fps),
                    ours.throughput_fps, node->figures.throughput_fps);
    std::printf("- p99 < 1 ms at 1,000 frames/s, keepalive on: %s (p99 %.3f ms at %.0f frames/s)\n",
                verdict(ours.latency_samples > 0 && ours.p99_ms < 1 && o.latency_rate >= 1000),
                ours.p99_ms, o.latency_rate);
}

// Ours with its defaults but for the rate and connection limits (a load
// generator is one client sending for thousands).
std::vector<std::string> server_command(const Options& o, Server server) {
    if (server == Server::node) return {o.node_bin, o.relay_js, "--listen", "127.0.0.1:0"};
    std::vector<std::string> command = {o.server_bin, "--listen", "127.0.0.1:0", "--max-frames-per-second", "0",
                                        "--max-connections", "20000"};
    if (server == Server::ours_no_keepalive) command.insert(command.end(), {"--ping-interval", "0"});
    return command;
}

// One server process; the failure, or "" when it listens.
std::string start_server(const std::vector<std::string>& command, int cpu, const std::string& name,
                         Servers& servers) {
    ServerProcess server = spawn(command, cpu);
    bool listening = server.pid > 0 && wait_listening(server, 10);
    servers.processes.push_back(server);
    servers.names.push_back(name);
    return listening ? "" : name + " did not start (no 'listening on' line within 10 s)";
}

// A node is in the cluster when its /healthz answers 200 and counts both nodes.
bool in_cluster(const ServerProcess& node) {
    std::string health = http_get(node.port, "/healthz");
    return health.starts_with("HTTP/1.1 200") && health.find("\"nodes\":2") != std::string::npos;
}

// redis-server on a free port, then nodes a and b on it: Servers = a, b, redis.
std::string start_cluster(const Options& o, Servers& servers, std::uint16_t& redis_port) {
    auto cpu = [&](std::size_t i) { return o.cluster_cpus.empty() ? o.server_cpu : o.cluster_cpus[i]; };
    redis_port = free_port();
    ServerProcess redis = spawn({o.redis_bin, "--port", std::to_string(redis_port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no"},
                                cpu(2));
    redis.port = redis_port;
    bool redis_up = redis.pid > 0 && wait_for(5, [&] {
        int fd = connect_loopback(redis_port);
        if (fd >= 0) close(fd);
        return fd >= 0;
    });
    std::string url = "redis://127.0.0.1:" + std::to_string(redis_port);
    std::string failure = redis_up ? "" : "redis-server did not accept connections within 5 s";
    for (std::size_t i = 0; i < 2 && failure.empty(); ++i) {
        std::string id(1, static_cast<char>('a' + i));
        std::vector<std::string> command = server_command(o, Server::ours);
        command.insert(command.end(), {"--redis", url, "--node-id", id});
        failure = start_server(command, cpu(i), "node " + id, servers);
    }
    servers.processes.push_back(redis);
    servers.names.push_back("redis");
    servers.serving = 2;
    if (failure.empty() && !wait_for(10, [&] { return in_cluster(servers.processes[0]) && in_cluster(servers.processes[1]); }))
        failure = "the nodes did not both see the cluster (/healthz 200, \"nodes\":2) within 10 s";
    return failure;
}

// The lines of `text` that start with one of `prefixes`, indented.
std::string lines_starting(const std::string& text, const std::vector<std::string>& prefixes) {
    std::istringstream in(text);
    std::string out;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        for (const std::string& p : prefixes)
            if (line.starts_with(p)) out += "    " + line + "\n";
    }
    return out;
}

std::string command_output(const std::string& command) {
    std::string out;
    if (FILE* pipe = popen(command.c_str(), "r")) {
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
        pclose(pipe);
    }
    return out;
}

// What Redis did over the whole run (logins, saturation and paced phases),
// and each node's relay counters: that the frames did cross.
std::string cluster_notes(const Servers& servers, std::uint16_t redis_port) {
    std::string cli = "redis-cli -p " + std::to_string(redis_port) + " ";
    std::string notes = "  redis INFO commandstats, latencystats (whole run):\n" +
                        lines_starting(command_output(cli + "info commandstats"),
                                       {"cmdstat_publish", "cmdstat_eval", "cmdstat_set", "cmdstat_hset"}) +
                        lines_starting(command_output(cli + "info latencystats"), {"latency_percentiles_usec_publish"});
    for (std::size_t i = 0; i < servers.serving; ++i) {
        std::string metrics = http_get(servers.processes[i].port, "/metrics");
        notes += "  " + servers.names[i] + " /metrics:\n" +
                 lines_starting(metrics, {"mediapeer_signal_cluster_relays", "mediapeer_signal_cluster_messages",
                                          "mediapeer_signal_cluster_redis_outages"});
    }
    return notes;
}

const char* label_of(Server which) {
    switch (which) {
    case Server::ours: return kOurs;
    case Server::ours_no_keepalive: return kOursNoKeepalive;
    case Server::node: return kNode;
    case Server::cluster: return kCluster;
    }
    return "";
}

Run run_one(const Options& o, Server which) {
    Run run{label_of(which), {}, {}, {}};
    Servers servers;
    std::uint16_t redis_port = 0;
    std::string failure;
    if (which == Server::cluster) {
        std::printf("\n== %s: redis-server and 2 x %s (CPUs %s), %zu clients (CPU %d)\n", run.label.c_str(),
                    o.server_bin.c_str(),
                    o.cluster_cpus.empty() ? std::to_string(o.server_cpu).c_str() : "--cluster-cpus", o.clients,
                    o.client_cpu);
        std::fflush(stdout);
        failure = start_cluster(o, servers, redis_port);
    } else {
        std::vector<std::string> command = server_command(o, which);
        std::printf("\n== %s: %s (CPU %d), %zu clients (CPU %d)\n", run.label.c_str(),
                    command[which == Server::node ? 1 : 0].c_str(), o.server_cpu, o.clients, o.client_cpu);
        std::fflush(stdout);
        failure = start_server(command, o.server_cpu, "server", servers);
        servers.serving = 1;
    }
    run.processes = servers.names;
    if (!failure.empty()) {
        run.figures.failure = failure;
        stop(servers);
        return run;
    }
    usleep(300'000);  // idle RSS once start-up allocations are done
    {
        Load load(o, servers);
        run.figures = load.run();
    }  // the clients are gone before the server is asked to stop
    run.figures.serving = servers.serving;
    if (which == Server::cluster) run.notes = cluster_notes(servers, redis_port);
    stop(servers);
    print_run(run);
    return run;
}

// The runs --server and --keepalive ask for, in order: ours is run with
// keepalive on, off, or both; the cluster as users run it (on).
std::vector<Server> run_list(const Options& o) {
    std::vector<Server> list;
    for (const std::string& s : o.servers) {
        if (s == "ours" && o.keepalive != "off") list.push_back(Server::ours);
        if (s == "ours" && o.keepalive != "on") list.push_back(Server::ours_no_keepalive);
        if (s == "node") list.push_back(Server::node);
        if (s == "cluster") list.push_back(Server::cluster);
    }
    return list;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    raise_fd_limit();
    rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < o.clients + 64)
        std::fprintf(stderr, "signal-load: warning: %zu clients but only %llu descriptors\n",
                     o.clients, static_cast<unsigned long long>(limit.rlim_cur));
    if (!pin_to_cpu(0, o.client_cpu))
        std::fprintf(stderr, "signal-load: warning: cannot pin to CPU %d\n", o.client_cpu);
    std::vector<Run> runs;
    for (std::size_t round = 0; round < o.rounds; ++round)
        for (Server which : run_list(o)) runs.push_back(run_one(o, which));
    print_table(o, runs);
    print_targets(o, runs);
    bool ok = std::all_of(runs.begin(), runs.end(),
                          [](const Run& r) { return r.figures.failure.empty(); });
    return ok ? 0 : 1;
}
