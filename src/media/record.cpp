#include "media/record.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"
#include "common/main_hop.hpp"
#include "media/matroska_duration.hpp"
#include "media/media_metrics.hpp"
#include "media/rtp_elements.hpp"

#include <glib/gstdio.h>
#include <gst/video/video.h>

#include <atomic>
#include <map>
#include <mutex>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-record"

namespace mp::media {

namespace {

constexpr guint kFinishTimeoutMs = 3000;
constexpr guint kDurationUpdateS = 1;

class Recording final : public MediaBehaviour {
public:
    Recording(std::unique_ptr<MediaBehaviour> inner, std::string stem, std::string fixed_path)
        : inner_(std::move(inner)), stem_(std::move(stem)), path_(std::move(fixed_path)) {}

    std::string name() const override { return inner_->name() + " + record"; }

    void setup(GstBin* pipeline, GstElement* webrtc, const std::vector<MediaLine>& lines) override {
        bool h264 = false;
        for (const auto& line : lines) h264 = h264 || line.encoding == "H264";
        if (path_.empty()) path_ = stem_ + (h264 ? ".mkv" : ".webm");
        // Matroska for H.264; WebM (Matroska's subset) holds VP8 and Opus.
        bool webm = g_str_has_suffix(path_.c_str(), ".webm");
        mux_ = gst_element_factory_make(webm ? "webmmux" : "matroskamux", nullptr);
        sink_ = gst_element_factory_make("filesink", nullptr);
        // Unbuffered: what the muxer wrote is in the file even if we are killed.
        g_object_set(sink_, "location", path_.c_str(), "async", FALSE, "buffer-mode", 2, nullptr);
        gst_bin_add_many(pipeline, mux_, sink_, nullptr);
        gst_element_link(mux_, sink_);
        // Every track up front: Matroska writes its header once, and refuses
        // a track that shows up after that.
        for (const auto& line : lines)
            if (line.we_receive)
                mux_pads_[line.index] = adopt_ref(gst_element_request_pad_simple(
                    mux_, line.kind == "video" ? "video_%u" : "audio_%u"));
        GRef<GstPad> sink_pad = adopt_ref(gst_element_get_static_pad(sink_, "sink"));
        gst_pad_add_probe(sink_pad.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event, this,
                          nullptr);
        gst_pad_add_probe(sink_pad.get(), GST_PAD_PROBE_TYPE_BUFFER, on_first_bytes, this, nullptr);
        keep_duration_ = attach_source(g_timeout_source_new_seconds(kDurationUpdateS),
                                       G_SOURCE_FUNC(+[](Recording* self) {
                                           self->write_duration_so_far();
                                           return G_SOURCE_CONTINUE;
                                       }),
                                       this);
        context_ = g_main_context_ref_thread_default();
        g_main_context_unref(context_);  // the main context outlives every call
        inner_->end_call = end_call;
        std::vector<MediaLine> recorded = lines;
        for (auto& line : recorded) line.recorded = line.we_receive;
        inner_->setup(pipeline, webrtc, recorded);
        g_message("recording to %s", path_.c_str());
    }

    void on_incoming(GstBin* pipeline, GstPad* pad, const MediaLine& line) override {
        // The tee's branches are built before data can reach it: a tee with
        // nowhere to push fails the pipeline (not-linked).
        GstElement* tee = gst_element_factory_make("tee", nullptr);
        add_running(pipeline, tee);
        GRef<GstPad> to_inner = adopt_ref(gst_element_request_pad_simple(tee, "src_%u"));
        inner_->on_incoming(pipeline, to_inner.get(), line);
        GRef<GstPad> to_file = adopt_ref(gst_element_request_pad_simple(tee, "src_%u"));
        record_branch(pipeline, to_file.get(), line);
        GRef<GstPad> tee_sink = adopt_ref(gst_element_get_static_pad(tee, "sink"));
        gst_pad_link(pad, tee_sink.get());
    }

    void on_connected(GstBin* pipeline) override { inner_->on_connected(pipeline); }

    void finish(std::function<void()> done) override {
        keep_duration_.reset();  // the muxer writes the final one
        std::map<unsigned, GstPad*> inputs;
        {
            std::lock_guard lock(mutex_);
            inputs = branch_inputs_;
            done_ = std::move(done);
        }
        if (inputs.empty()) {
            g_message("nothing was recorded: no media arrived (%s)", path_.c_str());
            return finish_now();
        }
        // EOS down each branch; a track that never got media is ended at the muxer.
        for (auto& [index, mux_pad] : mux_pads_) {
            auto input = inputs.find(index);
            gst_pad_send_event(input != inputs.end() ? input->second : mux_pad.get(),
                               gst_event_new_eos());
        }
        timeout_ = attach_source(g_timeout_source_new(kFinishTimeoutMs),
                                 G_SOURCE_FUNC(+[](Recording* self) {
                                     g_warning("%s: the muxer did not finish in time", self->path_.c_str());
                                     self->finish_now();
                                     return G_SOURCE_REMOVE;
                                 }),
                                 this);
    }

private:
    // queue ! depay ! (parse) ! mux. The queue decouples the file from the call.
    void record_branch(GstBin* pipeline, GstPad* from, const MediaLine& line) {
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
        gst_pad_link(from, branch_sink.get());
        if (line.kind == "video")  // start the file on a key frame
            gst_pad_push_event(branch_sink.get(),
                               gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
        std::lock_guard lock(mutex_);
        branch_inputs_[line.index] = branch_sink.get();  // owned by the branch, in the pipeline
    }

    static GstPadProbeReturn on_first_bytes(GstPad*, GstPadProbeInfo*, gpointer data) {
        auto* self = static_cast<Recording*>(data);
        gint64 none = 0;
        self->first_bytes_us_.compare_exchange_strong(none, g_get_monotonic_time());
        return GST_PAD_PROBE_REMOVE;
    }

    void write_duration_so_far() {
        gint64 since = first_bytes_us_.load();
        if (since) write_duration(path_, static_cast<double>(g_get_monotonic_time() - since) / 1000.0);
    }

    static GstPadProbeReturn on_sink_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
        if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS) return GST_PAD_PROBE_OK;
        auto* self = static_cast<Recording*>(data);
        // The sink is about to write the last bytes; the call may stop once it has.
        run_on_main(self->context_, [self] { self->finish_now(); });
        return GST_PAD_PROBE_OK;
    }

    void finish_now() {
        timeout_.reset();
        std::function<void()> done;
        {
            std::lock_guard lock(mutex_);
            done = std::move(done_);
            done_ = nullptr;
        }
        if (!done) return;
        g_message("recording finalized: %s", path_.c_str());
        GStatBuf file;
        if (g_stat(path_.c_str(), &file) == 0) {
            ++media_metrics().recordings;
            media_metrics().recording_bytes += static_cast<std::uint64_t>(file.st_size);
        }
        done();
    }

    std::unique_ptr<MediaBehaviour> inner_;
    std::string stem_, path_;
    GstElement* mux_ = nullptr;   // owned by the pipeline
    GstElement* sink_ = nullptr;  // owned by the pipeline
    GMainContext* context_ = nullptr;
    GSourcePtr timeout_;
    GSourcePtr keep_duration_;  // rewrites the file's Duration while it grows
    std::atomic<gint64> first_bytes_us_{0};
    std::mutex mutex_;  // branches are added on streaming threads
    std::map<unsigned, GRef<GstPad>> mux_pads_;  // by m-line; set up before streaming starts
    std::map<unsigned, GstPad*> branch_inputs_;   // by m-line
    std::function<void()> done_;
};

}  // namespace

std::unique_ptr<MediaBehaviour> make_recording(std::unique_ptr<MediaBehaviour> inner,
                                               std::string path_stem) {
    return std::make_unique<Recording>(std::move(inner), std::move(path_stem), "");
}

std::unique_ptr<MediaBehaviour> make_recording_to(std::unique_ptr<MediaBehaviour> inner, std::string path) {
    return std::make_unique<Recording>(std::move(inner), "", std::move(path));
}

std::string recording_stem(const std::string& dir, const std::string& caller) {
    GDateTime* now = g_date_time_new_now_utc();
    GCharPtr stamp(g_date_time_format(now, "%Y%m%dT%H%M%SZ"));
    g_date_time_unref(now);
    std::string safe;
    for (unsigned char c : caller) safe += (g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.') ? c : '_';
    return dir + "/" + stamp.get() + "-" + safe;
}

}  // namespace mp::media
