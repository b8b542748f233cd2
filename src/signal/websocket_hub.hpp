// Every WebSocket of the server on one epoll GSource: reads, frames, batched
// writes, pings, the closing handshake. libsoup does the HTTP upgrade; the hub
// takes the connection over from there.
#pragma once

#include "common/gobj.hpp"
#include "protocol/websocket_codec.hpp"

#include <gio/gio.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mp::signal {

namespace ws = protocol::ws;

using WebSocketId = std::uint64_t;

// What the hub reports, on the main thread. A callback may call back into the
// hub (send, close) for any connection, including this one.
class WebSocketEvents {
public:
    virtual ~WebSocketEvents() = default;
    virtual void on_text(WebSocketId id, std::string_view text) = 0;
    virtual void on_binary(WebSocketId id) = 0;
    // The client broke the protocol or a limit; the hub is closing with `failure.code`.
    virtual void on_failure(WebSocketId id, const ws::Failure& failure) = 0;
    // The connection is gone for good (after a close handshake, EOF or error).
    virtual void on_closed(WebSocketId id) = 0;
};

// One of `count` equal shares of the connections (by id), so that work done
// for every connection can be spread over time.
struct Slice {
    std::uint64_t index = 0;
    std::uint64_t count = 1;
    bool holds(WebSocketId id) const { return id % count == index; }
};

struct WebSocketLimits {
    std::uint64_t max_message_bytes = 64 * 1024;
    std::size_t max_unsent_bytes = 1024 * 1024;  // a client that stops reading is dropped
    gint64 close_grace_us = 2 * G_USEC_PER_SEC;  // wait this long for the client's close
};

class WebSocketHub {
public:
    WebSocketHub(WebSocketEvents& events, WebSocketLimits limits);
    ~WebSocketHub();
    WebSocketHub(const WebSocketHub&) = delete;
    WebSocketHub& operator=(const WebSocketHub&) = delete;

    // Takes over an upgraded connection (stolen from libsoup) and returns its id.
    WebSocketId adopt(GIOStream* stream);

    void send_text(WebSocketId id, std::string_view text);
    // Starts the closing handshake; on_closed follows.
    void close(WebSocketId id, std::uint16_t code, std::string_view reason);
    void ping(Slice slice = {});
    // Open connections (of `slice`) that sent nothing, not even a pong, since `since_us`.
    std::vector<WebSocketId> silent_since(gint64 since_us, Slice slice = {}) const;

    // Connections not yet closing.
    std::vector<WebSocketId> open_connections() const;
    // Every connection, closing ones included.
    std::size_t size() const { return connections_.size(); }

    struct Connection;

private:
    void on_ready(Connection& c, std::uint32_t events);
    void on_ready_guarded(Connection& c, std::uint32_t events);
    void read_available(Connection& c);
    void take_message(Connection& c, ws::Message& message);
    void fail(Connection& c, const ws::Failure& failure);
    void queue(Connection& c, ws::Opcode opcode, std::string_view payload);
    void send_close(Connection& c, std::uint16_t code, std::string_view reason);
    void flush(Connection& c);
    void flush_all();
    void flush_all_soon();  // now if a dispatch is under way, else from an idle
    template <typename Work>
    void dispatch(Work&& work);
    void watch_writable(Connection& c, bool writable);
    void finish(Connection& c);
    void expire_closing();
    static gboolean on_epoll(gint fd, GIOCondition condition, gpointer self);

    WebSocketEvents& events_;
    WebSocketLimits limits_;
    int epoll_fd_;
    GSourcePtr epoll_source_;
    GSourcePtr flush_idle_;
    GSourcePtr closing_timer_;
    bool dispatching_ = false;
    WebSocketId next_id_ = 1;
    std::unordered_map<WebSocketId, std::unique_ptr<Connection>> connections_;
    std::vector<WebSocketId> unflushed_;
    std::vector<std::unique_ptr<Connection>> finished_;  // freed outside callbacks
};

}  // namespace mp::signal
