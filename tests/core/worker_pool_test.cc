#include "core/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;

// Jobs run off the reactor thread and their values come back to the reactor's thread.
TEST(WorkerPool, RunsJobsOnWorkersAndResumesOnTheReactor) {
  WorkerPool pool(WorkerPoolOptions{.threads = 2, .max_queued = 64});
  run_reactor([&pool](Reactor& r) -> Task<void> {
    std::thread::id reactor_thread = std::this_thread::get_id();
    for (int i = 0; i < 50; ++i) {
      auto job = [i] { return std::make_pair(i * i, std::this_thread::get_id()); };
      auto got = co_await pool.run(r, job);
      EXPECT_TRUE(got.has_value());
      if (!got) continue;
      EXPECT_EQ(got->first, i * i);
      EXPECT_NE(got->second, reactor_thread);
      EXPECT_EQ(std::this_thread::get_id(), reactor_thread);
      EXPECT_EQ(Reactor::current(), &r);
    }
  });
}

// Many callers at once: every one resumed exactly once with its own value.
TEST(WorkerPool, ConcurrentCallersAllComeBack) {
  WorkerPool pool(WorkerPoolOptions{.threads = 2, .max_queued = 1000});
  run_reactor([&pool](Reactor& r) -> Task<void> {
    int done = 0;
    int wrong = 0;
    TaskGroup group;
    for (int i = 0; i < 200; ++i) {
      spawn(
          [](WorkerPool& p, Reactor& re, int n, int& d, int& w) -> Task<void> {
            auto job = [n] {
              std::this_thread::sleep_for(50us);
              return n + 1;
            };
            auto v = co_await p.run(re, job);
            if (!v || *v != n + 1) ++w;
            ++d;
          }(pool, r, i, done, wrong),
          &group);
    }
    co_await group.wait();
    EXPECT_EQ(done, 200);
    EXPECT_EQ(wrong, 0);
  });
}

// A full queue refuses at once, without running the job.
TEST(WorkerPool, FullQueueRefuses) {
  WorkerPool pool(WorkerPoolOptions{.threads = 1, .max_queued = 1});
  std::atomic<bool> release{false};
  run_reactor([&pool, &release](Reactor& r) -> Task<void> {
    TaskGroup group;
    int finished = 0;
    // One job blocks the only thread, one fills the queue.
    for (int i = 0; i < 2; ++i) {
      spawn(
          [](WorkerPool& p, Reactor& re, std::atomic<bool>& rel, int& f) -> Task<void> {
            auto job = [&rel] {
              while (!rel.load()) std::this_thread::sleep_for(1ms);
              return 1;
            };
            auto v = co_await p.run(re, job);
            if (v) ++f;
          }(pool, r, release, finished),
          &group);
      co_await SleepUntil(r, deadline_after(20ms));  // the first one leaves the queue
    }
    std::atomic<bool> ran{false};
    auto never = [&ran] {
      ran = true;
      return 2;
    };
    auto refused = co_await pool.run(r, never);
    EXPECT_FALSE(refused.has_value());
    release = true;
    co_await group.wait();
    EXPECT_EQ(finished, 2);
    EXPECT_FALSE(ran.load());
  });
}

}  // namespace
}  // namespace sluice
