// RateLimiter: one core's GCRA limiter for principals (users, API keys, client addresses),
// cluster-wide through Redis without a round trip per request.
//
// Redis keeps each principal's GCRA state (its TAT); a core takes *token batches* from it with
// one EVALSHA (the Lua script runs the GCRA rule for n units at Redis's clock) and spends them
// locally, with no lock or atomic: the state is this core's. When a principal's local allowance
// falls to half a batch, the next batch is fetched in the background, so a busy principal never
// waits for Redis. The one case where a request waits: its principal's local allowance cannot
// cover its cost and Redis has not refused it (a principal new or idle on this core, or one
// that outran the prefetch): the request then awaits one EVALSHA.
//
// Error bound: tokens taken from Redis are charged there when taken, so over any window the
// cluster admits at most the GCRA allowance of that window plus the tokens cores took before it
// and spend in it: at most instances x cores x batch units; and it may refuse while up to that
// many units sit unspent in other cores' batches. batch = 100 ms of the rate, at least 1, at
// most burst/4 and 1,000 (batch_for()).
//
// Redis down (or not configured): with redis_failure=open each core limits on its own (the
// per-core GCRA in gcra.h with the full limit, so a client is never limited harder than
// configured; an instance admits at most cores x the limit), retrying Redis after a second;
// with closed, decisions are `unavailable`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/reactor.h"
#include "core/task.h"
#include "db/redis_client.h"
#include "db/redis_script.h"
#include "storage/service/ratelimit/gcra.h"
#include "storage/service/ratelimit/rate_limit.h"

namespace sluice {

struct RateLimiterStats {
  uint64_t allowed = 0;
  uint64_t refused = 0;
  uint64_t redis_batches = 0;  // EVALSHAs sent
  uint64_t waited = 0;         // requests that awaited a batch
  uint64_t redis_failures = 0;
  uint64_t local_decisions = 0;  // decided by the per-core fallback
  RateLimiterStats& operator+=(const RateLimiterStats& o) {
    allowed += o.allowed;
    refused += o.refused;
    redis_batches += o.redis_batches;
    waited += o.waited;
    redis_failures += o.redis_failures;
    local_decisions += o.local_decisions;
    return *this;
  }
};

class RateLimiter {
 public:
  // `redis` may be null (per-core limits only). `background` holds the prefetches.
  RateLimiter(RedisClient* redis, bool fail_open, TaskGroup* background);

  // Spends `cost` units of `key`'s limit ("u:<user>", "k:<key id>", "a:<address>").
  Task<RateDecision> spend(std::string key, RateLimit limit, int64_t cost);

  // The same decision when it needs no wait (the common case: this core holds tokens, or Redis
  // has already refused, or Redis is down): no coroutine, no allocation. nullopt: call spend().
  // The key is `prefix` + `id`.
  std::optional<RateDecision> spend_now(std::string_view prefix, std::string_view id, RateLimit limit, int64_t cost);

  static int64_t batch_for(const RateLimit& l);
  const RateLimiterStats& stats() const { return stats_; }

 private:
  struct Entry {
    RateLimit limit;
    int64_t tokens = 0;           // taken from Redis, not yet spent
    int64_t redis_remaining = 0;  // what Redis had left at the last batch
    int64_t reset_at_ms = 0;      // when Redis's allowance is full again (this clock)
    int64_t denied_until_ms = 0;  // Redis refused: no new batch before this
    int64_t last_used_ms = 0;
    bool prefetching = false;
    GcraState local;  // the fallback's state
  };
  struct Batch {
    bool ok = false;
    int64_t granted = 0;
    int64_t remaining = 0;
    int64_t reset_ms = 0;
    int64_t retry_ms = 0;
  };

  Task<Batch> take_batch(std::string key, RateLimit limit, int64_t want);
  Task<void> prefetch(std::string key, RateLimit limit, int64_t want);
  void apply(Entry& e, const Batch& b, int64_t now_ms);
  RateDecision local_decision(Entry& e, int64_t cost, int64_t now_ms);
  RateDecision decided(Entry& e, bool allowed, int64_t now_ms, int64_t retry_ms);
  bool redis_usable(int64_t now_ms) const { return redis_ && now_ms >= redis_down_until_ms_; }
  void sweep(int64_t now_ms);
  std::optional<RateDecision> decide_now(const std::string& key, RateLimit limit, int64_t cost, int64_t now_ms);

  // Lookups by std::string_view: a request's key is composed into key_buf_, never allocated.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };

  RedisClient* redis_;
  bool fail_open_;
  TaskGroup* background_;
  RedisScript script_;
  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> entries_;
  std::string key_buf_;
  int64_t redis_down_until_ms_ = 0;
  int64_t next_sweep_ms_ = 0;
  RateLimiterStats stats_;
};

}  // namespace sluice
