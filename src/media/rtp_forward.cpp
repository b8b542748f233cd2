#include "media/rtp_forward.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"
#include "media/media_metrics.hpp"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include <atomic>
#include <mutex>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-media"

namespace mp::media {

namespace {

// A gap wider than this is a jump (the caller restarted its stream), not loss.
constexpr gint kMaxGapAskedFor = 64;

// One forwarded line. Only the thread receiving the caller's stream touches
// `started` and the sequence numbers; `source` and `caller_ssrc` are read by
// the RTCP thread too.
struct Line {
    ForwardedLine config;
    GRef<GstPad> out;  // ours, linked to webrtcbin's sink_<index>
    GRef<GstPad> shortcut;  // rtpfunnel's input for this line, when the way there passes packets as they are
    EventPtr segment;  // the same event object on every line of the call
    bool asks_for_lost = false;
    SentWindow sent;
    bool started = false;  // stream-start, caps and segment sent on `out`
    bool have_seqnum = false;
    guint16 next_seqnum = 0;
    GWeakRef source;  // the pad the caller's stream is taken at: requests go up from there
    std::atomic<GstPad*> source_seen{nullptr};  // compared only, never dereferenced
    std::atomic<guint32> caller_ssrc{0};
    std::atomic<bool> taken_early{false};  // by the probe ahead of rtpbin's demuxer

    Line() { g_weak_ref_init(&source, nullptr); }
    ~Line() { g_weak_ref_clear(&source); }
};

struct PacketHeader {
    guint8 payload_type = 0;
    guint16 seqnum = 0;
    guint32 ssrc = 0;
};

bool read_header(GstBuffer* buffer, PacketHeader& header) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return false;
    header.payload_type = gst_rtp_buffer_get_payload_type(&rtp);
    header.seqnum = gst_rtp_buffer_get_seq(&rtp);
    header.ssrc = gst_rtp_buffer_get_ssrc(&rtp);
    gst_rtp_buffer_unmap(&rtp);
    return true;
}

void count(FlowCount* counter, GstBuffer* buffer) {
    if (counter) counter->add(buffer);
}

}  // namespace

bool SentWindow::first_time(guint16 seqnum) {
    if (!started_) {
        started_ = true;
        newest_ = seqnum;
        seen_ = 1;
        return true;
    }
    auto ahead = static_cast<gint16>(seqnum - newest_);
    if (ahead > 0) {
        seen_ = ahead >= kSize ? 1 : (seen_ << ahead) | 1;
        newest_ = seqnum;
        return true;
    }
    int behind = -ahead;
    if (behind >= kSize) return false;
    guint64 bit = guint64{1} << behind;
    if (seen_ & bit) return false;
    seen_ |= bit;
    return true;
}

struct RtpForward::State {
    std::vector<std::shared_ptr<Line>> lines;
    std::once_flag early_probe;  // placed by the streaming thread of the first packet

    Line* line_of(guint8 payload_type) const {
        for (const auto& line : lines)
            if (line->config.line.payload_type == payload_type) return line.get();
        return nullptr;
    }
};

namespace {

void send_stream_start(Line& line) {
    const MediaLine& l = line.config.line;
    GCharPtr id(g_strdup_printf("mediapeer-forward-%u-%08x", l.index, l.ssrc));
    gst_pad_push_event(line.out.get(), gst_event_new_stream_start(id.get()));
    CapsPtr caps(gst_caps_from_string(l.rtp_caps.c_str()));
    if (caps) {
        gst_caps_set_simple(caps.get(), "ssrc", G_TYPE_UINT, l.ssrc, nullptr);
        gst_pad_push_event(line.out.get(), gst_event_new_caps(caps.get()));
    }
    gst_pad_push_event(line.out.get(), gst_event_ref(line.segment.get()));
}

// webrtcbin's rtpfunnel re-sends the segment of whichever line a packet comes
// from each time the line changes (audio, video, audio...): ~100 times a
// second, every one travelling the whole send path. A pad that already holds
// this very event object takes it as received and stops it there, so all
// lines share one.
EventPtr shared_segment() {
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    return EventPtr(gst_event_new_segment(&segment));
}

// `source`, where a probe took the caller's packet, is a jitterbuffer's sink
// pad or the src pad of the element before the early probe's place.
void ask_upstream(GstPad* source, GstEvent* event) {
    if (GST_PAD_IS_SINK(source))
        gst_pad_push_event(source, event);
    else
        gst_pad_send_event(source, event);
}

// The packets between the last one seen and this one never came: ask the
// caller for them (rtpsession sends the NACK; rtprtxreceive learns which
// retransmission belongs to which request from the same event).
void ask_for_lost(Line& line, GstPad* source, const PacketHeader& header) {
    if (!line.have_seqnum) {
        line.have_seqnum = true;
        line.next_seqnum = header.seqnum + 1;
        return;
    }
    auto gap = static_cast<gint16>(header.seqnum - line.next_seqnum);
    if (gap < 0) return;  // late or retransmitted: the stream is already past it
    if (gap <= kMaxGapAskedFor)
        for (guint16 lost = line.next_seqnum; lost != header.seqnum; ++lost)
            ask_upstream(source, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                                                           gst_structure_new("GstRTPRetransmissionRequest",
                                                                             "seqnum", G_TYPE_UINT, guint{lost},
                                                                             "ssrc", G_TYPE_UINT, header.ssrc,
                                                                             nullptr)));
    line.next_seqnum = header.seqnum + 1;
}

// webrtcbin (1.22) takes each line's RTP through clocksync (a clock wait per
// packet), a FEC and a RED encoder and five ghost-pad hops before rtpfunnel
// merges the lines; and what comes in from rtpsession (and rtprtxreceive)
// through a RED decoder, rtpstorage and rtpssrcdemux to each stream's
// jitterbuffer. Without FEC or RED those pass packets on as they are. A
// forwarded packet is taken where rtpsession's way in ends, and handed to
// rtpfunnel directly. Events (stream-start, caps, segment) still take the
// whole way, and the caller's key-frame requests come up it.
bool passes_packets_as_they_are(GstElement* element) {
    // rtpstorage keeps packets for the FEC decoder behind the jitterbuffer,
    // which a forwarded packet never reaches.
    if (made_by(element, "clocksync") || made_by(element, "rtpssrcdemux") || made_by(element, "rtpstorage"))
        return true;
    if (made_by(element, "rtpreddec")) {
        gint red_payload_type = 0;
        g_object_get(element, "pt", &red_payload_type, nullptr);
        return red_payload_type == -1;
    }
    if (made_by(element, "rtpulpfecenc")) {
        guint fec_payload_type = 0;
        g_object_get(element, "pt", &fec_payload_type, nullptr);
        return fec_payload_type == 255;  // its "none"
    }
    if (made_by(element, "rtpredenc")) {
        guint distance = 1;
        gboolean red_without_blocks = TRUE;
        g_object_get(element, "distance", &distance, "allow-no-red-blocks", &red_without_blocks, nullptr);
        return distance == 0 && !red_without_blocks;
    }
    return false;
}

// The element's pad at the other end of `pad`'s link, through ghost pads.
GRef<GstPad> far_end(GstPad* pad) {
    GRef<GstPad> peer = adopt_ref(gst_pad_get_peer(pad));
    while (peer && GST_IS_PROXY_PAD(peer.get()) && !GST_IS_GHOST_PAD(peer.get())) {  // a bin's edge, inside
        GRef<GstPad> ghost = adopt_ref(GST_PAD(gst_proxy_pad_get_internal(GST_PROXY_PAD(peer.get()))));
        peer = ghost ? adopt_ref(gst_pad_get_peer(ghost.get())) : GRef<GstPad>();
    }
    while (peer && GST_IS_GHOST_PAD(peer.get()))  // a bin's edge, outside
        peer = adopt_ref(gst_ghost_pad_get_target(GST_GHOST_PAD(peer.get())));
    return peer;
}

// From `pad` along its link, and on through every element that only passes
// packets on (leaving it by its pad `onward`): the first pad of an element
// that does more; null past 8 hops (longer than webrtcbin 1.22 makes it).
GRef<GstPad> past_pass_through(GstPad* pad, const char* onward) {
    GRef<GstPad> reached = far_end(pad);
    for (int hops = 0; reached && hops < 8; ++hops) {
        GRef<GstElement> element = adopt_ref(gst_pad_get_parent_element(reached.get()));
        if (!element) return {};
        if (!passes_packets_as_they_are(element.get())) return reached;
        GRef<GstPad> next = adopt_ref(gst_element_get_static_pad(element.get(), onward));
        reached = next ? far_end(next.get()) : GRef<GstPad>();
    }
    return {};
}

GRef<GstPad> funnel_input(GstPad* out) {
    GRef<GstPad> reached = past_pass_through(out, "src");
    GRef<GstElement> element = reached ? adopt_ref(gst_pad_get_parent_element(reached.get())) : GRef<GstElement>();
    return made_by(element.get(), "rtpfunnel") ? reached : GRef<GstPad>();
}

// The src pad of the last element upstream of a jitterbuffer that does more
// than pass packets on (rtprtxreceive, or rtpsession).
GRef<GstPad> session_exit(GstPad* jitterbuffer_sink) { return past_pass_through(jitterbuffer_sink, "sink"); }

void start(Line& line) {
    line.started = true;
    send_stream_start(line);
    line.shortcut = funnel_input(line.out.get());
    if (!line.shortcut)
        g_debug("m-line %u: echo takes webrtcbin's whole send path (no rtpfunnel behind pass-through elements)",
                line.config.line.index);
}

void forward(Line& line, GstBuffer* buffer, guint16 seqnum) {
    if (!line.sent.first_time(seqnum)) {
        gst_buffer_unref(buffer);
        return;
    }
    if (!line.started) start(line);
    buffer = gst_buffer_make_writable(buffer);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(buffer, GST_MAP_WRITE, &rtp)) {
        gst_buffer_unref(buffer);
        return;
    }
    gst_rtp_buffer_set_ssrc(&rtp, line.config.line.ssrc);
    gst_rtp_buffer_unmap(&rtp);
    count(line.config.sent, buffer);
    if (line.shortcut)
        gst_pad_chain(line.shortcut.get(), buffer);
    else
        gst_pad_push(line.out.get(), buffer);
}

void remember_source(Line& line, GstPad* source, guint32 caller_ssrc) {
    if (line.source_seen.exchange(source) != source) g_weak_ref_set(&line.source, source);
    line.caller_ssrc = caller_ssrc;
}

Line* line_for(const RtpForward::State& state, GstBuffer* buffer, PacketHeader& header) {
    return read_header(buffer, header) ? state.line_of(header.payload_type) : nullptr;
}

void forward_packet(Line& line, GstPad* source, const PacketHeader& header, GstBuffer* owned) {
    remember_source(line, source, header.ssrc);
    count(line.config.received, owned);
    if (line.asks_for_lost) ask_for_lost(line, source, header);
    forward(line, owned, header.seqnum);
}

void place_early_probe(const std::shared_ptr<RtpForward::State>& state, GstPad* jitterbuffer_sink);

// A probe where the caller's packets leave rtpsession's way in (`early`),
// or on a jitterbuffer's way in: that one takes a line's packets only until
// the early one does (it is added when the first packet of a stream has
// passed the early place already).
struct Probe {
    std::shared_ptr<RtpForward::State> state;
    bool early;
};

Line* line_to_take(const Probe& probe, GstBuffer* buffer, PacketHeader& header) {
    Line* line = line_for(*probe.state, buffer, header);
    if (!line) return nullptr;  // not ours to forward: the usual path
    if (probe.early)
        line->taken_early = true;
    else if (line->taken_early)
        return nullptr;
    return line;
}

GstPadProbeReturn on_packet_list(GstPad* source, GstPadProbeInfo* info, const Probe& probe) {
    GstBufferList* list = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    GST_PAD_PROBE_INFO_DATA(info) = list;
    for (guint i = 0; i < gst_buffer_list_length(list);) {
        GstBuffer* packet = gst_buffer_list_get(list, i);
        PacketHeader header;
        Line* line = line_to_take(probe, packet, header);
        if (line && line->config.also_received) forward_packet(*line, source, header, gst_buffer_copy(packet));
        if (!line || line->config.also_received) {
            ++i;
            continue;
        }
        GstBuffer* owned = gst_buffer_ref(packet);
        gst_buffer_list_remove(list, i, 1);
        forward_packet(*line, source, header, owned);
    }
    if (gst_buffer_list_length(list) > 0) return GST_PAD_PROBE_OK;
    gst_buffer_list_unref(list);
    return GST_PAD_PROBE_HANDLED;
}

// The caller's packet on its way to a jitterbuffer, before it is buffered.
GstPadProbeReturn on_packet(GstPad* source, GstPadProbeInfo* info, gpointer data) {
    const auto& probe = *static_cast<Probe*>(data);
    if (!probe.early) place_early_probe(probe.state, source);
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) return on_packet_list(source, info, probe);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    PacketHeader header;
    Line* line = line_to_take(probe, buffer, header);
    if (!line) return GST_PAD_PROBE_OK;
    if (line->config.also_received) {
        forward_packet(*line, source, header, gst_buffer_copy(buffer));
        return GST_PAD_PROBE_OK;
    }
    forward_packet(*line, source, header, buffer);
    return GST_PAD_PROBE_HANDLED;  // the buffer was ours to pass on
}

// rtpsession turns an upstream key-unit request into a PLI/FIR only when it
// says which stream and payload (on the usual path rtpssrcdemux adds the
// SSRC, the ptdemux after the jitterbuffer the payload).
GstEvent* key_unit_request(const Line& line) {
    GstEvent* event = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0);
    gst_structure_set(gst_event_writable_structure(event), "payload", G_TYPE_UINT,
                      guint(line.config.line.payload_type), "ssrc", G_TYPE_UINT, guint(line.caller_ssrc), nullptr);
    return event;
}

// What our pad's event function reaches the line by (the pad holds it; a
// weak reference, since the line owns the pad).
constexpr const char* kRelayKey = "mediapeer-forwarded-line";
using LineRef = std::weak_ptr<Line>;

// On our pad, from webrtcbin: what the caller asks of the stream we send.
// A key frame can only come from the caller's encoder: the request goes on
// to the caller (webrtcbin turns it into a PLI there).
gboolean on_upstream_event(GstPad* pad, GstObject*, GstEvent* event) {
    if (gst_video_event_is_force_key_unit(event)) {
        ++media_metrics().key_frame_requests;
        auto* ref = static_cast<LineRef*>(g_object_get_data(G_OBJECT(pad), kRelayKey));
        auto line = ref ? ref->lock() : nullptr;
        GRef<GstPad> source = line ? adopt_ref(static_cast<GstPad*>(g_weak_ref_get(&line->source))) : nullptr;
        if (source) ask_upstream(source.get(), key_unit_request(*line));
    }
    gst_event_unref(event);
    return TRUE;
}

std::shared_ptr<Line> make_line(GstElement* webrtc, ForwardedLine config, GstEvent* segment) {
    auto line = std::make_shared<Line>();
    line->segment = EventPtr(gst_event_ref(segment));
    std::string sink_name = "sink_" + std::to_string(config.line.index);
    GRef<GstPad> sink = adopt_ref(gst_element_get_static_pad(webrtc, sink_name.c_str()));
    CapsPtr caps(gst_caps_from_string(config.line.rtp_caps.c_str()));
    gboolean nack = FALSE;
    if (caps && gst_caps_get_size(caps.get()) > 0)
        gst_structure_get_boolean(gst_caps_get_structure(caps.get(), 0), "rtcp-fb-nack", &nack);
    line->asks_for_lost = nack;
    line->config = std::move(config);
    GCharPtr name(g_strdup_printf("forward_%u", line->config.line.index));
    line->out = GRef<GstPad>::ref(gst_pad_new(name.get(), GST_PAD_SRC));
    g_object_set_data_full(G_OBJECT(line->out.get()), kRelayKey, new LineRef(line),
                           [](gpointer ref) { delete static_cast<LineRef*>(ref); });
    gst_pad_set_event_function(line->out.get(), on_upstream_event);
    gst_pad_set_active(line->out.get(), TRUE);
    if (!sink || gst_pad_link(line->out.get(), sink.get()) != GST_PAD_LINK_OK) {
        g_warning("m-line %u: cannot forward to webrtcbin's %s", line->config.line.index, sink_name.c_str());
        return nullptr;
    }
    return line;
}

void watch(const std::shared_ptr<RtpForward::State>& state, GstPad* source, bool early) {
    gst_pad_add_probe(source, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                      on_packet, new Probe{state, early}, [](gpointer p) { delete static_cast<Probe*>(p); });
}

// A streaming thread, as the first packet of one of the caller's streams
// reaches its new jitterbuffer (only then is the way there linked): the
// packets of all streams are taken where rtpsession's way in ends from then on.
void place_early_probe(const std::shared_ptr<RtpForward::State>& state, GstPad* jitterbuffer_sink) {
    std::call_once(state->early_probe, [&] {
        GRef<GstPad> exit = session_exit(jitterbuffer_sink);
        GRef<GstPad> feeding = far_end(jitterbuffer_sink);
        if (!exit || exit.get() == feeding.get()) return;
        g_debug("taking the caller's packets at %s:%s", GST_DEBUG_PAD_NAME(exit.get()));
        watch(state, exit.get(), true);
    });
}

}  // namespace

std::unique_ptr<RtpForward> RtpForward::attach(GstElement* webrtc, std::vector<ForwardedLine> lines) {
    GRef<GstElement> rtpbin = adopt_ref(gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin"));
    if (!rtpbin) {
        g_warning("webrtcbin has no rtpbin: cannot forward RTP");
        return nullptr;
    }
    auto state = std::make_shared<State>();
    EventPtr segment = shared_segment();
    for (auto& config : lines)
        if (auto line = make_line(webrtc, std::move(config), segment.get())) state->lines.push_back(std::move(line));
    g_signal_connect_data(
        rtpbin.get(), "new-jitterbuffer",
        G_CALLBACK(+[](GstElement*, GstElement* jitterbuffer, guint, guint, gpointer data) {
            GRef<GstPad> sink = adopt_ref(gst_element_get_static_pad(jitterbuffer, "sink"));
            watch(*static_cast<std::shared_ptr<State>*>(data), sink.get(), false);
        }),
        new std::shared_ptr<State>(state),
        [](gpointer p, GClosure*) { delete static_cast<std::shared_ptr<State>*>(p); }, GConnectFlags{});
    return std::unique_ptr<RtpForward>(new RtpForward(std::move(state)));
}

RtpForward::~RtpForward() = default;

}  // namespace mp::media
