#include "storage/store/s3/retry_policy.h"

#include <algorithm>

namespace sluice::s3 {

bool is_retryable(const Error& e) {
  switch (e.code) {
    case Errc::unavailable:
    case Errc::timeout:
    case Errc::closed:
    case Errc::io_error: return true;
    default: return false;
  }
}

RetryPolicy::RetryPolicy(RetryOptions options, uint64_t seed)
    : options_(options), rng_(static_cast<std::minstd_rand::result_type>(seed)) {}

Duration RetryPolicy::backoff(int attempt) {
  int doublings = std::clamp(attempt - 2, 0, 30);
  Duration cap = options_.base_delay;
  for (int i = 0; i < doublings && cap < options_.max_delay; ++i) cap *= 2;
  cap = std::min(cap, options_.max_delay);
  auto ticks = static_cast<uint64_t>(std::max<Duration::rep>(cap.count(), 0));
  if (ticks == 0) return Duration::zero();
  std::uniform_int_distribution<uint64_t> pick(0, ticks);
  return Duration(static_cast<Duration::rep>(pick(rng_)));
}

bool RetryPolicy::allows(int attempt, Deadline start, Deadline now, Duration wait, Deadline deadline) const {
  if (attempt > options_.max_attempts) return false;
  if (now + wait - start > options_.budget) return false;
  return now + wait < deadline;
}

}  // namespace sluice::s3
