// Backoff: the delays between attempts to reach a peer that keeps failing (the PostgreSQL and
// Redis connections reconnecting). The first delay is `initial`, each failure doubles it up to
// `cap`, and a success starts over. `jitter` (0..1) draws each delay from
// [delay * (1 - jitter), delay], so connections that lost the same server do not retry in step;
// 0 keeps the delays exact.
#pragma once

#include <cstdint>

#include "core/clock.h"

namespace sluice {

struct BackoffPolicy {
  Duration initial = std::chrono::milliseconds(50);
  Duration cap = std::chrono::seconds(5);
  double jitter = 0;
};

class Backoff {
 public:
  // `seed` varies the jitter between instances (e.g. a connection's index); unused without it.
  explicit Backoff(BackoffPolicy policy, uint64_t seed = 0);

  // The delay before the next attempt; the one after it is twice as long (up to the cap).
  Duration next();
  // After a success: the next failure waits `initial` again.
  void reset() { current_ = policy_.initial; }

 private:
  BackoffPolicy policy_;
  Duration current_;
  uint64_t state_;  // splitmix64, for the jitter only
};

}  // namespace sluice
