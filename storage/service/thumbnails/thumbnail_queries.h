// The SQL of thumbnails (migration 0013): the thumbnailer's queue on sluice.thumbnails (rows the
// outbox trigger queues for every committed image upload), its outcomes, and the lookups of the
// thumbnail routes and of the purge.
#pragma once

#include "db/pg_statement.h"

namespace sluice::thumbnail_sql {

// $1 claim lease in seconds. Claims the oldest due job whose file is still there: pending and
// due, or processing with a lapsed claim (its thumbnailer died: that counts as an attempt, so an
// image that kills the process cannot loop forever). SKIP LOCKED: thumbnailers on any instance
// share the queue. Returns file_id, object_key, size, attempts.
inline constexpr PgStatement kClaim{
    "sluice_thumbnail_claim",
    "WITH c AS (SELECT t.file_id, t.state FROM sluice.thumbnails t JOIN sluice.files f ON f.id = t.file_id"
    "  WHERE t.state IN ('pending', 'processing') AND t.next_attempt_at <= now()"
    "    AND (t.state = 'pending' OR t.claimed_until < now()) AND f.status IN ('available', 'trashed')"
    "  ORDER BY t.next_attempt_at LIMIT 1 FOR UPDATE OF t SKIP LOCKED) "
    "UPDATE sluice.thumbnails t SET state = 'processing', updated_at = now(),"
    "  claimed_until = now() + make_interval(secs => $1::bigint),"
    "  attempts = t.attempts + CASE WHEN c.state = 'processing' THEN 1 ELSE 0 END "
    "FROM c, sluice.files f WHERE t.file_id = c.file_id AND f.id = t.file_id "
    "RETURNING t.file_id::text, f.object_key, f.size, t.attempts",
    1};

// $1 file id, $2 delay in seconds, $3 the error. A store error: back in the queue after the delay.
inline constexpr PgStatement kRetryLater{
    "sluice_thumbnail_retry",
    "UPDATE sluice.thumbnails SET state = 'pending', attempts = attempts + 1, claimed_until = NULL,"
    " next_attempt_at = now() + make_interval(secs => $2::double precision), error = $3, updated_at = now()"
    " WHERE file_id = $1::uuid AND state = 'processing'",
    3};

// $1 file id, $2 the error. Not an image, a hostile one, or too many attempts: for good.
inline constexpr PgStatement kFail{
    "sluice_thumbnail_fail",
    "UPDATE sluice.thumbnails SET state = 'failed', claimed_until = NULL, error = $2, updated_at = now()"
    " WHERE file_id = $1::uuid AND state = 'processing'",
    2};

// $1 file id, $2 the keys about to be stored ({"128": {"key": ...}, ...}). Written before the
// first store PUT, so a thumbnailer killed between storing and recording leaves keys its file's
// purge will find (kDerivedKeys), not unreferenced objects. Only while the file is live (its row
// locked, as in kRecordReady); no row back: the file is gone, store nothing.
inline constexpr PgStatement kPlanVariants{
    "sluice_thumbnail_plan",
    "WITH f AS (SELECT id FROM sluice.files WHERE id = $1::uuid AND status IN ('available', 'trashed')"
    "  FOR NO KEY UPDATE) "
    "UPDATE sluice.thumbnails t SET variants = $2::jsonb, updated_at = now() FROM f"
    " WHERE t.file_id = f.id AND t.state = 'processing' RETURNING t.file_id",
    2};

// $1 file id, $2 width, $3 height, $4 format, $5 variants (jsonb object). The thumbnails are
// stored: the job becomes ready, the file's metadata gets "image": {width, height, format}, and
// `thumbnail.created` goes to the outbox, in one statement. Only while the file is live: its row
// is locked first, so a purge either ran before (no row: the caller removes what it stored) or
// runs after and finds the variants (file_purge.cc). Returns one row per recorded file.
inline constexpr PgStatement kRecordReady{
    "sluice_thumbnail_ready",
    "WITH f AS (SELECT id, owner FROM sluice.files WHERE id = $1::uuid AND status IN ('available', 'trashed')"
    "  FOR NO KEY UPDATE), "
    "t AS (UPDATE sluice.thumbnails t SET state = 'ready', width = $2::int, height = $3::int, format = $4,"
    "  variants = $5::jsonb, error = NULL, claimed_until = NULL, updated_at = now()"
    "  FROM f WHERE t.file_id = f.id AND t.state = 'processing' RETURNING t.file_id), "
    "m AS (UPDATE sluice.files x SET metadata = x.metadata || jsonb_build_object('image',"
    "  jsonb_build_object('width', $2::int, 'height', $3::int, 'format', $4::text))"
    "  FROM t WHERE x.id = t.file_id RETURNING x.id), "
    "e AS (INSERT INTO sluice.events (kind, aggregate_id, payload)"
    "  SELECT 'thumbnail.created', f.id::text, jsonb_build_object('owner', f.owner, 'width', $2::int,"
    "  'height', $3::int, 'format', $4::text, 'sizes', (SELECT jsonb_agg(k::int ORDER BY k::int)"
    "  FROM jsonb_object_keys($5::jsonb) k)) FROM f JOIN m ON m.id = f.id) "
    "SELECT count(*) FROM t",
    5};

// $1 file id: state, variants, error of its thumbnails (no row: not an image).
inline constexpr PgStatement kFind{
    "sluice_thumbnail_find",
    "SELECT state, variants::text, error FROM sluice.thumbnails WHERE file_id = $1::uuid", 1};

// $1 file ids (text[]): the derived objects of files being purged (file_id, key).
inline constexpr PgStatement kDerivedKeys{
    "sluice_thumbnail_derived_keys",
    "SELECT t.file_id::text, v.value->>'key' FROM sluice.thumbnails t, jsonb_each(t.variants) v"
    " WHERE t.file_id = ANY($1::uuid[])",
    1};

}  // namespace sluice::thumbnail_sql
