// HTTP requests of any method for integration tests, sent without waiting:
// a WHIP POST is answered only once the callee (the test, too) has answered.
#pragma once

#include "support/ws_client.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mp::test {

struct HttpResponse {
    guint status = 0;  // 0: no response (see error)
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
    std::string error;

    // The first value of header `name` (any case), or "".
    std::string header(const std::string& name) const;
    // Every value of header `name`, in order.
    std::vector<std::string> all(const std::string& name) const;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::string body;
    std::string content_type;  // empty: no body
    TestSession::Headers headers;
};

class HttpExchange {
public:
    // Sent at once; the response arrives while the test pumps the main context.
    static std::unique_ptr<HttpExchange> send(const TestSession& session, const HttpRequest& request);
    bool done() const;
    // Pumps until the response (or `timeout_ms`); the response, or error "timed out".
    HttpResponse wait(int timeout_ms = 5000);
    // Drops the request: the connection closes as a client that gave up.
    void cancel();

    struct State;

private:
    std::shared_ptr<State> state_;
};

// Sends and waits.
HttpResponse http(const TestSession& session, const HttpRequest& request, int timeout_ms = 5000);

}  // namespace mp::test
