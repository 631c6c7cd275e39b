// LimitCache: one core's cache of principals' rate limits as PostgreSQL says (tier, account
// override, API key's own), so a request does not read the database. Entries live `ttl` (5 s):
// a stale entry is still used while one background read refreshes it, so an admin's change to a
// tier or an override reaches every core of every instance within about ttl, and only a
// principal this core has never seen waits for the read.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/ratelimit/rate_limit.h"

namespace sluice {

struct PrincipalLimits {
  RateLimit user;                // the user's (or, for an address, the free tier's)
  std::optional<RateLimit> key;  // the API key's own, when it has one
};

class LimitCache {
 public:
  // `fallback`: what a principal gets when its limits cannot be read (PostgreSQL down).
  LimitCache(PgPool& pg, TaskGroup* background, Duration ttl, RateLimit fallback);

  // `user` '' for an anonymous client address; `tier` the JWT's claim or ''; `key_id` or ''.
  Task<PrincipalLimits> limits_of(std::string user, std::string tier, std::string key_id);

  // The cached limits without a wait (starting a refresh when stale), or null when this core
  // has never seen the principal: then co_await limits_of(). No allocation on a hit.
  const PrincipalLimits* cached(std::string_view user, std::string_view tier, std::string_view key_id);

 private:
  struct Entry {
    PrincipalLimits limits;
    Deadline fresh_until{};
    bool refreshing = false;
  };
  Task<std::optional<PrincipalLimits>> read(std::string user, std::string tier, std::string key_id);
  Task<void> refresh(std::string cache_key, std::string user, std::string tier, std::string key_id);

  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };

  PgPool& pg_;
  TaskGroup* background_;
  Duration ttl_;
  RateLimit fallback_;
  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> entries_;
  std::string key_buf_;  // cached()'s lookup key, composed here
};

}  // namespace sluice
