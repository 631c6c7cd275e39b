#include "storage/service/ratelimit/rate_limiter.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"

namespace sluice {

namespace {

// KEYS[1] the principal's TAT (microseconds of Redis's clock); ARGV: emission interval T (us),
// burst, units wanted. Grants k = min(wanted, what fits within the tolerance) units, moving the
// TAT by k*T, and returns {k, units left, ms until full, ms until one more unit fits (when k is 0)}.
// TIME before a write is allowed in scripts since Redis 7 (effects replication).
constexpr const char* kTakeBatchLua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local T = tonumber(ARGV[1])
local tau = T * tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local k = math.floor((now + tau - tat) / T)
if k > want then k = want end
if k < 0 then k = 0 end
local retry = 0
if k > 0 then
  tat = tat + k * T
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
else
  retry = math.ceil((tat + T - tau - now) / 1000)
end
return {k, math.floor((now + tau - tat) / T), math.ceil((tat - now) / 1000), retry}
)lua";

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

int64_t ceil_seconds(int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; }

}  // namespace

RateLimiter::RateLimiter(RedisClient* redis, bool fail_open, TaskGroup* background)
    : redis_(redis), fail_open_(fail_open), background_(background), script_(kTakeBatchLua) {}

int64_t RateLimiter::batch_for(const RateLimit& l) {
  int64_t per_100ms = l.per_minute / 600;
  // 1,000: a principal far below its limit costs Redis one EVALSHA per 1,000 requests, not per
  // 100 (each one is a Redis wake-up, ~1.5 µs of Redis CPU per request at 100); for any limit
  // under 600,000/min the 100 ms and burst/4 bounds are the smaller ones anyway.
  int64_t cap = std::min<int64_t>(1000, std::max<int64_t>(1, l.burst / 4));
  return std::clamp<int64_t>(per_100ms, 1, cap);
}

Task<RateLimiter::Batch> RateLimiter::take_batch(std::string key, RateLimit limit, int64_t want) {
  ++stats_.redis_batches;
  std::vector<std::string> keys{"sluice:rl:" + key};
  std::vector<std::string> args{std::to_string(gcra_interval_us(limit)), std::to_string(limit.burst),
                                std::to_string(want)};
  Deadline d = deadline_after(std::chrono::milliseconds(500));
  auto reply = co_await redis_->eval(script_, std::move(keys), std::move(args), d);
  Batch b;
  if (!reply.ok() || reply->elements.size() != 4) {
    ++stats_.redis_failures;
    std::string why = reply.ok() ? "unexpected reply to the rate-limit script" : reply.error().message;
    log_event(LogLevel::warn, "rate_limit_redis_failed", {{"error", why}, {"fail_open", fail_open_}});
    co_return b;
  }
  b.ok = true;
  b.granted = reply->elements[0].integer;
  b.remaining = reply->elements[1].integer;
  b.reset_ms = reply->elements[2].integer;
  b.retry_ms = reply->elements[3].integer;
  co_return b;
}

void RateLimiter::apply(Entry& e, const Batch& b, int64_t now_ms) {
  e.tokens += b.granted;
  e.redis_remaining = b.remaining;
  e.reset_at_ms = now_ms + b.reset_ms;
  if (b.granted == 0) e.denied_until_ms = now_ms + std::max<int64_t>(1, b.retry_ms);
}

Task<void> RateLimiter::prefetch(std::string key, RateLimit limit, int64_t want) {
  Batch b = co_await take_batch(key, limit, want);
  int64_t now = steady_ms();
  auto it = entries_.find(key);
  if (!b.ok) {
    redis_down_until_ms_ = now + 1000;
    if (it != entries_.end()) it->second.prefetching = false;
    co_return;
  }
  if (it == entries_.end()) co_return;  // swept meanwhile: those units stay charged, unspent
  it->second.prefetching = false;
  apply(it->second, b, now);
}

RateDecision RateLimiter::decided(Entry& e, bool allowed, int64_t now_ms, int64_t retry_ms) {
  RateDecision d;
  d.allowed = allowed;
  d.limit = e.limit.burst;
  d.quota = e.limit.per_minute;
  d.remaining = std::max<int64_t>(0, e.redis_remaining + e.tokens);
  d.reset_seconds = ceil_seconds(e.reset_at_ms - now_ms);
  d.retry_after_seconds = allowed ? 0 : std::max<int64_t>(1, ceil_seconds(retry_ms));
  if (allowed) ++stats_.allowed;
  else ++stats_.refused;
  return d;
}

RateDecision RateLimiter::local_decision(Entry& e, int64_t cost, int64_t now_ms) {
  ++stats_.local_decisions;
  RateDecision d;
  gcra_spend(e.local, e.limit, cost, now_ms * 1000, d);
  if (d.allowed) ++stats_.allowed;
  else ++stats_.refused;
  return d;
}

void RateLimiter::sweep(int64_t now_ms) {
  if (now_ms < next_sweep_ms_) return;
  next_sweep_ms_ = now_ms + 10'000;
  std::erase_if(entries_, [now_ms](const auto& kv) {
    return !kv.second.prefetching && now_ms - kv.second.last_used_ms > 120'000;
  });
}

namespace {
// A cost above the burst could never pass; a zero limit is one unit.
void normalize(RateLimit& limit, int64_t& cost) {
  limit.per_minute = std::max<int64_t>(1, limit.per_minute);
  limit.burst = std::max<int64_t>(1, limit.burst);
  cost = std::clamp<int64_t>(cost, 1, limit.burst);
}
}  // namespace

std::optional<RateDecision> RateLimiter::spend_now(std::string_view prefix, std::string_view id, RateLimit limit,
                                                   int64_t cost) {
  key_buf_.assign(prefix);
  key_buf_ += id;
  normalize(limit, cost);
  return decide_now(key_buf_, limit, cost, steady_ms());
}

// Everything spend() can decide without waiting for Redis; nullopt otherwise. `key` may be
// key_buf_: it is copied only where a prefetch or a new entry needs it.
std::optional<RateDecision> RateLimiter::decide_now(const std::string& key, RateLimit limit, int64_t cost,
                                                    int64_t now) {
  sweep(now);
  auto it = entries_.find(std::string_view(key));
  if (!redis_usable(now)) {
    if (it == entries_.end()) it = entries_.emplace(key, Entry{}).first;
    Entry& e = it->second;
    e.last_used_ms = now;
    e.limit = limit;
    if (redis_ && !fail_open_) {
      RateDecision d = decided(e, false, now, 1000);
      d.unavailable = true;
      return d;
    }
    return local_decision(e, cost, now);
  }
  if (it == entries_.end()) return std::nullopt;
  Entry& e = it->second;
  e.last_used_ms = now;
  e.limit = limit;
  int64_t batch = batch_for(limit);
  if (e.tokens >= cost) {
    e.tokens -= cost;
    if (e.tokens * 2 < batch && !e.prefetching && now >= e.denied_until_ms) {
      e.prefetching = true;
      spawn(prefetch(key, limit, batch), background_);
    }
    return decided(e, true, now, 0);
  }
  if (now < e.denied_until_ms) return decided(e, false, now, e.denied_until_ms - now);
  return std::nullopt;
}

Task<RateDecision> RateLimiter::spend(std::string key, RateLimit limit, int64_t cost) {
  int64_t now = steady_ms();
  normalize(limit, cost);
  if (auto d = decide_now(key, limit, cost, now)) co_return *d;
  int64_t batch = batch_for(limit);
  Entry& e = entries_[key];
  e.last_used_ms = now;
  e.limit = limit;
  // The one wait: the local allowance cannot pay for this request and Redis has not refused.
  ++stats_.waited;
  int64_t want = std::max(batch, cost - e.tokens);
  Batch b = co_await take_batch(key, limit, want);
  now = steady_ms();
  Entry& after = entries_[key];  // re-found: the map may have changed while waiting
  after.last_used_ms = now;
  after.limit = limit;
  if (!b.ok) {
    redis_down_until_ms_ = now + 1000;
    if (!fail_open_) {
      RateDecision d = decided(after, false, now, 1000);
      d.unavailable = true;
      co_return d;
    }
    co_return local_decision(after, cost, now);
  }
  apply(after, b, now);
  if (after.tokens >= cost) {
    after.tokens -= cost;
    after.denied_until_ms = 0;
    co_return decided(after, true, now, 0);
  }
  // Partly granted: the rest arrives at the rate.
  int64_t missing_ms = (cost - after.tokens) * gcra_interval_us(limit) / 1000;
  after.denied_until_ms =
      std::max(after.denied_until_ms, now + std::max<int64_t>(1, b.granted ? missing_ms : b.retry_ms));
  co_return decided(after, false, now, after.denied_until_ms - now);
}

}  // namespace sluice
