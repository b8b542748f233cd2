// The one hop to the main context: it always queues, and runs only while its
// object lives (the strong reference is taken there, on the main thread).
#include "common/main_hop.hpp"
#include "support/pump.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

using mp::post_to_main;
using mp::test::pump_until;

namespace {

struct Target {
    int runs = 0;
};

GMainContext* main_context() { return g_main_context_default(); }

}  // namespace

TEST(MainHop, PostedOnTheMainThreadRunsFromTheLoopNotInline) {
    auto target = std::make_shared<Target>();
    post_to_main(main_context(), std::weak_ptr<Target>(target), [](Target& t) { ++t.runs; });
    EXPECT_EQ(target->runs, 0);  // not within the caller's stack
    EXPECT_TRUE(pump_until([&] { return target->runs == 1; }));
}

// g_main_context_invoke runs the work at once, on the calling thread, when
// no thread owns the context (between iterations, or after the loop quit).
TEST(MainHop, PostedFromAnotherThreadWhileNobodyIteratesRunsOnTheMainThread) {
    auto target = std::make_shared<Target>();
    GThread* main_thread = g_thread_self();
    std::atomic<GThread*> ran_on{nullptr};
    std::thread streaming([&] {
        post_to_main(main_context(), std::weak_ptr<Target>(target), [&](Target&) { ran_on = g_thread_self(); });
    });
    streaming.join();
    EXPECT_EQ(ran_on.load(), nullptr);
    ASSERT_TRUE(pump_until([&] { return ran_on.load() != nullptr; }));
    EXPECT_EQ(ran_on.load(), main_thread);
}

TEST(MainHop, WorkForAnObjectGoneMeanwhileDoesNotRun) {
    auto target = std::make_shared<Target>();
    bool ran = false;
    post_to_main(main_context(), std::weak_ptr<Target>(target), [&](Target&) { ran = true; });
    target.reset();
    int ticks = 0;
    post_to_main(main_context(), std::weak_ptr<int>(std::make_shared<int>(0)), [](int&) {});
    pump_until([&] { return ++ticks > 20; }, 200);
    EXPECT_FALSE(ran);
}

// Call::Handle::post used to take its strong reference on the streaming
// thread: work posted from there kept the call alive past the main thread's
// last reference, and ran on a call already let go of.
TEST(MainHop, WorkPostedFromAStreamingThreadHoldsNoReference) {
    struct Watched {
        explicit Watched(std::atomic<GThread*>& gone_on) : gone_on(gone_on) {}
        ~Watched() { gone_on.store(g_thread_self()); }
        std::atomic<GThread*>& gone_on;
    };
    std::atomic<GThread*> gone_on{nullptr};
    auto target = std::make_shared<Watched>(gone_on);
    bool ran = false;
    std::thread streaming([&] {
        post_to_main(main_context(), std::weak_ptr<Watched>(target), [&](Watched&) { ran = true; });
    });
    streaming.join();
    target.reset();  // the main thread's last reference
    EXPECT_EQ(gone_on.load(), g_thread_self());
    int ticks = 0;
    pump_until([&] { return ++ticks > 20; }, 200);
    EXPECT_FALSE(ran);
}

// A C trampoline lets no exception through: what the work throws is logged
// and the loop goes on with the next work.
TEST(MainHop, WorkThatThrowsIsLoggedAndTheNextWorkStillRuns) {
    struct Captured {
        int criticals = 0;
        std::string message;
    } captured;
    guint handler = g_log_set_handler(
        "mediapeer", GLogLevelFlags(G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL),
        [](const gchar*, GLogLevelFlags, const gchar* message, gpointer data) {
            auto* c = static_cast<Captured*>(data);
            ++c->criticals;
            c->message = message;
        },
        &captured);
    auto target = std::make_shared<Target>();
    post_to_main(main_context(), std::weak_ptr<Target>(target), [](Target&) { throw std::runtime_error("boom"); });
    post_to_main(main_context(), std::weak_ptr<Target>(target), [](Target& t) { ++t.runs; });
    EXPECT_TRUE(pump_until([&] { return target->runs == 1; }));
    g_log_remove_handler("mediapeer", handler);
    EXPECT_EQ(captured.criticals, 1);
    EXPECT_NE(captured.message.find("boom"), std::string::npos) << captured.message;
}
