// The SQL of client-driven multipart sessions (sluice.uploads and sluice.upload_parts). The
// reservation itself is upload_sql::kReserve, shared with streaming uploads; each statement here
// moves a session from one state to the next together with its file row and the account's
// reservation, in one round trip, and only from the state it expects (so repeating is harmless).
#pragma once

#include "db/pg_statement.h"
#include "storage/service/files/purge_queries.h"
#include "storage/service/events/outbox_queries.h"
#include "storage/service/files/file_queries.h"
#include "storage/service/sql_time.h"

namespace sluice::session_sql {

// The columns session_from_row() reads (storage/service/uploads/sessions/session_record.h), from uploads u
// joined with files f.
#define SLUICE_SESSION_COLUMNS                                                                                \
  "u.id::text, u.file_id::text, u.owner, f.object_key, u.s3_upload_id, u.part_size, u.declared_size, "     \
  "u.total_parts, u.reserved_bytes, u.state, " SLUICE_SQL_ISO_TIME("u.expires_at") ", " SLUICE_SQL_ISO_TIME("u.created_at") \
  ", f.content_type, f.status, u.on_conflict, f.path, f.name "

// $1 upload id, $2 file id, $3 owner, $4 part size, $5 declared size, $6 total parts,
// $7 reserved bytes, $8 milliseconds until the session counts as stale, $9 onConflict (fail,
// replace, rename). Returns expires_at.
inline constexpr PgStatement kCreateSession{
    "sluice_mpu_create",
    "INSERT INTO sluice.uploads (id, file_id, owner, part_size, declared_size, total_parts, reserved_bytes, "
    "                            expires_at, on_conflict) "
    "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, now() + $8::bigint * interval '1 millisecond', $9) "
    "RETURNING " SLUICE_SQL_ISO_TIME("expires_at"),
    9};

// $1 upload id, $2 the store's multipart upload id.
inline constexpr PgStatement kSetStoreUpload{
    "sluice_mpu_set_store_upload",
    "UPDATE sluice.uploads SET s3_upload_id = $2, updated_at = now() WHERE id = $1::uuid AND state = 'active'",
    2};

// $1 upload id. The session with its file's key, in SLUICE_SESSION_COLUMNS order.
inline constexpr PgStatement kGetSession{
    "sluice_mpu_get",
    "SELECT " SLUICE_SESSION_COLUMNS "FROM sluice.uploads u JOIN sluice.files f ON f.id = u.file_id "
    "WHERE u.id = $1::uuid",
    1};

// $1 user. The most uploads the user's tier may run at once (a part PUT's admission).
inline constexpr PgStatement kOwnerUploadLimit{
    "sluice_mpu_owner_upload_limit",
    "SELECT t.max_concurrent_uploads FROM sluice.accounts a JOIN sluice.tiers t ON t.name = a.tier "
    "WHERE a.user_id = $1",
    1};

// $1 the store's upload id. The session a locally signed part URL belongs to.
inline constexpr PgStatement kGetSessionByStoreUpload{
    "sluice_mpu_get_by_store_upload",
    "SELECT " SLUICE_SESSION_COLUMNS "FROM sluice.uploads u JOIN sluice.files f ON f.id = u.file_id "
    "WHERE u.s3_upload_id = $1",
    1};

// $1 upload id, $2 part number, $3 size, $4 etag, $5 stale milliseconds. Records a part received
// through Sluice (it counts as a heartbeat); no row when the session is no longer active.
inline constexpr PgStatement kRecordPart{
    "sluice_mpu_record_part",
    "WITH u AS ("
    "  UPDATE sluice.uploads SET heartbeat_at = now(), updated_at = now(),"
    "         expires_at = now() + $5::bigint * interval '1 millisecond'"
    "  WHERE id = $1::uuid AND state = 'active' RETURNING id"
    ")"
    "INSERT INTO sluice.upload_parts (upload_id, part_number, size, etag) SELECT id, $2, $3, $4 FROM u "
    "ON CONFLICT (upload_id, part_number) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag, created_at = now() "
    "RETURNING part_number",
    5};

// $1 upload id, $2 int[] numbers, $3 bigint[] sizes, $4 text[] etags: the store's view of the
// parts, recorded when a session completes (parts sent with presigned URLs bypass Sluice).
inline constexpr PgStatement kRecordParts{
    "sluice_mpu_record_parts",
    "INSERT INTO sluice.upload_parts (upload_id, part_number, size, etag) "
    "SELECT $1::uuid, p.n, p.s, p.e FROM unnest($2::int[], $3::bigint[], $4::text[]) AS p(n, s, e) "
    "ON CONFLICT (upload_id, part_number) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag",
    4};

// $1 upload id. Parts recorded by Sluice, in order: number, size, etag.
inline constexpr PgStatement kListRecordedParts{
    "sluice_mpu_list_parts",
    "SELECT part_number, size, etag FROM sluice.upload_parts WHERE upload_id = $1::uuid ORDER BY part_number",
    1};

// $1 upload id, $2 the account whose heartbeats are counted, $3 heartbeats allowed per minute,
// $4 stale milliseconds. Returns: this minute's count, whether the session was refreshed,
// seconds until the window ends.
inline constexpr PgStatement kHeartbeat{
    "sluice_mpu_heartbeat",
    "WITH rl AS ("
    "  UPDATE sluice.accounts SET"
    "    heartbeat_count = CASE WHEN heartbeat_window > now() - interval '1 minute'"
    "                           THEN heartbeat_count + 1 ELSE 1 END,"
    "    heartbeat_window = CASE WHEN heartbeat_window > now() - interval '1 minute'"
    "                            THEN heartbeat_window ELSE now() END"
    "  WHERE user_id = $2 RETURNING heartbeat_count, heartbeat_window"
    "), u AS ("
    "  UPDATE sluice.uploads SET heartbeat_at = now(), updated_at = now(),"
    "         expires_at = now() + $4::bigint * interval '1 millisecond'"
    "  WHERE id = $1::uuid AND state = 'active' AND COALESCE((SELECT heartbeat_count FROM rl), 0) <= $3"
    "  RETURNING id"
    ")"
    "SELECT COALESCE((SELECT heartbeat_count FROM rl), 0), EXISTS (SELECT 1 FROM u),"
    "       COALESCE(ceil(extract(epoch FROM (SELECT heartbeat_window FROM rl) + interval '1 minute' - now())), 1)"
    "       ::bigint",
    4};

// $1 upload id. Claims the session for one complete; no row when it is not active.
inline constexpr PgStatement kClaimCompletion{
    "sluice_mpu_claim_completion",
    "UPDATE sluice.uploads SET state = 'completing', updated_at = now() WHERE id = $1::uuid AND state = 'active' "
    "RETURNING id",
    1};

// $1 upload id. Gives a claimed session back (the complete was refused; the client may retry).
inline constexpr PgStatement kReleaseCompletion{
    "sluice_mpu_release_completion",
    "UPDATE sluice.uploads SET state = 'active', heartbeat_at = now(), updated_at = now() "
    "WHERE id = $1::uuid AND state = 'completing'",
    1};

// $1 upload id, $2 the object's etag, $3 a new name for the file (NULL: keep it; onConflict=rename
// after losing the name). A claimed session's commit, with the same effect as
// upload_sql::kCommit: file available, reservation settled into usage, outbox event. Returns the
// file (SLUICE_SQL_FILE_COLUMNS order) or no row when the session was not 'completing'.
inline constexpr PgStatement kCommitSession{
    "sluice_mpu_commit",
    "WITH u AS ("
    "  UPDATE sluice.uploads SET state = 'completed', updated_at = now()"
    "  WHERE id = $1::uuid AND state = 'completing'"
    "    AND EXISTS (SELECT 1 FROM sluice.files x WHERE x.id = uploads.file_id AND x.status = 'uploading')"
    "  RETURNING file_id, owner, declared_size, reserved_bytes"
    "), f AS ("
    "  UPDATE sluice.files f SET status = 'available', size = u.declared_size, etag = $2,"
    "         name = COALESCE($3, f.name), updated_at = now()"
    "  FROM u WHERE f.id = u.file_id RETURNING f.*"
    "), a AS ("
    "  UPDATE sluice.accounts a SET reserved_bytes = a.reserved_bytes - u.reserved_bytes,"
    "         reserved_files = a.reserved_files - 1, used_bytes = a.used_bytes + u.declared_size,"
    "         file_count = a.file_count + 1, updated_at = now()"
    "  FROM u WHERE a.user_id = u.owner RETURNING a.user_id"
    "), e AS (" SLUICE_SQL_FILE_UPLOADED_EVENT ")"
    "SELECT " SLUICE_SQL_FILE_COLUMNS "FROM f, a",
    3};

// $1 upload id. Purges the live file that has the name of the session's file (onConflict=replace,
// in the transaction of kCommitSession). Returns id, object_key of the purged file.
inline constexpr PgStatement kPurgeSessionName{
    "sluice_mpu_purge_name",
    "WITH p AS (SELECT o.id FROM sluice.uploads u JOIN sluice.files n ON n.id = u.file_id"
    "            JOIN sluice.files o ON o.owner = n.owner AND o.path = n.path AND o.name = n.name"
    "            WHERE u.id = $1::uuid AND o.status = 'available' AND o.id <> n.id), "
    SLUICE_SQL_PURGE_FROM_P("file.deleted") "SELECT f.id::text, f.object_key FROM f",
    1};

// $1 upload id, $2 final state ('aborted' or 'failed'), $3 whether a 'completing' session may
// be ended too. Ends the session, fails its file (with its upload.aborted event) and gives the
// reservation back. Returns the number of sessions changed (0 or 1).
inline constexpr PgStatement kEndSession{
    "sluice_mpu_end",
    "WITH u AS ("
    "  UPDATE sluice.uploads SET state = $2, updated_at = now()"
    "  WHERE id = $1::uuid AND (state = 'active' OR ($3::boolean AND state = 'completing'))"
    "  RETURNING id, file_id, owner, reserved_bytes, state"
    "), f AS ("
    "  UPDATE sluice.files f SET status = 'failed', updated_at = now()"
    "  FROM u WHERE f.id = u.file_id AND f.status = 'uploading' RETURNING f.*"
    "), e AS (" SLUICE_SQL_UPLOAD_ABORTED_EVENT("(SELECT u.state FROM u)", "(SELECT u.id::text FROM u)") "), a AS ("
    "  UPDATE sluice.accounts a SET reserved_bytes = a.reserved_bytes - u.reserved_bytes,"
    "         reserved_files = a.reserved_files - 1, updated_at = now()"
    "  FROM u WHERE a.user_id = u.owner AND EXISTS (SELECT 1 FROM f) RETURNING a.user_id"
    ")"
    "SELECT count(*) FROM u",
    3};

// --- the janitor ---

// $1 stale milliseconds, $2 batch size. Active sessions whose heartbeat stopped (a tus upload:
// past its Upload-Expires, which each PATCH pushes forward).
inline constexpr PgStatement kStaleSessions{
    "sluice_janitor_stale_sessions",
    "SELECT " SLUICE_SESSION_COLUMNS "FROM sluice.uploads u JOIN sluice.files f ON f.id = u.file_id "
    "WHERE u.state = 'active' AND u.heartbeat_at < now() - $1::bigint * interval '1 millisecond' "
    "  AND (u.expires_at < now() OR NOT EXISTS (SELECT 1 FROM sluice.tus_uploads t WHERE t.upload_id = u.id)) "
    "ORDER BY u.heartbeat_at LIMIT $2",
    2};

// $1 milliseconds, $2 batch size. Completions that never finished (their process died).
inline constexpr PgStatement kStuckCompletions{
    "sluice_janitor_stuck_completions",
    "SELECT " SLUICE_SESSION_COLUMNS "FROM sluice.uploads u JOIN sluice.files f ON f.id = u.file_id "
    "WHERE u.state = 'completing' AND u.updated_at < now() - $1::bigint * interval '1 millisecond' "
    "ORDER BY u.updated_at LIMIT $2",
    2};

// $1 milliseconds, $2 batch size. Streaming uploads left 'uploading' by a process that died:
// id, owner, object key, declared size (the reservation of a sized upload).
inline constexpr PgStatement kOrphanFiles{
    "sluice_janitor_orphan_files",
    "SELECT f.id::text, f.owner, f.object_key, f.size FROM sluice.files f "
    "WHERE f.status = 'uploading' AND f.updated_at < now() - $1::bigint * interval '1 millisecond' "
    "  AND NOT EXISTS (SELECT 1 FROM sluice.uploads u WHERE u.file_id = f.id AND u.state IN ('active', 'completing')) "
    "ORDER BY f.updated_at LIMIT $2",
    2};

// $1 file id, $2 reserved amount. upload_sql::kFail (upload.aborted event included), except that
// a reservation already smaller than the amount (an unsized upload reserved by another rule) is
// not driven negative.
inline constexpr PgStatement kFailOrphan{
    "sluice_janitor_fail_orphan",
    "WITH f AS ("
    "  UPDATE sluice.files SET status = 'failed', updated_at = now()"
    "  WHERE id = $1::uuid AND status = 'uploading' RETURNING *"
    "), e AS (" SLUICE_SQL_UPLOAD_ABORTED_EVENT("'failed'", "NULL") ")"
    "UPDATE sluice.accounts SET reserved_bytes = GREATEST(reserved_bytes - $2, 0),"
    "       reserved_files = GREATEST(reserved_files - 1, 0), updated_at = now() "
    "WHERE user_id = (SELECT owner FROM f) RETURNING user_id",
    2};

// $1 text[] keys, $2 text[] store upload ids. The store's multipart uploads that nothing wants:
// no file of that key is still 'uploading', or its session uses another store upload.
inline constexpr PgStatement kUnwantedStoreUploads{
    "sluice_janitor_unwanted_store_uploads",
    "SELECT p.k, p.i FROM unnest($1::text[], $2::text[]) AS p(k, i) "
    "WHERE NOT EXISTS ("
    "  SELECT 1 FROM sluice.files f WHERE f.object_key = p.k AND f.status = 'uploading'"
    "    AND NOT EXISTS (SELECT 1 FROM sluice.uploads u WHERE u.file_id = f.id"
    "                    AND u.state IN ('active', 'completing') AND u.s3_upload_id IS NOT NULL"
    "                    AND u.s3_upload_id <> p.i))",
    2};

// $1 batch size. Accounts that hold a reservation although none of their files is in flight:
// what an upload of unknown size (its reservation is not on its row) leaves after a crash.
inline constexpr PgStatement kDriftedAccounts{
    "sluice_janitor_drifted_accounts",
    "SELECT a.user_id FROM sluice.accounts a WHERE (a.reserved_bytes <> 0 OR a.reserved_files <> 0)"
    "  AND NOT EXISTS (SELECT 1 FROM sluice.files f WHERE f.owner = a.user_id AND f.status = 'uploading') LIMIT $1",
    1};

// $1 user. Taken first in the reconciling transaction: a reservation committed before it is
// visible to the next statement, one after it waits.
inline constexpr PgStatement kLockAccount{
    "sluice_janitor_lock_account", "SELECT 1 FROM sluice.accounts WHERE user_id = $1 FOR UPDATE", 1};

// $1 user. Zeroes the reservation of an account with nothing in flight (under kLockAccount).
inline constexpr PgStatement kZeroIdleReservation{
    "sluice_janitor_zero_idle_reservation",
    "UPDATE sluice.accounts a SET reserved_bytes = 0, reserved_files = 0, updated_at = now() "
    "WHERE a.user_id = $1 AND (a.reserved_bytes <> 0 OR a.reserved_files <> 0)"
    "  AND NOT EXISTS (SELECT 1 FROM sluice.files f WHERE f.owner = a.user_id AND f.status = 'uploading') "
    "RETURNING a.user_id",
    1};

#undef SLUICE_SESSION_COLUMNS

}  // namespace sluice::session_sql
