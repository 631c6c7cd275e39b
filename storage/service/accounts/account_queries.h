// The SQL of sluice.accounts and sluice.tiers that is not part of a reservation: creating an
// account on first use, reading its quota and usage, changing its quota or tier, and the
// service-wide totals of the admin view. (The reservation itself is upload_sql::kReserve.)
#pragma once

#include "db/pg_statement.h"

namespace sluice::account_sql {

// $1 user, $2 tier for a new account. Creates the account on first use.
inline constexpr PgStatement kEnsureAccount{
    "sluice_ensure_account",
    "INSERT INTO sluice.accounts (user_id, tier) "
    "VALUES ($1, COALESCE((SELECT name FROM sluice.tiers WHERE name = $2), 'free')) "
    "ON CONFLICT (user_id) DO NOTHING",
    2};

// $1 user. One row when the account exists: tier, quota, used, reserved, file count, max files,
// max file bytes, max concurrent uploads, reserved files.
inline constexpr PgStatement kAccountQuota{
    "sluice_quota_of",
    "SELECT a.tier, COALESCE(a.quota_bytes_override, t.quota_bytes), a.used_bytes, a.reserved_bytes, a.file_count,"
    "       t.max_files, t.max_file_bytes, t.max_concurrent_uploads, a.reserved_files "
    "FROM sluice.accounts a JOIN sluice.tiers t ON t.name = a.tier WHERE a.user_id = $1",
    1};

// $1 tier name. One row when the tier exists.
inline constexpr PgStatement kTierExists{"sluice_quota_tier_exists", "SELECT 1 FROM sluice.tiers WHERE name = $1", 1};

// $1 user, $2 tier (NULL: keep, or 'free' for a new account), $3 whether to set the override,
// $4 the override (NULL: back to the tier's quota).
inline constexpr PgStatement kSetQuota{
    "sluice_quota_set",
    "INSERT INTO sluice.accounts (user_id, tier, quota_bytes_override) "
    "VALUES ($1, COALESCE($2, 'free'), CASE WHEN $3::bool THEN $4::bigint END) "
    "ON CONFLICT (user_id) DO UPDATE SET tier = COALESCE($2, sluice.accounts.tier),"
    "  quota_bytes_override = CASE WHEN $3::bool THEN $4::bigint ELSE sluice.accounts.quota_bytes_override END,"
    "  updated_at = now() "
    "RETURNING user_id",
    4};

// Service-wide totals: accounts, available files and their bytes, uploading files, failed files,
// used bytes, reserved bytes, API keys not revoked.
inline constexpr PgStatement kTotals{
    "sluice_admin_totals",
    "SELECT (SELECT count(*) FROM sluice.accounts),"
    "       (SELECT count(*) FROM sluice.files WHERE status = 'available'),"
    "       (SELECT COALESCE(sum(size), 0)::bigint FROM sluice.files WHERE status = 'available'),"
    "       (SELECT count(*) FROM sluice.files WHERE status = 'uploading'),"
    "       (SELECT count(*) FROM sluice.files WHERE status = 'failed'),"
    "       (SELECT COALESCE(sum(used_bytes), 0)::bigint FROM sluice.accounts),"
    "       (SELECT COALESCE(sum(reserved_bytes), 0)::bigint FROM sluice.accounts),"
    "       (SELECT count(*) FROM sluice.api_keys WHERE revoked_at IS NULL)",
    0};

}  // namespace sluice::account_sql
