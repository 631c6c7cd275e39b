#include "tools/load/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace sluice::load {

namespace {
constexpr uint64_t kMaxValue = (uint64_t{1} << 41) - 1;
}

unsigned LatencyHistogram::bucket_of(uint64_t v) {
  if (v > kMaxValue) v = kMaxValue;
  if (v < 2 * kHalf) return static_cast<unsigned>(v);
  unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(v));
  unsigned shift = msb - (kSubBits - 1);  // v >> shift lands in [kHalf, 2*kHalf)
  return shift * kHalf + static_cast<unsigned>(v >> shift);
}

uint64_t LatencyHistogram::bucket_low(unsigned index) {
  if (index < 2 * kHalf) return index;
  unsigned shift = index / kHalf - 1;
  uint64_t m = index - shift * kHalf;
  return m << shift;
}

uint64_t LatencyHistogram::bucket_high(unsigned index) {
  if (index < 2 * kHalf) return index;
  unsigned shift = index / kHalf - 1;
  uint64_t m = index - shift * kHalf;
  return ((m + 1) << shift) - 1;
}

void LatencyHistogram::record(uint64_t micros) {
  ++counts_[bucket_of(micros)];
  ++count_;
  sum_ += micros;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
}

LatencyHistogram& LatencyHistogram::operator+=(const LatencyHistogram& o) {
  for (unsigned i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  return *this;
}

uint64_t LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The rank of the value at p (1-based), as HdrHistogram counts it.
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(std::max(bucket_high(i), min()), max_);
  }
  return max_;
}

}  // namespace sluice::load
