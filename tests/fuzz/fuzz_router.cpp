// The frame codec and the router, driven by frames from several connections:
// each record is [connection (low 2 bits) and action][length][text].
#include "signal/auth.hpp"
#include "signal/router.hpp"

#include <glib.h>

#include <cstddef>
#include <cstdint>

namespace {

const mp::signal::TokenGate& gate() {
    static mp::signal::TokenGate g(mp::signal::TokenKey(std::string(32, 's')),
                                   mp::signal::LoginRules{true, {"server"}}, [] { return 1'800'000'000; });
    return g;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mp::signal;
    bool with_gate = size > 0 && (data[0] & 1);
    Router router(RouterLimits{50, 20}, with_gate ? &gate() : nullptr);
    for (ConnectionId id = 1; id <= 4; ++id) router.on_open(id, 0);
    std::size_t at = size > 0 ? 1 : 0;
    std::int64_t now_us = 0;
    while (at + 2 <= size) {
        ConnectionId id = 1 + (data[at] & 3);
        int action = data[at] >> 2;
        std::size_t length = std::min<std::size_t>(data[at + 1], size - at - 2);
        std::string_view text(reinterpret_cast<const char*>(data + at + 2), length);
        at += 2 + length;
        now_us += 1000;
        Effects fx;
        if (action == 63) {
            fx = router.on_close(id);
            router.on_open(id, now_us);
        } else {
            fx = router.on_text(id, text, now_us);
        }
        if (router.users_dirty()) {
            Effects pushed = router.flush_users();
            fx.sends.insert(fx.sends.end(), pushed.sends.begin(), pushed.sends.end());
        }
        // Every frame sent goes out as a WebSocket text frame: UTF-8, or the
        // receiver's browser fails the connection.
        for (const auto& out : fx.sends) {
            std::string wire = mp::protocol::serialize(out.frame);
            if (!g_utf8_validate(wire.data(), static_cast<gssize>(wire.size()), nullptr)) __builtin_trap();
        }
        if (router.user_count() > router.connection_count()) __builtin_trap();
        if (router.pool_member_count() > router.connection_count()) __builtin_trap();
    }
    for (ConnectionId id = 1; id <= 4; ++id) router.on_close(id);
    if (router.call_count() != 0 || router.user_count() != 0 || router.pool_member_count() != 0)
        __builtin_trap();  // nothing left behind
    return 0;
}
