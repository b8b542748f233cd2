#include "app/caller.hpp"

#include "app/media_options.hpp"
#include "common/gobj.hpp"
#include "media/record.hpp"

#include <glib/gstdio.h>
#include <unistd.h>

#include <gst/gst.h>

#include <algorithm>
#include <cstdio>

namespace mp::app {

namespace {

// Passes everything on, noting when the offer actually leaves: set-up times
// count from there, not from building the pipeline.
class OfferClock final : public peer::Signaller {
public:
    explicit OfferClock(peer::Signaller& inner) : inner_(inner) {}
    gint64 offer_sent_us = 0;

    void start(peer::SignallerEvents& events) override { inner_.start(events); }
    void send_sdp(const std::string& peer, const peer::SessionDescription& d) override {
        if (d.type == "offer" && !offer_sent_us) offer_sent_us = g_get_monotonic_time();
        inner_.send_sdp(peer, d);
    }
    void send_candidate(const std::string& peer, const peer::IceCandidate& c) override {
        inner_.send_candidate(peer, c);
    }
    void send_end_of_candidates(const std::string& peer, const std::string& mid) override {
        inner_.send_end_of_candidates(peer, mid);
    }
    void hang_up(const std::string& peer, const std::optional<std::string>& reason) override {
        inner_.hang_up(peer, reason);
    }
    void stop() override { inner_.stop(); }

private:
    peer::Signaller& inner_;
};

// The caller: a signaller's events drive one offering call.
class Caller final : public peer::SignallerEvents, public peer::CallObserver {
public:
    Caller(OfferClock& signaller, std::string callee, bool h264, bool receive_only, unsigned duration_s,
           peer::CallOptions options, std::vector<std::string> chat,
           media::TemplateSettings media, std::string record_to)
        : signaller_(signaller), callee_(std::move(callee)), h264_(h264), receive_only_(receive_only),
          duration_s_(duration_s),
          options_(std::move(options)), chat_(std::move(chat)), media_(std::move(media)),
          record_to_(std::move(record_to)) {
        media_.counts = counts_;
    }

    GMainLoopPtr loop{g_main_loop_new(nullptr, FALSE)};
    int exit_code = 0;

    void on_ready(const std::string&) override {
        auto behaviour = media::make_templated(media_);
        if (!record_to_.empty()) behaviour = media::make_recording_to(std::move(behaviour), record_to_);
        call_ = std::make_shared<peer::Call>(callee_, signaller_, std::move(behaviour), options_, *this);
        auto lines = peer::caller_lines(h264_);
        for (auto& line : lines) line.we_send = line.we_send && !receive_only_;
        call_->make_offer(lines, !receive_only_);
        watch_ = attach_source(g_timeout_source_new(10), G_SOURCE_FUNC(+[](Caller* self) {
                                       self->watch();
                                       return G_SOURCE_CONTINUE;
                                   }),
                                   this);
    }
    void on_offer(const std::string& peer, const peer::SessionDescription&) override {
        g_message("ignored an offer from %s: this peer only calls", peer.c_str());
        signaller_.hang_up(peer, std::string("busy"));
    }
    void on_answer(const std::string& peer, const peer::SessionDescription& answer) override {
        if (!call_ || peer != callee_) return;
        answer_us_ = g_get_monotonic_time();
        call_->accept_answer(answer);
    }
    void on_candidate(const std::string& peer, const peer::IceCandidate& c) override {
        if (call_ && peer == callee_) call_->add_remote_candidate(c);
    }
    void on_leave(const std::string& peer, const std::optional<std::string>& reason) override {
        if (!call_ || peer != callee_) return;
        call_->end(peer + " hung up" + (reason ? " (" + *reason + ")" : ""), false);
    }
    void on_invalid(const std::string& peer, const std::string& why) override {
        if (call_ && peer == callee_) call_->fail("unusable frame from " + peer + ": " + why);
    }
    void on_refused(const std::string& code, const std::string& message) override {
        finish("refused by the signaling server: " + message + " (" + code + ")", 1);
    }
    void on_failed(const std::string& why) override {
        if (call_ && ice_us_ && !call_->ended()) {  // media does not need signaling
            g_message("signaling lost (%s); the call goes on", why.c_str());
            return;
        }
        finish(why, 1);
    }
    void on_ice_connected(const std::string&) override { ice_us_ = g_get_monotonic_time(); }
    void on_chat_open(const std::string&) override { chat_open_ = true; }
    void on_chat_message(const std::string&, const std::string& text) override {
        std::printf("chat: %s\n", text.c_str());
        std::fflush(stdout);
    }
    // A call that carried media and ended as calls do (we or they hung up,
    // the file we sent was over) is a success; anything else is not.
    void on_call_ended(const std::string&, const std::string& reason) override {
        bool media = counts_->video_received.buffers > 0 || counts_->audio_received.buffers > 0;
        bool normal = call_->outcome() == peer::CallOutcome::Ended;
        finish(reason, normal && media ? 0 : 1);
    }

private:
    void watch() {
        gint64 now = g_get_monotonic_time();
        if (!first_frame_us_ && counts_->video_received.buffers > 0) first_frame_us_ = now;
        // Chat once media flows both ways: a /stats then has something to say.
        if (chat_open_ && first_frame_us_ && !chat_sent_) {
            chat_sent_ = true;
            for (const auto& text : chat_) call_->send_chat(text);
        }
        if (ice_us_ && now - ice_us_ >= gint64{duration_s_} * G_USEC_PER_SEC && !ending_) {
            ending_ = true;  // the pair in use is read while the call still runs
            call_->read_selected_pair([this](const std::string& local, const std::string& remote) {
                std::printf("ice: local %s, remote %s\n", local.empty() ? "unknown" : local.c_str(),
                            remote.empty() ? "unknown" : remote.c_str());
                ended_by_us_ = true;
                call_->end("the call lasted " + std::to_string(duration_s_) + " s", true);
            });
        }
    }

    void finish(const std::string& reason, int code) {
        watch_.reset();
        report(reason);
        exit_code = code;
        signaller_.stop();
        g_main_loop_quit(loop.get());
    }

    double ms_since_offer(gint64 at) const {
        return at && signaller_.offer_sent_us ? (at - signaller_.offer_sent_us) / 1000.0 : -1;
    }

    void report(const std::string& reason) {
        std::printf("call ended: %s\n", reason.c_str());
        std::printf("setup: answer %.1f ms, ice connected %.1f ms, first frame %.1f ms (after the offer)\n",
                    ms_since_offer(answer_us_), ms_since_offer(ice_us_), ms_since_offer(first_frame_us_));
        const auto& c = *counts_;
        std::printf("sent: video %llu frames %llu bytes, audio %llu packets %llu bytes\n",
                    static_cast<unsigned long long>(c.video_sent.buffers.load()),
                    static_cast<unsigned long long>(c.video_sent.bytes.load()),
                    static_cast<unsigned long long>(c.audio_sent.buffers.load()),
                    static_cast<unsigned long long>(c.audio_sent.bytes.load()));
        std::printf("received: video %llu frames %llu bytes, audio %llu packets %llu bytes\n",
                    static_cast<unsigned long long>(c.video_received.buffers.load()),
                    static_cast<unsigned long long>(c.video_received.bytes.load()),
                    static_cast<unsigned long long>(c.audio_received.buffers.load()),
                    static_cast<unsigned long long>(c.audio_received.bytes.load()));
        std::fflush(stdout);
    }

    OfferClock& signaller_;
    std::string callee_;
    bool h264_;
    bool receive_only_;  // a player's offer: recvonly lines, no data channel
    unsigned duration_s_;
    peer::CallOptions options_;
    std::vector<std::string> chat_;
    media::TemplateSettings media_;
    std::string record_to_;
    std::shared_ptr<media::MediaCounts> counts_ = std::make_shared<media::MediaCounts>();
    std::shared_ptr<peer::Call> call_;
    GSourcePtr watch_;
    gint64 answer_us_ = 0, ice_us_ = 0, first_frame_us_ = 0;
    bool ended_by_us_ = false;
    bool ending_ = false;
    bool chat_open_ = false, chat_sent_ = false;
};

}  // namespace

std::string record_target_problem(const std::string& path, bool h264) {
    bool webm = g_str_has_suffix(path.c_str(), ".webm"), mkv = g_str_has_suffix(path.c_str(), ".mkv");
    if (!webm && !mkv) return "--record " + path + ": name a .webm or .mkv file";
    if (webm && h264) return "--record " + path + ": H.264 goes to .mkv, WebM holds VP8";
    GCharPtr dir(g_path_get_dirname(path.c_str()));
    if (g_access(dir.get(), W_OK) != 0) return "--record " + path + ": cannot write to " + dir.get();
    return "";
}

CallerProgram::CallerProgram(const char* program, const char* summary)
    : program_(program), summary_(summary), entries_(peer.entries()) {}

// After the program's own flags in --help: what and how to send.
void CallerProgram::add_call_entries() {
    entries_.push_back({"send", 0, 0, G_OPTION_ARG_FILENAME, &send_,
                        "What to send: test (pattern and tone, the default) or a WebM/Matroska/MP4 file",
                        "test|FILE"});
    entries_.push_back({"loop", 0, 0, G_OPTION_ARG_NONE, &loop_, "Send the file again at its end", nullptr});
    entries_.push_back({"record", 0, 0, G_OPTION_ARG_FILENAME, &record_,
                        "Record what the other side sends to FILE (.webm for VP8, .mkv)", "FILE"});
    entries_.push_back({"duration", 0, 0, G_OPTION_ARG_INT, &duration_s_,
                        "Hang up this long after ICE connects (default 5)", "SECONDS"});
    entries_.push_back({"h264", 0, 0, G_OPTION_ARG_NONE, &h264_, "Offer H.264 instead of VP8", nullptr});
    entries_.push_back({"relay", 0, 0, G_OPTION_ARG_NONE, &relay_,
                        "ICE through TURN relays only (the TURN server from --turn or /config.json)", nullptr});
    entries_.push_back({"chat", 0, 0, G_OPTION_ARG_STRING_ARRAY, &chat_,
                        "Send this on the data channel once media arrives (repeatable); replies are printed",
                        "TEXT"});
}

CallerProgram::~CallerProgram() {
    g_free(send_);
    g_free(record_);
    g_strfreev(chat_);
}

void CallerProgram::add_entry(const GOptionEntry& entry) { entries_.push_back(entry); }

void CallerProgram::drop_entries(std::initializer_list<std::string_view> long_names) {
    std::erase_if(entries_, [&](const GOptionEntry& entry) {
        return std::find(long_names.begin(), long_names.end(), entry.long_name) != long_names.end();
    });
}

bool CallerProgram::parse(int& argc, char**& argv) {
    gst_init(&argc, &argv);
    peer::prepare_dtls_certificate();
    add_call_entries();
    return parse_flags(program_, summary_, entries_, argc, argv);
}

bool CallerProgram::prepare() {
    std::string what = send_ ? send_ : "test";
    auto media = what == "test" ? load_media("test", "", false) : load_media("play", what, loop_);
    if (!media) {
        std::fprintf(stderr, "%s: --send: %s\n", program_, media.error().c_str());
        return false;
    }
    if (auto problem = record_ ? record_target_problem(record_, h264_) : ""; !problem.empty()) {
        std::fprintf(stderr, "%s: %s\n", program_, problem.c_str());
        return false;
    }
    media_ = std::move(*media);
    return true;
}

int CallerProgram::run(peer::Signaller& signaller, const std::string& callee, peer::CallOptions options) {
    options.relay_only = relay_;
    if (relay_ && options.turn_servers.empty()) {
        std::fprintf(stderr, "%s: --relay needs a TURN server (--turn, or the signaling server's /config.json)\n",
                     program_);
        return 2;
    }
    std::vector<std::string> chat_lines;
    for (char** c = chat_; c && *c; ++c) chat_lines.emplace_back(*c);
    OfferClock clock(signaller);
    Caller caller(clock, callee, h264_, receive_only_, static_cast<unsigned>(std::max(duration_s_, 1)), std::move(options),
                  std::move(chat_lines), std::move(*media_), record_ ? record_ : "");
    clock.start(caller);
    g_main_loop_run(caller.loop.get());
    return caller.exit_code;
}

}  // namespace mp::app
