// One call: a GStreamer pipeline around one webrtcbin, driven by signaller
// events on the main context. The answerer (mediapeer) and the offerer
// (mediapeer-call) share it. It knows the signaller interface, never the
// wire, and the media behaviour's interface, never which one runs.
#pragma once

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"
#include "media/media.hpp"
#include "peer/call_options.hpp"
#include "peer/call_stats.hpp"
#include "peer/offer.hpp"
#include "peer/silence_watch.hpp"
#include "peer/signaller.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mp::peer {

// What the call tells whoever owns it, on the main context.
class CallObserver {
public:
    virtual ~CallObserver() = default;
    // The call is over and its pipeline gone; the owner may drop it now.
    virtual void on_call_ended(const std::string& peer, const std::string& reason) = 0;
    virtual void on_ice_connected(const std::string&) {}
    virtual void on_chat_open(const std::string&) {}
    virtual void on_chat_message(const std::string&, const std::string&) {}
};

// GStreamer's DTLS elements generate one certificate per process, on first
// use (~200 ms); called at start-up so no call waits for it.
void prepare_dtls_certificate();

// How a call ended: as calls do (a hang-up on either side, the file played
// out), by a failure (ICE, DTLS, a refused offer, a pipeline error), or by
// the media timeout (the other side went silent).
enum class CallOutcome { Ended, Failed, MediaTimeout };

class Call : public std::enable_shared_from_this<Call> {
public:
    // For the offerer: the lines it offers (index, kind, encoding, payload type, caps, directions).
    using Lines = std::vector<media::MediaLine>;

    Call(std::string peer, Signaller& signaller, std::unique_ptr<media::MediaBehaviour> behaviour,
         CallOptions options, CallObserver& observer);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    // Answerer: builds the media for what the offer holds and answers it.
    void accept_offer(const SessionDescription& offer, const MediaWishes& wishes);
    // Offerer: builds the media for `lines`, then offers them.
    void make_offer(const Lines& lines, bool data_channel);
    void accept_answer(const SessionDescription& answer);
    // Before the remote description is set, candidates wait.
    void add_remote_candidate(const IceCandidate& candidate);
    // Sends a text message on the call's data channel, once it is open.
    void send_chat(const std::string& text);
    // Idempotent. `tell_peer`: send `leave` (not when the peer left first).
    void end(const std::string& reason, bool tell_peer);
    // The candidate types ("host", "srflx", "relay", ...) of the ICE pair in
    // use, from webrtcbin's stats; empty when unknown. `then` runs on the main context.
    void read_selected_pair(std::function<void(const std::string& local, const std::string& remote)> then);
    // What the call received so far, its codecs and how long it has run;
    // `then` runs on the main context (not once the call has ended).
    void read_stats(std::function<void(const CallStats&)> then);
    // Ends the call as failed, telling the peer.
    void fail(const std::string& reason);
    CallOutcome outcome() const { return outcome_; }

    const std::string& peer() const { return peer_; }
    const std::string& log_id() const { return log_id_; }
    GstElement* pipeline() const { return pipeline_.get(); }
    bool ended() const { return ended_; }

    struct Handle;  // what GStreamer callbacks hold: a weak reference to the call

private:
    // Building: the pipeline around webrtcbin, then the media for the lines.
    bool build_pipeline();
    void connect_negotiation_signals();
    void connect_state_signals();
    void watch_elements_as_added();
    void give_behaviour_its_callbacks();
    void watch_bus();
    void start_media();
    void request_sink_pads();
    void configure_transceivers();
    // Negotiating.
    void set_remote(GstWebRTCSDPType type, SdpMessagePtr sdp, std::function<void()> then);
    void create_description(const char* kind);
    void set_local_and_send(GstWebRTCSessionDescription* description);
    void flush_pending_candidates();
    void on_local_candidate(unsigned mline, const std::string& candidate);
    void on_incoming_pad(GstPad* pad);
    void on_state(const char* what, int state);
    void on_connected();
    void on_gathering_done();
    const media::MediaLine* line_for_mline(unsigned mline) const;
    // Chat.
    static void listen_to_channel(GstWebRTCDataChannel* channel, Handle* handle);
    // Ending.
    void after_final_stats(std::function<void()> then);
    void final_stats_arrived();
    void teardown();
    void dump_pipeline_graph();

    std::string peer_;
    unsigned number_;  // this process's count of calls, for logs and files
    std::string log_id_;
    Signaller& signaller_;
    std::unique_ptr<media::MediaBehaviour> behaviour_;
    CallOptions options_;
    CallObserver& observer_;
    GRef<GstElement> pipeline_;
    GstElement* webrtc_ = nullptr;     // owned by pipeline_
    std::unique_ptr<Handle> handle_;   // freed once the pipeline is gone
    GSourcePtr bus_watch_;
    SilenceWatch silence_;
    GRef<GstWebRTCDataChannel> channel_;
    gint64 started_us_ = 0;  // when the pipeline started
    Lines lines_;            // as negotiated, with our SSRCs; read-only once set
    std::vector<std::string> mids_;  // per m-line, from the offer
    std::vector<IceCandidate> pending_candidates_;
    bool remote_set_ = false;
    bool ice_connected_ = false;
    bool gathering_done_ = false;
    bool connected_ = false;  // ICE and DTLS
    CallOutcome outcome_ = CallOutcome::Ended;
    bool ended_ = false;
    std::optional<std::string> leave_reason_;  // said to the peer as we hang up: why its offer was refused
    std::function<void()> after_final_stats_;  // the rest of ending, once they are in
    GSourcePtr final_stats_deadline_;
};

}  // namespace mp::peer
