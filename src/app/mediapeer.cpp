// mediapeer: the server peer. Logs in to a signaling server (default as
// `server`) and answers every call with a media behaviour. Prints one line
// "mediapeer logged in as NAME at URL" once it serves.
#include "app/media_options.hpp"
#include "app/peer_options.hpp"
#include "app/status_http.hpp"
#include "common/gobj.hpp"
#include "media/record.hpp"
#include "peer/call_manager.hpp"
#include "peer/chat_responder.hpp"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <gst/gst.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <utility>

namespace {

struct Bot {
    mp::GMainLoopPtr loop{g_main_loop_new(nullptr, FALSE)};
    std::unique_ptr<mp::peer::WsSignaller> signaller;
    std::unique_ptr<mp::peer::CallManager> calls;
    std::shared_ptr<mp::peer::CallMetrics> call_metrics = std::make_shared<mp::peer::CallMetrics>();
    std::unique_ptr<mp::app::StatusHttp> status;
    int exit_code = 0;

    // Ends every call (recordings finalized), then quits; a deadline keeps a
    // stuck call from holding the exit.
    void stop(const char* why, int code) {
        if (stopping) return;
        stopping = true;
        exit_code = code;
        deadline = mp::attach_source(g_timeout_source_new(kStopDeadlineMs),
                                     G_SOURCE_FUNC(+[](Bot* bot) {
                                         g_warning("calls did not end in time; exiting anyway");
                                         bot->quit();
                                         return G_SOURCE_REMOVE;
                                     }),
                                     this);
        calls->end_all(why, [this] { quit(); });
    }

    // SIGTERM with --drain-seconds: the pool sends us no new call from now
    // on; the calls going on end by themselves, or at drain_seconds, then stop()
    // as always. A second SIGTERM stops at once.
    void drain() {
        if (stopping) return;
        if (calls->draining()) return stop("mediapeer stopping", 0);
        g_message("draining: %zu calls, up to %u s", calls->active_calls(), drain_seconds);
        // Not g_timeout_source_new_seconds: its first wake-up may come up to a second early.
        guint drain_ms = std::min(drain_seconds, G_MAXUINT / 1000) * 1000;
        drain_deadline = mp::attach_source(g_timeout_source_new(drain_ms),
                                           G_SOURCE_FUNC(+[](Bot* bot) {
                                               bot->drain_deadline.reset();
                                               bot->stop("draining took --drain-seconds", 0);
                                               return G_SOURCE_REMOVE;
                                           }),
                                           this);
        calls->drain([this] { stop("mediapeer stopping", 0); });
    }

    void quit() {
        deadline.reset();
        drain_deadline.reset();
        signaller->stop();
        g_main_loop_quit(loop.get());
    }

    static constexpr guint kStopDeadlineMs = 4000;
    bool stopping = false;
    mp::GSourcePtr deadline;
    unsigned drain_seconds = 0;  // 0: SIGTERM stops at once
    mp::GSourcePtr drain_deadline;
};

// Every behaviour may also record the caller to `record_dir`.
mp::peer::BehaviourFactory with_recording(mp::media::TemplateSettings media, std::string record_dir,
                                          mp::media::RecordLimits limits) {
    return [media, record_dir, limits](const std::string& caller) {
        auto behaviour = mp::media::make_templated(media);
        if (record_dir.empty()) return behaviour;
        return mp::media::make_recording(std::move(behaviour), mp::media::recording_stem(record_dir, caller), limits);
    };
}

// --record-max-seconds and --record-min-free-mib: 0 or more.
bool record_limits(gint max_seconds, gint min_free_mib, mp::media::RecordLimits& limits) {
    for (auto [flag, value] : {std::pair{"--record-max-seconds", max_seconds}, std::pair{"--record-min-free-mib", min_free_mib}})
        if (value < 0) {
            std::fprintf(stderr, "mediapeer: %s %d: give 0 (no limit) or more\n", flag, value);
            return false;
        }
    limits.max_seconds = static_cast<unsigned>(max_seconds);
    limits.min_free_bytes = static_cast<std::uint64_t>(min_free_mib) * 1024 * 1024;
    return true;
}

// The directory must exist and be writable now, not at the first call.
bool usable_record_dir(const std::string& dir) {
    return g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR) && g_access(dir.c_str(), W_OK) == 0;
}

// mediapeer's flags beyond those both peers take.
struct BotFlags {
    mp::app::PeerFlags peer;
    char* pipeline = nullptr;
    char* record_dir = nullptr;
    char* play = nullptr;
    char* http = nullptr;
    gboolean loop = FALSE;
    gboolean pool = FALSE;
    gint max_calls = 0;
    gint drain_seconds = 0;
    gint record_max_seconds = 0;
    gint record_min_free_mib = 512;

    BotFlags() = default;
    BotFlags(const BotFlags&) = delete;
    BotFlags& operator=(const BotFlags&) = delete;
    ~BotFlags() {
        g_free(pipeline);
        g_free(record_dir);
        g_free(play);
        g_free(http);
    }

    bool parse(int& argc, char**& argv) {
        auto entries = peer.entries();
        entries.push_back({"http", 0, 0, G_OPTION_ARG_STRING, &http,
                           "Serve /healthz and /metrics (Prometheus) on ADDR:PORT (port 0 picks one)", "ADDR:PORT"});
        entries.push_back({"max-calls", 0, 0, G_OPTION_ARG_INT, &max_calls,
                           "Calls at once; an offer beyond them is refused with leave, reason \"busy\" (default 0 = no limit)",
                           "N"});
        entries.push_back({"pool", 0, 0, G_OPTION_ARG_NONE, &pool,
                           "Serve --name with other mediapeers as one pool: the signaling server gives each call "
                           "to the member with most free calls (with auth, the token needs the claim \"pool\": true)",
                           nullptr});
        entries.push_back({"drain-seconds", 0, 0, G_OPTION_ARG_INT, &drain_seconds,
                           "On SIGTERM take no new call and let the calls going on run up to N s, then end them "
                           "and exit 0 (default 0: SIGTERM ends every call at once)", "N"});
        entries.push_back({"pipeline", 0, 0, G_OPTION_ARG_FILENAME, &pipeline,
                           "Media behaviour: a template in pipelines/ (echo, test, play) or a file's path "
                           "(default echo; play with --play)", "NAME|FILE"});
        entries.push_back({"record-dir", 0, 0, G_OPTION_ARG_FILENAME, &record_dir,
                           "Also record every caller to DIR/<UTC time>-<caller>.webm|.mkv (-2, -3... when taken)", "DIR"});
        entries.push_back({"record-max-seconds", 0, 0, G_OPTION_ARG_INT, &record_max_seconds,
                           "Finalize a recording at N seconds; the call goes on and the caller is told on the data channel "
                           "(default 0 = no limit)", "N"});
        entries.push_back({"record-min-free-mib", 0, 0, G_OPTION_ARG_INT, &record_min_free_mib,
                           "Start no recording, and finalize a running one, when --record-dir's file system has less than "
                           "N MiB free (default 512; 0 = no check)", "N"});
        entries.push_back({"play", 0, 0, G_OPTION_ARG_FILENAME, &play,
                           "Stream this WebM/Matroska/MP4 file to every caller", "FILE"});
        entries.push_back({"loop", 0, 0, G_OPTION_ARG_NONE, &loop,
                           "Start the file again at its end (else the call hangs up)", nullptr});
        return mp::app::parse_flags("mediapeer", "- the server peer", entries, argc, argv);
    }
    std::string recordings() const { return record_dir ? record_dir : ""; }
};

// What every call is answered with; said on stderr when it cannot be.
std::optional<mp::media::TemplateSettings> bot_media(const BotFlags& f) {
    std::string mode = f.pipeline ? f.pipeline : f.play ? "play" : "echo";
    auto media = mp::app::load_media(mode, f.play ? f.play : "", f.loop);
    if (!media) {
        std::fprintf(stderr, "mediapeer: %s\n", media.error().c_str());
        return std::nullopt;
    }
    g_message("media: %s (%s)%s%s", media->pipeline->name.c_str(), media->pipeline->path.c_str(),
              f.play ? ", playing " : "", f.play ? f.play : "");
    if (!f.recordings().empty() && !usable_record_dir(f.recordings())) {
        std::fprintf(stderr, "mediapeer: --record-dir %s: not a writable directory\n", f.recordings().c_str());
        return std::nullopt;
    }
    return std::move(*media);
}

bool start_signalling(Bot& bot, const BotFlags& f) {
    auto options = f.peer.signaller("server");
    options.reconnect = true;  // a server peer outlives its signaling server's restarts
    options.pool = f.pool;
    auto signaller = mp::peer::WsSignaller::create(options);
    if (!signaller) {
        std::fprintf(stderr, "mediapeer: %s\n", signaller.error().c_str());
        return false;
    }
    bot.signaller = std::move(*signaller);
    return true;
}

// What the bot does on each kind of line, as its template says: a one-way
// offer is answered where something flows, refused where nothing would.
mp::peer::MediaWishes media_wishes(const mp::media::PipelineTemplate& pipeline, bool recording) {
    auto of = [recording](const mp::media::LineTemplate& t) {
        return mp::peer::KindWishes{!t.send.empty(), !t.loop.empty(), recording || !t.receive.empty() || !t.loop.empty()};
    };
    mp::peer::MediaWishes wishes;
    wishes.video = of(pipeline.video);
    wishes.audio = of(pipeline.audio);
    return wishes;
}

void start_calls(Bot& bot, const BotFlags& f, const mp::media::TemplateSettings& media,
                 const mp::media::RecordLimits& limits) {
    auto wishes = media_wishes(*media.pipeline, !f.recordings().empty());
    auto options = f.peer.call(bot.signaller->options());
    options.metrics = bot.call_metrics;
    bot.calls = std::make_unique<mp::peer::CallManager>(*bot.signaller, with_recording(media, f.recordings(), limits),
                                                        wishes, options);
    bot.calls->set_max_calls(static_cast<unsigned>(std::max(f.max_calls, 0)));
    bot.calls->on_chat = mp::peer::answer_chat;
    std::string url = bot.signaller->options().url;
    bot.calls->ready = [url](const std::string& name) {
        std::printf("mediapeer logged in as %s at %s\n", name.c_str(), url.c_str());
        std::fflush(stdout);
    };
    bot.calls->failed = [&bot](const std::string& why) {
        std::fprintf(stderr, "mediapeer: %s\n", why.c_str());
        bot.stop("signaling failed", 1);
    };
}

bool start_status(Bot& bot, const char* listen) {
    auto started = mp::app::StatusHttp::start(listen, [&bot] {
        return mp::peer::PeerSnapshot{bot.calls->active_calls(), bot.calls->counters(), bot.calls->logged_in(),
                                      bot.calls->signaling_reconnects(), bot.calls->draining()};
    }, bot.call_metrics);
    if (!started) {
        std::fprintf(stderr, "mediapeer: %s\n", started.error().c_str());
        return false;
    }
    bot.status = std::move(*started);
    std::printf("mediapeer status on %s\n", bot.status->url().c_str());
    std::fflush(stdout);
    return true;
}

// SIGINT stops at once; SIGTERM too, or drains with --drain-seconds (what
// an orchestrator sends before it replaces a member).
void watch_signals(Bot& bot, unsigned drain_seconds) {
    bot.drain_seconds = drain_seconds;
    g_unix_signal_add(SIGINT, +[](gpointer data) -> gboolean {
        static_cast<Bot*>(data)->stop("mediapeer stopping", 0);
        return G_SOURCE_REMOVE;
    }, &bot);
    g_unix_signal_add(SIGTERM, +[](gpointer data) -> gboolean {
        auto* bot = static_cast<Bot*>(data);
        if (bot->drain_seconds == 0) {
            bot->stop("mediapeer stopping", 0);
            return G_SOURCE_REMOVE;
        }
        bot->drain();
        return G_SOURCE_CONTINUE;  // a second SIGTERM stops at once
    }, &bot);
}

}  // namespace

int main(int argc, char** argv) {
    gst_init(&argc, &argv);
    mp::peer::prepare_dtls_certificate();
    BotFlags f;
    if (!f.parse(argc, argv)) return 2;
    mp::media::RecordLimits limits;
    if (!record_limits(f.record_max_seconds, f.record_min_free_mib, limits)) return 2;
    if (f.drain_seconds < 0) {
        std::fprintf(stderr, "mediapeer: --drain-seconds %d: give 0 (no draining) or more\n", f.drain_seconds);
        return 2;
    }
    auto media = bot_media(f);
    if (!media) return 2;
    Bot bot;
    if (!start_signalling(bot, f)) return 2;
    start_calls(bot, f, *media, limits);
    if (f.http && !start_status(bot, f.http)) return 2;
    watch_signals(bot, static_cast<unsigned>(f.drain_seconds));
    bot.signaller->start(*bot.calls);
    g_main_loop_run(bot.loop.get());
    return bot.exit_code;
}
