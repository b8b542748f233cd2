// webrtcbin (1.22) receives through nicesrc ! capsfilter ! queue ! dtlssrtpdec
// (its TransportReceiveBin). The queue holds packets while ICE connects; after
// that it only hands every packet from the thread that read it to a second
// thread, which costs a thread switch per packet (the largest single cost of
// an echo: BENCHMARKS.md, vs-janus). Once the call is connected, the
// capsfilter is linked straight to dtlssrtpdec and the reading thread carries
// each packet through.
//
// This relies on webrtcbin's internals: a receive bin of any other shape is
// left alone (and logged at debug level), so a later GStreamer only loses
// the saving.
#pragma once

#include <gst/gst.h>

namespace mp::peer {

// Main thread, once DTLS is connected. Returns how many receive bins will be
// rewired (each when its next packet arrives).
int skip_receive_queues(GstElement* webrtc);

// What skip_receive_queues does to each receive queue (and what its test
// drives on a queue of its own): from the first packet arriving at `queue`
// that finds it empty and idle, `queue`'s upstream peer is linked straight to
// its downstream peer. Until then each packet goes through the queue, behind
// those it holds (order kept); nothing waits on the streaming thread. False
// when `queue` is not linked on both sides.
bool bypass_queue_once_drained(GstElement* queue);

}  // namespace mp::peer
