#include "core/timer_queue.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace sluice {
namespace {

struct Recorder final : TimerEntry {
  std::vector<int>* fired = nullptr;
  int id = 0;
  void fire() override { fired->push_back(id); }
};

TEST(TimerQueue, FiresInDeadlineOrderAndSkipsCancelled) {
  TimerQueue q;
  std::vector<int> fired;
  Deadline t0 = Clock::now();
  std::vector<Recorder> timers(200);
  std::mt19937 rng(7);
  std::vector<int> offsets;
  for (int i = 0; i < 200; ++i) {
    timers[i].fired = &fired;
    timers[i].id = i;
    q.add(timers[i], t0 + std::chrono::milliseconds(rng() % 1000));
  }
  for (int i = 0; i < 200; i += 3) q.cancel(timers[i]);
  EXPECT_EQ(q.size(), 200u - 67u);
  q.fire_expired(t0 + std::chrono::seconds(2));
  ASSERT_EQ(fired.size(), 133u);
  for (size_t i = 1; i < fired.size(); ++i) EXPECT_LE(timers[fired[i - 1]].when(), timers[fired[i]].when());
  for (int id : fired) EXPECT_NE(id % 3, 0);
  EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, OnlyExpiredFire) {
  TimerQueue q;
  std::vector<int> fired;
  Deadline t0 = Clock::now();
  Recorder a, b;
  a.fired = b.fired = &fired;
  a.id = 1;
  b.id = 2;
  q.add(a, t0 + std::chrono::milliseconds(10));
  q.add(b, t0 + std::chrono::milliseconds(20));
  EXPECT_EQ(q.fire_expired(t0 + std::chrono::milliseconds(15)), 1u);
  EXPECT_EQ(fired, std::vector<int>({1}));
  EXPECT_TRUE(b.armed());
  q.add(b, t0 + std::chrono::milliseconds(5));  // re-arming moves it
  EXPECT_EQ(q.earliest(), t0 + std::chrono::milliseconds(5));
  q.cancel(b);
  EXPECT_FALSE(b.armed());
}

}  // namespace
}  // namespace sluice
