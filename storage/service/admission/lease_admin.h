// The admin's view of a user's upload leases in Redis: list the live ones, or drop them all
// (leases of uploads that died without releasing them block the user until they expire).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/redis_client.h"

namespace sluice::service {

struct UserLease {
  std::string upload_id;  // the lease id: an upload's file id, or {session}#{part} for a part PUT
  int64_t expires_at_ms = 0;
};

// `user`'s leases that expire after `now_ms`, in Redis's order.
Task<Result<std::vector<UserLease>>> live_user_leases(RedisClient& redis, std::string user, int64_t now_ms);

// Removes every lease of `user`; returns how many there were.
Task<Result<int64_t>> drop_user_leases(RedisClient& redis, std::string user);

}  // namespace sluice::service
