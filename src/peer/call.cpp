#include "peer/call.hpp"

#include "common/guarded.hpp"
#include "common/gst_ptr.hpp"
#include "common/main_hop.hpp"
#include "peer/pipeline_stop.hpp"
#include "peer/receive_shortcut.hpp"
#include "peer/webrtc_stats.hpp"
#include "peer/webrtcbin_setup.hpp"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-peer"

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

// Our SSRC on each line we send: announced in our SDP (a=ssrc), and what our
// payloaders and the echo's forwarding stamp on packets.
void choose_our_ssrcs(Call::Lines& lines) {
    for (auto& line : lines) line.ssrc = static_cast<unsigned>(g_random_int_range(1, G_MAXINT32));
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
    webrtc_ = make_webrtcbin(options_, log_id_);
    if (!webrtc_) return false;
    gst_bin_add(GST_BIN(pipeline_.get()), webrtc_);
    connect_negotiation_signals();
    connect_state_signals();
    watch_elements_as_added();
    count_rtp(webrtc_, options_.metrics);
    give_behaviour_its_callbacks();
    watch_bus();
    return true;
}

void Call::connect_negotiation_signals() {
    g_signal_connect(webrtc_, "on-ice-candidate",
                     G_CALLBACK(+[](GstElement*, guint mline, char* candidate, Handle* h) {
                         guarded(G_LOG_DOMAIN, "on-ice-candidate", [&] {
                             std::string text = candidate;
                             h->post([mline, text](Call& c) { c.on_local_candidate(mline, text); });
                         });
                     }),
                     handle_.get());
    // Data follows the pad at once: it is linked here, on the streaming thread.
    g_signal_connect(webrtc_, "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, Handle* h) {
                         guarded(G_LOG_DOMAIN, "pad-added", [&] {
                             if (auto call = h->call.lock()) call->on_incoming_pad(pad);
                         });
                     }),
                     handle_.get());
    g_signal_connect(webrtc_, "on-data-channel",
                     G_CALLBACK(+[](GstElement*, GstWebRTCDataChannel* channel, Handle* h) {
                         guarded(G_LOG_DOMAIN, "on-data-channel", [&] {
                             // Now, not after the hop: the first message may be on its way.
                             listen_to_channel(channel, h);
                             auto kept = GRef<GstWebRTCDataChannel>::ref(channel);
                             h->post([kept](Call& c) { c.channel_ = kept; });
                         });
                     }),
                     handle_.get());
}

void Call::connect_state_signals() {
    for (const char* property :
         {"notify::ice-connection-state", "notify::connection-state", "notify::ice-gathering-state"})
        g_signal_connect(webrtc_, property,
                         G_CALLBACK(+[](GstElement* webrtc, GParamSpec* spec, Handle* h) {
                             guarded(G_LOG_DOMAIN, "connection state", [&] {
                                 int state = 0;
                                 g_object_get(webrtc, spec->name, &state, nullptr);
                                 std::string what = spec->name;
                                 h->post([what, state](Call& c) { c.on_state(what.c_str(), state); });
                             });
                         }),
                         handle_.get());
}

// On whatever thread adds them: network sources are watched for silence, and
// new RTP sources accepted at once.
void Call::watch_elements_as_added() {
    g_signal_connect(pipeline_.get(), "deep-element-added",
                     G_CALLBACK(+[](GstBin*, GstBin*, GstElement* element, Handle* h) {
                         guarded(G_LOG_DOMAIN, "deep-element-added", [&] {
                             auto call = h->call.lock();
                             if (!call) return;
                             // A bin added with its children in it announces only itself.
                             if (GST_IS_BIN(element))
                                 for_each_element(GST_BIN(element), [&](GstElement* e) { call->silence_.watch(e); });
                             call->silence_.watch(element);
                             accept_new_sources_at_once(element);
                         });
                     }),
                     handle_.get());
}

void Call::give_behaviour_its_callbacks() {
    Handle handle = *handle_;
    behaviour_->end_call = [handle](const std::string& reason) mutable {
        handle.post([reason](Call& c) { c.end(reason, true); });
    };
    behaviour_->tell_caller = [handle](const std::string& text) mutable {
        handle.post([text](Call& c) { c.send_chat(text); });
    };
}

void Call::watch_bus() {
    GRef<GstBus> bus = adopt_ref(gst_pipeline_get_bus(GST_PIPELINE(pipeline_.get())));
    bus_watch_ = attach_source(
        gst_bus_create_watch(bus.get()),
        G_SOURCE_FUNC(+[](GstBus*, GstMessage* message, Handle* h) -> gboolean {
            if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR) return G_SOURCE_CONTINUE;
            guarded(G_LOG_DOMAIN, "bus", [&] {
                GError* error = nullptr;
                char* debug = nullptr;
                gst_message_parse_error(message, &error, &debug);
                GErrorPtr owned(error);
                GCharPtr owned_debug(debug);
                std::string why = std::string("pipeline error: ") + error->message + " (" +
                                  GST_OBJECT_NAME(GST_MESSAGE_SRC(message)) + (debug ? std::string(": ") + debug : "") + ")";
                if (auto call = h->call.lock()) call->fail(why);
            });
            return G_SOURCE_CONTINUE;
        }),
        handle_.get());
}

// The behaviour's elements around webrtcbin, then the pipeline runs; a
// caller that vanishes without a word from now on still ends its call.
void Call::start_media() {
    behaviour_->setup(GST_BIN(pipeline_.get()), webrtc_, lines_);
    gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
    started_us_ = g_get_monotonic_time();
    silence_.start(options_.media_timeout_s, [this] {
        outcome_ = CallOutcome::MediaTimeout;
        end("no media for " + std::to_string(options_.media_timeout_s) + " s", true);
    });
}

// webrtcbin (1.22) ties a requested sink_<N> to m-line N only when the pad
// exists before the remote offer is set.
void Call::request_sink_pads() {
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

// The offer's SDP is parsed once: for the plan, its mids and webrtcbin.
void Call::accept_offer(const SessionDescription& offer, const MediaWishes& wishes) {
    auto refuse = [this](const std::string& why) {
        g_message("%s refused the offer: %s", log_id_.c_str(), why.c_str());
        leave_reason_ = "offer refused: " + why;  // the caller can do something about it
        fail(*leave_reason_);
    };
    auto sdp = parse_sdp(offer.sdp);
    if (!sdp) return refuse(sdp.error());
    if (std::string tag = unify_bundle_credentials(sdp->get()); !tag.empty())
        g_message("%s the offer's bundled m-lines carry ICE credentials of their own (aiortc's do): "
                  "those of mid %s stand for the bundle", log_id_.c_str(), tag.c_str());
    auto plan = plan_answer(sdp->get(), wishes);
    if (!plan) return refuse(plan.error());
    lines_ = plan->lines;
    choose_our_ssrcs(lines_);
    mids_ = mids_of(sdp->get());
    if (!build_pipeline()) return fail("cannot build the pipeline");
    request_sink_pads();
    start_media();
    g_message("%s offer: %s; answering %s with %s", log_id_.c_str(), plan->offered.c_str(),
              plan->answered.c_str(), behaviour_->name().c_str());
    set_remote(GST_WEBRTC_SDP_TYPE_OFFER, std::move(*sdp), [this] {
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
            guarded(G_LOG_DOMAIN, "promise", [&] {
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
            });
        },
        new Pending{h, what, std::forward<Then>(then)},
        [](gpointer data) { delete static_cast<Pending*>(data); });
}

void Call::set_remote(GstWebRTCSDPType type, SdpMessagePtr sdp, std::function<void()> then) {
    SessionDescriptionPtr description(gst_webrtc_session_description_new(type, sdp.release()));
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
    choose_our_ssrcs(lines_);
    if (!build_pipeline()) return fail("cannot build the pipeline");
    request_sink_pads();
    configure_transceivers();
    start_media();
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
    auto sdp = parse_sdp(answer.sdp);
    if (!sdp) return fail("remote description refused: " + sdp.error());
    set_remote(GST_WEBRTC_SDP_TYPE_ANSWER, std::move(*sdp), [] {});
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

// Messages and the opening arrive on webrtcbin's SCTP thread and hop to the
// main context. Connected as soon as the channel exists.
void Call::listen_to_channel(GstWebRTCDataChannel* channel, Handle* h) {
    g_signal_connect(channel, "on-open", G_CALLBACK(+[](GstWebRTCDataChannel*, Handle* h) {
                         guarded(G_LOG_DOMAIN, "on-open", [&] {
                             h->post([](Call& c) { c.observer_.on_chat_open(c.peer_); });
                         });
                     }),
                     h);
    g_signal_connect(channel, "on-message-string",
                     G_CALLBACK(+[](GstWebRTCDataChannel*, char* text, Handle* h) {
                         guarded(G_LOG_DOMAIN, "on-message-string", [&] {
                             std::string copy = text ? text : "";
                             h->post([copy](Call& c) { c.observer_.on_chat_message(c.peer_, copy); });
                         });
                     }),
                     h);
}

void Call::send_chat(const std::string& text) {
    if (channel_) g_signal_emit_by_name(channel_.get(), "send-string", text.c_str());
}

void Call::read_stats(std::function<void(const CallStats&)> then) {
    if (!webrtc_) return;
    GstPromise* promise = promise_on_main(*handle_, "reading the call's stats", [then](Call& c, const GstStructure* reply) {
        CallStats stats = received_stats(reply);
        for (const auto& line : c.lines_) stats.codecs += (stats.codecs.empty() ? "" : ", ") + line.encoding;
        stats.seconds = static_cast<double>(g_get_monotonic_time() - c.started_us_) / G_USEC_PER_SEC;
        then(stats);
    });
    g_signal_emit_by_name(webrtc_, "get-stats", nullptr, promise);
    gst_promise_unref(promise);
}

void Call::read_selected_pair(std::function<void(const std::string&, const std::string&)> then) {
    if (!webrtc_) return then("", "");
    GstPromise* promise = promise_on_main(*handle_, "reading the ICE pair", [then](Call&, const GstStructure* reply) {
        SelectedPair pair = selected_pair(reply);
        then(pair.local, pair.remote);
    });
    g_signal_emit_by_name(webrtc_, "get-stats", nullptr, promise);
    gst_promise_unref(promise);
}

void Call::on_state(const char* what, int state) {
    bool ice = g_str_equal(what, "ice-connection-state");
    g_debug("%s %s: %d", log_id_.c_str(), what, state);
    if (g_str_equal(what, "ice-gathering-state")) {
        if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) on_gathering_done();
        return;
    }
    if (ice && (state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
                state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) && !ice_connected_) {
        ice_connected_ = true;
        g_message("%s ICE connected", log_id_.c_str());
        observer_.on_ice_connected(peer_);
    }
    if (ice && state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) fail("ICE failed");
    if (!ice && state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) fail("DTLS failed");
    if (!ice && state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !connected_) on_connected();
}

// Told once: a WHIP endpoint answers its client with every candidate then.
void Call::on_gathering_done() {
    if (gathering_done_ || ended_) return;
    gathering_done_ = true;
    signaller_.send_end_of_candidates(peer_, mids_.empty() ? "0" : mids_.front());
}

// ICE and DTLS are up: what is sent from now on arrives.
void Call::on_connected() {
    connected_ = true;
    if (options_.metrics)
        options_.metrics->observe_setup(static_cast<double>(g_get_monotonic_time() - started_us_) / G_USEC_PER_SEC);
    behaviour_->on_connected(GST_BIN(pipeline_.get()));
    int rewired = skip_receive_queues(webrtc_);
    g_debug("%s receive path: %d queue(s) skipped", log_id_.c_str(), rewired);
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
    if (tell_peer) signaller_.hang_up(peer_, leave_reason_);
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
    std::shared_ptr<CallMetrics> metrics;
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
            guarded(G_LOG_DOMAIN, "final stats", [&] {
                const GstStructure* reply = gst_promise_wait(p) == GST_PROMISE_RESULT_REPLIED ? gst_promise_get_reply(p) : nullptr;
                std::int64_t lost = received_stats(reply).packets_lost;
                if (lost > 0 && stats->metrics) stats->metrics->packets_lost += static_cast<std::uint64_t>(lost);
                post_to_main(stats->context, stats->call, [](Call& call) { call.final_stats_arrived(); });
            });
        },
        new FinalStats{weak_from_this(), handle_->context, options_.metrics},
        [](gpointer data) { delete static_cast<FinalStats*>(data); });
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

// Nothing of ours runs once the pipeline stops: our handlers go first.
void Call::teardown() {
    gint64 started_us = g_get_monotonic_time();
    g_signal_handlers_disconnect_by_data(pipeline_.get(), handle_.get());
    bus_watch_.reset();
    silence_.stop();
    if (channel_) g_signal_handlers_disconnect_by_data(channel_.get(), handle_.get());
    channel_.reset();
    if (webrtc_) g_signal_handlers_disconnect_by_data(webrtc_, handle_.get());
    stop_call_pipeline(pipeline_.get(), webrtc_);
    pipeline_.reset();
    webrtc_ = nullptr;
    handle_.reset();
    // Everything else waits meanwhile (this is the main thread): say so when it is long.
    gint64 took_ms = (g_get_monotonic_time() - started_us) / 1000;
    if (took_ms >= kSlowTeardownMs) g_message("%s stopping the pipeline took %" G_GINT64_FORMAT " ms", log_id_.c_str(), took_ms);
}

}  // namespace mp::peer
