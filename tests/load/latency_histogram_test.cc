#include "tools/load/latency_histogram.h"

#include <gtest/gtest.h>

#include <random>

namespace sluice::load {
namespace {

TEST(LatencyHistogram, EmptyReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGaps) {
  for (unsigned i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    ASSERT_LE(LatencyHistogram::bucket_low(i), LatencyHistogram::bucket_high(i)) << i;
    ASSERT_EQ(LatencyHistogram::bucket_high(i) + 1, LatencyHistogram::bucket_low(i + 1)) << i;
  }
}

TEST(LatencyHistogram, BucketOfIsConsistentWithBounds) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t shift = 23 + rng() % 41;  // 23..63: magnitudes from 2^41 down to 1
    uint64_t v = rng() >> shift;
    unsigned b = LatencyHistogram::bucket_of(v);
    ASSERT_LE(LatencyHistogram::bucket_low(b), v);
    ASSERT_GE(LatencyHistogram::bucket_high(b), v);
    // Relative width stays within 1/64 above the exact range.
    if (v >= 128) {
      double width = double(LatencyHistogram::bucket_high(b) - LatencyHistogram::bucket_low(b) + 1);
      ASSERT_LE(width / double(v), 1.0 / 64 + 1e-12) << v;
    }
  }
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v : {3, 3, 5, 7, 100}) h.record(v);
  EXPECT_EQ(h.percentile(40), 3u);
  EXPECT_EQ(h.percentile(60), 5u);
  EXPECT_EQ(h.percentile(80), 7u);
  EXPECT_EQ(h.percentile(100), 100u);
  EXPECT_EQ(h.min(), 3u);
  EXPECT_DOUBLE_EQ(h.mean(), 118.0 / 5);
}

TEST(LatencyHistogram, PercentilesOfUniformValuesWithinPrecision) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_NEAR(double(h.percentile(50)), 50000, 50000 / 64.0);
  EXPECT_NEAR(double(h.percentile(95)), 95000, 95000 / 64.0);
  EXPECT_NEAR(double(h.percentile(99)), 99000, 99000 / 64.0);
  EXPECT_GE(h.percentile(99), 99000u);  // the upper edge of the bucket: never under-reports
  EXPECT_EQ(h.max(), 100000u);
  EXPECT_EQ(h.percentile(100), 100000u);
}

TEST(LatencyHistogram, TailIsNotHiddenByTheBody) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.record(1000);
  for (int i = 0; i < 10; ++i) h.record(2'000'000);
  EXPECT_NEAR(double(h.percentile(50)), 1000, 1000 / 64.0);
  EXPECT_NEAR(double(h.percentile(99)), 1000, 1000 / 64.0);
  EXPECT_NEAR(double(h.percentile(99.5)), 2'000'000, 2'000'000 / 64.0);
  EXPECT_EQ(h.max(), 2'000'000u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 5000; ++i) {
    uint64_t v = rng() % 1'000'000;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a += b;
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(p), all.percentile(p)) << p;
}

TEST(LatencyHistogram, HugeValuesAreClampedNotLost) {
  LatencyHistogram h;
  h.record(UINT64_MAX / 2);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), UINT64_MAX / 2);
  EXPECT_EQ(h.percentile(50), UINT64_MAX / 2);
}

}  // namespace
}  // namespace sluice::load
