// The SQL of the upload path. Each statement does its job atomically on its own (one round
// trip): reserve quota + create the file row; commit file + settle quota + outbox event; fail
// file + release quota.
#pragma once

#include "db/pg_statement.h"
#include "storage/service/accounts/account_queries.h"
#include "storage/service/events/outbox_queries.h"
#include "storage/service/files/file_queries.h"
#include "storage/service/files/purge_queries.h"

namespace sluice::upload_sql {

// The account a reservation needs is created by account_sql::kEnsureAccount (the accounts
// capability owns sluice.accounts); the upload path names it here too.
using account_sql::kEnsureAccount;

// $1 user, $2 bytes to reserve (NULL: the tier's max file size, for bodies of unknown length;
// with $9 NULL, an upper bound such as a form body's length: the tier's max caps it),
// never <= 0 (refused: a non-positive amount would give quota away; an empty file reserves 1),
// $3 file id, $4 object key, $5 path, $6 name, $7 content type, $8 visibility, $9 declared size,
// $10 whether the name must be free (no live file of the user in $5 named $6: onConflict fail or
// rename; replace takes the name at commit). Returns one row: reserved (bool), reserved_bytes
// (the amount), quota, used, reserved_total, file_count, reserved_files, max_file_bytes,
// max_files, max_concurrent_uploads, mime_allowed, the id of the live file holding the name
// (NULL: free, or not checked). The name check rides on the unique index of live names, in the
// same round trip, so a refused upload costs nothing more.
inline constexpr PgStatement kReserve{
    "sluice_reserve",
    "WITH lim AS ("
    "  SELECT a.user_id, COALESCE(a.quota_bytes_override, t.quota_bytes) AS quota, t.max_file_bytes, t.max_files,"
    "         t.max_concurrent_uploads, a.used_bytes, a.reserved_bytes, a.file_count, a.reserved_files,"
    "         LEAST(COALESCE($2::bigint, t.max_file_bytes), GREATEST(t.max_file_bytes, COALESCE($9::bigint, 0))) AS amount,"
    "         (t.allowed_mime_types IS NULL OR $7 = ANY(t.allowed_mime_types)"
    "          OR split_part($7, '/', 1) || '/*' = ANY(t.allowed_mime_types)) AS mime_ok"
    "  FROM sluice.accounts a JOIN sluice.tiers t ON t.name = a.tier WHERE a.user_id = $1"
    "), clash AS ("
    "  SELECT id FROM sluice.files"
    "  WHERE $10::boolean AND owner = $1 AND path = $5 AND name = $6 AND status = 'available' LIMIT 1"
    "), upd AS ("
    "  UPDATE sluice.accounts a"
    "  SET reserved_bytes = a.reserved_bytes + lim.amount, reserved_files = a.reserved_files + 1, updated_at = now()"
    "  FROM lim"
    "  WHERE a.user_id = lim.user_id AND lim.mime_ok AND COALESCE($9::bigint, 0) <= lim.max_file_bytes"
    "    AND lim.amount > 0 AND COALESCE($9::bigint, 0) >= 0 AND NOT EXISTS (SELECT 1 FROM clash)"
    "    AND a.used_bytes + a.reserved_bytes + lim.amount <= lim.quota"
    "    AND a.file_count + a.reserved_files + 1 <= lim.max_files"
    "  RETURNING a.user_id"
    "), ins AS ("
    "  INSERT INTO sluice.files (id, owner, object_key, path, name, content_type, visibility, size, status)"
    "  SELECT $3::uuid, upd.user_id, $4, $5, $6, $7, $8, COALESCE($9::bigint, 0), 'uploading' FROM upd"
    "  RETURNING id"
    ")"
    "SELECT EXISTS (SELECT 1 FROM ins), lim.amount, lim.quota, lim.used_bytes, lim.reserved_bytes, lim.file_count,"
    "       lim.reserved_files, lim.max_file_bytes, lim.max_files, lim.max_concurrent_uploads, lim.mime_ok,"
    "       (SELECT id::text FROM clash) "
    "FROM lim",
    10};

// $1 file id, $2 owner, $3 final size, $4 md5, $5 sha256, $6 etag, $7 reserved amount, $8 the
// name the file takes (NULL: the row's own; onConflict=rename after losing a race for it).
// Returns the committed file (SLUICE_SQL_FILE_COLUMNS order) or no row if it was not 'uploading'.
// The unique index of live names refuses it (23505, service::name_conflict_from) when a live
// file took the name since the admission.
inline constexpr PgStatement kCommit{
    "sluice_commit_file",
    "WITH f AS ("
    "  UPDATE sluice.files SET status = 'available', size = $3, md5 = $4, sha256 = $5, etag = $6,"
    "         name = COALESCE($8::text, name), updated_at = now()"
    "  WHERE id = $1::uuid AND owner = $2 AND status = 'uploading' RETURNING *"
    "), a AS ("
    "  UPDATE sluice.accounts SET reserved_bytes = reserved_bytes - $7, reserved_files = reserved_files - 1,"
    "         used_bytes = used_bytes + $3, file_count = file_count + 1, updated_at = now()"
    "  WHERE user_id = $2 AND EXISTS (SELECT 1 FROM f) RETURNING user_id"
    "), e AS (" SLUICE_SQL_FILE_UPLOADED_EVENT ")"
    "SELECT " SLUICE_SQL_FILE_COLUMNS "FROM f, a",
    8};

// $1 owner, $2 path, $3 name, $4 the replacing file's id. onConflict=replace, in the commit's
// transaction and before it: purges the live file holding the name (status 'deleted', its bytes
// and count released, a file.deleted event), so the commit that follows takes the name. Returns
// id, object_key of the purged file (none when the name was free); service::finish_purge
// removes its object once the transaction has committed.
inline constexpr PgStatement kPurgeLiveName{
    "sluice_purge_live_name",
    "WITH p AS (SELECT id FROM sluice.files WHERE owner = $1 AND path = $2 AND name = $3 AND status = 'available'"
    "            AND id <> $4::uuid), " SLUICE_SQL_PURGE_FROM_P("file.deleted")
    "SELECT f.id::text, f.object_key FROM f",
    4};

// $1 file id, $2 reserved amount. Marks an in-flight file failed, gives its reservation back and
// writes its upload.aborted event; does nothing if the file is no longer 'uploading' (so
// repeating it is harmless).
inline constexpr PgStatement kFail{
    "sluice_fail_file",
    "WITH f AS ("
    "  UPDATE sluice.files SET status = 'failed', updated_at = now()"
    "  WHERE id = $1::uuid AND status = 'uploading' RETURNING *"
    "), e AS (" SLUICE_SQL_UPLOAD_ABORTED_EVENT("'failed'", "NULL") ")"
    "UPDATE sluice.accounts SET reserved_bytes = reserved_bytes - $2, reserved_files = reserved_files - 1,"
    "       updated_at = now() "
    "WHERE user_id = (SELECT owner FROM f)",
    2};

}  // namespace sluice::upload_sql
