// The SQL of sluice.api_keys, all of it: creating, listing and revoking a user's keys (the keys
// capability) and finding and touching a presented key (ApiKeyStore, storage/service/auth).
#pragma once

#include "db/pg_statement.h"
#include "storage/service/sql_time.h"

namespace sluice::key_sql {

// $1 owner, $2 prefix, $3 secret hash, $4 name, $5 scopes, $6 expiry in Unix milliseconds or NULL.
// Returns id, created_at, expires_at.
inline constexpr PgStatement kInsertKey{
    "sluice_api_key_insert",
    "INSERT INTO sluice.api_keys (owner, prefix, secret_hash, name, scopes, expires_at) "
    "VALUES ($1, $2, $3, $4, $5::text[], to_timestamp($6::bigint / 1000.0)) "
    "RETURNING id::text, " SLUICE_SQL_ISO_TIME("created_at") ", " SLUICE_SQL_ISO_TIME("expires_at"),
    6};

// $1 owner, $2 limit. Keys not revoked (expired ones too, with their expiresAt), newest first:
// id, prefix, name, scopes, created_at, last_used_at, expires_at.
inline constexpr PgStatement kListKeys{
    "sluice_api_key_list",
    "SELECT id::text, prefix, name, scopes, " SLUICE_SQL_ISO_TIME("created_at") ", " SLUICE_SQL_ISO_TIME(
        "last_used_at") ", " SLUICE_SQL_ISO_TIME("expires_at")
    " FROM sluice.api_keys WHERE owner = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2",
    2};

// $1 key id, $2 owner. Returns the prefix of the key it revoked (none: not the caller's, or gone).
inline constexpr PgStatement kRevokeKey{
    "sluice_api_key_revoke",
    "UPDATE sluice.api_keys SET revoked_at = now() WHERE id = $1::uuid AND owner = $2 AND revoked_at IS NULL "
    "RETURNING prefix",
    2};

// Authentication by API key (storage/service/auth/api_key_store.cc):
// $1 prefix. Revoked keys are invisible; expired ones are read so the caller learns why.
inline constexpr PgStatement kFindKey{
    "sluice_api_key_find",
    "SELECT id::text, owner, secret_hash, scopes, floor(extract(epoch FROM expires_at))::bigint "
    "FROM sluice.api_keys WHERE prefix = $1 AND revoked_at IS NULL",
    1};

// $1 key id. The WHERE clause keeps the write rate per key at one a minute across all cores.
inline constexpr PgStatement kTouchKey{
    "sluice_api_key_touch",
    "UPDATE sluice.api_keys SET last_used_at = now() "
    "WHERE id = $1::uuid AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    1};

}  // namespace sluice::key_sql
