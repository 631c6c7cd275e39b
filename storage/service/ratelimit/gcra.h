// Gcra: the generic cell rate algorithm on one number, the theoretical arrival time (TAT). The
// emission interval T = 60 s / per_minute; tolerance tau = burst * T. Spending n units moves
// the TAT to max(TAT, now) + n*T and is allowed while that stays within now + tau. Used for the
// per-core fallback when Redis is down (the Lua script in rate_limiter.cc is the same rule).
#pragma once

#include <algorithm>
#include <cstdint>

#include "storage/service/ratelimit/rate_limit.h"

namespace sluice {

struct GcraState {
  int64_t tat_us = 0;
};

inline int64_t gcra_interval_us(const RateLimit& l) {
  return std::max<int64_t>(1, 60'000'000 / std::max<int64_t>(1, l.per_minute));
}

// Spends `cost` units at `now_us` when allowed; fills the figures of `d` either way.
inline void gcra_spend(GcraState& s, const RateLimit& l, int64_t cost, int64_t now_us, RateDecision& d) {
  int64_t t = gcra_interval_us(l);
  int64_t tau = t * l.burst;
  int64_t base = std::max(s.tat_us, now_us);
  int64_t next = base + cost * t;
  d.limit = l.burst;
  d.quota = l.per_minute;
  if (next - now_us <= tau) {
    s.tat_us = next;
    d.allowed = true;
    d.retry_after_seconds = 0;
  } else {
    d.allowed = false;
    d.retry_after_seconds = (next - tau - now_us + 999'999) / 1'000'000;
    next = base;
  }
  d.remaining = std::max<int64_t>(0, (now_us + tau - next) / t);
  d.reset_seconds = std::max<int64_t>(0, (next - now_us + 999'999) / 1'000'000);
}

}  // namespace sluice
