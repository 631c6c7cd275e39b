#include "storage/service/ratelimit/limit_cache.h"

#include "core/log.h"
#include "storage/service/ratelimit/limit_queries.h"

namespace sluice {

namespace {
constexpr size_t kMaxEntries = 100'000;  // beyond it the cache starts over (bounded memory)
}

LimitCache::LimitCache(PgPool& pg, TaskGroup* background, Duration ttl, RateLimit fallback)
    : pg_(pg), background_(background), ttl_(ttl), fallback_(fallback) {}

Task<std::optional<PrincipalLimits>> LimitCache::read(std::string user, std::string tier, std::string key_id) {
  auto r = co_await pg_.query(rate_sql::kLimitsOf, user, tier, key_id);
  if (!r.ok() || r->rows() != 1) {
    log_event(LogLevel::warn, "rate_limits_unreadable",
              {{"user", user}, {"error", r.ok() ? std::string("no tier row") : r.error().message}});
    co_return std::nullopt;
  }
  PrincipalLimits l;
  l.user.per_minute = *r->int64(0, 0);
  l.user.burst = *r->int64(0, 1);
  if (!r->is_null(0, 2) || !r->is_null(0, 3)) {
    RateLimit k = l.user;
    if (!r->is_null(0, 2)) k.per_minute = *r->int64(0, 2);
    if (!r->is_null(0, 3)) k.burst = *r->int64(0, 3);
    l.key = k;
  }
  co_return l;
}

Task<void> LimitCache::refresh(std::string cache_key, std::string user, std::string tier, std::string key_id) {
  auto l = co_await read(user, tier, key_id);
  auto it = entries_.find(cache_key);
  if (it == entries_.end()) co_return;
  it->second.refreshing = false;
  if (l) it->second.limits = *l;
  it->second.fresh_until = deadline_after(l ? ttl_ : std::chrono::seconds(1));
}

const PrincipalLimits* LimitCache::cached(std::string_view user, std::string_view tier, std::string_view key_id) {
  key_buf_.assign(user);
  key_buf_ += '\n';
  key_buf_ += tier;
  key_buf_ += '\n';
  key_buf_ += key_id;
  auto it = entries_.find(std::string_view(key_buf_));
  if (it == entries_.end()) return nullptr;
  if (Clock::now() >= it->second.fresh_until && !it->second.refreshing) {
    it->second.refreshing = true;
    spawn(refresh(key_buf_, std::string(user), std::string(tier), std::string(key_id)), background_);
  }
  return &it->second.limits;
}

Task<PrincipalLimits> LimitCache::limits_of(std::string user, std::string tier, std::string key_id) {
  if (const PrincipalLimits* hit = cached(user, tier, key_id)) co_return *hit;
  std::string cache_key = user + '\n' + tier + '\n' + key_id;
  auto l = co_await read(user, tier, key_id);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  Entry e;
  e.limits = l ? *l : PrincipalLimits{fallback_, std::nullopt};
  e.fresh_until = deadline_after(l ? ttl_ : std::chrono::seconds(1));
  entries_[cache_key] = e;
  co_return e.limits;
}

}  // namespace sluice
