#include "media/templated.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"
#include "common/main_hop.hpp"
#include "media/media_metrics.hpp"
#include "media/rtp_elements.hpp"
#include "media/rtp_forward.hpp"

#include <gst/video/video.h>

#include <map>
#include <mutex>
#include <set>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-media"

namespace mp::media {

namespace {

GRef<GstElement> parse_bin(const std::string& description, bool input, bool output, std::string& error_out) {
    auto bin = parse_fragment(description, input, output);
    if (!bin) error_out = bin.error();
    return bin ? adopt_ref(*bin) : nullptr;
}

GRef<GstPad> pad_of(GstElement* element, const char* name) {
    return adopt_ref(gst_element_get_static_pad(element, name));
}

GRef<GstElement> child(GstElement* bin, const char* name) {
    return adopt_ref(gst_bin_get_by_name(GST_BIN(bin), name));
}

// The caller's PLI/FIR reaches our payloader as a key-unit request about the
// stream we send (our SSRC). When what we send is what the caller sends, only
// the caller's encoder can make a key frame: the request is dropped there
// and a fresh one goes upstream from the depayloader, where webrtcbin turns
// it into a PLI to the caller.
GstPadProbeReturn forward_key_unit_request(GstPad*, GstPadProbeInfo* info, gpointer depay) {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    if (!gst_video_event_is_force_key_unit(event)) return GST_PAD_PROBE_OK;
    GRef<GstPad> sink = pad_of(GST_ELEMENT(depay), "sink");
    gst_pad_push_event(sink.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    return GST_PAD_PROBE_DROP;
}

// Key-frame requests from the other side reach our payloader as upstream
// force-key-unit events.
void count_key_frame_requests(GstElement* pay) {
    GRef<GstPad> src = pad_of(pay, "src");
    gst_pad_add_probe(
        src.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer) {
            if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) ++media_metrics().key_frame_requests;
            return GST_PAD_PROBE_OK;
        },
        nullptr, nullptr);
}

GstPadProbeReturn count_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
    static_cast<FlowCount*>(data)->add(GST_PAD_PROBE_INFO_BUFFER(info));
    return GST_PAD_PROBE_OK;
}

void count_at(GstElement* bin, const char* element, const char* pad, FlowCount* counter) {
    if (!counter) return;
    GRef<GstElement> found = child(bin, element);
    if (!found) return;
    GRef<GstPad> at = pad_of(found.get(), pad);
    gst_pad_add_probe(at.get(), GST_PAD_PROBE_TYPE_BUFFER, count_buffer, counter, nullptr);
}

// A live source stamps buffers with the pipeline's running time already; a
// file starts at zero and is shifted to now.
bool has_live_source(GstElement* bin) {
    bool live = false;
    for_each_element(GST_BIN(bin), [&live](GstElement* element) {
        gboolean is_live = FALSE;
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), "is-live")) {
            g_object_get(element, "is-live", &is_live, nullptr);
            live = live || is_live;
        }
    });
    return live;
}

GstClockTime running_time_now(GstElement* pipeline) {
    GRef<GstClock> clock = adopt_ref(gst_element_get_clock(pipeline));
    if (!clock) return 0;
    GstClockTime now = gst_clock_get_time(clock.get()), base = gst_element_get_base_time(pipeline);
    return now > base ? now - base : 0;
}

// What one media line of the call has in the pipeline (owned by it).
struct LineMedia {
    MediaLine line;
    GstElement* loop = nullptr;    // a loop fragment: input from webrtcbin, output to it
    GstElement* tail = nullptr;    // clocksync ! payloader, for a send fragment
    GstElement* source = nullptr;  // the send fragment's source, from connection on
    bool ended = false;            // the source is over for good
    bool forwarded = false;        // loop = {forward}: RtpForward sends it back
};

class Templated final : public MediaBehaviour {
public:
    explicit Templated(TemplateSettings settings) : settings_(std::move(settings)) {}
    std::string name() const override { return settings_.pipeline->name; }
    void share_incoming(const std::vector<unsigned>& mline_indices) override {
        shared_incoming_.insert(mline_indices.begin(), mline_indices.end());
    }

    void setup(GstBin* pipeline, GstElement* webrtc, const std::vector<MediaLine>& lines) override {
        pipeline_ = GRef<GstBin>::ref(pipeline);
        context_ = g_main_context_ref_thread_default();
        g_main_context_unref(context_);  // the main context outlives every call
        std::vector<ForwardedLine> forwarded;
        for (const auto& line : lines) {
            LineMedia media{line};
            const LineTemplate& t = settings_.pipeline->of_kind(line.kind);
            GRef<GstPad> webrtc_sink = pad_of(webrtc, ("sink_" + std::to_string(line.index)).c_str());
            media.forwarded = line.we_send && line.we_receive && t.forwards();
            if (media.forwarded)
                forwarded.push_back({line, shared_incoming_.count(line.index) > 0, sent_counter(line), received_counter(line)});
            else if (line.we_send && line.we_receive && !t.loop.empty())
                media.loop = build_loop(t.loop, line, webrtc_sink.get());
            else if (line.we_send && !t.send.empty() && can_send(t.send, line))
                media.tail = build_tail(line, webrtc_sink.get());
            std::lock_guard lock(mutex_);
            lines_[line.index] = media;
        }
        if (!forwarded.empty()) forward_ = RtpForward::attach(webrtc, std::move(forwarded));
    }

    void on_incoming(GstBin* pipeline, GstPad* pad, const MediaLine& line) override {
        GstElement* loop = nullptr;
        bool forwarded = false;
        {
            std::lock_guard lock(mutex_);
            if (auto it = lines_.find(line.index); it != lines_.end()) {
                loop = it->second.loop;
                forwarded = it->second.forwarded;
            }
        }
        // A forwarded line's packets were sent back already; what still
        // comes out of webrtcbin here is only for a recording beside us.
        GstElement* input = loop ? loop : forwarded ? build_sink(pipeline) : build_receive(pipeline, line);
        if (!input) return;
        GRef<GstPad> sink = pad_of(input, "sink");
        gst_pad_link(pad, sink.get());
    }

    void on_connected(GstBin*) override {
        std::vector<unsigned> to_start;
        {
            std::lock_guard lock(mutex_);
            for (auto& [index, media] : lines_)
                if (media.tail && !media.source) to_start.push_back(index);
        }
        for (unsigned index : to_start) start_source(index);
    }

private:
    FlowCount* sent_counter(const MediaLine& line) const {
        if (!settings_.counts) return nullptr;
        return line.kind == "video" ? &settings_.counts->video_sent : &settings_.counts->audio_sent;
    }
    FlowCount* received_counter(const MediaLine& line) const {
        if (!settings_.counts) return nullptr;
        return line.kind == "video" ? &settings_.counts->video_received : &settings_.counts->audio_received;
    }

    // A played file may lack this kind of stream: that line stays silent.
    bool can_send(const std::string& send, const MediaLine& line) const {
        if (send.find("{file") == std::string::npos || !settings_.file || settings_.file->type_of(line.kind))
            return true;
        g_message("%s has no %s stream: nothing is sent on m-line %u", settings_.file->path.c_str(),
                  line.kind.c_str(), line.index);
        return false;
    }

    // Any thread: the fragment for `line` as a bin with the open ends asked
    // for; null (with a warning naming `part`) when it cannot be built.
    GRef<GstElement> build_fragment(const std::string& fragment, const MediaLine& line, bool input, bool output,
                                    const char* part) const {
        auto text = expand(fragment, line, settings_.file.get());
        std::string error = text ? "" : text.error();
        GRef<GstElement> bin = text ? parse_bin(*text, input, output, error) : nullptr;
        if (!bin)
            g_warning("%s: [%s] %s cannot be built: %s", settings_.pipeline->path.c_str(), line.kind.c_str(), part,
                      error.c_str());
        return bin;
    }

    // Main thread, before the pipeline runs.
    GstElement* add_fragment(const std::string& fragment, const MediaLine& line, const char* part) {
        GRef<GstElement> bin = build_fragment(fragment, line, true, true, part);
        if (!bin) return nullptr;
        gst_bin_add(pipeline_.get(), bin.get());
        return bin.get();
    }

    GstElement* build_loop(const std::string& fragment, const MediaLine& line, GstPad* webrtc_sink) {
        GstElement* bin = add_fragment(fragment, line, "loop");
        if (!bin) return nullptr;
        link_to_pad(bin, webrtc_sink);
        GRef<GstElement> pay = child(bin, "pay"), depay = child(bin, "depay");
        if (pay) count_key_frame_requests(pay.get());
        if (line.kind == "video" && pay && depay) {
            GRef<GstPad> pay_src = pad_of(pay.get(), "src");
            gst_pad_add_probe(pay_src.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, forward_key_unit_request,
                              depay.get(), nullptr);
        }
        count_at(bin, "pay", "sink", sent_counter(line));
        count_at(bin, "depay", "src", received_counter(line));
        return bin;
    }

    // The payloader stays for the whole call, whatever source feeds it: its
    // sequence numbers and timestamps go on when a file starts again. The
    // clocksync paces a file to real time.
    GstElement* build_tail(const MediaLine& line, GstPad* webrtc_sink) {
        GstElement* tail = add_fragment("clocksync ! " + payloader_description(line), line, "payloader");
        if (!tail) return nullptr;
        link_to_pad(tail, webrtc_sink);
        count_at(tail, "pay", "sink", sent_counter(line));
        if (GRef<GstElement> pay = child(tail, "pay")) count_key_frame_requests(pay.get());
        return tail;
    }

    // Streaming thread.
    GstElement* build_receive(GstBin* pipeline, const MediaLine& line) {
        const LineTemplate& t = settings_.pipeline->of_kind(line.kind);
        GRef<GstElement> bin = build_fragment(t.receive.empty() ? kDefaultReceive : t.receive, line, true, false, "receive");
        if (!bin) return nullptr;
        count_at(bin.get(), "depay", "src", received_counter(line));
        add_running(pipeline, bin.get());
        return bin.get();
    }

    // Streaming thread.
    static GstElement* build_sink(GstBin* pipeline) {
        GstElement* sink = gst_element_factory_make("fakesink", nullptr);
        g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
        add_running(pipeline, sink);
        return sink;
    }

    // Main thread: the send fragment's source, feeding the line's tail.
    void start_source(unsigned index) {
        MediaLine line;
        GstElement* tail = nullptr;
        {
            std::lock_guard lock(mutex_);
            line = lines_[index].line;
            tail = lines_[index].tail;
        }
        const LineTemplate& t = settings_.pipeline->of_kind(line.kind);
        GRef<GstElement> bin = build_fragment(send_source(t.send), line, false, true, "send");
        if (!bin) return;
        GRef<GstPad> out = pad_of(bin.get(), "src"), into = pad_of(tail, "sink");
        gst_bin_add(pipeline_.get(), bin.get());
        gst_pad_link(out.get(), into.get());
        if (!has_live_source(bin.get())) gst_pad_set_offset(out.get(), running_time_now(GST_ELEMENT(pipeline_.get())));
        gst_pad_add_probe(out.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_source_event,
                          new SourceOf{this, alive_, index},
                          [](gpointer data) { delete static_cast<SourceOf*>(data); });
        {
            std::lock_guard lock(mutex_);
            lines_[index].source = bin.get();
        }
        gst_element_sync_state_with_parent(bin.get());
    }

    // The source's end stays out of webrtcbin; the main thread decides.
    // Which source a probe watches; `alive` tells the main thread whether
    // the behaviour still exists when the hop arrives (both live there).
    struct SourceOf {
        Templated* self;
        std::weak_ptr<int> alive;
        unsigned index;
    };
    static GstPadProbeReturn on_source_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
        if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS) return GST_PAD_PROBE_OK;
        auto where = *static_cast<SourceOf*>(data);
        // `alive` lives as long as the behaviour, both on the main context.
        post_to_main(where.self->context_, where.alive,
                     [self = where.self, index = where.index](int&) { self->on_source_ended(index); });
        return GST_PAD_PROBE_DROP;
    }

    void on_source_ended(unsigned index) {
        // The hop may arrive after the call stopped its pipeline: nothing to do then.
        if (GST_STATE_TARGET(pipeline_.get()) != GST_STATE_PLAYING) return;
        if (settings_.loop) return restart_source(index);
        bool all_ended = true;
        {
            std::lock_guard lock(mutex_);
            lines_[index].ended = true;
            for (auto& [i, media] : lines_) all_ended = all_ended && (!media.tail || media.ended);
        }
        if (all_ended && end_call) end_call(kFileEnded);
    }

    void restart_source(unsigned index) {
        GstElement* old = nullptr;
        {
            std::lock_guard lock(mutex_);
            old = std::exchange(lines_[index].source, nullptr);
        }
        if (old) {
            gst_element_set_locked_state(old, TRUE);
            gst_element_set_state(old, GST_STATE_NULL);
            gst_bin_remove(pipeline_.get(), old);
        }
        g_debug("m-line %u: the source ended; starting it again", index);
        start_source(index);
    }

    TemplateSettings settings_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
    // The call's; held, because a hop from a streaming thread may arrive after
    // the call let go of it.
    GRef<GstBin> pipeline_;
    GMainContext* context_ = nullptr;
    std::mutex mutex_;  // lines_ is read on streaming threads
    std::map<unsigned, LineMedia> lines_;  // by m-line index
    std::unique_ptr<RtpForward> forward_;   // lines with loop = {forward}
    std::set<unsigned> shared_incoming_;    // m-lines a behaviour around us takes too
};

}  // namespace

std::unique_ptr<MediaBehaviour> make_templated(TemplateSettings settings) {
    return std::make_unique<Templated>(std::move(settings));
}

}  // namespace mp::media
