// Where a user's upload leases live in Redis: one sorted set per user (members are lease ids,
// scores their expiry in Unix ms). The braces make it a Redis Cluster hash tag, so all of a
// user's leases are on one shard and one Lua call can see them. Every reader and writer of
// leases (UserLeases, the janitor, the admin view) builds the key here.
#pragma once

#include <string>
#include <string_view>

namespace sluice::service {

inline std::string lease_key(std::string_view user) {
  std::string key = "sluice:leases:{";
  key += user;
  key += '}';
  return key;
}

// A SCAN MATCH pattern for every user's lease set.
inline constexpr const char* kLeaseKeyPattern = "sluice:leases:*";

}  // namespace sluice::service
