#include "signal/redis_link.hpp"

#include "common/gobj.hpp"
#include "common/guarded.hpp"

#include <hiredis/adapters/glib.h>  // hiredis.h, async.h and redis_source_new()

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-signal"

// What hiredis 0.14.1 (async.c) and its glib adapter do with lifetimes, which
// this file relies on:
// - hiredis frees a context itself when its connection fails: after
//   onConnect(REDIS_ERR) when connecting fails, after onDisconnect when an
//   established one is lost, in both cases right when that callback returns.
//   Before it, every pending reply callback runs once with a NULL reply. We
//   forget the pointer in that callback and never free it ourselves.
// - redisAsyncFree() called outside hiredis' callbacks frees at once: pending
//   reply callbacks with NULL, then ev.cleanup, then onDisconnect(REDIS_OK) if
//   it had connected. We forget the pointer before calling it, which is how
//   our callbacks tell our own free from a loss. Called inside a callback it
//   would be deferred until hiredis' loop returns, after our caller had gone
//   on: we never call it there. No code of the link's user runs inside hiredis
//   (events are queued, see deliver()) and our own teardown runs from an idle.
// - So each reply callback runs exactly once: with its reply, or with NULL as
//   its context is freed. A SUBSCRIBE callback runs for each message, and once
//   more with NULL per channel on free.
// - The adapter's GSource is not destroyed by hiredis: ev.cleanup only takes
//   its poll away. We destroy it (GSourcePtr) after its context is freed,
//   never before, since cleanup still touches it.

namespace mp::signal {

namespace {

Unexpected<std::string> refused(std::string why) { return unexpected(std::move(why)); }

// Digits only (no sign, no space), at most `max`.
std::optional<int> small_number(std::string_view text, int max) {
    if (text.empty() || text.size() > 5) return std::nullopt;
    int n = 0;
    for (char ch : text) {
        if (ch < '0' || ch > '9') return std::nullopt;
        n = n * 10 + (ch - '0');
    }
    if (n > max) return std::nullopt;
    return n;
}

bool host_chars(std::string_view host, bool bracketed) {
    return std::all_of(host.begin(), host.end(), [bracketed](char ch) {
        if (bracketed) return g_ascii_isxdigit(ch) || ch == ':' || ch == '.';
        return g_ascii_isalnum(ch) || ch == '.' || ch == '-' || ch == '_';
    });
}

// "HOST[:PORT]" or "[IPV6][:PORT]" into `address`; the error otherwise.
std::optional<std::string> parse_authority(std::string_view authority, RedisAddress& address) {
    std::string_view host = authority;
    std::optional<std::string_view> port;
    bool bracketed = authority.starts_with('[');
    if (bracketed) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return "the IPv6 address has no closing ']'";
        host = authority.substr(1, close - 1);
        auto after = authority.substr(close + 1);
        if (!after.empty() && after[0] != ':') return "after the IPv6 address comes ':PORT' or nothing";
        if (!after.empty()) port = after.substr(1);
    } else if (auto colon = authority.find(':'); colon != std::string_view::npos) {
        if (authority.find(':', colon + 1) != std::string_view::npos)
            return "an IPv6 address goes in brackets: redis://[::1]:6379";
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) return "no host: redis://HOST[:PORT][/DB]";
    if (!host_chars(host, bracketed)) return "the host \"" + std::string(host) + "\" is not a name or an address";
    address.host = host;
    if (port) {
        auto n = small_number(*port, 65535);
        if (!n || *n == 0) return "the port \"" + std::string(*port) + "\" is not a number from 1 to 65535";
        address.port = *n;
    }
    return std::nullopt;
}

}  // namespace

Result<RedisAddress, std::string> parse_redis_url(std::string_view url) {
    constexpr std::string_view scheme = "redis://";
    if (url.starts_with("rediss://")) return refused("TLS (rediss://) is not supported: redis://HOST[:PORT][/DB]");
    if (url.starts_with("unix:") || url.starts_with("redis+unix:"))
        return refused("a Unix socket is not supported: redis://HOST[:PORT][/DB]");
    if (!url.starts_with(scheme)) return refused("not a redis://HOST[:PORT][/DB] URL");
    auto rest = url.substr(scheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos)
        return refused("a query or fragment ('?', '#') is not supported: redis://HOST[:PORT][/DB]");
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    // Not echoed: what comes before '@' is a password.
    if (authority.find('@') != std::string_view::npos)
        return refused("a user or password ('...@' before the host) is not supported: no AUTH");
    RedisAddress address;
    if (auto error = parse_authority(authority, address)) return refused(*error);
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
        auto db = rest.substr(slash + 1);
        auto n = small_number(db, kRedisDatabases - 1);
        if (!n)
            return refused("the database \"" + std::string(db) + "\" is not a number from 0 to " +
                           std::to_string(kRedisDatabases - 1));
        address.db = *n;
    }
    return address;
}

std::string redis_url(const RedisAddress& address) {
    bool ipv6 = address.host.find(':') != std::string::npos;
    return "redis://" + (ipv6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port) +
           "/" + std::to_string(address.db);
}

struct RedisLink::Impl {
    struct Connection {
        Impl& owner;
        const char* role;
        redisAsyncContext* context = nullptr;  // null once freed, by hiredis or by drop()
        GSourcePtr source;                     // the glib adapter's; destroyed after its context
    };

    Impl(RedisAddress address, std::vector<std::string> channels, Events events, RedisTiming timing);
    ~Impl();

    void attempt();
    bool open(Connection& c);
    bool send(Connection& c, redisCallbackFn* fn, void* privdata, const std::vector<std::string>& argv);
    void drop(Connection& c);
    void lose(const std::string& why);
    void tear_down();
    void maybe_up();
    void ping();
    void on_select(const redisReply& reply);
    void on_pong(const redisReply& reply);
    void on_subscription(const redisReply& reply);
    void take_message(std::string channel, std::string message);
    bool command(const std::vector<std::string>& argv, std::function<void(const RedisReply&)> done);
    void queue(std::function<void()> event);
    void deliver();
    void arm_answer_deadline();

    RedisAddress address;
    std::string url;  // for logs
    std::vector<std::string> channels;
    // Shared with queued events, so that a callback that destroys the link
    // does not destroy the std::function it runs in.
    std::shared_ptr<const Events> events;
    RedisTiming timing;
    Connection commands{*this, "command", nullptr, {}};
    Connection subscriber{*this, "subscriber", nullptr, {}};

    bool up = false;
    bool losing = false;         // lost; the teardown is queued
    bool down_reported = false;  // this outage's `down` is queued; cleared when up
    bool commands_ready = false;  // the command connection answered its first PING
    bool pong_awaited = false;
    std::size_t subscribed = 0;
    std::size_t awaiting = 0;
    std::string loss;
    std::vector<std::pair<std::string, std::string>> held;  // messages that came before `up`
    std::deque<std::function<void()>> outbox;
    std::shared_ptr<int> lifetime = std::make_shared<int>(0);  // expires with the link
    GSourcePtr delivery, teardown, retry, ping_timer, answer_deadline;
};

namespace {

struct Pending {  // a user command's privdata: owned by hiredis until its callback
    std::function<void(const RedisReply&)> done;
};

RedisLink::Impl::Connection& connection_of(const redisAsyncContext* ac) {
    return *static_cast<RedisLink::Impl::Connection*>(ac->data);
}

RedisReply converted(const redisReply* r) {
    RedisReply out;
    if (!r) return out;  // lost
    switch (r->type) {
    case REDIS_REPLY_STRING: out.kind = RedisReply::Kind::string; break;
    case REDIS_REPLY_STATUS: out.kind = RedisReply::Kind::status; break;
    case REDIS_REPLY_ERROR: out.kind = RedisReply::Kind::error; break;
    case REDIS_REPLY_INTEGER: out.kind = RedisReply::Kind::integer; break;
    case REDIS_REPLY_NIL: out.kind = RedisReply::Kind::nil; break;
    case REDIS_REPLY_ARRAY: out.kind = RedisReply::Kind::array; break;
    default: out.kind = RedisReply::Kind::error; out.text = "a reply of unknown type"; return out;
    }
    if (r->type == REDIS_REPLY_INTEGER) out.integer = r->integer;
    if (r->str) out.text.assign(r->str, r->len);
    for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(converted(r->element[i]));
    return out;
}

// The adapter's cleanup takes the poll away but leaves revents: when one poll
// found the socket both writable and readable and the write failed (Redis
// gone), its dispatch would go on to redisAsyncHandleRead() on the context
// hiredis has just freed. Cleared revents end that dispatch.
void forget_source(void* data) {
    redis_source_cleanup(data);
    auto* source = static_cast<RedisSource*>(data);
    source->poll_fd.revents = 0;
    source->ac = nullptr;
}

void on_connected(const redisAsyncContext* ac, int status) {
    auto& c = connection_of(ac);
    if (status == REDIS_OK || c.context != ac) return;
    c.context = nullptr;  // hiredis frees it when this returns
    std::string why = std::string(c.role) + " connection: could not connect: " + ac->c.errstr;
    guarded(G_LOG_DOMAIN, "redis connect", [&] { c.owner.lose(why); });
}

void on_disconnected(const redisAsyncContext* ac, int) {
    auto& c = connection_of(ac);
    if (c.context != ac) return;  // our own redisAsyncFree()
    c.context = nullptr;           // hiredis frees it when this returns
    std::string why = std::string(c.role) + " connection lost: " + (ac->c.errstr[0] ? ac->c.errstr : "closed");
    guarded(G_LOG_DOMAIN, "redis disconnect", [&] { c.owner.lose(why); });
}

void on_user_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
    auto& owner = connection_of(ac).owner;
    --owner.awaiting;
    guarded(G_LOG_DOMAIN, "redis reply", [&] {
        owner.queue([done = std::move(pending->done), r = converted(static_cast<redisReply*>(reply))] { done(r); });
    });
}

// The link's own commands. A NULL reply (the context being freed) needs
// nothing: a loss is told by on_connected/on_disconnected, and our own free
// is ours.
template <void (RedisLink::Impl::*handle)(const redisReply&)>
void on_own_reply(redisAsyncContext* ac, void* reply, void*) {
    auto& c = connection_of(ac);
    if (!reply || c.context != ac) return;
    guarded(G_LOG_DOMAIN, "redis reply", [&] { (c.owner.*handle)(*static_cast<redisReply*>(reply)); });
}

template <void (RedisLink::Impl::*run)()>
gboolean run_once(gpointer data) {
    guarded(G_LOG_DOMAIN, "redis link", [&] { (static_cast<RedisLink::Impl*>(data)->*run)(); });
    return G_SOURCE_REMOVE;
}

gboolean on_ping_tick(gpointer data) {
    guarded(G_LOG_DOMAIN, "redis ping", [&] { static_cast<RedisLink::Impl*>(data)->ping(); });
    return G_SOURCE_CONTINUE;
}

gboolean on_answer_deadline(gpointer data) {
    auto* link = static_cast<RedisLink::Impl*>(data);
    link->answer_deadline.reset();
    std::string ms = std::to_string(link->timing.answer_timeout_ms);
    guarded(G_LOG_DOMAIN, "redis deadline", [&] {
        link->lose(link->up ? "no answer to PING within " + ms + " ms" : "no answer within " + ms + " ms of connecting");
    });
    return G_SOURCE_REMOVE;
}

// An idle at the same priority as the sockets', so that a flood of input
// cannot starve it.
GSourcePtr idle(GSourceFunc callback, gpointer data) {
    GSourcePtr source = attach_source(g_idle_source_new(), callback, data);
    g_source_set_priority(source.get(), G_PRIORITY_DEFAULT);
    return source;
}

}  // namespace

RedisLink::Impl::Impl(RedisAddress address_, std::vector<std::string> channels_, Events events_,
                      RedisTiming timing_)
    : address(std::move(address_)),
      url(redis_url(address)),
      events(std::make_shared<const Events>(std::move(events_))),
      timing(timing_) {
    for (auto& channel : channels_)
        if (std::find(channels.begin(), channels.end(), channel) == channels.end()) channels.push_back(channel);
}

// The pending commands' `lost` that the frees below queue go unrun with
// `outbox` and `delivery`, destroyed after this body.
RedisLink::Impl::~Impl() {
    lifetime.reset();
    drop(commands);
    drop(subscriber);
}

void RedisLink::Impl::attempt() {
    retry.reset();
    losing = false;
    if (!open(commands)) return;
    if (address.db != 0)
        send(commands, on_own_reply<&Impl::on_select>, nullptr, {"SELECT", std::to_string(address.db)});
    // Its answer, not the TCP connect (a frozen Redis still accepts), says Redis is there.
    send(commands, on_own_reply<&Impl::on_pong>, nullptr, {"PING"});
    if (!channels.empty()) {
        if (!open(subscriber)) return;
        std::vector<std::string> subscribe = {"SUBSCRIBE"};
        subscribe.insert(subscribe.end(), channels.begin(), channels.end());
        send(subscriber, on_own_reply<&Impl::on_subscription>, nullptr, subscribe);
    }
    arm_answer_deadline();
}

bool RedisLink::Impl::open(Connection& c) {
    // A name is resolved here (getaddrinfo), blocking; an address connects without blocking.
    redisAsyncContext* ac = redisAsyncConnect(address.host.c_str(), address.port);
    if (!ac || ac->err) {
        std::string why = ac ? ac->c.errstr : "out of memory";
        if (ac) redisAsyncFree(ac);  // nothing of ours attached yet
        lose(std::string(c.role) + " connection: could not connect: " + why);
        return false;
    }
    ac->data = &c;
    c.context = ac;
    GSource* source = redis_source_new(ac);
    ac->ev.cleanup = forget_source;
    g_source_attach(source, g_main_context_get_thread_default());
    c.source.reset(source);
    redisAsyncSetConnectCallback(ac, on_connected);
    redisAsyncSetDisconnectCallback(ac, on_disconnected);
    return true;
}

bool RedisLink::Impl::send(Connection& c, redisCallbackFn* fn, void* privdata, const std::vector<std::string>& argv) {
    if (!c.context) return false;
    std::vector<const char*> words;
    std::vector<std::size_t> lengths;
    for (const auto& word : argv) {
        words.push_back(word.data());
        lengths.push_back(word.size());
    }
    return redisAsyncCommandArgv(c.context, fn, privdata, static_cast<int>(argv.size()), words.data(),
                                 lengths.data()) == REDIS_OK;
}

void RedisLink::Impl::drop(Connection& c) {
    if (redisAsyncContext* ac = std::exchange(c.context, nullptr)) redisAsyncFree(ac);
    c.source.reset();
}

void RedisLink::Impl::lose(const std::string& why) {
    if (losing) return;
    losing = true;
    up = false;
    loss = why;
    ping_timer.reset();
    answer_deadline.reset();
    // Not here: we may be inside a hiredis callback, where freeing is deferred.
    teardown = idle(run_once<&Impl::tear_down>, this);
}

void RedisLink::Impl::tear_down() {
    teardown.reset();
    drop(commands);  // its pending commands get their NULL reply here: `lost`, queued before `down`
    drop(subscriber);
    commands_ready = false;
    pong_awaited = false;
    subscribed = 0;
    held.clear();
    if (!down_reported) {
        down_reported = true;
        g_message("redis %s: down: %s", url.c_str(), loss.c_str());
        queue([events = events, why = loss] {
            if (events->down) events->down(why);
        });
    } else {
        g_debug("redis %s: still down: %s", url.c_str(), loss.c_str());
    }
    retry = attach_source(g_timeout_source_new(timing.retry_ms), run_once<&Impl::attempt>, this);
}

void RedisLink::Impl::maybe_up() {
    if (up || losing || !commands_ready || subscribed < channels.size()) return;
    up = true;
    down_reported = false;
    answer_deadline.reset();
    ping_timer = attach_source(g_timeout_source_new(timing.ping_interval_ms), on_ping_tick, this);
    g_message("redis %s: up", url.c_str());
    queue([events = events] {
        if (events->up) events->up();
    });
    for (auto& [channel, message] : held) take_message(std::move(channel), std::move(message));
    held.clear();
}

void RedisLink::Impl::arm_answer_deadline() {
    answer_deadline = attach_source(g_timeout_source_new(timing.answer_timeout_ms), on_answer_deadline, this);
}

// One PING at a time: a Redis that does not answer it is lost at its deadline.
void RedisLink::Impl::ping() {
    if (!up || pong_awaited) return;
    if (!send(commands, on_own_reply<&Impl::on_pong>, nullptr, {"PING"})) return;
    pong_awaited = true;
    arm_answer_deadline();
}

void RedisLink::Impl::on_select(const redisReply& reply) {
    if (reply.type == REDIS_REPLY_ERROR)
        lose("SELECT " + std::to_string(address.db) + ": " + std::string(reply.str, reply.len));
}

void RedisLink::Impl::on_pong(const redisReply& reply) {
    if (reply.type == REDIS_REPLY_ERROR) {  // LOADING, say: there, but not usable yet
        lose("PING: " + std::string(reply.str, reply.len));
        return;
    }
    if (!up) {
        commands_ready = true;
        maybe_up();
        return;
    }
    pong_awaited = false;
    answer_deadline.reset();
}

void RedisLink::Impl::on_subscription(const redisReply& reply) {
    auto is_string = [&](std::size_t i) { return reply.element[i]->type == REDIS_REPLY_STRING; };
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements < 3 || !is_string(0)) return;
    std::string_view kind(reply.element[0]->str, reply.element[0]->len);
    if (kind == "subscribe") {
        ++subscribed;
        maybe_up();
    } else if (kind == "message" && is_string(1) && is_string(2)) {
        take_message(std::string(reply.element[1]->str, reply.element[1]->len),
                     std::string(reply.element[2]->str, reply.element[2]->len));
    }
}

void RedisLink::Impl::take_message(std::string channel, std::string message) {
    if (losing) return;  // after `down`: the user resyncs at `up`
    if (!up) {
        held.emplace_back(std::move(channel), std::move(message));
        return;
    }
    queue([events = events, channel = std::move(channel), message = std::move(message)] {
        if (events->message) events->message(channel, message);
    });
}

bool RedisLink::Impl::command(const std::vector<std::string>& argv, std::function<void(const RedisReply&)> done) {
    if (!up || argv.empty()) {
        RedisReply refusal;
        if (argv.empty()) refusal = {RedisReply::Kind::error, 0, "ERR no command given", {}};
        if (done) queue([done = std::move(done), refusal] { done(refusal); });
        return false;
    }
    auto pending = done ? std::make_unique<Pending>(Pending{std::move(done)}) : nullptr;
    if (!send(commands, pending ? on_user_reply : nullptr, pending.get(), argv)) {
        if (pending) queue([done = std::move(pending->done)] { done(RedisReply{}); });
        return false;
    }
    if (pending) {
        pending.release();  // hiredis' now, until on_user_reply
        ++awaiting;
    }
    return true;
}

void RedisLink::Impl::queue(std::function<void()> event) {
    outbox.push_back(std::move(event));
    if (!delivery) delivery = idle(run_once<&Impl::deliver>, this);
}

// Every event of the link's user runs here, from the loop: never inside
// hiredis, whose frees a callback could not survive, nor inside a call of
// the user's. A callback may destroy the link; then nothing more runs.
void RedisLink::Impl::deliver() {
    std::weak_ptr<int> alive = lifetime;
    while (!outbox.empty()) {
        auto next = std::move(outbox.front());
        outbox.pop_front();
        guarded(G_LOG_DOMAIN, "redis link callback", next);
        if (alive.expired()) return;  // destroyed in there: `this` is gone
    }
    delivery.reset();
}

RedisLink::RedisLink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisLink::~RedisLink() = default;

std::unique_ptr<RedisLink> RedisLink::start(RedisAddress address, std::vector<std::string> channels, Events events,
                                            RedisTiming timing) {
    auto impl = std::make_unique<Impl>(std::move(address), std::move(channels), std::move(events), timing);
    impl->attempt();
    return std::unique_ptr<RedisLink>(new RedisLink(std::move(impl)));
}

bool RedisLink::up() const { return impl_->up; }

bool RedisLink::command(const std::vector<std::string>& argv, std::function<void(const RedisReply&)> done) {
    return impl_->command(argv, std::move(done));
}

bool RedisLink::publish(const std::string& channel, const std::string& message) {
    return impl_->command({"PUBLISH", channel, message}, {});
}

std::size_t RedisLink::unsent_bytes() const {
    return impl_->commands.context ? sdslen(impl_->commands.context->c.obuf) : 0;
}

std::size_t RedisLink::awaiting_replies() const { return impl_->awaiting; }

}  // namespace mp::signal
