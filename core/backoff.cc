#include "core/backoff.h"

#include <algorithm>

namespace sluice {

Backoff::Backoff(BackoffPolicy policy, uint64_t seed)
    : policy_(policy), current_(policy.initial), state_(seed ^ 0x9E3779B97F4A7C15ULL) {
  policy_.jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  if (policy_.cap < policy_.initial) policy_.cap = policy_.initial;
}

Duration Backoff::next() {
  Duration d = current_;
  current_ = current_ > policy_.cap / 2 ? policy_.cap : current_ * 2;  // no overflow near a huge cap
  if (policy_.jitter <= 0) return d;
  state_ += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  double unit = static_cast<double>(z >> 11) * 0x1.0p-53;  // [0, 1)
  auto cut = std::chrono::duration_cast<Duration>(std::chrono::duration<double, Duration::period>(
      static_cast<double>(d.count()) * policy_.jitter * unit));
  return d - cut;
}

}  // namespace sluice
