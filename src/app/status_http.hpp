// The server peer's HTTP status endpoint (--http ADDR:PORT): /healthz (200
// while logged in to signaling, 503 otherwise) and /metrics (Prometheus).
// Draining is 503 too, with a body that says so: a load balancer or
// orchestrator takes a member out of rotation on a failing check, and this
// one is on its way out; it stays up for its calls (and /metrics) meanwhile.
#pragma once

#include "common/gobj.hpp"
#include "common/result.hpp"
#include "peer/peer_metrics.hpp"

#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <string>

namespace mp::app {

class StatusHttp {
public:
    using Snapshot = std::function<peer::PeerSnapshot()>;

    // `listen`: ADDR:PORT (port 0 picks one).
    static Result<std::unique_ptr<StatusHttp>, std::string> start(const std::string& listen, Snapshot snapshot,
                                                                  std::shared_ptr<const peer::CallMetrics> calls) {
        auto http = std::unique_ptr<StatusHttp>(new StatusHttp(std::move(snapshot), std::move(calls)));
        http->server_ = adopt_ref(static_cast<SoupServer*>(g_object_new(SOUP_TYPE_SERVER, "server-header", "mediapeer ", nullptr)));
        soup_server_add_handler(http->server_.get(), "/", on_request, http.get(), nullptr);
        GErrorSlot error;
        GRef<GSocketAddress> address;
        auto colon = listen.rfind(':');
        if (colon != std::string::npos) {
            std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
            if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
            guint64 number = 0;
            if (g_ascii_string_to_unsigned(port.c_str(), 10, 0, 65535, &number, nullptr))
                address = adopt_ref(g_inet_socket_address_new_from_string(host.c_str(), static_cast<guint>(number)));
        }
        if (!address) return unexpected("--http " + listen + ": give ADDR:PORT (e.g. 127.0.0.1:9090)");
        if (!soup_server_listen(http->server_.get(), address.get(), SoupServerListenOptions{}, error.out()))
            return unexpected("--http " + listen + ": " + error.message());
        GSList* uris = soup_server_get_uris(http->server_.get());
        GCharPtr url(g_uri_to_string(static_cast<GUri*>(uris->data)));
        g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
        http->url_ = url.get();
        return http;
    }

    const std::string& url() const { return url_; }

private:
    StatusHttp(Snapshot snapshot, std::shared_ptr<const peer::CallMetrics> calls)
        : snapshot_(std::move(snapshot)), calls_(std::move(calls)) {}

    static void on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
        auto* self = static_cast<StatusHttp*>(data);
        std::string p = path;
        if (p == "/healthz") {
            auto now = self->snapshot_();
            if (now.draining)
                reply(msg, 503, "text/plain", "draining: " + std::to_string(now.active_calls) + " calls left\n");
            else
                reply(msg, now.logged_in ? 200 : 503, "text/plain", now.logged_in ? "ok\n" : "not logged in to signaling\n");
        } else if (p == "/metrics") {
            reply(msg, 200, "text/plain; version=0.0.4",
                  peer::render_peer_metrics(self->snapshot_(), *self->calls_, media::media_metrics()));
        } else {
            reply(msg, 404, "text/plain", "not found: /healthz and /metrics are here\n");
        }
    }

    static void reply(SoupServerMessage* msg, guint status, const char* type, const std::string& body) {
        soup_server_message_set_status(msg, status, nullptr);
        soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY, body.data(), body.size());
    }

    Snapshot snapshot_;
    std::shared_ptr<const peer::CallMetrics> calls_;
    GRef<SoupServer> server_;
    std::string url_;
};

}  // namespace mp::app
