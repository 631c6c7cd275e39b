// ApiKeyStore: resolves API keys (sk_<prefix>_<secret>) to their owner and scopes from
// sluice.api_keys, with a per-core cache (prefix -> owner, scopes, expiry, secret hash; bounded,
// short TTL, short-lived negative entries for unknown prefixes) so a busy key costs one hash and
// no round trip. A key's expiry is checked on every use, cached or not. One per core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/auth/authenticator.h"

namespace sluice {

struct ApiKeyStoreOptions {
  Duration ttl = std::chrono::seconds(30);          // how long a revoked key may still work on other cores
  Duration negative_ttl = std::chrono::seconds(5);  // unknown or revoked prefixes
  size_t max_entries = 10000;
  Duration touch_interval = std::chrono::minutes(1);  // last_used_at is written at most this often
  Deadline (*clock)() = &Clock::now;                  // tests step time instead of sleeping
};

struct ApiKeyStoreStats {
  uint64_t hits = 0;
  uint64_t misses = 0;    // looked up in PostgreSQL
  uint64_t rejected = 0;  // unknown, revoked, expired or wrong secret
  uint64_t evictions = 0;
  uint64_t lookup_errors = 0;
  ApiKeyStoreStats& operator+=(const ApiKeyStoreStats& o) {
    hits += o.hits;
    misses += o.misses;
    rejected += o.rejected;
    evictions += o.evictions;
    lookup_errors += o.lookup_errors;
    return *this;
  }
};

class ApiKeyStore final : public ApiKeyLookup {
 public:
  // `background` receives the last_used_at updates; it must be drained before `pg` closes.
  ApiKeyStore(PgPool& pg, TaskGroup& background, ApiKeyStoreOptions opts = {});

  // The key's owner (role user, via_api_key, the key's scopes) or Errc::unauthenticated (unknown,
  // revoked, wrong secret, expired at `now_unix`); Errc::unavailable when the database cannot
  // answer.
  Task<Result<Principal>> lookup(std::string prefix, std::string secret, int64_t now_unix) override;

  // Drops a prefix from this core's cache (after a revocation or creation), and makes any
  // lookup in flight not cache what it read before.
  void forget(const std::string& prefix);

  const ApiKeyStoreStats& stats() const { return stats_; }
  size_t cached() const { return cache_.size(); }

 private:
  struct Entry {
    bool known = false;  // false: negative entry
    std::string id;
    std::string owner;
    std::string secret_hash;
    ApiScopes scopes = 0;
    std::optional<int64_t> key_expires_unix;  // the key's own expiry (wall clock)
    Deadline expires{};  // of this cache entry
    Deadline next_touch{};
  };
  Result<Principal> check(Entry& e, const std::string& secret, int64_t now_unix);
  void insert(const std::string& prefix, Entry e);
  static Task<void> touch(PgPool* pg, std::string id);

  PgPool& pg_;
  TaskGroup& background_;
  ApiKeyStoreOptions opts_;
  std::unordered_map<std::string, Entry> cache_;
  uint64_t forgets_ = 0;  // bumped by forget(): lookups that straddle one do not cache
  ApiKeyStoreStats stats_;
};

}  // namespace sluice
