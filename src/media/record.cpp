#include "media/record.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"
#include "common/main_hop.hpp"
#include "media/matroska_duration.hpp"
#include "media/media_metrics.hpp"
#include "media/rtp_elements.hpp"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-record"

namespace mp::media {

namespace {

constexpr guint kFinishTimeoutMs = 3000;
constexpr guint kCheckEveryS = 1;  // the Duration rewritten, the free space looked at
constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr int kMaxSuffix = 1000;   // "-2" ... "-1000"

// Not recording (nothing to record, or refused), recording, its tracks
// ending (EOS on its way through the muxer), or its file finalized.
enum class State { Off, Recording, Ending, Finalized };

// One stream's way into the file: the tee's pad that feeds it and its input.
struct Branch {
    GRef<GstPad> tee_src;
    GstPad* input = nullptr;  // owned by the branch, in the pipeline
};

// The tee's pad stops feeding the file branch (everything pushed from now on
// is dropped, so the tee never meets the branch's EOS), and the branch gets
// its EOS. An IDLE probe: no push is under way on the pad meanwhile.
GstPadProbeReturn cut_branch(GstPad* tee_src, GstPadProbeInfo*, gpointer input) {
    gst_pad_add_probe(
        tee_src, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM,
        [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_DROP; }, nullptr, nullptr);
    gst_pad_send_event(static_cast<GRef<GstPad>*>(input)->get(), gst_event_new_eos());
    return GST_PAD_PROBE_REMOVE;
}

class Recording final : public MediaBehaviour {
public:
    Recording(std::unique_ptr<MediaBehaviour> inner, std::string stem, std::string fixed_path, RecordLimits limits)
        : inner_(std::move(inner)), stem_(std::move(stem)), path_(std::move(fixed_path)), limits_(limits) {}

    std::string name() const override { return inner_->name() + " + record"; }

    void setup(GstBin* pipeline, GstElement* webrtc, const std::vector<MediaLine>& lines) override {
        context_ = g_main_context_ref_thread_default();
        g_main_context_unref(context_);  // the main context outlives every call
        inner_->end_call = end_call;
        inner_->tell_caller = tell_caller;
        bool recording = choose_file(lines);
        if (recording) {
            build_file(pipeline, lines);
            std::vector<unsigned> recorded;
            for (const auto& line : lines)
                if (line.we_receive) recorded.push_back(line.index);
            inner_->share_incoming(recorded);
            std::lock_guard lock(mutex_);
            state_ = State::Recording;
        }
        inner_->setup(pipeline, webrtc, lines);
        if (recording) g_message("recording to %s", path_.c_str());
    }

    // Under the lock throughout: a recording that stops meanwhile sees every
    // branch there is, and a stream that comes after it is not recorded.
    void on_incoming(GstBin* pipeline, GstPad* pad, const MediaLine& line) override {
        std::unique_lock lock(mutex_);
        if (state_ != State::Recording) {
            lock.unlock();
            return inner_->on_incoming(pipeline, pad, line);
        }
        // The tee's branches are built before data can reach it: a tee with
        // nowhere to push fails the pipeline (not-linked).
        GstElement* tee = gst_element_factory_make("tee", nullptr);
        add_running(pipeline, tee);
        GRef<GstPad> to_inner = adopt_ref(gst_element_request_pad_simple(tee, "src_%u"));
        inner_->on_incoming(pipeline, to_inner.get(), line);
        GRef<GstPad> to_file = adopt_ref(gst_element_request_pad_simple(tee, "src_%u"));
        record_branch(pipeline, to_file, line);
        GRef<GstPad> tee_sink = adopt_ref(gst_element_get_static_pad(tee, "sink"));
        gst_pad_link(pad, tee_sink.get());
    }

    void on_connected(GstBin* pipeline) override { inner_->on_connected(pipeline); }

    void finish(std::function<void()> done) override {
        State was;
        std::map<unsigned, Branch> branches;
        {
            std::lock_guard lock(mutex_);
            was = state_;
            if (was == State::Recording) state_ = State::Ending;
            if (was == State::Recording || was == State::Ending) done_ = std::move(done);
            branches = branches_;
        }
        if (was == State::Off || was == State::Finalized) return done();
        // Before the tracks end: the file may be finalized (and the call
        // gone) before end_tracks returns.
        timeout_ = attach_source(g_timeout_source_new(kFinishTimeoutMs),
                                 G_SOURCE_FUNC(+[](Recording* self) {
                                     g_warning("%s: the muxer did not finish in time", self->path_.c_str());
                                     self->finalized();
                                     return G_SOURCE_REMOVE;
                                 }),
                                 this);
        if (was == State::Recording) end_tracks(branches);
    }

private:
    // The file to write, unless there is no room for one. A fixed path is
    // the caller's own choice, taken as it is.
    bool choose_file(const std::vector<MediaLine>& lines) {
        if (!path_.empty()) return true;
        GCharPtr dir(g_path_get_dirname(stem_.c_str()));
        if (auto free = short_of_space(dir.get())) {
            g_warning("not recording %s: %" G_GUINT64_FORMAT " MiB free in %s, less than --record-min-free-mib %"
                      G_GUINT64_FORMAT, stem_.c_str(), *free / kMiB, dir.get(), limits_.min_free_bytes / kMiB);
            ++media_metrics().recordings_refused_low_disk;
            return false;
        }
        bool h264 = std::any_of(lines.begin(), lines.end(), [](const MediaLine& l) { return l.encoding == "H264"; });
        auto claimed = claim_recording_path(stem_, h264 ? ".mkv" : ".webm");
        if (!claimed) {
            g_warning("not recording: %s", claimed.error().c_str());
            return false;
        }
        path_ = *claimed;
        return true;
    }

    // The free bytes at `where` when they are fewer than the limit.
    std::optional<std::uint64_t> short_of_space(const std::string& where) const {
        if (!limits_.min_free_bytes) return std::nullopt;
        auto free = free_bytes(where);
        if (free && *free < limits_.min_free_bytes) return free;
        return std::nullopt;
    }

    // mux ! filesink, a muxer pad per line we receive, and the checks.
    void build_file(GstBin* pipeline, const std::vector<MediaLine>& lines) {
        // Matroska for H.264; WebM (Matroska's subset) holds VP8 and Opus.
        bool webm = g_str_has_suffix(path_.c_str(), ".webm");
        mux_ = gst_element_factory_make(webm ? "webmmux" : "matroskamux", nullptr);
        GstElement* sink = gst_element_factory_make("filesink", nullptr);
        // Unbuffered: what the muxer wrote is in the file even if we are killed.
        g_object_set(sink, "location", path_.c_str(), "async", FALSE, "buffer-mode", 2, nullptr);
        gst_bin_add_many(pipeline, mux_, sink, nullptr);
        gst_element_link(mux_, sink);
        // Every track up front: Matroska writes its header once, and refuses
        // a track that shows up after that.
        for (const auto& line : lines)
            if (line.we_receive)
                mux_pads_[line.index] = adopt_ref(gst_element_request_pad_simple(
                    mux_, line.kind == "video" ? "video_%u" : "audio_%u"));
        GRef<GstPad> sink_pad = adopt_ref(gst_element_get_static_pad(sink, "sink"));
        gst_pad_add_probe(sink_pad.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event, this, nullptr);
        gst_pad_add_probe(sink_pad.get(), GST_PAD_PROBE_TYPE_BUFFER, on_first_bytes, this, nullptr);
        checks_ = attach_source(g_timeout_source_new_seconds(kCheckEveryS),
                                G_SOURCE_FUNC(+[](Recording* self) {
                                    self->check();
                                    return G_SOURCE_CONTINUE;
                                }),
                                this);
    }

    // queue ! depay ! (parse) ! mux. The queue decouples the file from the
    // call. Streaming thread, mutex_ held.
    void record_branch(GstBin* pipeline, const GRef<GstPad>& from, const MediaLine& line) {
        std::string parse = line.encoding == "H264" ? " ! h264parse"
                            : line.encoding == "OPUS" ? " ! opusparse" : "";
        std::string description = "queue ! " + depayloader_for(line.encoding) + parse;
        GError* raw = nullptr;
        GstElement* branch = gst_parse_bin_from_description(description.c_str(), TRUE, &raw);
        GErrorPtr error(raw);
        if (!branch) {
            g_warning("cannot record %s: %s", line.kind.c_str(), error->message);
            return;
        }
        add_running(pipeline, branch);
        GRef<GstPad> branch_sink = adopt_ref(gst_element_get_static_pad(branch, "sink"));
        GRef<GstPad> branch_src = adopt_ref(gst_element_get_static_pad(branch, "src"));
        auto mux_pad = mux_pads_.find(line.index);
        if (mux_pad == mux_pads_.end()) return;
        gst_pad_link(branch_src.get(), mux_pad->second.get());
        gst_pad_link(from.get(), branch_sink.get());
        if (line.kind == "video")  // start the file on a key frame
            gst_pad_push_event(branch_sink.get(),
                               gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
        branches_[line.index] = Branch{from, branch_sink.get()};
    }

    // Main thread, once a second while recording: the Duration so far, and
    // whether the disk still has room.
    void check() {
        gint64 since = first_bytes_us_.load();
        if (since) write_duration(path_, static_cast<double>(g_get_monotonic_time() - since) / 1000.0);
        GCharPtr dir(g_path_get_dirname(path_.c_str()));
        if (auto free = short_of_space(dir.get()))
            stop_early(media_metrics().recordings_stopped_low_disk,
                       "less than " + std::to_string(limits_.min_free_bytes / kMiB) +
                           " MiB free on the disk (--record-min-free-mib), " + std::to_string(*free / kMiB) + " MiB left");
    }

    // Main thread, from the file's first bytes on.
    void start_length_limit() {
        {
            std::lock_guard lock(mutex_);
            if (state_ != State::Recording) return;
        }
        guint ms = static_cast<guint>(std::min<std::uint64_t>(std::uint64_t{limits_.max_seconds} * 1000, G_MAXUINT));
        limit_ = attach_source(g_timeout_source_new(ms),
                               G_SOURCE_FUNC(+[](Recording* self) {
                                   self->stop_early(media_metrics().recordings_stopped_max_seconds,
                                                    "reached --record-max-seconds (" +
                                                        std::to_string(self->limits_.max_seconds) + " s)");
                                   return G_SOURCE_REMOVE;
                               }),
                               this);
    }

    // Main thread: the file is finalized now; the call goes on.
    void stop_early(std::atomic<std::uint64_t>& counter, const std::string& why) {
        std::map<unsigned, Branch> branches;
        {
            std::lock_guard lock(mutex_);
            if (state_ != State::Recording) return;
            state_ = State::Ending;
            branches = branches_;
        }
        ++counter;
        g_message("recording stopped: %s (%s)", why.c_str(), path_.c_str());
        if (tell_caller) tell_caller("recording stopped: " + why);
        end_tracks(branches);
    }

    // Main thread: EOS down each branch (cut from its tee first); a track
    // that never got media is ended at the muxer.
    void end_tracks(const std::map<unsigned, Branch>& branches) {
        checks_.reset();  // the muxer writes the final Duration
        limit_.reset();
        if (branches.empty()) {
            g_message("nothing was recorded: no media arrived (%s)", path_.c_str());
            return finalized();
        }
        for (auto& [index, mux_pad] : mux_pads_) {
            auto branch = branches.find(index);
            if (branch == branches.end()) {
                gst_pad_send_event(mux_pad.get(), gst_event_new_eos());
                continue;
            }
            gst_pad_add_probe(branch->second.tee_src.get(), GST_PAD_PROBE_TYPE_IDLE, cut_branch,
                              new GRef<GstPad>(GRef<GstPad>::ref(branch->second.input)),
                              [](gpointer input) { delete static_cast<GRef<GstPad>*>(input); });
        }
    }

    static GstPadProbeReturn on_first_bytes(GstPad*, GstPadProbeInfo*, gpointer data) {
        auto* self = static_cast<Recording*>(data);
        gint64 none = 0;
        self->first_bytes_us_.compare_exchange_strong(none, g_get_monotonic_time());
        if (self->limits_.max_seconds) self->on_main([](Recording& r) { r.start_length_limit(); });
        return GST_PAD_PROBE_REMOVE;
    }

    static GstPadProbeReturn on_sink_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
        if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS) return GST_PAD_PROBE_OK;
        // The sink is about to write the last bytes; the call may stop once it has.
        static_cast<Recording*>(data)->on_main([](Recording& r) { r.finalized(); });
        return GST_PAD_PROBE_OK;
    }

    // From a streaming thread (or the main one, in an event sent there):
    // `work` later on the main context, if this still lives.
    template <typename Work>
    void on_main(Work work) {
        // alive_ lives as long as this, and both die on the main context only.
        post_to_main(context_, std::weak_ptr<int>(alive_), [this, work](int&) { work(*this); });
    }

    // Main thread: the sink has the muxer's last bytes (or the muxer gave up).
    void finalized() {
        std::function<void()> done;
        {
            std::lock_guard lock(mutex_);
            if (state_ == State::Finalized) return;
            state_ = State::Finalized;
            done = std::move(done_);
            done_ = nullptr;
        }
        timeout_.reset();
        checks_.reset();
        limit_.reset();
        g_message("recording finalized: %s", path_.c_str());
        GStatBuf file;
        if (g_stat(path_.c_str(), &file) == 0) {
            ++media_metrics().recordings;
            media_metrics().recording_bytes += static_cast<std::uint64_t>(file.st_size);
        }
        if (done) done();  // may end the call, and this with it
    }

    std::unique_ptr<MediaBehaviour> inner_;
    std::string stem_, path_;
    RecordLimits limits_;
    GstElement* mux_ = nullptr;  // owned by the pipeline
    GMainContext* context_ = nullptr;
    GSourcePtr timeout_;
    GSourcePtr checks_;  // rewrites the file's Duration while it grows, watches the free space
    GSourcePtr limit_;   // --record-max-seconds
    std::atomic<gint64> first_bytes_us_{0};
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // expires with this
    std::mutex mutex_;  // branches are added on streaming threads
    State state_ = State::Off;
    std::map<unsigned, GRef<GstPad>> mux_pads_;  // by m-line; set up before streaming starts
    std::map<unsigned, Branch> branches_;        // by m-line
    std::function<void()> done_;
};

}  // namespace

std::unique_ptr<MediaBehaviour> make_recording(std::unique_ptr<MediaBehaviour> inner, std::string path_stem,
                                               RecordLimits limits) {
    return std::make_unique<Recording>(std::move(inner), std::move(path_stem), "", limits);
}

std::unique_ptr<MediaBehaviour> make_recording_to(std::unique_ptr<MediaBehaviour> inner, std::string path) {
    return std::make_unique<Recording>(std::move(inner), "", std::move(path), RecordLimits{});
}

std::string recording_stem(const std::string& dir, const std::string& caller) {
    GDateTime* now = g_date_time_new_now_utc();
    GCharPtr stamp(g_date_time_format(now, "%Y%m%dT%H%M%SZ"));
    g_date_time_unref(now);
    std::string safe;
    for (unsigned char c : caller) safe += (g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.') ? c : '_';
    return dir + "/" + stamp.get() + "-" + safe;
}

Result<std::string, std::string> claim_recording_path(const std::string& stem, const std::string& extension) {
    for (int n = 1; n <= kMaxSuffix; ++n) {
        std::string path = stem + (n == 1 ? "" : "-" + std::to_string(n)) + extension;
        int fd = g_open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            g_close(fd, nullptr);
            return path;
        }
        if (errno != EEXIST) return unexpected(path + ": " + g_strerror(errno));
    }
    return unexpected(stem + extension + ": " + std::to_string(kMaxSuffix) + " files of that name exist already");
}

std::optional<std::uint64_t> free_bytes(const std::string& path) {
    struct statvfs fs;
    if (statvfs(path.c_str(), &fs) != 0) return std::nullopt;
    return std::uint64_t{fs.f_bavail} * fs.f_frsize;
}

}  // namespace mp::media
