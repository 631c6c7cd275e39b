// Tiers as data: what each tier allows (quota, file size and count, concurrent uploads, MIME
// types, request rate), read and replaced by admins. Admission reads tiers from PostgreSQL on
// every upload, and rate limits through each core's LimitCache (5 s), so a change takes effect
// on every instance within seconds, without a restart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"

namespace sluice::service {

struct Tier {
  std::string name;
  int64_t quota_bytes = 0;
  int64_t max_file_bytes = 0;
  int64_t max_files = 0;
  int64_t max_concurrent_uploads = 0;
  std::optional<std::vector<std::string>> allowed_mime_types;  // nullopt: any type
  int64_t requests_per_minute = 0;
  int64_t burst = 0;
};

Task<Result<std::vector<Tier>>> list_tiers(PgPool& pg);
// Reason::not_found when there is none of that name.
Task<Result<Tier>> tier_named(PgPool& pg, std::string name);
// Creates or replaces the tier `t.name` (validated by the caller); the stored tier.
Task<Result<Tier>> put_tier(PgPool& pg, Tier t);

// Rate-limit overrides (nullopt: back to the tier's / the owner's value). Reason::not_found
// for an unknown API key id.
Task<Status> set_user_rate(PgPool& pg, std::string user, std::optional<int64_t> per_minute,
                           std::optional<int64_t> burst);
Task<Status> set_key_rate(PgPool& pg, std::string key_id, std::optional<int64_t> per_minute,
                          std::optional<int64_t> burst);

}  // namespace sluice::service
