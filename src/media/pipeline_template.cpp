#include "media/pipeline_template.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"
#include "common/quoted.hpp"

#include <gst/gst.h>

#include <array>
#include <cstdio>
#include <set>

namespace mp::media {

namespace {

constexpr const char* kPayPlaceholder = "{pay}";

std::string depayloader(const MediaLine& line) {
    if (line.encoding == "VP8") return "rtpvp8depay name=depay";
    if (line.encoding == "H264") return "rtph264depay name=depay";
    return "rtpopusdepay name=depay";
}

// H.264 goes through its parser wherever it is passed on: it reads profile
// and level from the SPS, which payloader and muxers need.
std::string parser(const MediaLine& line) {
    if (line.encoding == "H264") return "h264parse";
    if (line.encoding == "OPUS") return "opusparse";
    return "identity silent=true";
}

std::string encoder(const MediaLine& line) {
    if (line.encoding == "VP8") return "vp8enc deadline=1 cpu-used=8 target-bitrate=500000 keyframe-max-dist=60";
    if (line.encoding == "H264")
        return "x264enc tune=zerolatency speed-preset=ultrafast bitrate=500 key-int-max=60 ! "
               "capsfilter caps=video/x-h264,profile=constrained-baseline,stream-format=byte-stream";
    return "opusenc bitrate=32000 frame-size=20";
}

// Passed through when the file already has the negotiated codec; decoded
// and encoded again when it does not.
std::string converter(const MediaLine& line, const FileSource& file) {
    if (file.encoding_of(line.kind) == line.encoding) return parser(line);
    if (line.kind == "video") return "decodebin ! videoconvert ! videoscale ! " + encoder(line);
    return "decodebin ! audioconvert ! audioresample ! " + encoder(line);
}

Result<std::string, std::string> placeholder(const std::string& name, const MediaLine& line,
                                             const FileSource* file) {
    if (name == "depay") return depayloader(line);
    if (name == "pay") return payloader_description(line);
    if (name == "parse") return parser(line);
    if (name == "encoder") return encoder(line);
    if (name == "forward") return unexpected(std::string("{forward} stands alone: loop = {forward}"));
    if (name == "file" || name == "file-caps" || name == "convert") {
        if (!file) return unexpected(std::string("{" + name + "} needs a file to play (--play FILE)"));
        const auto& type = file->type_of(line.kind);
        if (name == "file") return backslash_quoted(file->path);
        if (!type) return unexpected(file->path + " has no " + line.kind + " stream");
        if (name == "file-caps") return "capsfilter caps=" + *type;
        return converter(line, *file);
    }
    return unexpected("unknown placeholder {" + name + "}");
}

bool is_placeholder_name(const std::string& name) {
    if (name.empty()) return false;
    for (char c : name)
        if (!g_ascii_islower(c) && c != '-') return false;
    return true;
}

std::string trim(std::string s) {
    while (!s.empty() && g_ascii_isspace(s.back())) s.pop_back();
    size_t start = 0;
    while (start < s.size() && g_ascii_isspace(s[start])) ++start;
    return s.substr(start);
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

namespace {

bool ghost(GstElement* bin, GstPadDirection direction, const char* name) {
    GRef<GstPad> open = adopt_ref(gst_bin_find_unlinked_pad(GST_BIN(bin), direction));
    return open && gst_element_add_pad(bin, gst_ghost_pad_new(name, open.get()));
}

}  // namespace

Result<GstElement*, std::string> parse_fragment(const std::string& description, bool input, bool output) {
    GErrorSlot error;
    GRef<GstElement> bin = GRef<GstElement>::ref(gst_parse_bin_from_description_full(
        description.c_str(), FALSE, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, error.out()));
    if (!bin) return unexpected(std::string(error.message()) + " (in: " + description + ")");
    if (output && !ghost(bin.get(), GST_PAD_SRC, "src"))
        return unexpected("it has no open output (in: " + description + ")");
    if (input && !ghost(bin.get(), GST_PAD_SINK, "sink"))
        return unexpected("it has no open input (in: " + description + ")");
    if (!output && GRef<GstPad>::adopt(gst_bin_find_unlinked_pad(GST_BIN(bin.get()), GST_PAD_SRC)))
        return unexpected("its output goes nowhere: end it in a sink (in: " + description + ")");
    g_object_ref(bin.get());  // the caller's reference, floating no more
    return bin.get();
}

std::string payloader_description(const MediaLine& line) {
    char ids[64];
    std::snprintf(ids, sizeof ids, " name=pay pt=%d ssrc=%u", line.payload_type, line.ssrc);
    if (line.encoding == "VP8") return std::string("rtpvp8pay") + ids + " picture-id-mode=15-bit";
    if (line.encoding == "H264")
        // SPS/PPS before every key frame: a receiver can start at any of them.
        return std::string("capsfilter caps=video/x-h264,stream-format=byte-stream,alignment=au ! rtph264pay") +
               ids + " config-interval=-1 aggregate-mode=zero-latency";
    return std::string("rtpopuspay") + ids;
}

Result<std::string, std::string> expand(const std::string& fragment, const MediaLine& line,
                                        const FileSource* file) {
    std::string out;
    size_t at = 0;
    while (at < fragment.size()) {
        size_t open = fragment.find('{', at);
        size_t close = open == std::string::npos ? open : fragment.find('}', open);
        if (close == std::string::npos) break;
        std::string name = fragment.substr(open + 1, close - open - 1);
        out += fragment.substr(at, open - at);
        if (is_placeholder_name(name)) {
            auto value = placeholder(name, line, file);
            if (!value) return unexpected(value.error());
            out += *value;
        } else {  // a caps list such as {I420, NV12}
            out += fragment.substr(open, close - open + 1);
        }
        at = close + 1;
    }
    return out + (at < fragment.size() ? fragment.substr(at) : "");
}

std::string send_source(const std::string& send) {
    std::string s = trim(send);
    s = trim(s.substr(0, s.size() - std::string(kPayPlaceholder).size()));
    if (!s.empty() && s.back() == '!') s.pop_back();
    return trim(s);
}

bool PipelineTemplate::sends() const {
    return !video.send.empty() || !video.loop.empty() || !audio.send.empty() || !audio.loop.empty();
}
bool PipelineTemplate::receives() const {
    return !video.receive.empty() || !video.loop.empty() || !audio.receive.empty() || !audio.loop.empty();
}
bool PipelineTemplate::uses_file() const {
    for (const auto* t : {&video, &audio})
        for (const auto* f : {&t->send, &t->receive, &t->loop})
            if (f->find("{file") != std::string::npos || f->find("{convert}") != std::string::npos)
                return true;
    return false;
}

namespace {

// Parses the expanded fragment the way a call will and checks its open ends.
Result<bool, std::string> check_fragment(const std::string& key, const std::string& fragment,
                                         const MediaLine& line, const FileSource* file) {
    std::string text = fragment;
    if (key == "send") {
        if (!ends_with(trim(fragment), kPayPlaceholder)) return unexpected(std::string("send must end with ! {pay}"));
        text = send_source(fragment);
    }
    auto expanded = expand(text, line, file);
    if (!expanded) return unexpected(expanded.error());
    auto parsed = parse_fragment(*expanded, key != "send", key != "receive");
    if (!parsed) return unexpected(parsed.error());
    adopt_ref(*parsed);  // checked, and gone
    return true;
}

std::string read_key(GKeyFile* keys, const char* group, const char* key) {
    GCharPtr value(g_key_file_get_value(keys, group, key, nullptr));
    return value ? trim(value.get()) : "";
}

Result<bool, std::string> read_group(GKeyFile* keys, const char* group, LineTemplate& line) {
    gsize count = 0;
    char** names = g_key_file_get_keys(keys, group, &count, nullptr);
    std::vector<std::string> key_names(names, names + count);
    g_strfreev(names);
    for (const auto& key : key_names)
        if (key != "send" && key != "receive" && key != "loop")
            return unexpected("[" + std::string(group) + "] unknown key " + key + " (send, receive, loop)");
    line.send = read_key(keys, group, "send");
    line.receive = read_key(keys, group, "receive");
    line.loop = read_key(keys, group, "loop");
    if (!line.loop.empty() && (!line.send.empty() || !line.receive.empty()))
        return unexpected("[" + std::string(group) + "] loop excludes send and receive");
    return true;
}

struct Sample {
    const char* kind;
    const char* encoding;
};
constexpr std::array<Sample, 3> kSamples{{{"video", "VP8"}, {"video", "H264"}, {"audio", "OPUS"}}};

Result<bool, std::string> check_all(const PipelineTemplate& t, const FileSource* file) {
    for (const auto& sample : kSamples) {
        MediaLine line;
        line.kind = sample.kind;
        line.encoding = sample.encoding;
        line.payload_type = 96;
        line.ssrc = 1;
        const LineTemplate& lt = t.of_kind(line.kind);
        const std::pair<const char*, const std::string*> parts[] = {
            {"send", &lt.send}, {"receive", &lt.receive}, {"loop", &lt.loop}};
        for (const auto& [key, fragment] : parts) {
            if (fragment->empty() || (fragment == &lt.loop && lt.forwards())) continue;
            // A file without this kind of stream just sends nothing on such lines.
            if (file && !file->type_of(line.kind) && fragment->find("{file") != std::string::npos) continue;
            auto checked = check_fragment(key, *fragment, line, file);
            if (!checked)
                return unexpected("[" + line.kind + "] " + key + " (" + sample.encoding + "): " + checked.error());
        }
    }
    return true;
}

std::string template_path(const std::string& name_or_path, const std::string& dir) {
    if (name_or_path.find('/') != std::string::npos || ends_with(name_or_path, ".pipeline"))
        return name_or_path;
    return dir + "/" + name_or_path + ".pipeline";
}

}  // namespace

Result<PipelineTemplate, std::string> load_template(const std::string& name_or_path,
                                                    const std::string& dir, const FileSource* file) {
    PipelineTemplate t;
    t.path = template_path(name_or_path, dir);
    GCharPtr base(g_path_get_basename(t.path.c_str()));
    t.name = base.get();
    if (ends_with(t.name, ".pipeline")) t.name.resize(t.name.size() - std::string(".pipeline").size());
    std::unique_ptr<GKeyFile, decltype(&g_key_file_free)> keys(g_key_file_new(), g_key_file_free);
    GErrorSlot error;
    if (!g_key_file_load_from_file(keys.get(), t.path.c_str(), G_KEY_FILE_NONE, error.out()))
        return unexpected(t.path + ": " + error.message());
    gsize count = 0;
    char** groups = g_key_file_get_groups(keys.get(), &count);
    std::vector<std::string> group_names(groups, groups + count);
    g_strfreev(groups);
    for (const auto& group : group_names) {
        if (group != "video" && group != "audio")
            return unexpected(t.path + ": unknown group [" + group + "] (video, audio)");
        auto read = read_group(keys.get(), group.c_str(), group == "video" ? t.video : t.audio);
        if (!read) return unexpected(t.path + ": " + read.error());
    }
    if (!t.sends() && !t.receives()) return unexpected(t.path + ": says nothing for [video] or [audio]");
    if (t.uses_file() && !file) return unexpected(t.path + " plays a file: give --play FILE");
    auto checked = check_all(t, file);
    if (!checked) return unexpected(t.path + ": " + checked.error());
    return t;
}

}  // namespace mp::media
