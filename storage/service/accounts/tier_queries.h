// The SQL of sluice.tiers as data: list, read one, create or replace one (admin routes).
#pragma once

#include "db/pg_statement.h"

namespace sluice::tier_sql {

#define SLUICE_SQL_TIER_COLUMNS                                                                        \
  "name, quota_bytes, max_file_bytes, max_files, max_concurrent_uploads, allowed_mime_types IS NULL, " \
  "COALESCE(allowed_mime_types, '{}'), requests_per_minute, burst"

inline constexpr PgStatement kListTiers{"sluice_tiers_list",
                                        "SELECT " SLUICE_SQL_TIER_COLUMNS " FROM sluice.tiers ORDER BY name", 0};

// $1 name.
inline constexpr PgStatement kTierNamed{"sluice_tier_named",
                                        "SELECT " SLUICE_SQL_TIER_COLUMNS " FROM sluice.tiers WHERE name = $1", 1};

// $1 name, $2 quota, $3 max file bytes, $4 max files, $5 max concurrent uploads, $6 any type
// allowed (bool), $7 the allowed types (text[], ignored when $6), $8 per minute, $9 burst.
inline constexpr PgStatement kPutTier{
    "sluice_tier_put",
    "INSERT INTO sluice.tiers (name, quota_bytes, max_file_bytes, max_files, max_concurrent_uploads,"
    "                          allowed_mime_types, requests_per_minute, burst) "
    "VALUES ($1, $2::bigint, $3::bigint, $4::bigint, $5::integer, CASE WHEN $6::bool THEN NULL ELSE $7::text[] END,"
    "        $8::integer, $9::integer) "
    "ON CONFLICT (name) DO UPDATE SET quota_bytes = EXCLUDED.quota_bytes, max_file_bytes = EXCLUDED.max_file_bytes,"
    "  max_files = EXCLUDED.max_files, max_concurrent_uploads = EXCLUDED.max_concurrent_uploads,"
    "  allowed_mime_types = EXCLUDED.allowed_mime_types, requests_per_minute = EXCLUDED.requests_per_minute,"
    "  burst = EXCLUDED.burst, updated_at = now() "
    "RETURNING " SLUICE_SQL_TIER_COLUMNS,
    9};

}  // namespace sluice::tier_sql
