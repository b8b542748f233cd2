#include "peer/silence_watch.hpp"

#include "common/gst_ptr.hpp"

#include <algorithm>

namespace mp::peer {

using LastArrival = std::shared_ptr<std::atomic<gint64>>;

void SilenceWatch::watch(GstElement* element) {
    if (!made_by(element, "nicesrc")) return;
    if (g_object_get_data(G_OBJECT(element), "mediapeer-watched")) return;  // met as child and as itself
    g_object_set_data(G_OBJECT(element), "mediapeer-watched", GINT_TO_POINTER(1));
    GRef<GstPad> src = adopt_ref(gst_element_get_static_pad(element, "src"));
    if (!src) return;
    gst_pad_add_probe(
        src.get(), static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [](GstPad*, GstPadProbeInfo*, gpointer last) {
            (*static_cast<LastArrival*>(last))->store(g_get_monotonic_time());
            return GST_PAD_PROBE_OK;
        },
        new LastArrival(last_arrival_us_), [](gpointer last) { delete static_cast<LastArrival*>(last); });
}

void SilenceWatch::start(unsigned seconds, std::function<void()> silent) {
    started_us_ = g_get_monotonic_time();
    seconds_ = seconds;
    silent_ = std::move(silent);
    if (seconds == 0) return;
    timer_ = attach_source(g_timeout_source_new_seconds(1),
                           G_SOURCE_FUNC(+[](SilenceWatch* self) {
                               self->check();
                               return G_SOURCE_CONTINUE;
                           }),
                           this);
}

void SilenceWatch::check() {
    gint64 since = std::max(started_us_, last_arrival_us_->load());
    if (g_get_monotonic_time() - since < gint64{seconds_} * G_USEC_PER_SEC) return;
    timer_.reset();
    if (auto silent = std::exchange(silent_, nullptr)) silent();
}

}  // namespace mp::peer
