#include "core/backoff.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using namespace std::chrono_literals;

// The delays the PostgreSQL and Redis connections used before they shared this type.
TEST(Backoff, DoublesFromInitialUpToCapAndStartsOverAfterReset) {
  BackoffPolicy p;
  p.initial = 50ms;
  p.cap = 5s;
  Backoff b(p);
  std::vector<Duration> seen;
  for (int i = 0; i < 9; ++i) seen.push_back(b.next());
  std::vector<Duration> want = {50ms, 100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 5s, 5s};
  EXPECT_EQ(seen, want);
  b.reset();
  EXPECT_EQ(b.next(), 50ms);
  EXPECT_EQ(b.next(), 100ms);
}

TEST(Backoff, DefaultsAreTheConnectionsDefaults) {
  Backoff b(BackoffPolicy{});
  EXPECT_EQ(b.next(), 50ms);
}

TEST(Backoff, HugeCapDoesNotOverflow) {
  BackoffPolicy p;
  p.initial = 1s;
  p.cap = Duration::max();
  Backoff b(p);
  Duration last = Duration::zero();
  for (int i = 0; i < 200; ++i) {
    Duration d = b.next();
    EXPECT_GE(d, last);
    last = d;
  }
  EXPECT_EQ(last, Duration::max());
}

TEST(Backoff, JitterStaysWithinItsShareOfTheDelayAndVariesBySeed) {
  BackoffPolicy p;
  p.initial = 1s;
  p.cap = 1s;
  p.jitter = 0.5;
  Backoff a(p, 1);
  Backoff b(p, 2);
  bool differ = false;
  for (int i = 0; i < 50; ++i) {
    Duration da = a.next();
    Duration db = b.next();
    EXPECT_GE(da, 500ms);
    EXPECT_LE(da, 1s);
    differ = differ || da != db;
  }
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace sluice
