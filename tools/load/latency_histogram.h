// LatencyHistogram: a log-bucketed (HDR-like) histogram of microsecond latencies with ~1.6%
// relative precision and a fixed footprint; one per thread per phase, merged with += at the end.
#pragma once

#include <array>
#include <cstdint>

namespace sluice::load {

class LatencyHistogram {
 public:
  // Values are exact below 2^kSubBits; above, each power of two is split into 2^(kSubBits-1)
  // linear buckets (relative error < 2^-(kSubBits-1)).
  static constexpr unsigned kSubBits = 7;
  static constexpr unsigned kHalf = 1u << (kSubBits - 1);
  // Largest recordable value: 2^41 us (~25 days); larger values are clamped.
  static constexpr unsigned kMaxShift = 41 - kSubBits + 1;
  static constexpr unsigned kBuckets = (kMaxShift + 2) * kHalf;

  void record(uint64_t micros);
  LatencyHistogram& operator+=(const LatencyHistogram& o);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // The value at percentile p (0..100]: the upper edge of the bucket holding that rank, capped
  // at max(). 0 when empty.
  uint64_t percentile(double p) const;

  // Bucket arithmetic, public for tests.
  static unsigned bucket_of(uint64_t v);
  static uint64_t bucket_low(unsigned index);
  static uint64_t bucket_high(unsigned index);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace sluice::load
