#include "peer/webrtcbin_setup.hpp"

#include "common/gobj.hpp"
#include "common/gst_ptr.hpp"

#include <agent.h>
#include <gst/webrtc/webrtc.h>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "mediapeer-peer"

namespace mp::peer {

namespace {

GRef<GObject> nice_agent_of(GstElement* webrtc) {
    GRef<GObject> ice, agent;
    g_object_get(webrtc, "ice-agent", ice.out_ptr(), nullptr);
    if (ice) g_object_get(ice.get(), "agent", agent.out_ptr(), nullptr);
    return agent;
}

// libnice asks the LAN's router for a port mapping (UPnP IGD) for every
// call, and holds back the host candidates until it answers or 200 ms have
// passed. A server's address is its own (or a TURN relay's): no mapping to
// ask for, and every call's gathering, so a WHIP 201, came 200 ms late.
void without_upnp(GstElement* webrtc) {
    if (GRef<GObject> agent = nice_agent_of(webrtc)) g_object_set(agent.get(), "upnp", FALSE, nullptr);
}

void use_only_addresses(GstElement* webrtc, const std::vector<std::string>& addresses, const std::string& log_id) {
    GRef<GObject> agent = nice_agent_of(webrtc);
    for (const auto& address : addresses) {
        NiceAddress nice;
        nice_address_init(&nice);
        if (agent && nice_address_set_from_string(&nice, address.c_str()))
            nice_agent_add_local_address(NICE_AGENT(agent.get()), &nice);
        else
            g_warning("%s cannot use ICE address %s", log_id.c_str(), address.c_str());
    }
}

// Which counters a pad's RTP goes to; the probe holds the metrics.
struct RtpFlow {
    std::shared_ptr<CallMetrics> metrics;
    bool in;
};

GstPadProbeReturn count_packets(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* flow = static_cast<RtpFlow*>(data);
    auto& packets = flow->in ? flow->metrics->rtp_packets_in : flow->metrics->rtp_packets_out;
    auto& bytes = flow->in ? flow->metrics->rtp_bytes_in : flow->metrics->rtp_bytes_out;
    if (GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info); buffer && (info->type & GST_PAD_PROBE_TYPE_BUFFER)) {
        ++packets;
        bytes += gst_buffer_get_size(buffer);
    } else if (GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info)) {
        packets += gst_buffer_list_length(list);
        bytes += gst_buffer_list_calculate_size(list);
    }
    return GST_PAD_PROBE_OK;
}

void count_at(GstPad* pad, const std::shared_ptr<CallMetrics>& metrics, bool in) {
    gst_pad_add_probe(pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                      count_packets, new RtpFlow{metrics, in},
                      [](gpointer data) { delete static_cast<RtpFlow*>(data); });
}

}  // namespace

GstElement* make_webrtcbin(const CallOptions& options, const std::string& log_id) {
    GstElement* webrtc = gst_element_factory_make("webrtcbin", nullptr);
    if (!webrtc) {
        g_warning("%s webrtcbin is missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)", log_id.c_str());
        return nullptr;
    }
    g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 options.jitterbuffer_latency_ms, nullptr);
    if (options.relay_only)
        g_object_set(webrtc, "ice-transport-policy", GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, nullptr);
    if (!options.stun_server.empty()) g_object_set(webrtc, "stun-server", options.stun_server.c_str(), nullptr);
    for (const auto& turn : options.turn_servers) {
        gboolean added = FALSE;
        g_signal_emit_by_name(webrtc, "add-turn-server", turn.c_str(), &added);
    }
    without_upnp(webrtc);
    if (!options.ice_addresses.empty()) use_only_addresses(webrtc, options.ice_addresses, log_id);
    return webrtc;
}

void count_rtp(GstElement* webrtc, std::shared_ptr<CallMetrics> metrics) {
    GRef<GstElement> rtpbin = adopt_ref(gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin"));
    if (!rtpbin || !metrics) return;
    auto* held = new std::shared_ptr<CallMetrics>(std::move(metrics));
    g_signal_connect_data(
        rtpbin.get(), "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, std::shared_ptr<CallMetrics>* m) {
            if (g_str_has_prefix(GST_PAD_NAME(pad), "recv_rtp_sink_")) count_at(pad, *m, true);
            if (g_str_has_prefix(GST_PAD_NAME(pad), "send_rtp_src_")) count_at(pad, *m, false);
        }),
        held, [](gpointer data, GClosure*) { delete static_cast<std::shared_ptr<CallMetrics>*>(data); },
        GConnectFlags{});
}

void accept_new_sources_at_once(GstElement* element) {
    if (made_by(element, "rtpsession")) g_object_set(element, "probation", 0u, nullptr);
}

}  // namespace mp::peer
