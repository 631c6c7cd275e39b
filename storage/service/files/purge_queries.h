// The SQL of purging files. A purge is two steps: one statement turns chosen rows into 'deleted'
// ones (the owner's used bytes and file count released at once, the event written), then the
// objects are removed and the rows dropped (file_purge.h). 'deleted' rows are the durable purge
// queue: a crash between the steps leaves them for the janitor.
#pragma once

#include "db/pg_statement.h"
#include "storage/service/events/outbox_queries.h"

// CTEs that purge the rows of a preceding CTE named p (column id): f (the purged rows, only
// those still available or trashed, so a repeated purge does nothing), a (their owners' usage
// settled), e (one `kind` event per file). Follow with `SELECT ... FROM f`.
#define SLUICE_SQL_PURGE_FROM_P(kind)                                                                        \
  "f AS ("                                                                                                   \
  "  UPDATE sluice.files x SET status = 'deleted', deleted_at = now(), updated_at = now(), trashed_at = NULL" \
  "  FROM p WHERE x.id = p.id AND x.status IN ('available', 'trashed') RETURNING x.*"                         \
  "), a AS ("                                                                                                \
  "  UPDATE sluice.accounts a SET used_bytes = a.used_bytes - s.bytes, file_count = a.file_count - s.n,"      \
  "         updated_at = now()"                                                                              \
  "  FROM (SELECT owner, sum(size)::bigint AS bytes, count(*) AS n FROM f GROUP BY owner) s"                   \
  "  WHERE a.user_id = s.owner RETURNING a.user_id"                                                          \
  "), e AS (" SLUICE_SQL_FILE_EVENT(kind) ") "

namespace sluice::purge_sql {

// $1 owner, $2 file ids (text[] of uuids). Purges those of the owner's files that are available
// or trashed. Returns id, object_key of each purged file.
inline constexpr PgStatement kPurgeOwned{
    "sluice_purge_owned",
    "WITH p AS (SELECT id FROM sluice.files WHERE owner = $1 AND id = ANY($2::uuid[])"
    "            AND status IN ('available', 'trashed')), " SLUICE_SQL_PURGE_FROM_P("file.deleted")
    "SELECT f.id::text, f.object_key FROM f",
    2};

// $1 owner, $2 batch size. Purges up to $2 of the owner's trashed files (DELETE /v1/trash, in
// batches). Returns id, object_key of each.
inline constexpr PgStatement kEmptyTrash{
    "sluice_empty_trash",
    "WITH p AS (SELECT id FROM sluice.files WHERE owner = $1 AND status = 'trashed' LIMIT $2), "
    SLUICE_SQL_PURGE_FROM_P("file.deleted") "SELECT f.id::text, f.object_key FROM f",
    2};

// $1 batch size. Purges up to $1 files (any owner) whose expires_at has passed, with
// 'file.expired' events. Returns id, object_key of each.
inline constexpr PgStatement kPurgeExpired{
    "sluice_purge_expired",
    "WITH p AS (SELECT id FROM sluice.files WHERE expires_at <= now() AND status IN ('available', 'trashed')"
    "            LIMIT $1), " SLUICE_SQL_PURGE_FROM_P("file.expired") "SELECT f.id::text, f.object_key FROM f",
    1};

// $1 retention in seconds, $2 batch size. Purges up to $2 files trashed longer ago than the
// retention. Returns id, object_key of each.
inline constexpr PgStatement kPurgeOldTrash{
    "sluice_purge_old_trash",
    "WITH p AS (SELECT id FROM sluice.files WHERE status = 'trashed'"
    "            AND trashed_at <= now() - make_interval(secs => $1::bigint) LIMIT $2), "
    SLUICE_SQL_PURGE_FROM_P("file.deleted") "SELECT f.id::text, f.object_key FROM f",
    2};

// $1 age in seconds, $2 batch size. Rows older than $1 seconds whose objects may still exist:
// purged ones whose purger died, and failed uploads. A failed upload's own delete can fail, or
// come before a PUT the store finished after Sluice gave up on it, so the key is removed again
// (removing a missing key succeeds). Returns id, object_key.
inline constexpr PgStatement kUnfinishedPurges{
    "sluice_unfinished_purges",
    "SELECT id::text, object_key FROM sluice.files WHERE status IN ('deleted', 'failed')"
    "  AND updated_at <= now() - make_interval(secs => $1::bigint) ORDER BY updated_at LIMIT $2",
    2};

// $1 file ids (text[]). Drops purged (or failed) rows whose objects are gone; neither state is
// ever left again.
inline constexpr PgStatement kDropPurged{
    "sluice_drop_purged",
    "DELETE FROM sluice.files WHERE id = ANY($1::uuid[]) AND status IN ('deleted', 'failed')", 1};

}  // namespace sluice::purge_sql
