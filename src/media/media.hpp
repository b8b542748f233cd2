// A media behaviour (echo, record, test source, file) for one call. It builds
// and links elements around the call's webrtcbin and knows nothing of
// signaling or of the call's state (the shape of a Janus plugin: setup,
// incoming media, hang-up).
#pragma once

#include <gst/gst.h>

#include <functional>
#include <string>
#include <vector>

namespace mp::media {

// One audio or video m-line of the negotiated session, as the call agreed it:
// read-only for the behaviours (they tell each other what they need through
// MediaBehaviour, below).
struct MediaLine {
    unsigned index = 0;       // m-line index = webrtcbin sink_<index>/transceiver
    std::string kind;         // "video" or "audio"
    std::string encoding;     // "VP8", "H264" or "OPUS"
    int payload_type = 0;     // the payload type both sides use for it
    std::string rtp_caps;     // application/x-rtp caps of that payload, as a string
    unsigned ssrc = 0;        // the SSRC we send with (announced in our SDP)
    bool we_send = false;     // our direction includes send
    bool we_receive = false;  // our direction includes receive
};

class MediaBehaviour {
public:
    virtual ~MediaBehaviour() = default;
    // Main thread, before setup, from a behaviour that wraps this one (a
    // recording): it takes what arrives on these m-lines too, out of
    // webrtcbin's src pads, so this behaviour must let it come out there.
    virtual void share_incoming(const std::vector<unsigned>& mline_indices) { (void)mline_indices; }
    // Main thread, before negotiation: add elements to `pipeline` and link
    // them to `webrtc`'s sink_<index> for every line with we_send.
    virtual void setup(GstBin* pipeline, GstElement* webrtc, const std::vector<MediaLine>& lines) = 0;
    // Streaming thread: webrtcbin's src pad for `line` appeared; link it now
    // (data is about to flow).
    virtual void on_incoming(GstBin* pipeline, GstPad* pad, const MediaLine& line) = 0;
    // Main thread, once the call is connected (ICE and DTLS): what is sent
    // from now on reaches the other side.
    virtual void on_connected(GstBin*) {}
    // Main thread, as the call ends and before its pipeline stops: finish
    // what must be (a recording's last bytes), then call `done` on the main
    // context.
    virtual void finish(std::function<void()> done) { done(); }
    // A short name for logs ("echo").
    virtual std::string name() const = 0;

    // Set by the call before setup: the behaviour ends its call with it
    // (from any thread), e.g. when the file it plays is over.
    std::function<void(const std::string& reason)> end_call;
    // Set by the call before setup: a line of text for the caller, sent on
    // the call's data channel (from any thread), e.g. that its recording
    // stopped. Lost if the call has no data channel.
    std::function<void(const std::string& text)> tell_caller;
};

}  // namespace mp::media
