// Accounts and quotas: an account's limits and usage, changing its quota or tier, and the
// service-wide totals. HTTP-free: plain values, Result errors (domain reasons or the database's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/admission/user_leases.h"

namespace sluice::service {

// One account's limits (from its tier, or its own quota override) and what it uses now.
struct AccountQuota {
  std::string user;
  std::string tier;
  int64_t quota_bytes = 0;
  int64_t used_bytes = 0;
  int64_t reserved_bytes = 0;
  int64_t file_count = 0;
  int64_t max_files = 0;
  int64_t max_file_bytes = 0;
  int64_t max_concurrent_uploads = 0;
  int64_t active_uploads = 0;  // uploads in flight: the lease count, else the reserved file slots
};

// Creates `user`'s account on first use (tier `tier` when it exists, else free).
Task<Status> ensure_account(PgPool& pg, std::string user, std::string tier);

// `user`'s quota and usage, creating the account (tier `tier`, or free) on first use. `leases`
// (may be null) counts the uploads in flight.
Task<Result<AccountQuota>> account_quota(PgPool& pg, UserLeases* leases, std::string user, std::string tier);

// An admin's change to an account (created if new): its tier and/or its quota override.
struct QuotaChange {
  std::optional<std::string> tier;
  bool set_quota = false;
  std::optional<int64_t> quota_bytes;  // nullopt with set_quota: back to the tier's quota
};

// Applies `change` to `user`; Reason::unknown_tier when the tier does not exist.
Task<Status> change_quota(PgPool& pg, std::string user, QuotaChange change);

// Service-wide totals for the admin view.
struct ServiceTotals {
  int64_t accounts = 0;
  int64_t files = 0;           // available
  int64_t stored_bytes = 0;    // of available files
  int64_t uploading_files = 0;
  int64_t failed_files = 0;
  int64_t used_bytes = 0;
  int64_t reserved_bytes = 0;
  int64_t active_api_keys = 0;  // not revoked
};

Task<Result<ServiceTotals>> service_totals(PgPool& pg);

}  // namespace sluice::service
