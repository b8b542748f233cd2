// The cheapest echo: the caller's RTP packets sent back on their own line as
// they arrive, taken as they leave rtpsession (and rtprtxreceive) on their way
// in and handed to rtpfunnel on the way out, with only the SSRC rewritten to
// ours (send and receive share one RTP session under bundle, which refuses a
// stream with the sender's own SSRC). Nothing is depayloaded, reordered or
// buffered: per packet that is one header write and one push, on the thread
// that received it (BENCHMARKS.md, vs-janus, "What was tried": what it saves; the
// elements of webrtcbin skipped on either side only pass packets on).
//
// What it keeps from the full path: key-frame requests from the caller reach
// the caller's encoder (a PLI/FIR to us becomes one to them), and a gap in the
// caller's sequence numbers is asked for again (NACK) when the line
// negotiated NACK, since nothing else here would notice it.
#pragma once

#include "media/media.hpp"
#include "media/templated.hpp"

#include <gst/gst.h>

#include <memory>
#include <vector>

namespace mp::media {

// Which sequence numbers of a stream went out already. SRTP refuses to
// protect a packet twice or one far behind the newest (srtpenc then fails
// the whole call): a retransmission that comes late, or after the original
// arrived after all, must not be forwarded.
class SentWindow {
public:
    static constexpr int kSize = 64;  // within srtpenc's replay window (128)
    // True the first time `seqnum` is seen, if it is not too old; notes it.
    bool first_time(guint16 seqnum);

private:
    bool started_ = false;
    guint16 newest_ = 0;
    guint64 seen_ = 0;  // bit i: newest_ - i went out
};

struct ForwardedLine {
    MediaLine line;
    // Something else also consumes this line's media (a recording): the
    // packets go on into the jitterbuffer too, a copy is forwarded.
    bool also_received = false;
    FlowCount* sent = nullptr;      // optional: packets forwarded
    FlowCount* received = nullptr;  // optional: packets taken in
};

class RtpForward {
public:
    // Main thread, before negotiation: creates our pad per line, linked to
    // webrtcbin's sink_<index>, and watches webrtcbin's rtpbin for the
    // caller's streams. Null if `webrtc` has no rtpbin (a webrtcbin we do
    // not know).
    static std::unique_ptr<RtpForward> attach(GstElement* webrtc, std::vector<ForwardedLine> lines);
    ~RtpForward();

    struct State;  // shared with the streaming-thread callbacks

private:
    explicit RtpForward(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
};

}  // namespace mp::media
