// RateLimit and RateDecision: a principal's request limit (GCRA: requests per minute and the
// burst allowed at once, both in cost units) and what the limiter decided for one request, with
// the figures the RateLimit headers report.
#pragma once

#include <cstdint>

namespace sluice {

struct RateLimit {
  int64_t per_minute = 600;  // sustained rate, cost units per minute
  int64_t burst = 100;       // units that may be spent at once from a full allowance
  bool operator==(const RateLimit&) const = default;
};

struct RateDecision {
  bool allowed = true;
  bool unavailable = false;         // Redis failed and SLUICE_REDIS_FAILURE=closed: 503, not 429
  int64_t limit = 0;                // the burst (what a client may send at once): RateLimit-Limit
  int64_t remaining = 0;            // units left now (approximate across the cluster)
  int64_t reset_seconds = 0;        // until the allowance is full again
  int64_t retry_after_seconds = 0;  // refusals: until this request's cost is available
  int64_t window_seconds = 60;      // the policy's window (requests per minute)
  int64_t quota = 0;                // units per window (the per-minute rate)
};

}  // namespace sluice
