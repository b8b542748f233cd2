#include "peer/offer.hpp"

#include "common/gobj.hpp"

#include <cstring>
#include <memory>
#include <optional>

namespace mp::peer {

namespace {

struct Direction {
    bool sends = true;     // the offerer sends on this line
    bool receives = true;  // the offerer receives on this line
};

Direction offered_direction(const GstSDPMedia* media) {
    if (gst_sdp_media_get_attribute_val(media, "sendonly")) return {true, false};
    if (gst_sdp_media_get_attribute_val(media, "recvonly")) return {false, true};
    if (gst_sdp_media_get_attribute_val(media, "inactive")) return {false, false};
    return {};
}

bool supported_encoding(const std::string& kind, const std::string& encoding) {
    if (kind == "video") return encoding == "VP8" || encoding == "H264";
    return kind == "audio" && encoding == "OPUS";
}

// H.264 as rtph264pay and Chromium agree on it: packetization-mode 1 and the
// constrained baseline profile (profile-level-id 42xxxx, e.g. Chromium's
// 42e01f). GstSdp may have turned profile-level-id into a `profile` field.
bool usable_h264(const GstStructure* s) {
    const char* mode = gst_structure_get_string(s, "packetization-mode");
    if (!mode || std::strcmp(mode, "1") != 0) return false;
    const char* level_id = gst_structure_get_string(s, "profile-level-id");
    const char* profile = gst_structure_get_string(s, "profile");
    if (level_id) return g_str_has_prefix(level_id, "42");
    return profile && (g_str_equal(profile, "constrained-baseline") || g_str_equal(profile, "baseline"));
}

// The offer's caps of a payload, as webrtcbin and the payloaders want them.
CapsPtr as_rtp_caps(CapsPtr caps) {
    caps.reset(gst_caps_make_writable(caps.release()));
    GstStructure* s = gst_caps_get_structure(caps.get(), 0);
    gst_structure_set_name(s, "application/x-rtp");  // GstSdp says application/x-unknown
    gst_structure_remove_field(s, "profile");  // rtph264pay refuses Chromium's constrained baseline with it
    return caps;
}

struct Candidate {
    int pt;
    std::string encoding;
    CapsPtr caps;
};

// Every payload of the m-line we could use, in the offer's order.
std::vector<Candidate> usable_payloads(const GstSDPMedia* media, const std::string& kind,
                                       std::string& offered) {
    std::vector<Candidate> usable;
    for (guint i = 0; i < gst_sdp_media_formats_len(media); ++i) {
        int pt = std::atoi(gst_sdp_media_get_format(media, i));
        CapsPtr caps(gst_sdp_media_get_caps_from_media(media, pt));
        if (!caps) continue;
        const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
        const char* name = gst_structure_get_string(s, "encoding-name");
        if (!name) continue;
        std::string encoding = name;
        if (offered.find(" " + encoding) == std::string::npos) offered += " " + encoding;
        if (!supported_encoding(kind, encoding)) continue;
        if (encoding == "H264" && !usable_h264(s)) continue;
        caps = as_rtp_caps(std::move(caps));
        usable.push_back({pt, encoding, std::move(caps)});
    }
    return usable;
}

}  // namespace

Result<SdpMessagePtr, std::string> parse_sdp(const std::string& text) {
    GstSDPMessage* raw = nullptr;
    gst_sdp_message_new(&raw);
    SdpMessagePtr message(raw);
    if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(text.data()),
                                     static_cast<guint>(text.size()), message.get()) != GST_SDP_OK)
        return unexpected(std::string("SDP does not parse"));
    if (gst_sdp_message_medias_len(message.get()) == 0)
        return unexpected(std::string("SDP has no m= line"));
    return message;
}

namespace {

// Our side of a line: what we send and take, from what the offerer does on
// it and what the behaviour does with its kind.
void set_directions(media::MediaLine& line, Direction offered, const KindWishes& wishes) {
    line.we_receive = offered.sends && wishes.receive;
    line.we_send = offered.receives && (wishes.own_media || (wishes.echo && line.we_receive));
}

const char* direction_name(const media::MediaLine& line) {
    if (line.we_send && line.we_receive) return "sendrecv";
    if (line.we_send) return "sendonly";
    return line.we_receive ? "recvonly" : "inactive";
}

// The line we answer an audio or video m-line with; none when we cannot
// take part in it (no codec of ours, or the offerer rejected it).
std::optional<media::MediaLine> plan_line(const GstSDPMedia* media, unsigned index, const std::string& kind,
                                          const MediaWishes& wishes, std::string& offered) {
    auto payloads = usable_payloads(media, kind, offered);
    // Port 0 rejects a line, except a bundle-only one (it rides on the first).
    bool rejected = gst_sdp_media_get_port(media) == 0 && !gst_sdp_media_get_attribute_val(media, "bundle-only");
    if (payloads.empty() || rejected) return std::nullopt;
    auto chosen = payloads.begin();
    if (kind == "video" && wishes.prefer_h264)
        for (auto it = payloads.begin(); it != payloads.end(); ++it)
            if (it->encoding == "H264") {
                chosen = it;
                break;
            }
    media::MediaLine line;
    line.index = index;
    line.kind = kind;
    line.encoding = chosen->encoding;
    line.payload_type = chosen->pt;
    GCharPtr caps(gst_caps_to_string(chosen->caps.get()));
    line.rtp_caps = caps.get();
    set_directions(line, offered_direction(media), wishes.of_kind(kind));
    return line;
}

// Why we refuse the offer; empty when we answer it. `offer_sends`: some line
// we could take part in has the offerer sending; `offer_receives`: receiving.
std::string refusal(const OfferPlan& plan, bool offer_sends, bool offer_receives) {
    if (plan.lines.empty())
        return "no codec we support (VP8, H.264 constrained baseline, Opus) in the offer: " +
               (plan.offered.empty() ? std::string("no audio or video") : plan.offered);
    for (const auto& line : plan.lines)
        if (line.we_send || line.we_receive) return "";
    if (!offer_sends && offer_receives)
        return "the offer only receives media, and this peer has none of its own to send "
               "(it sends back what it receives)";
    if (offer_sends && !offer_receives) return "the offer only sends media, and this peer takes none (it only sends)";
    return "nothing would flow either way (" + plan.answered + ")";
}

}  // namespace

Result<OfferPlan, std::string> plan_answer(const GstSDPMessage* offer, const MediaWishes& wishes) {
    OfferPlan plan;
    bool offer_sends = false, offer_receives = false;
    for (guint index = 0; index < gst_sdp_message_medias_len(offer); ++index) {
        const GstSDPMedia* media = gst_sdp_message_get_media(offer, index);
        std::string kind = gst_sdp_media_get_media(media);
        if (kind == "application") plan.data_channel = true;
        if (kind != "video" && kind != "audio") continue;
        std::string offered;
        auto line = plan_line(media, index, kind, wishes, offered);
        plan.offered += (plan.offered.empty() ? "" : "; ") + kind + ":" + offered;
        if (!line) continue;
        offer_sends = offer_sends || offered_direction(media).sends;
        offer_receives = offer_receives || offered_direction(media).receives;
        plan.answered += (plan.answered.empty() ? "" : "; ") + kind + " " + line->encoding + " " + direction_name(*line);
        plan.lines.push_back(std::move(*line));
    }
    if (std::string why = refusal(plan, offer_sends, offer_receives); !why.empty()) return unexpected(why);
    return plan;
}

namespace {

// The m-lines of the offer's first BUNDLE group, by mid, tag first.
std::vector<GstSDPMedia*> bundled_lines(GstSDPMessage* offer) {
    const char* group = nullptr;
    for (guint i = 0; (group = gst_sdp_message_get_attribute_val_n(offer, "group", i)); ++i)
        if (g_str_has_prefix(group, "BUNDLE ")) break;
    std::vector<GstSDPMedia*> lines;
    if (!group) return lines;
    std::unique_ptr<gchar*, decltype(&g_strfreev)> mids(g_strsplit(group + 7, " ", -1), g_strfreev);
    for (gchar** mid = mids.get(); *mid; ++mid)
        for (guint i = 0; i < gst_sdp_message_medias_len(offer); ++i) {
            // GstSDP hands out const media only; the message is ours to change.
            auto* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(offer, i));
            const char* its_mid = gst_sdp_media_get_attribute_val(media, "mid");
            if (**mid && its_mid && std::strcmp(its_mid, *mid) == 0) lines.push_back(media);
        }
    return lines;
}

// Sets the media-level attribute `key` to `value`; true if it was different.
bool set_media_attribute(GstSDPMedia* media, const char* key, const char* value) {
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
        const GstSDPAttribute* attribute = gst_sdp_media_get_attribute(media, i);
        if (g_strcmp0(attribute->key, key) != 0) continue;
        if (g_strcmp0(attribute->value, value) == 0) return false;
        GstSDPAttribute replacement;
        gst_sdp_attribute_set(&replacement, key, value);
        gst_sdp_media_replace_attribute(media, i, &replacement);
        return true;
    }
    gst_sdp_media_add_attribute(media, key, value);
    return true;
}

}  // namespace

std::string unify_bundle_credentials(GstSDPMessage* offer) {
    auto lines = bundled_lines(offer);
    if (lines.size() < 2) return "";
    // Media-level credentials override the session's; lines without their own use those.
    const char* ufrag = gst_sdp_media_get_attribute_val(lines[0], "ice-ufrag");
    const char* pwd = gst_sdp_media_get_attribute_val(lines[0], "ice-pwd");
    if (!ufrag || !pwd) return "";
    std::string tag_ufrag = ufrag, tag_pwd = pwd;  // the tag's attributes may move as others change
    bool changed = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        if (!gst_sdp_media_get_attribute_val(lines[i], "ice-ufrag")) continue;
        changed = set_media_attribute(lines[i], "ice-ufrag", tag_ufrag.c_str()) || changed;
        changed = set_media_attribute(lines[i], "ice-pwd", tag_pwd.c_str()) || changed;
    }
    return changed ? gst_sdp_media_get_attribute_val(lines[0], "mid") : "";
}

namespace {

media::MediaLine sendrecv_line(unsigned index, const char* kind, const char* encoding, int pt,
                               const char* caps) {
    media::MediaLine line;
    line.index = index;
    line.kind = kind;
    line.encoding = encoding;
    line.payload_type = pt;
    line.rtp_caps = caps;
    line.we_send = line.we_receive = true;
    return line;
}

}  // namespace

std::vector<media::MediaLine> caller_lines(bool h264) {
    media::MediaLine video =
        h264 ? sendrecv_line(0, "video", "H264", 102,
                             "application/x-rtp,media=video,encoding-name=H264,payload=102,"
                             "clock-rate=90000,packetization-mode=(string)1,"
                             "profile-level-id=(string)42e01f")
             : sendrecv_line(0, "video", "VP8", 96,
                             "application/x-rtp,media=video,encoding-name=VP8,payload=96,"
                             "clock-rate=90000");
    media::MediaLine audio = sendrecv_line(1, "audio", "OPUS", 111,
                                           "application/x-rtp,media=audio,encoding-name=OPUS,"
                                           "payload=111,clock-rate=48000,encoding-params=(string)2");
    return {video, audio};
}

}  // namespace mp::peer
