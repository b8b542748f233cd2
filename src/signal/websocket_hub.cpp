#include "signal/websocket_hub.hpp"

#include "common/guarded.hpp"

#include <glib-unix.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mp::signal {

using ws::Opcode;

struct WebSocketHub::Connection {
    WebSocketId id;
    GRef<GIOStream> stream;
    GSocket* socket;  // owned by the stream
    GPollableInputStream* in;
    GPollableOutputStream* out;
    ws::Decoder decoder;
    std::string unsent;
    std::size_t unsent_offset = 0;
    gint64 last_heard_us;
    gint64 close_deadline_us = 0;
    bool started = false;   // its first read happened
    bool unflushed = false;  // listed in unflushed_
    bool writable_watched = false;
    bool close_sent = false;
    bool close_received = false;
    bool write_shut = false;
    bool finished = false;

    Connection(WebSocketId i, GIOStream* s, GSocket* sock, std::uint64_t max_message)
        : id(i),
          stream(GRef<GIOStream>::ref(s)),
          socket(sock),
          in(G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(s))),
          out(G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(s))),
          decoder(max_message),
          last_heard_us(g_get_monotonic_time()) {}
};

namespace {

constexpr int kReadsPerWakeup = 16;  // fairness: then the next ready connection
constexpr guint kClosingCheckMs = 250;

GSocket* socket_of(GIOStream* stream) {
    // libsoup hands the socket along with a stolen connection.
    if (auto* s = g_object_get_data(G_OBJECT(stream), "GSocket")) return G_SOCKET(s);
    if (G_IS_SOCKET_CONNECTION(stream))
        return g_socket_connection_get_socket(G_SOCKET_CONNECTION(stream));
    return nullptr;
}

bool would_block(GError* error) {
    return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
}

// Codes a close frame may carry (RFC 6455 7.4): echo the client's when valid.
std::uint16_t echoable(std::uint16_t code) {
    bool reserved = code < 1000 || code == 1004 || code == 1005 || code == 1006 || code == 1015 ||
                    (code > 1015 && code < 3000) || code >= 5000;
    return reserved ? ws::kCloseNormal : code;
}

}  // namespace

WebSocketHub::WebSocketHub(WebSocketEvents& events, WebSocketLimits limits)
    : events_(events), limits_(limits), epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_fd_ < 0) g_error("epoll_create1: %s", g_strerror(errno));
    epoll_source_ = attach_source(g_unix_fd_source_new(epoll_fd_, G_IO_IN),
                                  G_SOURCE_FUNC(on_epoll), this);
}

WebSocketHub::~WebSocketHub() {
    epoll_source_.reset();
    flush_idle_.reset();
    closing_timer_.reset();
    for (auto& [id, c] : connections_) g_io_stream_close(c->stream.get(), nullptr, nullptr);
    ::close(epoll_fd_);
}

WebSocketId WebSocketHub::adopt(GIOStream* stream) {
    GSocket* socket = socket_of(stream);
    g_return_val_if_fail(socket, 0);
    auto c = std::make_unique<Connection>(next_id_++, stream, socket, limits_.max_message_bytes);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c->id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, g_socket_get_fd(socket), &ev);
    WebSocketId id = c->id;
    // The first read waits for the idle flush: the caller registers the id
    // first, and libsoup may already hold bytes the client sent early.
    c->unflushed = true;
    unflushed_.push_back(id);
    connections_.emplace(id, std::move(c));
    flush_all_soon();
    return id;
}

gboolean WebSocketHub::on_epoll(gint, GIOCondition, gpointer data) {
    auto* self = static_cast<WebSocketHub*>(data);
    epoll_event events[256];
    int n = epoll_wait(self->epoll_fd_, events, 256, 0);
    self->dispatch([&] {
        for (int i = 0; i < n; ++i) {
            auto it = self->connections_.find(events[i].data.u64);
            if (it != self->connections_.end()) self->on_ready_guarded(*it->second, events[i].events);
        }
    });
    return G_SOURCE_CONTINUE;
}

// Runs `work` from a GLib callback, then writes once per connection for
// everything it produced and frees finished connections (no callback of
// theirs is running any more).
template <typename Work>
void WebSocketHub::dispatch(Work&& work) {
    dispatching_ = true;
    guarded(G_LOG_DOMAIN, "WebSocket dispatch", std::forward<Work>(work));
    // Whatever happened above, what the others were sent leaves now: nothing
    // else would wake the hub for it.
    guarded(G_LOG_DOMAIN, "WebSocket flush", [this] { flush_all(); });
    dispatching_ = false;
    finished_.clear();
}

void WebSocketHub::on_ready(Connection& c, std::uint32_t events) {
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_available(c);
    if (!c.finished && (events & EPOLLOUT)) flush(c);
}

// One connection's trouble is its own: an exception while reading or handling
// what it sent fails that connection (1011), and the others go on.
void WebSocketHub::on_ready_guarded(Connection& c, std::uint32_t events) {
    run_guarded([&] { on_ready(c, events); }, [&](const char* message) {
        g_critical("WebSocket %" G_GUINT64_FORMAT ": %s: failing it (1011)", c.id, message);
        if (!c.finished) fail(c, ws::Failure{ws::kCloseInternalError, "internal_error", "internal error"});
    });
}

void WebSocketHub::read_available(Connection& c) {
    c.started = true;
    char buffer[16384];
    std::vector<ws::Message> messages;
    for (int reads = 0; reads < kReadsPerWakeup && !c.finished; ++reads) {
        GError* raw = nullptr;
        gssize n = g_pollable_input_stream_read_nonblocking(c.in, buffer, sizeof buffer, nullptr, &raw);
        GErrorPtr error(raw);
        if (n < 0 && would_block(error.get())) return;
        if (n <= 0) {  // EOF or a broken connection
            finish(c);
            return;
        }
        messages.clear();
        auto failure = c.decoder.feed(std::string_view(buffer, static_cast<std::size_t>(n)), messages);
        for (auto& m : messages) {
            if (c.finished) return;
            take_message(c, m);
        }
        if (failure && !c.finished) fail(c, *failure);
    }
}

void WebSocketHub::take_message(Connection& c, ws::Message& m) {
    c.last_heard_us = g_get_monotonic_time();
    switch (m.opcode) {
    case Opcode::text:
        if (!c.close_sent) events_.on_text(c.id, m.payload);
        break;
    case Opcode::binary:
        if (!c.close_sent) events_.on_binary(c.id);
        break;
    case Opcode::ping:
        if (!c.close_sent) queue(c, Opcode::pong, m.payload);
        break;
    case Opcode::close:
        c.close_received = true;
        if (!c.close_sent) send_close(c, echoable(ws::close_code(m.payload)), "");
        break;
    default:
        break;  // pong: being heard is all it is for
    }
}

void WebSocketHub::fail(Connection& c, const ws::Failure& failure) {
    if (c.close_sent) return;
    events_.on_failure(c.id, failure);
    send_close(c, failure.code, failure.reason);
}

}  // namespace mp::signal

namespace mp::signal {

void WebSocketHub::send_text(WebSocketId id, std::string_view text) {
    auto it = connections_.find(id);
    if (it != connections_.end() && !it->second->close_sent) queue(*it->second, Opcode::text, text);
}

void WebSocketHub::close(WebSocketId id, std::uint16_t code, std::string_view reason) {
    auto it = connections_.find(id);
    if (it != connections_.end() && !it->second->close_sent) send_close(*it->second, code, reason);
}

void WebSocketHub::ping(Slice slice) {
    for (auto& [id, c] : connections_)
        if (!c->close_sent && slice.holds(id)) queue(*c, Opcode::ping, "");
}

std::vector<WebSocketId> WebSocketHub::open_connections() const {
    std::vector<WebSocketId> open;
    for (const auto& [id, c] : connections_)
        if (!c->close_sent) open.push_back(id);
    return open;
}

std::vector<WebSocketId> WebSocketHub::silent_since(gint64 since_us, Slice slice) const {
    std::vector<WebSocketId> silent;
    for (const auto& [id, c] : connections_)
        if (!c->close_sent && slice.holds(id) && c->last_heard_us < since_us) silent.push_back(id);
    return silent;
}

void WebSocketHub::queue(Connection& c, Opcode opcode, std::string_view payload) {
    if (c.finished) return;
    ws::append_frame(c.unsent, opcode, payload);
    if (c.unsent.size() - c.unsent_offset > limits_.max_unsent_bytes) {
        // It has stopped reading: nothing more can reach it, not even a close frame.
        events_.on_failure(c.id, ws::Failure{ws::kClosePolicyViolation, "slow_reader",
                                             "client does not read what it is sent"});
        finish(c);
        return;
    }
    if (!c.unflushed) {
        c.unflushed = true;
        unflushed_.push_back(c.id);
        flush_all_soon();
    }
}

void WebSocketHub::send_close(Connection& c, std::uint16_t code, std::string_view reason) {
    queue(c, Opcode::close, ws::close_payload(code, reason));
    c.close_sent = true;
    c.close_deadline_us = g_get_monotonic_time() + limits_.close_grace_us;
    if (closing_timer_) return;
    closing_timer_ = attach_source(
        g_timeout_source_new(kClosingCheckMs),
        [](gpointer data) -> gboolean {
            static_cast<WebSocketHub*>(data)->expire_closing();
            return G_SOURCE_CONTINUE;
        },
        this);
}

void WebSocketHub::flush(Connection& c) {
    while (!c.finished && c.unsent_offset < c.unsent.size()) {
        GError* raw = nullptr;
        gssize n = g_pollable_output_stream_write_nonblocking(
            c.out, c.unsent.data() + c.unsent_offset, c.unsent.size() - c.unsent_offset, nullptr,
            &raw);
        GErrorPtr error(raw);
        if (n > 0) {
            c.unsent_offset += static_cast<std::size_t>(n);
        } else if (n < 0 && would_block(error.get())) {
            watch_writable(c, true);
            return;
        } else {
            finish(c);
            return;
        }
    }
    if (c.finished) return;
    c.unsent.clear();
    c.unsent_offset = 0;
    watch_writable(c, false);
    if (!c.close_sent) return;
    if (c.close_received) {
        finish(c);  // handshake done both ways
    } else if (!c.write_shut && !G_IS_TLS_CONNECTION(c.stream.get())) {
        // EOF right after our close frame: the client closes at once, even
        // one still busy sending what made us close (an oversize frame).
        g_socket_shutdown(c.socket, FALSE, TRUE, nullptr);
        c.write_shut = true;
    }
}

void WebSocketHub::flush_all() {
    while (!unflushed_.empty()) {
        std::vector<WebSocketId> batch;
        batch.swap(unflushed_);
        for (WebSocketId id : batch) {
            auto it = connections_.find(id);
            if (it == connections_.end()) continue;
            Connection& c = *it->second;
            c.unflushed = false;
            if (!c.started) read_available(c);
            if (!c.finished) flush(c);
        }
    }
}

void WebSocketHub::flush_all_soon() {
    if (dispatching_ || flush_idle_) return;
    flush_idle_ = attach_source(
        g_idle_source_new(),
        [](gpointer data) -> gboolean {
            auto* self = static_cast<WebSocketHub*>(data);
            self->dispatch([] {});
            self->flush_idle_.reset();
            return G_SOURCE_REMOVE;
        },
        this);
}

void WebSocketHub::watch_writable(Connection& c, bool writable) {
    if (c.writable_watched == writable) return;
    c.writable_watched = writable;
    epoll_event ev{};
    ev.events = EPOLLIN | (writable ? EPOLLOUT : 0u);
    ev.data.u64 = c.id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, g_socket_get_fd(c.socket), &ev);
}

void WebSocketHub::finish(Connection& c) {
    if (c.finished) return;
    c.finished = true;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, g_socket_get_fd(c.socket), nullptr);
    // Closing a TLS stream writes close_notify: done async, the stream kept alive.
    g_io_stream_close_async(
        c.stream.get(), G_PRIORITY_DEFAULT, nullptr,
        [](GObject* stream, GAsyncResult* result, gpointer kept) {
            std::unique_ptr<GRef<GIOStream>> release(static_cast<GRef<GIOStream>*>(kept));
            g_io_stream_close_finish(G_IO_STREAM(stream), result, nullptr);
        },
        new GRef<GIOStream>(c.stream));
    WebSocketId id = c.id;
    auto it = connections_.find(id);
    finished_.push_back(std::move(it->second));  // freed when no callback is running
    connections_.erase(it);
    flush_all_soon();
    events_.on_closed(id);
}

void WebSocketHub::expire_closing() {
    gint64 now = g_get_monotonic_time();
    bool closing = false;
    std::vector<Connection*> expired;
    for (auto& [id, c] : connections_) {
        if (!c->close_sent) continue;
        closing = true;
        if (now >= c->close_deadline_us) expired.push_back(c.get());
    }
    for (Connection* c : expired) finish(*c);
    if (!closing) closing_timer_.reset();
}

}  // namespace mp::signal
