// UserLeases: the per-user limit on concurrent uploads, cluster-wide. Each running upload holds
// a lease in Redis (a sorted set per user scored by expiry; one Lua call drops expired leases,
// checks the count and adds), renewed while bytes flow and removed at the end. Without Redis,
// or when Redis fails and redis_failure=open, a per-instance count is kept on the user's home
// core (hash of the user id), reached by message.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "db/redis_client.h"
#include "db/redis_script.h"
#include "storage/service/admission/lease_key.h"

namespace sluice {

struct LeaseOptions {
  Duration ttl = std::chrono::minutes(2);  // a lease not renewed for this long is dropped
  bool fail_open = true;                   // redis_failure=open: fall back to per-instance counts
};

struct LeaseStats {
  uint64_t granted = 0;
  uint64_t refused = 0;
  uint64_t redis_failures = 0;
  uint64_t local_fallbacks = 0;
  LeaseStats& operator+=(const LeaseStats& o) {
    granted += o.granted;
    refused += o.refused;
    redis_failures += o.redis_failures;
    local_fallbacks += o.local_fallbacks;
    return *this;
  }
};

class UserLeases {
 public:
  // `redis` may be null (single instance without Redis). Peers are every core's UserLeases.
  UserLeases(Reactor& r, RedisClient* redis, LeaseOptions opts);
  void set_peers(std::vector<UserLeases*> peers) { peers_ = std::move(peers); }

  // Errc::limit_exceeded when the user already runs `limit` uploads; Errc::unavailable when
  // Redis is down and the policy is closed. On success remember to release().
  Task<Status> acquire(std::string user, std::string upload_id, int limit);
  // A part PUT of the multipart session whose lease is `session_id`: Errc::conflict when that
  // part is already in flight (anywhere in the cluster), Errc::limit_exceeded over `limit` (the
  // session's own lease covers its first part in flight). Release with part_lease_id().
  Task<Status> acquire_part(std::string user, std::string session_id, uint32_t part, int limit);
  static std::string part_lease_id(const std::string& session_id, uint32_t part) {
    return session_id + "#" + std::to_string(part);
  }
  Task<void> release(std::string user, std::string upload_id);
  // Pushes the lease's expiry forward (cheap; call while the upload makes progress).
  Task<void> renew(std::string user, std::string upload_id);
  // Current lease count of a user (for the admin view and tests).
  Task<Result<int64_t>> count(std::string user);

  const LeaseStats& stats() const { return stats_; }
  bool uses_redis() const { return redis_ != nullptr; }
  Duration ttl() const { return opts_.ttl; }

 private:
  static std::string key_for(const std::string& user) { return service::lease_key(user); }
  unsigned home_core(const std::string& user) const;
  Task<Status> acquire_as(std::string user, std::string upload_id, std::string session, int limit);
  Task<Status> acquire_local(std::string user, std::string upload_id, std::string session, int limit);
  Task<void> release_local(std::string user, std::string upload_id);

  Reactor& r_;
  RedisClient* redis_;
  LeaseOptions opts_;
  std::vector<UserLeases*> peers_;
  RedisScript acquire_script_;
  // Per-instance fallback, for users whose home core is this one: upload ids per user.
  std::unordered_map<std::string, std::vector<std::string>> local_;
  // Uploads whose lease was granted locally (so release goes to the right place).
  std::unordered_map<std::string, bool> local_granted_;
  LeaseStats stats_;
};

}  // namespace sluice
