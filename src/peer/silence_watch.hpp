// Ends a call whose other side went silent (killed, network gone): whatever
// it sends (RTP, RTCP, DTLS) shows it is there, so a call we only send on
// still hears its receiver reports. Arrivals are noted on any nicesrc of the
// call's pipeline.
#pragma once

#include "common/gobj.hpp"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>

namespace mp::peer {

class SilenceWatch {
public:
    // Any thread: an element just added to the call's pipeline; the arrivals
    // of a nicesrc are noted from now on.
    void watch(GstElement* element);
    // Main thread: `silent` runs on the main context once nothing arrived for
    // `seconds` since now or the last arrival (0: never).
    void start(unsigned seconds, std::function<void()> silent);
    void stop() { timer_.reset(); }

private:
    void check();

    std::shared_ptr<std::atomic<gint64>> last_arrival_us_ = std::make_shared<std::atomic<gint64>>(0);
    gint64 started_us_ = 0;
    unsigned seconds_ = 0;
    std::function<void()> silent_;
    GSourcePtr timer_;
};

}  // namespace mp::peer
