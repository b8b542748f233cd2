// The one trampoline guard: a callback from C (GLib, libsoup) runs C++ that
// may throw, and an exception must not unwind through the C frames between
// it and the main loop (libdatachannel's callback `trigger` does the same).
#pragma once

#include <glib.h>

#include <exception>
#include <utility>

namespace mp {

// Runs `fn`; if it throws, hands the exception's message to `on_exception`
// and returns false. What `on_exception` throws goes on to the caller (one
// guard may sit inside another).
template <typename Fn, typename OnException>
bool run_guarded(Fn&& fn, OnException&& on_exception) {
    try {
        std::forward<Fn>(fn)();
        return true;
    } catch (const std::exception& e) {
        on_exception(e.what());
    } catch (...) {
        on_exception("an exception that is not a std::exception");
    }
    return false;
}

// Runs `fn`; if it throws, logs a critical "where: message" and returns
// false. `log_domain` is the caller's G_LOG_DOMAIN: a macro, so expanded
// there, not here, the line names the module the callback belongs to.
template <typename Fn>
bool guarded(const char* log_domain, const char* where, Fn&& fn) {
    return run_guarded(std::forward<Fn>(fn), [&](const char* message) {
        g_log(log_domain, G_LOG_LEVEL_CRITICAL, "%s: %s", where, message);
    });
}

}  // namespace mp
