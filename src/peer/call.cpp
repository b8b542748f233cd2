#include "peer/call.hpp"
#include "peer/receive_shortcut.hpp"

#include "media/media_metrics.hpp"

#include "common/gst_ptr.hpp"
#include "common/main_hop.hpp"
#include "peer/chat.hpp"

#include <agent.h>

#include <map>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-call"

namespace mp::peer {

struct Call::Handle {
    std::weak_ptr<Call> call;
    GMainContext* context;

    // From a GStreamer thread: run `work` on the main context while the call lives on.
    template <typename Work>
    void post(Work&& work) {
        post_to_main(context, call, [work = std::forward<Work>(work)](Call& c) mutable {
            if (!c.ended()) work(c);
        });
    }
};

namespace {

constexpr gint64 kSlowTeardownMs = 200;

unsigned next_call_number() {
    static unsigned n = 0;
    return ++n;
}

GstWebRTCRTPTransceiverDirection direction_of(const media::MediaLine& line) {
    if (line.we_send && line.we_receive) return GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV;
    if (line.we_send) return GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
    if (line.we_receive) return GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY;
    return GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE;
}

// The a=mid of each m-line: candidates travel with it.
std::vector<std::string> mids_of(const GstSDPMessage* sdp) {
    std::vector<std::string> mids;
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); ++i) {
        const char* mid = gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(sdp, i), "mid");
        mids.emplace_back(mid ? mid : std::to_string(i));
    }
    return mids;
}

// Why a promise failed, or empty when it holds a reply.
std::string promise_error(GstPromise* promise, GstPromiseResult result) {
    if (result != GST_PROMISE_RESULT_REPLIED) return "no reply";
    const GstStructure* reply = gst_promise_get_reply(promise);
    GError* error = nullptr;
    if (reply && gst_structure_has_field(reply, "error")) {
        gst_structure_get(reply, "error", G_TYPE_ERROR, &error, nullptr);
        GErrorPtr owned(error);
        return error ? error->message : "error";
    }
    return "";
}

// A retransmission often comes alone on its own SSRC: rtpsession's
// probation (two packets in sequence before a new SSRC counts) would hold it
// forever. SRTP already proves where packets come from.
void accept_new_sources_at_once(GstElement* element) {
    if (made_by(element, "rtpsession")) g_object_set(element, "probation", 0u, nullptr);
}

// Which of the process's counters a pad's RTP goes to.
struct RtpFlow {
    std::atomic<std::uint64_t>* packets;
    std::atomic<std::uint64_t>* bytes;
};
RtpFlow rtp_in{&media::media_metrics().rtp_packets_in, &media::media_metrics().rtp_bytes_in};
RtpFlow rtp_out{&media::media_metrics().rtp_packets_out, &media::media_metrics().rtp_bytes_out};

void count_rtp(GstPad* pad, RtpFlow* flow) {
    gst_pad_add_probe(
        pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [](GstPad*, GstPadProbeInfo* info, gpointer data) {
            auto* f = static_cast<RtpFlow*>(data);
            if (GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info); buffer && (info->type & GST_PAD_PROBE_TYPE_BUFFER)) {
                ++*f->packets;
                *f->bytes += gst_buffer_get_size(buffer);
            } else if (GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info)) {
                *f->packets += gst_buffer_list_length(list);
                *f->bytes += gst_buffer_list_calculate_size(list);
            }
            return GST_PAD_PROBE_OK;
        },
        flow, nullptr);
}

}  // namespace

void prepare_dtls_certificate() {
    GRef<GstElement> dtls = GRef<GstElement>::ref(gst_element_factory_make("dtlsdec", nullptr));
    if (!dtls) g_warning("no dtlsdec element (gstreamer1.0-plugins-bad): calls cannot work");
}

Call::Call(std::string peer, Signaller& signaller, std::unique_ptr<media::MediaBehaviour> behaviour,
           CallOptions options, CallObserver& observer)
    : peer_(std::move(peer)),
      number_(next_call_number()),
      log_id_("[call " + peer_ + "#" + std::to_string(number_) + "]"),
      signaller_(signaller),
      behaviour_(std::move(behaviour)),
      options_(std::move(options)),
      observer_(observer) {}

Call::~Call() {
    if (pipeline_) teardown();
}

bool Call::build_pipeline() {
    handle_ = std::make_unique<Handle>(Handle{weak_from_this(), g_main_context_ref_thread_default()});
    g_main_context_unref(handle_->context);  // the main context outlives every call
    pipeline_ = GRef<GstElement>::ref(gst_pipeline_new(nullptr));
    webrtc_ = gst_element_factory_make("webrtcbin", nullptr);
    if (!webrtc_) {
        g_warning("%s webrtcbin is missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)", log_id_.c_str());
        return false;
    }
    g_object_set(webrtc_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 options_.jitterbuffer_latency_ms, nullptr);
    if (options_.relay_only)
        g_object_set(webrtc_, "ice-transport-policy", GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, nullptr);
    if (!options_.stun_server.empty())
        g_object_set(webrtc_, "stun-server", options_.stun_server.c_str(), nullptr);
    for (const auto& turn : options_.turn_servers) {
        gboolean added = FALSE;
        g_signal_emit_by_name(webrtc_, "add-turn-server", turn.c_str(), &added);
    }
    gst_bin_add(GST_BIN(pipeline_.get()), webrtc_);
    if (!options_.ice_addresses.empty()) {
        GRef<GObject> ice, agent;
        g_object_get(webrtc_, "ice-agent", ice.out_ptr(), nullptr);
        if (ice) g_object_get(ice.get(), "agent", agent.out_ptr(), nullptr);
        for (const auto& address : options_.ice_addresses) {
            NiceAddress nice;
            nice_address_init(&nice);
            if (agent && nice_address_set_from_string(&nice, address.c_str()))
                nice_agent_add_local_address(NICE_AGENT(agent.get()), &nice);
            else
                g_warning("%s cannot use ICE address %s", log_id_.c_str(), address.c_str());
        }
    }
    Handle* h = handle_.get();
    g_signal_connect(webrtc_, "on-ice-candidate",
                     G_CALLBACK(+[](GstElement*, guint mline, char* candidate, Handle* h) {
                         std::string text = candidate;
                         h->post([mline, text](Call& c) { c.on_local_candidate(mline, text); });
                     }),
                     h);
    g_signal_connect(webrtc_, "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, Handle* h) {
                         if (auto call = h->call.lock()) call->on_incoming_pad(pad);
                     }),
                     h);
    g_signal_connect(webrtc_, "on-data-channel",
                     G_CALLBACK(+[](GstElement*, GstWebRTCDataChannel* channel, Handle* h) {
                         // Now, not after the hop: the first message may be on its way.
                         listen_to_channel(channel, h);
                         auto kept = GRef<GstWebRTCDataChannel>::ref(channel);
                         h->post([kept](Call& c) { c.channel_ = kept; });
                     }),
                     h);
    for (const char* property : {"notify::ice-connection-state", "notify::connection-state"})
        g_signal_connect(webrtc_, property,
                         G_CALLBACK(+[](GstElement* webrtc, GParamSpec* spec, Handle* h) {
                             int state = 0;
                             g_object_get(webrtc, spec->name, &state, nullptr);
                             std::string what = spec->name;
                             h->post([what, state](Call& c) { c.on_state(what.c_str(), state); });
                         }),
                         h);
    // Whatever the other side sends (RTP, RTCP, DTLS) shows it is there: a
    // call we only send on still hears its receiver reports.
    g_signal_connect(pipeline_.get(), "deep-element-added",
                     G_CALLBACK(+[](GstBin*, GstBin*, GstElement* element, Handle* h) {
                         auto call = h->call.lock();
                         if (!call) return;
                         // A bin added with its children in it announces only itself.
                         if (GST_IS_BIN(element))
                             for_each_element(GST_BIN(element), [&](GstElement* e) { call->watch_arrivals(e); });
                         call->watch_arrivals(element);
                         accept_new_sources_at_once(element);
                     }),
                     h);
    // RTP is counted as it enters and leaves rtpbin: a media behaviour may
    // take what the other side sends before it reaches webrtcbin's src pads,
    // and send without webrtcbin's sink pads (the echo does both).
    if (GRef<GstElement> rtpbin = adopt_ref(gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin")))
        g_signal_connect(rtpbin.get(), "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer) {
                             if (g_str_has_prefix(GST_PAD_NAME(pad), "recv_rtp_sink_")) count_rtp(pad, &rtp_in);
                             if (g_str_has_prefix(GST_PAD_NAME(pad), "send_rtp_src_")) count_rtp(pad, &rtp_out);
                         }),
                         nullptr);
    Handle handle_copy = *h;
    behaviour_->end_call = [handle_copy](const std::string& reason) mutable {
        handle_copy.post([reason](Call& c) { c.end(reason, true); });
    };
    behaviour_->tell_caller = [handle_copy](const std::string& text) mutable {
        handle_copy.post([text](Call& c) { c.send_chat(text); });
    };
    GRef<GstBus> bus = adopt_ref(gst_pipeline_get_bus(GST_PIPELINE(pipeline_.get())));
    bus_watch_ = attach_source(
        gst_bus_create_watch(bus.get()),
        G_SOURCE_FUNC(+[](GstBus*, GstMessage* message, Handle* h) -> gboolean {
            if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR) return G_SOURCE_CONTINUE;
            GError* error = nullptr;
            char* debug = nullptr;
            gst_message_parse_error(message, &error, &debug);
            GErrorPtr owned(error);
            GCharPtr owned_debug(debug);
            std::string why = std::string("pipeline error: ") + error->message + " (" +
                              GST_OBJECT_NAME(GST_MESSAGE_SRC(message)) + (debug ? std::string(": ") + debug : "") + ")";
            if (auto call = h->call.lock()) call->fail(why);
            return G_SOURCE_CONTINUE;
        }),
        h);
    return true;
}

// webrtcbin (1.22) ties a requested sink_<N> to m-line N only when the pad
// exists before the remote offer is set.
void Call::request_sink_pads() {
    for (auto& line : lines_) line.ssrc = g_random_int_range(1, G_MAXINT32);
    for (const auto& line : lines_) {
        std::string name = "sink_" + std::to_string(line.index);
        GRef<GstPad> pad = adopt_ref(gst_element_request_pad_simple(webrtc_, name.c_str()));
        if (!pad) g_warning("%s webrtcbin gave no %s", log_id_.c_str(), name.c_str());
    }
}

void Call::configure_transceivers() {
    for (const auto& line : lines_) {
        std::string name = "sink_" + std::to_string(line.index);
        GRef<GstPad> pad = adopt_ref(gst_element_get_static_pad(webrtc_, name.c_str()));
        if (!pad) continue;
        GRef<GObject> transceiver;
        g_object_get(pad.get(), "transceiver", transceiver.out_ptr(), nullptr);
        if (!transceiver) continue;
        CapsPtr caps(gst_caps_from_string(line.rtp_caps.c_str()));
        // With an SSRC in its caps webrtcbin announces it (a=ssrc), and the
        // other side can tell our bundled streams apart before any mid
        // header extension is negotiated.
        if (line.we_send) gst_caps_set_simple(caps.get(), "ssrc", G_TYPE_UINT, line.ssrc, nullptr);
        g_object_set(transceiver.get(), "codec-preferences", caps.get(), "direction",
                     direction_of(line), nullptr);
        // NACK/RTX: without it one lost packet freezes the video until the next key frame.
        if (line.kind == "video") g_object_set(transceiver.get(), "do-nack", TRUE, nullptr);
    }
}

void Call::accept_offer(const SessionDescription& offer, const MediaWishes& wishes) {
    auto sdp = parse_sdp(offer.sdp);
    if (!sdp) {
        g_message("%s refused the offer: %s", log_id_.c_str(), sdp.error().c_str());
        fail("offer refused: " + sdp.error());
        return;
    }
    auto plan = plan_answer(sdp->get(), wishes);
    if (!plan) {
        g_message("%s refused the offer: %s", log_id_.c_str(), plan.error().c_str());
        fail("offer refused: " + plan.error());
        return;
    }
    lines_ = plan->lines;
    mids_ = mids_of(sdp->get());
    if (!build_pipeline()) return fail("cannot build the pipeline");
    request_sink_pads();
    behaviour_->setup(GST_BIN(pipeline_.get()), webrtc_, lines_);
    gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
    watch_media();
    g_message("%s offer: %s; answering with %s", log_id_.c_str(), plan->offered.c_str(),
              behaviour_->name().c_str());
    set_remote(GST_WEBRTC_SDP_TYPE_OFFER, offer.sdp, [this] {
        configure_transceivers();
        create_description("answer");
    });
}

// Hands the reply of a webrtcbin promise to `then` on the main context.
template <typename Then>
static GstPromise* promise_on_main(const Call::Handle& h, const std::string& what, Then&& then) {
    struct Pending {
        Call::Handle handle;  // a copy: a promise may settle after the call is gone
        std::string what;
        Then then;
    };
    return gst_promise_new_with_change_func(
        [](GstPromise* promise, gpointer data) {
            auto* p = static_cast<Pending*>(data);
            std::string error = promise_error(promise, gst_promise_wait(promise));
            const GstStructure* got = error.empty() ? gst_promise_get_reply(promise) : nullptr;
            StructurePtr reply(got ? gst_structure_copy(got) : nullptr);
            std::shared_ptr<GstStructure> shared;
            if (reply) shared.reset(reply.release(), gst_structure_free);
            p->handle.post([error, shared, what = p->what, then = p->then](Call& c) mutable {
                if (!error.empty()) {
                    c.fail(what + " failed: " + error);
                    return;
                }
                then(c, shared.get());
            });
        },
        new Pending{h, what, std::forward<Then>(then)},
        [](gpointer data) { delete static_cast<Pending*>(data); });
}

void Call::set_remote(GstWebRTCSDPType type, const std::string& text, std::function<void()> then) {
    auto sdp = parse_sdp(text);
    if (!sdp) return fail("remote description refused: " + sdp.error());
    SessionDescriptionPtr description(gst_webrtc_session_description_new(type, sdp->release()));
    GstPromise* promise = promise_on_main(*handle_, "setting the remote description",
                                          [then](Call& c, const GstStructure*) {
                                              c.remote_set_ = true;
                                              c.flush_pending_candidates();
                                              then();
                                          });
    g_signal_emit_by_name(webrtc_, "set-remote-description", description.get(), promise);
    gst_promise_unref(promise);
}

// `kind`: "offer" or "answer"; once made, it is set as local and sent.
void Call::create_description(const char* kind) {
    GstPromise* promise = promise_on_main(
        *handle_, std::string("creating the ") + kind,
        [kind](Call& c, const GstStructure* reply) {
            GstWebRTCSessionDescription* made = nullptr;
            if (reply) gst_structure_get(reply, kind, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &made, nullptr);
            SessionDescriptionPtr owned(made);
            if (!made) return c.fail(std::string("webrtcbin made no ") + kind);
            c.set_local_and_send(made);
        });
    g_signal_emit_by_name(webrtc_, (std::string("create-") + kind).c_str(), nullptr, promise);
    gst_promise_unref(promise);
}

void Call::set_local_and_send(GstWebRTCSessionDescription* description) {
    g_signal_emit_by_name(webrtc_, "set-local-description", description, nullptr);
    GCharPtr text(gst_sdp_message_as_text(description->sdp));
    bool offer = description->type == GST_WEBRTC_SDP_TYPE_OFFER;
    if (offer) mids_ = mids_of(description->sdp);
    signaller_.send_sdp(peer_, SessionDescription{offer ? "offer" : "answer", text.get()});
    g_debug("%s sent the %s", log_id_.c_str(), offer ? "offer" : "answer");
}

void Call::make_offer(const Lines& lines, bool data_channel) {
    lines_ = lines;
    if (!build_pipeline()) return fail("cannot build the pipeline");
    request_sink_pads();
    configure_transceivers();
    behaviour_->setup(GST_BIN(pipeline_.get()), webrtc_, lines_);
    gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
    watch_media();
    if (data_channel) {
        GstWebRTCDataChannel* channel = nullptr;
        g_signal_emit_by_name(webrtc_, "create-data-channel", "chat", nullptr, &channel);
        channel_ = adopt_ref(channel);
        if (channel_) listen_to_channel(channel, handle_.get());
    }
    create_description("offer");
}

void Call::accept_answer(const SessionDescription& answer) {
    if (!webrtc_ || remote_set_) {
        g_message("%s ignored an answer: no offer of ours waits for one", log_id_.c_str());
        return;
    }
    set_remote(GST_WEBRTC_SDP_TYPE_ANSWER, answer.sdp, [] {});
}

void Call::add_remote_candidate(const IceCandidate& candidate) {
    // Browsers hide host addresses behind mDNS names; libnice cannot resolve them.
    if (candidate.candidate.find(".local ") != std::string::npos) {
        g_debug("%s skipped an mDNS candidate: %s", log_id_.c_str(), candidate.candidate.c_str());
        return;
    }
    if (!remote_set_) {
        pending_candidates_.push_back(candidate);
        return;
    }
    g_signal_emit_by_name(webrtc_, "add-ice-candidate", candidate.sdp_mline_index,
                          candidate.candidate.c_str());
}

void Call::flush_pending_candidates() {
    auto pending = std::move(pending_candidates_);
    pending_candidates_.clear();
    for (const auto& candidate : pending) add_remote_candidate(candidate);
}

void Call::on_local_candidate(unsigned mline, const std::string& candidate) {
    std::string mid = mline < mids_.size() ? mids_[mline] : std::to_string(mline);
    signaller_.send_candidate(peer_, IceCandidate{candidate, mid, mline});
}

const media::MediaLine* Call::line_for_mline(unsigned mline) const {
    for (const auto& line : lines_)
        if (line.index == mline) return &line;
    return nullptr;
}

// Streaming thread: data follows at once, so the pad is linked here.
void Call::on_incoming_pad(GstPad* pad) {
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
    GRef<GObject> transceiver;
    g_object_get(pad, "transceiver", transceiver.out_ptr(), nullptr);
    guint mline = G_MAXUINT;
    if (transceiver) g_object_get(transceiver.get(), "mlineindex", &mline, nullptr);
    const media::MediaLine* line = line_for_mline(mline);
    {
        CapsPtr caps(gst_pad_get_current_caps(pad));
        GCharPtr text(caps ? gst_caps_to_string(caps.get()) : g_strdup("none"));
        g_debug("%s incoming %s on m-line %u: %s", log_id_.c_str(), GST_PAD_NAME(pad), mline, text.get());
    }
    if (!line) {
        g_warning("%s media on m-line %u, which we did not negotiate: dropped", log_id_.c_str(), mline);
        GstElement* sink = gst_element_factory_make("fakesink", nullptr);
        gst_bin_add(GST_BIN(pipeline_.get()), sink);
        gst_element_sync_state_with_parent(sink);
        GRef<GstPad> sink_pad = adopt_ref(gst_element_get_static_pad(sink, "sink"));
        gst_pad_link(pad, sink_pad.get());
        return;
    }
    behaviour_->on_incoming(GST_BIN(pipeline_.get()), pad, *line);
}

// Any thread: for a network source, notes the time of every packet it delivers.
void Call::watch_arrivals(GstElement* element) {
    if (!made_by(element, "nicesrc")) return;
    if (g_object_get_data(G_OBJECT(element), "mediapeer-watched")) return;  // met as child and as itself
    g_object_set_data(G_OBJECT(element), "mediapeer-watched", GINT_TO_POINTER(1));
    GRef<GstPad> src = adopt_ref(gst_element_get_static_pad(element, "src"));
    if (!src) return;
    gst_pad_add_probe(
        src.get(), static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [](GstPad*, GstPadProbeInfo*, gpointer last) {
            static_cast<std::atomic<gint64>*>(last)->store(g_get_monotonic_time());
            return GST_PAD_PROBE_OK;
        },
        &last_arrival_us_, nullptr);
}

// Messages and the opening arrive on webrtcbin's SCTP thread and hop to the
// main context. Connected as soon as the channel exists.
void Call::listen_to_channel(GstWebRTCDataChannel* channel, Handle* h) {
    g_signal_connect(channel, "on-open", G_CALLBACK(+[](GstWebRTCDataChannel*, Handle* h) {
                         h->post([](Call& c) { c.observer_.on_chat_open(c.peer_); });
                     }),
                     h);
    g_signal_connect(channel, "on-message-string",
                     G_CALLBACK(+[](GstWebRTCDataChannel*, char* text, Handle* h) {
                         std::string copy = text ? text : "";
                         h->post([copy](Call& c) { c.on_chat(copy); });
                     }),
                     h);
}

void Call::send_chat(const std::string& text) {
    if (channel_) g_signal_emit_by_name(channel_.get(), "send-string", text.c_str());
}

void Call::on_chat(const std::string& text) {
    observer_.on_chat_message(peer_, text);
    if (!options_.answer_chat) return;
    if (auto reply = chat_reply(text))
        send_chat(*reply);
    else
        reply_with_stats();
}

namespace {

struct StatsWalk {
    CallStats stats;
};

gboolean add_stats(GQuark, const GValue* value, gpointer data) {
    if (!GST_VALUE_HOLDS_STRUCTURE(value)) return TRUE;
    const GstStructure* s = gst_value_get_structure(value);
    auto& stats = static_cast<StatsWalk*>(data)->stats;
    GstWebRTCStatsType type;
    if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr)) return TRUE;
    if (type == GST_WEBRTC_STATS_INBOUND_RTP) {
        guint64 packets = 0, bytes = 0;
        gint64 lost = 0;
        gst_structure_get_uint64(s, "packets-received", &packets);
        gst_structure_get_uint64(s, "bytes-received", &bytes);
        gst_structure_get_int64(s, "packets-lost", &lost);
        stats.packets_received += packets;
        stats.bytes_received += bytes;
        stats.packets_lost += lost;
    } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
        double rtt = 0;
        if (gst_structure_get_double(s, "round-trip-time", &rtt) && rtt > 0)
            stats.rtt_ms = std::max(stats.rtt_ms.value_or(0), rtt * 1000);
    }
    return TRUE;
}

}  // namespace

void Call::reply_with_stats() {
    GstPromise* promise = promise_on_main(
        *handle_, "reading the call's stats", [](Call& c, const GstStructure* reply) {
            StatsWalk walk;
            if (reply) gst_structure_foreach(reply, add_stats, &walk);
            for (const auto& line : c.lines_)
                walk.stats.codecs += (walk.stats.codecs.empty() ? "" : ", ") + line.encoding;
            walk.stats.seconds =
                static_cast<double>(g_get_monotonic_time() - c.media_since_us_) / G_USEC_PER_SEC;
            c.send_chat(format_stats(walk.stats));
        });
    g_signal_emit_by_name(webrtc_, "get-stats", nullptr, promise);
    gst_promise_unref(promise);
}

namespace {

// Stats entries by their "id".
std::map<std::string, const GstStructure*> stats_by_id(const GstStructure* reply) {
    std::map<std::string, const GstStructure*> entries;
    gst_structure_foreach(
        reply,
        [](GQuark, const GValue* value, gpointer data) -> gboolean {
            if (!GST_VALUE_HOLDS_STRUCTURE(value)) return TRUE;
            const GstStructure* entry = gst_value_get_structure(value);
            if (const char* id = gst_structure_get_string(entry, "id"))
                (*static_cast<std::map<std::string, const GstStructure*>*>(data))[id] = entry;
            return TRUE;
        },
        &entries);
    return entries;
}

std::string string_field(const GstStructure* s, const char* name) {
    if (!s) return "";
    if (const char* text = gst_structure_get_string(s, name)) return text;
    // Some versions give the candidate type as an enum.
    const GValue* value = gst_structure_get_value(s, name);
    if (value && G_VALUE_HOLDS_ENUM(value)) {
        GEnumValue* e = g_enum_get_value(G_ENUM_CLASS(g_type_class_peek(G_VALUE_TYPE(value))), g_value_get_enum(value));
        return e ? e->value_nick : "";
    }
    return "";
}

}  // namespace

void Call::read_selected_pair(std::function<void(const std::string&, const std::string&)> then) {
    if (!webrtc_) return then("", "");
    GstPromise* promise = promise_on_main(*handle_, "reading the ICE pair", [then](Call&, const GstStructure* reply) {
        if (!reply) return then("", "");
        auto entries = stats_by_id(reply);
        for (const auto& [id, entry] : entries) {
            std::string pair_id = string_field(entry, "selected-candidate-pair-id");
            if (pair_id.empty() || !entries.count(pair_id)) continue;
            const GstStructure* pair = entries[pair_id];
            auto local = entries.find(string_field(pair, "local-candidate-id"));
            auto remote = entries.find(string_field(pair, "remote-candidate-id"));
            return then(local == entries.end() ? "" : string_field(local->second, "candidate-type"),
                        remote == entries.end() ? "" : string_field(remote->second, "candidate-type"));
        }
        then("", "");
    });
    g_signal_emit_by_name(webrtc_, "get-stats", nullptr, promise);
    gst_promise_unref(promise);
}

// Started with the pipeline: a caller that vanished without a word (killed,
// network gone) still ends its call.
void Call::watch_media() {
    media_since_us_ = g_get_monotonic_time();
    if (options_.media_timeout_s == 0) return;
    media_watch_ = attach_source(g_timeout_source_new_seconds(1),
                                 G_SOURCE_FUNC(+[](Call* self) {
                                     self->check_media();
                                     return G_SOURCE_CONTINUE;
                                 }),
                                 this);
}

void Call::check_media() {
    gint64 since = std::max(media_since_us_, last_arrival_us_.load());
    if (g_get_monotonic_time() - since < gint64{options_.media_timeout_s} * G_USEC_PER_SEC) return;
    outcome_ = CallOutcome::MediaTimeout;
    end("no media for " + std::to_string(options_.media_timeout_s) + " s", true);
}

void Call::on_state(const char* what, int state) {
    bool ice = g_str_equal(what, "ice-connection-state");
    g_debug("%s %s: %d", log_id_.c_str(), what, state);
    if (ice && (state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
                state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) && !ice_connected_) {
        ice_connected_ = true;
        g_message("%s ICE connected", log_id_.c_str());
        observer_.on_ice_connected(peer_);
    }
    if (ice && state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) fail("ICE failed");
    if (!ice && state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) fail("DTLS failed");
    if (!ice && state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !connected_) {
        connected_ = true;
        media::media_metrics().observe_setup(static_cast<double>(g_get_monotonic_time() - media_since_us_) / G_USEC_PER_SEC);
        behaviour_->on_connected(GST_BIN(pipeline_.get()));
        int rewired = skip_receive_queues(webrtc_);
        g_debug("%s receive path: %d queue(s) skipped", log_id_.c_str(), rewired);
    }
}

void Call::fail(const std::string& reason) {
    if (ended_) return;
    outcome_ = CallOutcome::Failed;
    end(reason, true);
}

void Call::end(const std::string& reason, bool tell_peer) {
    if (ended_) return;
    ended_ = true;
    g_message("%s ended: %s", log_id_.c_str(), reason.c_str());
    if (tell_peer) signaller_.hang_up(peer_, std::nullopt);
    dump_pipeline_graph();
    auto self = shared_from_this();  // the observer drops its reference when told
    auto stop = [self, reason] {
        if (self->pipeline_) self->teardown();
        self->observer_.on_call_ended(self->peer_, reason);
    };
    after_final_stats([self, stop] {
        if (self->pipeline_)
            self->behaviour_->finish(stop);
        else
            stop();
    });
}

namespace {

constexpr guint kFinalStatsWaitMs = 1000;

struct FinalStats {
    std::weak_ptr<Call> call;
    GMainContext* context;
};

}  // namespace

// The call's receiver stats, read once as it ends, into the process's count.
// webrtcbin answers on its own thread; a pipeline stopped while that task
// runs has it read rtpbin's freed sessions (a crash seen under ASan), so the
// rest of ending waits for the answer (or kFinalStatsWaitMs).
void Call::after_final_stats(std::function<void()> then) {
    if (!webrtc_ || !connected_) return then();
    after_final_stats_ = std::move(then);
    GstPromise* promise = gst_promise_new_with_change_func(
        [](GstPromise* p, gpointer data) {
            auto* stats = static_cast<FinalStats*>(data);
            const GstStructure* reply = gst_promise_wait(p) == GST_PROMISE_RESULT_REPLIED ? gst_promise_get_reply(p) : nullptr;
            StatsWalk walk;
            if (reply) gst_structure_foreach(reply, add_stats, &walk);
            if (walk.stats.packets_lost > 0)
                media::media_metrics().packets_lost += static_cast<std::uint64_t>(walk.stats.packets_lost);
            post_to_main(stats->context, stats->call, [](Call& call) { call.final_stats_arrived(); });
        },
        new FinalStats{weak_from_this(), handle_->context}, [](gpointer data) { delete static_cast<FinalStats*>(data); });
    g_signal_emit_by_name(webrtc_, "get-stats", nullptr, promise);
    gst_promise_unref(promise);
    final_stats_deadline_ = attach_source(g_timeout_source_new(kFinalStatsWaitMs),
                                          G_SOURCE_FUNC(+[](Call* call) {
                                              g_message("%s no final stats in time", call->log_id_.c_str());
                                              call->final_stats_arrived();
                                              return G_SOURCE_REMOVE;
                                          }),
                                          this);
}

void Call::final_stats_arrived() {
    final_stats_deadline_.reset();
    auto then = std::exchange(after_final_stats_, nullptr);
    if (then) then();
}

// With GST_DEBUG_DUMP_DOT_DIR set, the call's whole pipeline as it ran is
// written there (a .dot file per call), the way GStreamer users inspect one.
void Call::dump_pipeline_graph() {
    if (!pipeline_ || !g_getenv("GST_DEBUG_DUMP_DOT_DIR")) return;
    std::string name = "call-" + std::to_string(number_) + "-";
    for (unsigned char c : peer_) name += g_ascii_isalnum(c) ? static_cast<char>(c) : '_';
    GST_DEBUG_BIN_TO_DOT_FILE(GST_BIN(pipeline_.get()), GST_DEBUG_GRAPH_SHOW_ALL, name.c_str());
}

namespace {

// A sink that reaches PAUSED blocks every buffer until PLAYING. Inside
// webrtcbin, threads that feed its network sinks (the jitterbuffer's RTCP
// feedback, an echo looping back in) would block there holding stream locks
// the rest of the state change waits for. Sinks go to NULL first.
void stop_sinks_first(GstElement* bin) {
    std::vector<GRef<GstElement>> sinks;
    for_each_element(GST_BIN(bin), [&sinks](GstElement* element) {
        if (GST_OBJECT_FLAG_IS_SET(element, GST_ELEMENT_FLAG_SINK) && !GST_IS_BIN(element))
            sinks.push_back(GRef<GstElement>::ref(element));
    });
    for (auto& sink : sinks) gst_element_set_state(sink.get(), GST_STATE_NULL);
}

}  // namespace

// An echo loops through webrtcbin: the loop is cut first (every buffer into
// or out of webrtcbin dropped), then webrtcbin's sinks stop, then webrtcbin,
// then the rest.
void Call::teardown() {
    gint64 started_us = g_get_monotonic_time();
    g_signal_handlers_disconnect_by_data(pipeline_.get(), handle_.get());
    bus_watch_.reset();
    media_watch_.reset();
    if (channel_) g_signal_handlers_disconnect_by_data(channel_.get(), handle_.get());
    channel_.reset();
    if (webrtc_) {
        g_signal_handlers_disconnect_by_data(webrtc_, handle_.get());
        gst_element_foreach_pad(
            webrtc_,
            [](GstElement*, GstPad* pad, gpointer) -> gboolean {
                gst_pad_add_probe(
                    pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_DROP; },
                    nullptr, nullptr);
                return TRUE;
            },
            nullptr);
        stop_sinks_first(webrtc_);
        gst_element_set_state(webrtc_, GST_STATE_NULL);
    }
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    pipeline_.reset();
    webrtc_ = nullptr;
    handle_.reset();
    // Everything else waits meanwhile (this is the main thread): say so when it is long.
    gint64 took_ms = (g_get_monotonic_time() - started_us) / 1000;
    if (took_ms >= kSlowTeardownMs) g_message("%s stopping the pipeline took %" G_GINT64_FORMAT " ms", log_id_.c_str(), took_ms);
}

}  // namespace mp::peer
