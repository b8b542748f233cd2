#include "support/http_exchange.hpp"

#include "support/pump.hpp"

namespace mp::test {

struct HttpExchange::State {
    GRef<SoupMessage> message;
    GRef<GCancellable> cancellable = adopt_ref(g_cancellable_new());
    bool done = false;
    GBytesPtr body;
    GErrorPtr error;
};

std::string HttpResponse::header(const std::string& name) const {
    for (const auto& [key, value] : headers)
        if (g_ascii_strcasecmp(key.c_str(), name.c_str()) == 0) return value;
    return "";
}

std::vector<std::string> HttpResponse::all(const std::string& name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : headers)
        if (g_ascii_strcasecmp(key.c_str(), name.c_str()) == 0) values.push_back(value);
    return values;
}

std::unique_ptr<HttpExchange> HttpExchange::send(const TestSession& session, const HttpRequest& request) {
    auto exchange = std::unique_ptr<HttpExchange>(new HttpExchange);
    auto state = exchange->state_ = std::make_shared<State>();
    state->message = adopt_ref(session.new_message(request.method.c_str(), request.url));
    SoupMessageHeaders* headers = soup_message_get_request_headers(state->message.get());
    for (const auto& [name, value] : request.headers) soup_message_headers_append(headers, name.c_str(), value.c_str());
    if (!request.content_type.empty()) {
        GBytesPtr body(g_bytes_new(request.body.data(), request.body.size()));
        soup_message_set_request_body_from_bytes(state->message.get(), request.content_type.c_str(), body.get());
    }
    soup_session_send_and_read_async(
        session.get(), state->message.get(), G_PRIORITY_DEFAULT, state->cancellable.get(),
        [](GObject* source, GAsyncResult* result, gpointer data) {
            auto s = take<State>(data);
            GError* error = nullptr;
            s->body.reset(soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error));
            s->error.reset(error);
            s->done = true;
        },
        hold(state));
    return exchange;
}

bool HttpExchange::done() const { return state_->done; }

void HttpExchange::cancel() { g_cancellable_cancel(state_->cancellable.get()); }

HttpResponse HttpExchange::wait(int timeout_ms) {
    HttpResponse r;
    if (!pump_until([&] { return state_->done; }, timeout_ms)) {
        r.error = "timed out";
        return r;
    }
    if (state_->error) {
        r.error = state_->error->message;
        return r;
    }
    r.status = soup_message_get_status(state_->message.get());
    gsize size = 0;
    const char* data = state_->body ? static_cast<const char*>(g_bytes_get_data(state_->body.get(), &size)) : nullptr;
    r.body.assign(data ? data : "", size);
    SoupMessageHeadersIter iter;
    soup_message_headers_iter_init(&iter, soup_message_get_response_headers(state_->message.get()));
    const char *name = nullptr, *value = nullptr;
    while (soup_message_headers_iter_next(&iter, &name, &value)) r.headers.emplace_back(name, value);
    return r;
}

HttpResponse http(const TestSession& session, const HttpRequest& request, int timeout_ms) {
    return HttpExchange::send(session, request)->wait(timeout_ms);
}

}  // namespace mp::test
