#include "peer/receive_shortcut.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"

#include <vector>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-peer"

namespace mp::peer {

namespace {

// Packets to let through the queue, waiting for it to be empty and idle,
// before leaving it in place.
constexpr int kMaxAttempts = 1000;

struct Rewiring {
    GRef<GstElement> queue;
    GRef<GstPad> into_queue;   // the capsfilter's src pad
    GRef<GstPad> after_queue;  // dtlssrtpdec's sink pad
    int attempts = 0;
};

bool pad_of_element_made_by(GstPad* pad, const char* factory_name) {
    GRef<GstElement> parent = adopt_ref(gst_pad_get_parent_element(pad));
    return made_by(parent.get(), factory_name);
}

// Nothing left in the queue and nothing on its way out of it: with the
// packet held at the capsfilter, none can enter either. An IDLE probe runs at
// once (here) only when its pad pushes nothing now.
bool drained(GstElement* queue) {
    guint level = 0;
    g_object_get(queue, "current-level-buffers", &level, nullptr);
    if (level != 0) return false;
    GRef<GstPad> src = adopt_ref(gst_element_get_static_pad(queue, "src"));
    gulong id = gst_pad_add_probe(
        src.get(), GST_PAD_PROBE_TYPE_IDLE, [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_REMOVE; },
        nullptr, nullptr);
    if (id == 0) return true;  // it ran at once, and is gone
    gst_pad_remove_probe(src.get(), id);
    return false;
}

// On the reading thread, with the next packet held at the capsfilter. While
// the queue still holds (or pushes) earlier packets, this one goes through it
// too and the next one tries again: no wait on a streaming thread, and order
// kept. Then the queue is taken out of the path.
GstPadProbeReturn rewire(GstPad* into_queue, GstPadProbeInfo*, gpointer data) {
    auto* r = static_cast<Rewiring*>(data);
    if (!drained(r->queue.get())) {
        if (++r->attempts < kMaxAttempts) return GST_PAD_PROBE_PASS;
        g_debug("receive queue never drained: left in place");
        return GST_PAD_PROBE_REMOVE;
    }
    GRef<GstPad> queue_sink = adopt_ref(gst_element_get_static_pad(r->queue.get(), "sink"));
    GRef<GstPad> queue_src = adopt_ref(gst_element_get_static_pad(r->queue.get(), "src"));
    gst_pad_unlink(into_queue, queue_sink.get());
    gst_pad_unlink(queue_src.get(), r->after_queue.get());
    if (gst_pad_link(into_queue, r->after_queue.get()) != GST_PAD_LINK_OK) {
        g_warning("cannot link the receive path past its queue: putting the queue back");
        gst_pad_link(into_queue, queue_sink.get());
        gst_pad_link(queue_src.get(), r->after_queue.get());
    }
    return GST_PAD_PROBE_REMOVE;
}

// Both sides of a linked queue.
bool find_peers(GstElement* queue, Rewiring& found) {
    GRef<GstPad> sink = adopt_ref(gst_element_get_static_pad(queue, "sink"));
    GRef<GstPad> src = adopt_ref(gst_element_get_static_pad(queue, "src"));
    found.into_queue = adopt_ref(gst_pad_get_peer(sink.get()));
    found.after_queue = adopt_ref(gst_pad_get_peer(src.get()));
    found.queue = GRef<GstElement>::ref(queue);
    return found.into_queue && found.after_queue;
}

// A queue inside a TransportReceiveBin between a capsfilter and dtlssrtpdec.
bool is_receive_queue(GstElement* element) {
    if (!made_by(element, "queue")) return false;
    GRef<GstObject> bin = adopt_ref(gst_object_get_parent(GST_OBJECT(element)));
    if (!bin || !g_str_equal(G_OBJECT_TYPE_NAME(bin.get()), "TransportReceiveBin")) return false;
    Rewiring found;
    if (!find_peers(element, found) || !pad_of_element_made_by(found.into_queue.get(), "capsfilter") ||
        !pad_of_element_made_by(found.after_queue.get(), "dtlssrtpdec")) {
        g_debug("a receive queue of an unknown shape: left in place");
        return false;
    }
    return true;
}

}  // namespace

bool bypass_queue_once_drained(GstElement* queue) {
    auto* r = new Rewiring;
    if (!find_peers(queue, *r)) {
        delete r;
        return false;
    }
    gst_pad_add_probe(r->into_queue.get(), GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, rewire, r,
                      [](gpointer data) { delete static_cast<Rewiring*>(data); });
    return true;
}

int skip_receive_queues(GstElement* webrtc) {
    std::vector<GRef<GstElement>> found;
    for_each_element(GST_BIN(webrtc), [&found](GstElement* element) {
        if (is_receive_queue(element)) found.push_back(GRef<GstElement>::ref(element));
    });
    int rewired = 0;
    for (const auto& queue : found) rewired += bypass_queue_once_drained(queue.get()) ? 1 : 0;
    return rewired;
}

}  // namespace mp::peer
