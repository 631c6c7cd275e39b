// The SQL of sluice.shares and sluice.share_unlock_attempts, all of it: the owner's create, list,
// change and revoke, and the public side's lookup by token hash, counted downloads, access
// touches and the wrong-password counters. Events go to the outbox in the same statement.
#pragma once

#include "db/pg_statement.h"
#include "storage/service/files/file_queries.h"
#include "storage/service/sql_time.h"

// A share as its owner sees it, from a row source named s:
// id, file_id, expires_at, max_downloads, download_count, allow_download, password_required,
// note, created_at, last_accessed_at, created_at in Unix microseconds (the list cursor).
#define SLUICE_SQL_SHARE_COLUMNS \
  "s.id::text, s.file_id::text, " SLUICE_SQL_ISO_TIME("s.expires_at") ", s.max_downloads, s.download_count, " \
  "'download' = ANY(s.permissions), s.password_hash IS NOT NULL, s.note, " SLUICE_SQL_ISO_TIME(               \
      "s.created_at") ", " SLUICE_SQL_ISO_TIME("s.last_accessed_at") ", "                                       \
  "(extract(epoch FROM s.created_at) * 1000000)::bigint "

// One event of `kind` for every row of a CTE named s (shares): never the token or its hash.
#define SLUICE_SQL_SHARE_EVENT(kind)                                                \
  "INSERT INTO sluice.events (kind, aggregate_id, payload) "                        \
  "SELECT '" kind                                                                   \
  "', s.id::text, jsonb_build_object('owner', s.owner, 'fileId', s.file_id::text, " \
  "'downloadCount', s.download_count, 'maxDownloads', s.max_downloads) FROM s"

namespace sluice::share_sql {

// $1 file id, $2 owner, $3 token hash, $4 password hash or NULL, $5 allow download, $6 expiry in
// Unix milliseconds or NULL, $7 max downloads or NULL, $8 note. Only a live file of the owner
// may be shared: no row otherwise. Returns SLUICE_SQL_SHARE_COLUMNS.
inline constexpr PgStatement kCreateShare{
    "sluice_share_create",
    "WITH f AS (SELECT id, owner FROM sluice.files WHERE id = $1::uuid AND owner = $2 AND status = 'available'), "
    "s AS (INSERT INTO sluice.shares (file_id, owner, token_hash, password_hash, permissions, expires_at, "
    "max_downloads, note) SELECT f.id, f.owner, $3, $4, "
    "CASE WHEN $5::bool THEN ARRAY['view', 'download'] ELSE ARRAY['view'] END, "
    "to_timestamp($6::bigint / 1000.0), $7::int, $8 FROM f RETURNING *), "
    "e AS (" SLUICE_SQL_SHARE_EVENT("share.created") ") "
    "SELECT " SLUICE_SQL_SHARE_COLUMNS "FROM s",
    8};

// $1 file id, $2 owner: the file's status if it is the owner's and not purged.
inline constexpr PgStatement kOwnedFileStatus{
    "sluice_share_file_status",
    "SELECT status FROM sluice.files WHERE id = $1::uuid AND owner = $2 AND status <> 'deleted'", 2};

// $1 owner, $2 file id or NULL (all files), $3 cursor micros or NULL, $4 cursor id, $5 limit.
// Live (not revoked) shares, newest first, keyset on (created_at, id).
inline constexpr PgStatement kListShares{"sluice_share_list",
                                         "SELECT " SLUICE_SQL_SHARE_COLUMNS
                                         "FROM sluice.shares s WHERE s.owner = $1 AND s.revoked_at IS NULL "
                                         "AND ($2::uuid IS NULL OR s.file_id = $2::uuid) "
                                         "AND ($3::bigint IS NULL OR (s.created_at, s.id) < "
                                         "(timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::uuid)) "
                                         "ORDER BY s.created_at DESC, s.id DESC LIMIT $5",
                                         5};

// $1 share id, $2 owner. The live share, SLUICE_SQL_SHARE_COLUMNS.
inline constexpr PgStatement kGetShare{"sluice_share_get",
                                       "SELECT " SLUICE_SQL_SHARE_COLUMNS
                                       "FROM sluice.shares s WHERE s.id = $1::uuid AND s.owner = $2 "
                                       "AND s.revoked_at IS NULL",
                                       2};

// $1 share id, $2 owner; then pairs (set?, value): $3/$4 expiry ms, $5/$6 max downloads,
// $7/$8 password hash (a set password, or NULL: no password; either bumps password_version),
// $9/$10 allow download, $11/$12 note. Returns SLUICE_SQL_SHARE_COLUMNS.
inline constexpr PgStatement kChangeShare{
    "sluice_share_change",
    "UPDATE sluice.shares s SET "
    "expires_at = CASE WHEN $3::bool THEN to_timestamp($4::bigint / 1000.0) ELSE s.expires_at END, "
    "max_downloads = CASE WHEN $5::bool THEN $6::int ELSE s.max_downloads END, "
    "password_hash = CASE WHEN $7::bool THEN $8::text ELSE s.password_hash END, "
    "password_version = s.password_version + CASE WHEN $7::bool THEN 1 ELSE 0 END, "
    "permissions = CASE WHEN NOT $9::bool THEN s.permissions WHEN $10::bool THEN ARRAY['view', 'download'] "
    "ELSE ARRAY['view'] END, "
    "note = CASE WHEN $11::bool THEN $12::text ELSE s.note END "
    "WHERE s.id = $1::uuid AND s.owner = $2 AND s.revoked_at IS NULL "
    "RETURNING " SLUICE_SQL_SHARE_COLUMNS,
    12};

// $1 share id, $2 owner. Revokes the live share, with its event.
inline constexpr PgStatement kRevokeShare{
    "sluice_share_revoke",
    "WITH s AS (UPDATE sluice.shares SET revoked_at = now() WHERE id = $1::uuid AND owner = $2 "
    "AND revoked_at IS NULL RETURNING *), "
    "e AS (" SLUICE_SQL_SHARE_EVENT("share.revoked") ") "
    "SELECT id::text FROM s",
    2};

// Public side. $1 token hash: the share (live, unexpired) and its available file:
// id, password_hash, password_version, allow download, expires_at, max_downloads,
// download_count, touch due (last access over a minute ago), then SLUICE_SQL_FILE_COLUMNS.
inline constexpr PgStatement kOpenShare{
    "sluice_share_open",
    "SELECT s.id::text, s.password_hash, s.password_version, 'download' = ANY(s.permissions), " SLUICE_SQL_ISO_TIME(
        "s.expires_at") ", s.max_downloads, s.download_count, "
    "(s.last_accessed_at IS NULL OR s.last_accessed_at < now() - interval '1 minute'), " SLUICE_SQL_FILE_COLUMNS
    "FROM sluice.shares s JOIN sluice.files f ON f.id = s.file_id "
    "WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now()) "
    "AND f.status = 'available'",
    1};

// $1 share id. Counts one download if the limit allows it (the row lock orders racing
// downloads: exactly max_downloads of them pass), with its share.accessed event.
// Returns download_count, max_downloads; no row: used up (or revoked or expired meanwhile).
inline constexpr PgStatement kCountDownload{
    "sluice_share_count_download",
    "WITH s AS (UPDATE sluice.shares SET download_count = download_count + 1, last_accessed_at = now() "
    "WHERE id = $1::uuid AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) "
    "AND (max_downloads IS NULL OR download_count < max_downloads) RETURNING *), "
    "e AS (" SLUICE_SQL_SHARE_EVENT("share.accessed") ") "
    "SELECT download_count, max_downloads FROM s",
    1};

// $1 share id. last_accessed_at, written at most once a minute per share across all cores.
inline constexpr PgStatement kTouchShare{
    "sluice_share_touch",
    "UPDATE sluice.shares SET last_accessed_at = now() WHERE id = $1::uuid "
    "AND (last_accessed_at IS NULL OR last_accessed_at < now() - interval '1 minute')",
    1};

// $1 subjects (sorted, so concurrent statements lock rows in one order). Counts one attempt
// for each in its fixed one-minute window; returns attempts and seconds left in the window.
inline constexpr PgStatement kCountUnlockAttempt{
    "sluice_share_unlock_attempt",
    "INSERT INTO sluice.share_unlock_attempts AS a (subject, window_start, attempts) "
    "SELECT x, now(), 1 FROM unnest($1::text[]) AS x ORDER BY x "
    "ON CONFLICT (subject) DO UPDATE SET "
    "attempts = CASE WHEN a.window_start <= now() - interval '1 minute' THEN 1 ELSE a.attempts + 1 END, "
    "window_start = CASE WHEN a.window_start <= now() - interval '1 minute' THEN now() ELSE a.window_start END "
    "RETURNING attempts, greatest(1, ceil(extract(epoch FROM (window_start + interval '1 minute' - now()))))::int",
    1};

// $1 subjects. Gives back the attempt a correct password had counted.
inline constexpr PgStatement kForgiveUnlockAttempt{
    "sluice_share_unlock_forgive",
    "UPDATE sluice.share_unlock_attempts SET attempts = greatest(attempts - 1, 0) WHERE subject = ANY($1::text[])", 1};

}  // namespace sluice::share_sql
