// The one way work leaves a GStreamer thread for the main context.
// webrtcbin's signals, promises and pad probes fire on streaming threads; call
// state is touched on the main context only.
#pragma once

#include "common/guarded.hpp"

#include <glib.h>

#include <functional>
#include <memory>
#include <utility>

namespace mp {

// Queues `work(object)` on `context`'s loop: never run inside the caller's
// stack, even when the caller is on that context already (an event sent on
// the main thread may come out of a sink there at once, and what it starts
// must not run within that push). It runs only if `object` still lives then;
// the strong reference is taken there, on the main thread, so a streaming
// thread never ends up as an object's last owner. What the work throws stops
// there, logged as a critical (domain "mediapeer").
template <typename T, typename Work>
void post_to_main(GMainContext* context, std::weak_ptr<T> object, Work work) {
    auto* boxed = new std::function<void()>([object = std::move(object), work = std::move(work)]() mutable {
        if (auto strong = object.lock()) guarded("mediapeer", "work posted to the main thread", [&] { work(*strong); });
    });
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
