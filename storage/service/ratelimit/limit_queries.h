// The SQL that resolves a principal's rate limits: its account's overrides, else its tier's
// (the JWT's tier claim for an account not created yet, else 'free'), and an API key's own.
#pragma once

#include "db/pg_statement.h"

namespace sluice::rate_sql {

// $1 user ('' for an anonymous address: the free tier), $2 tier claim ('' when none), $3 API key
// id ('' when none). One row: per minute, burst, the key's per minute and burst (NULL: none).
inline constexpr PgStatement kLimitsOf{
    "sluice_rate_limits_of",
    "SELECT COALESCE(a.requests_per_minute_override, t.requests_per_minute),"
    "       COALESCE(a.burst_override, t.burst),"
    "       (SELECT k.requests_per_minute FROM sluice.api_keys k WHERE k.id = NULLIF($3, '')::uuid),"
    "       (SELECT k.burst FROM sluice.api_keys k WHERE k.id = NULLIF($3, '')::uuid) "
    "FROM (SELECT 1) one "
    "LEFT JOIN sluice.accounts a ON a.user_id = $1 "
    "JOIN sluice.tiers t ON t.name = COALESCE(a.tier, (SELECT name FROM sluice.tiers WHERE name = $2), 'free')",
    3};

// $1 user, $2 per minute override, $3 burst override (NULL: the tier's).
// Creates the account (free tier) when new.
inline constexpr PgStatement kSetUserRate{
    "sluice_rate_set_user",
    "INSERT INTO sluice.accounts (user_id, requests_per_minute_override, burst_override) "
    "VALUES ($1, $2::integer, $3::integer) "
    "ON CONFLICT (user_id) DO UPDATE SET requests_per_minute_override = $2::integer, burst_override = $3::integer,"
    "  updated_at = now() "
    "RETURNING user_id",
    3};

// $1 key id, $2 per minute, $3 burst (NULL: the owner's). No row: no such key.
inline constexpr PgStatement kSetKeyRate{
    "sluice_rate_set_key",
    "UPDATE sluice.api_keys SET requests_per_minute = $2::integer, burst = $3::integer "
    "WHERE id = $1::uuid RETURNING id",
    3};

}  // namespace sluice::rate_sql
