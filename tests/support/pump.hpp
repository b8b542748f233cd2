// Waiting in tests: pump the thread-default main context until a condition
// holds or a deadline passes. No fixed sleeps anywhere.
#pragma once

#include "common/gobj.hpp"

#include <glib.h>

#include <functional>
#include <memory>

namespace mp::test {

inline constexpr int kDefaultTimeoutMs = 5000;

inline bool pump_until(const std::function<bool()>& done, int timeout_ms = kDefaultTimeoutMs) {
    gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
    // Wakes the loop regularly so the deadline is seen even when nothing happens.
    GSourcePtr tick = attach_source(g_timeout_source_new(10), [](gpointer) -> gboolean {
        return G_SOURCE_CONTINUE;
    }, nullptr);
    while (!done()) {
        if (g_get_monotonic_time() >= deadline) return false;
        g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
    }
    return true;
}

// State shared with an async callback that may outlive a timed-out wait:
// hand `hold(state)` to the call as user data, `take(data)` in the callback.
template <typename State>
gpointer hold(const std::shared_ptr<State>& state) {
    return new std::shared_ptr<State>(state);
}
template <typename State>
std::shared_ptr<State> take(gpointer data) {
    std::unique_ptr<std::shared_ptr<State>> held(static_cast<std::shared_ptr<State>*>(data));
    return *held;
}

}  // namespace mp::test
