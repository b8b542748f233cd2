// A small asynchronous Redis client on the GLib main loop (hiredis 0.14's
// async API and its glib adapter): the transport of signaling nodes that
// share state through Redis. One connection for commands and PUBLISH, one for
// SUBSCRIBE (a subscribed connection can do nothing else), a PING watchdog,
// and reconnection by itself.
#pragma once

#include "common/result.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mp::signal {

struct RedisAddress {
    std::string host;  // an IPv4 or IPv6 address, or a name (resolved by hiredis, blocking)
    int port = 6379;
    // SELECTed on the command connection only. Pub/sub is not per database:
    // nodes sharing one Redis must use the same db, or they see each other's
    // channels anyway while their keys stay apart.
    int db = 0;
};

inline constexpr int kRedisDefaultPort = 6379;
inline constexpr int kRedisDatabases = 16;  // Redis' default `databases 16`: db 0-15

// "redis://HOST[:PORT][/DB]": HOST a name, an IPv4 address or [IPv6]; PORT
// 1-65535, 6379 when left out; DB digits, 0-15, 0 when left out. No user
// info (AUTH), no TLS (rediss://), no Unix socket, no query. The error says
// what is wrong.
Result<RedisAddress, std::string> parse_redis_url(std::string_view url);
// The URL of `address`, for logs: "redis://HOST:PORT/DB".
std::string redis_url(const RedisAddress& address);

struct RedisReply {
    // lost: no reply will come (the link went down, or was down, before one came).
    enum class Kind { nil, integer, string, status, array, error, lost };
    Kind kind = Kind::lost;
    long long integer = 0;
    std::string text;                  // string, status, error; bytes, NULs included
    std::vector<RedisReply> elements;  // array
};

struct RedisTiming {
    int retry_ms = 1000;          // between attempts while down
    int ping_interval_ms = 1000;  // a PING on the command connection while up
    // No answer this long to a PING (or, while connecting, to the first
    // commands): Redis hangs; both connections are dropped and made anew.
    int answer_timeout_ms = 3000;
};

// Every callback runs from the main loop, never inside a call of ours nor
// inside hiredis, in the order the events happened; a callback may call
// anything here, destroying the link included (then nothing further runs).
class RedisLink {
public:
    struct Events {
        // Both connections open (the command one answered PING, after SELECT)
        // and every channel subscribed. The place to resync.
        std::function<void()> up;
        // Once per outage: the link was up and is lost, or an attempt failed
        // and none succeeded since the last `down`. It retries by itself.
        // Every pending command has had its `lost` before this.
        std::function<void(const std::string& why)> down;
        // A pub/sub message, in the order Redis sent them; only between `up`
        // and `down` (one that came while subscribing waits for `up`).
        std::function<void(const std::string& channel, const std::string& message)> message;
    };

    // Starts connecting at once (sources on the thread-default main context).
    // Without `channels` there is no subscriber connection.
    static std::unique_ptr<RedisLink> start(RedisAddress address, std::vector<std::string> channels,
                                            Events events, RedisTiming timing = {});
    // Frees both hiredis contexts. No callback runs after: a pending command's
    // `done` is destroyed unrun, not called with `lost`.
    ~RedisLink();
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;

    bool up() const;

    // A command on the command connection (binary-safe arguments); replies
    // come in order. While down (or with no arguments) nothing is sent, false
    // is returned, and `done`, if any, gets `lost` (or an error) from the loop
    // later, never from within this call. If the link goes down first, `done`
    // gets `lost`, exactly once.
    bool command(const std::vector<std::string>& argv, std::function<void(const RedisReply&)> done = {});
    // PUBLISH on the command connection; false, nothing sent, while down.
    bool publish(const std::string& channel, const std::string& message);

    // Back pressure: bytes of commands not yet written to Redis, and commands
    // with a `done` still waiting for their reply.
    std::size_t unsent_bytes() const;
    std::size_t awaiting_replies() const;

    struct Impl;

private:
    explicit RedisLink(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mp::signal
