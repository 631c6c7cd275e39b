#include "core/slot_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>

#include "core/cross_core.h"
#include "core/reactor_pool.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;

TEST(SlotPool, LocalSlotsThenRefusalThenReuse) {
  run_reactor([](Reactor& r) -> Task<void> {
    SlotPool pool(r, SlotPoolOptions{.slots = 2, .max_waiters = 4, .max_wait = Duration::zero(), .borrow = true});
    pool.set_peers({&pool});
    auto a = co_await pool.acquire();
    auto b = co_await pool.acquire();
    EXPECT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(pool.in_use(), 2u);
    auto c = co_await pool.acquire();
    EXPECT_FALSE(c.ok());
    if (!c.ok()) {
      EXPECT_EQ(c.error().code, Errc::unavailable);
    }
    a->release();
    EXPECT_EQ(pool.in_use(), 1u);
    auto d = co_await pool.acquire();
    EXPECT_TRUE(d.ok());
    EXPECT_EQ(pool.stats().refused, 1u);
  });
}

TEST(SlotPool, WaiterGetsTheNextFreedSlotOrTimesOut) {
  run_reactor([](Reactor& r) -> Task<void> {
    SlotPool pool(r, SlotPoolOptions{.slots = 1, .max_waiters = 4, .max_wait = 200ms, .borrow = false});
    pool.set_peers({&pool});
    auto held = co_await pool.acquire();
    EXPECT_TRUE(held.ok());
    std::optional<Result<SlotPool::Slot>> waited;
    spawn([](SlotPool& p, std::optional<Result<SlotPool::Slot>>& out) -> Task<void> {
      out.emplace(co_await p.acquire());
    }(pool, waited));
    co_await SleepUntil(r, deadline_after(20ms));
    EXPECT_FALSE(waited.has_value());
    EXPECT_EQ(pool.waiting(), 1u);
    held->release();  // handed straight to the waiter
    co_await SleepUntil(r, deadline_after(5ms));
    EXPECT_TRUE(waited.has_value() && waited->ok());
    EXPECT_EQ(pool.in_use(), 1u);
    auto start = Clock::now();
    auto timed_out = co_await pool.acquire();
    EXPECT_FALSE(timed_out.ok());
    EXPECT_GE(Clock::now() - start, 190ms);
    waited.reset();
    EXPECT_EQ(pool.in_use(), 0u);
  });
}

TEST(SlotPool, BorrowsFromAnotherCoreAndReturnsIt) {
  ReactorPool reactors(2, ReactorOptions{});
  std::vector<std::unique_ptr<SlotPool>> pools(2);
  std::atomic<int> ready{0};
  std::atomic<bool> ok{false};
  std::atomic<unsigned> lender_in_use_after{99};
  auto st = reactors.start([&](Reactor& r) {
    pools[r.core()] = std::make_unique<SlotPool>(r, SlotPoolOptions{.slots = 1, .max_waiters = 1, .max_wait = Duration::zero(), .borrow = true});
    if (++ready == 2) {
      // Both pools exist now; core 1 may start (it runs this after its own pool is made).
    }
    if (r.core() != 0) return;
    spawn([](Reactor& re, std::vector<std::unique_ptr<SlotPool>>& ps, std::atomic<int>& rd, std::atomic<bool>& result,
             std::atomic<unsigned>& after) -> Task<void> {
      while (rd.load() < 2) co_await SleepUntil(re, deadline_after(1ms));
      ps[0]->set_peers({ps[0].get(), ps[1].get()});
      SlotPool* lender = ps[1].get();
      co_await submit_to(re, 1, [&ps] { ps[1]->set_peers({ps[0].get(), ps[1].get()}); return true; });
      auto first = co_await ps[0]->acquire();   // local
      auto second = co_await ps[0]->acquire();  // borrowed from core 1
      auto third = co_await ps[0]->acquire();   // everything busy
      bool good = first.ok() && second.ok() && !third.ok() && second->owner_core() == 1;
      unsigned used = co_await submit_to(re, 1, [lender] { return lender->in_use(); });
      good = good && used == 1;
      second->release();  // goes back to core 1 by message
      co_await SleepUntil(re, deadline_after(10ms));
      after = co_await submit_to(re, 1, [lender] { return lender->in_use(); });
      result = good;
      first->release();
      co_await submit_to(re, 1, [&ps] { ps[1].reset(); return true; });
      ps[0].reset();
      re.post_to(1, [] { Reactor::current()->stop(); });
      re.stop();
    }(r, pools, ready, ok, lender_in_use_after));
  });
  ASSERT_TRUE(st.ok());
  reactors.join();
  EXPECT_TRUE(ok.load());
  EXPECT_EQ(lender_in_use_after.load(), 0u);
}

}  // namespace
}  // namespace sluice
