// Share passwords: Argon2id (RFC 9106) in the PHC string form ($argon2id$v=19$m=...,t=...,p=...$
// salt$hash), so a later change of parameters still verifies old hashes. The parameters are
// OWASP's first recommendation (m = 19 MiB, t = 2, p = 1); one hash costs tens of milliseconds
// of one CPU (bench/share_password_bench.cc), so these functions run only on a WorkerPool thread,
// never on a reactor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::service {

inline constexpr uint32_t kArgon2TimeCost = 2;
inline constexpr uint32_t kArgon2MemoryKiB = 19 * 1024;
inline constexpr uint32_t kArgon2Parallelism = 1;
inline constexpr size_t kArgon2SaltBytes = 16;
inline constexpr size_t kArgon2HashBytes = 32;
inline constexpr size_t kMaxSharePasswordBytes = 1024;

// The encoded hash of `password` with a fresh random salt (blocking CPU work).
Result<std::string> hash_share_password(std::string_view password);
// Whether `password` matches `encoded` (blocking CPU work; false for a malformed hash).
bool share_password_matches(std::string_view encoded, std::string_view password);

}  // namespace sluice::service
