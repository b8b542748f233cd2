// The one place where work leaves a GStreamer thread for the main context.
// webrtcbin's signals, promises and pad probes fire on streaming threads; call
// state is touched on the main context only.
#pragma once

#include <glib.h>

#include <functional>
#include <memory>

namespace mp {

// Runs `work` on `context` (at once when already on it). `work` must hold
// strong references to what it uses and check whether that has stopped.
inline void run_on_main(GMainContext* context, std::function<void()> work) {
    auto* boxed = new std::function<void()>(std::move(work));
    g_main_context_invoke_full(
        context, G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
            (*static_cast<std::function<void()>*>(data))();
            return G_SOURCE_REMOVE;
        },
        boxed, [](gpointer data) { delete static_cast<std::function<void()>*>(data); });
}

// Like run_on_main, but always from `context`'s loop, never inside the
// caller's own stack (an event sent on the main thread may come out of a sink
// there at once; what it starts must not run within that push).
inline void post_to_main(GMainContext* context, std::function<void()> work) {
    auto* boxed = new std::function<void()>(std::move(work));
    GSource* idle = g_idle_source_new();
    g_source_set_priority(idle, G_PRIORITY_DEFAULT);
    g_source_set_callback(
        idle,
        [](gpointer data) -> gboolean {
            (*static_cast<std::function<void()>*>(data))();
            return G_SOURCE_REMOVE;
        },
        boxed, [](gpointer data) { delete static_cast<std::function<void()>*>(data); });
    g_source_attach(idle, context);
    g_source_unref(idle);
}

}  // namespace mp
