// The one trampoline guard: what a callback from C throws stops there, is
// logged (or handed to the caller's handler), and never unwinds into C.
#include "common/guarded.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

using mp::guarded;
using mp::run_guarded;

namespace {

// Collects the criticals of one log domain while it lives.
class CriticalsOf {
public:
    explicit CriticalsOf(const char* domain)
        : domain_(domain), handler_(g_log_set_handler(domain, G_LOG_LEVEL_CRITICAL, collect, &messages)) {}
    ~CriticalsOf() { g_log_remove_handler(domain_, handler_); }
    std::vector<std::string> messages;

private:
    static void collect(const gchar*, GLogLevelFlags, const gchar* message, gpointer into) {
        static_cast<std::vector<std::string>*>(into)->push_back(message);
    }
    const char* domain_;
    guint handler_;
};

}  // namespace

TEST(Guarded, ACallbackThatReturnsRunsOnceAndNothingIsHandled) {
    int runs = 0;
    std::vector<std::string> handled;
    EXPECT_TRUE(run_guarded([&] { ++runs; }, [&](const char* m) { handled.push_back(m); }));
    EXPECT_EQ(runs, 1);
    EXPECT_TRUE(handled.empty());
}

TEST(Guarded, AStdExceptionStopsThereAndItsMessageIsHandedOn) {
    std::vector<std::string> handled;
    EXPECT_FALSE(run_guarded([] { throw std::runtime_error("boom"); },
                             [&](const char* m) { handled.push_back(m); }));
    EXPECT_EQ(handled, (std::vector<std::string>{"boom"}));
}

TEST(Guarded, WhatIsNotAStdExceptionStopsThereToo) {
    std::vector<std::string> handled;
    EXPECT_FALSE(run_guarded([] { throw 42; }, [&](const char* m) { handled.push_back(m); }));
    EXPECT_EQ(handled, (std::vector<std::string>{"an exception that is not a std::exception"}));
}

TEST(Guarded, WhatTheHandlerThrowsGoesOnToTheCaller) {
    EXPECT_THROW(run_guarded([] { throw std::runtime_error("first"); },
                             [](const char*) { throw std::logic_error("second"); }),
                 std::logic_error);
}

TEST(Guarded, LogsACriticalNamingWhereInTheCallersDomain) {
    CriticalsOf criticals("mp-guarded-test");
    EXPECT_FALSE(guarded("mp-guarded-test", "http", [] { throw std::runtime_error("no such user"); }));
    EXPECT_TRUE(guarded("mp-guarded-test", "keepalive", [] {}));
    EXPECT_EQ(criticals.messages, (std::vector<std::string>{"http: no such user"}));
}
