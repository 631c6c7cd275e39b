// RetryPolicy: when and how long to wait before trying an idempotent S3 request again
// (exponential backoff with full jitter, bounded in attempts and in total time).
#pragma once

#include <cstdint>
#include <random>

#include "core/clock.h"
#include "core/result.h"

namespace sluice::s3 {

struct RetryOptions {
  int max_attempts = 4;                                    // including the first
  Duration base_delay = std::chrono::milliseconds(50);     // first backoff's upper bound
  Duration max_delay = std::chrono::seconds(2);            // cap on one backoff
  Duration budget = std::chrono::seconds(30);              // no new attempt after this much time
};

// Errors worth another attempt: the peer was overloaded or failing (unavailable), too slow
// (timeout), or the connection broke (closed, io_error).
bool is_retryable(const Error& e);

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options, uint64_t seed = std::random_device{}());

  const RetryOptions& options() const { return options_; }
  // The wait before attempt number `attempt` (2, 3, ...): uniform in [0, min(max, base*2^(n-2))].
  Duration backoff(int attempt);
  // Whether attempt number `attempt` may start at `now` for a call that began at `start`
  // and must end by `deadline`, after waiting `wait`.
  bool allows(int attempt, Deadline start, Deadline now, Duration wait, Deadline deadline) const;

 private:
  RetryOptions options_;
  std::minstd_rand rng_;
};

}  // namespace sluice::s3
