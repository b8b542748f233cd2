// A fresh mediapeer-signal per test, with clients and /metrics at hand.
#pragma once

#include "support/pump.hpp"
#include "support/signal_process.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace mp::test {

using namespace mp::protocol;

class SignalServer : public testing::Test {
protected:
    void start(const std::vector<std::string>& args = {}) {
        std::string error;
        server_ = SignalProcess::start(args, &error);
        ASSERT_TRUE(server_) << error;
    }
    void SetUp() override { start(); }

    std::unique_ptr<WsClient> connect(const std::string& path = "/") {
        std::string error;
        auto client = WsClient::connect(session_, server_->ws_url(path), &error);
        EXPECT_TRUE(client) << error;
        return client;
    }
    std::unique_ptr<WsClient> user(const std::string& name) {
        auto client = connect();
        if (client) {
            EXPECT_TRUE(client->login(name)) << name << ": " << client->last_unexpected();
        }
        return client;
    }
    // alice (logged in) calls bob (logged in as "bob"), who receives the offer.
    static void call_bob(WsClient& alice, WsClient& bob) {
        alice.send(Offer{"bob", "{}"});
        auto offer = bob.next_as<Offer>();
        ASSERT_TRUE(offer) << bob.last_unexpected();
    }
    // A sample of /metrics, e.g. metric("mediapeer_signal_users") or with labels.
    long metric(const std::string& sample) {
        auto r = session_.get(server_->url() + "metrics");
        std::smatch m;
        std::regex line("(^|\n)" + std::regex_replace(sample, std::regex(R"([{}"])"), R"(\$&)") +
                         " (\\d+)");
        return std::regex_search(r.body, m, line) ? std::stol(m[2]) : -1;
    }
    // Waits for a /metrics sample to reach `value` (the server counts asynchronously).
    bool metric_reaches(const std::string& sample, long value) {
        return mp::test::pump_until([&] { return metric(sample) == value; });
    }

    TestSession session_;
    std::unique_ptr<SignalProcess> server_;
};

}  // namespace mp::test

#define ASSERT_FRAME(client, Type, var)                                           \
    auto var = (client)->next_as<Type>();                                          \
    ASSERT_TRUE(var) << #Type " expected, got " << (client)->last_unexpected()

