// The SQL of changing files: PATCH (rename, move, visibility, tags, favorite, metadata, expiry),
// trash and restore, the trash listing. Each change writes its outbox event in the same statement
// (SLUICE_SQL_FILE_EVENT over the CTE f of the changed rows). Purges are in purge_queries.h.
#pragma once

#include "db/pg_statement.h"
#include "storage/service/events/outbox_queries.h"
#include "storage/service/files/file_queries.h"
#include "storage/service/files/purge_queries.h"

// The stored metadata with the patch $9 merged in: its keys replace the stored ones, a key whose
// value is null is removed (RFC 7396 at the top level; nested objects are replaced whole).
#define SLUICE_SQL_MERGED_METADATA                                                                \
  "((x.metadata || $9::jsonb) - ARRAY(SELECT k.key FROM jsonb_each($9::jsonb) k"                  \
  "                                  WHERE jsonb_typeof(k.value) = 'null'))"

namespace sluice::change_sql {

// $1 id, $2 owner, $3 name, $4 path, $5 visibility (each null: unchanged), $6 set tags?, $7 tags
// (text[]), $8 favorite (null: unchanged), $9 metadata patch (jsonb, null: unchanged), $10 set
// expiry?, $11 expires_at (null clears), $12 the most bytes the merged metadata may take.
// Changes an available file; no row when the file is not available (or the metadata would grow
// past $12). A name another live file holds fails on files_live_name_idx (SQLSTATE 23505).
inline constexpr PgStatement kPatchFile{
    "sluice_patch_file",
    "WITH f AS ("
    "  UPDATE sluice.files x SET name = coalesce($3::text, x.name), path = coalesce($4::text, x.path),"
    "         visibility = coalesce($5::text, x.visibility),"
    "         tags = CASE WHEN $6::boolean THEN $7::text[] ELSE x.tags END,"
    "         favorite = coalesce($8::boolean, x.favorite),"
    "         metadata = CASE WHEN $9::jsonb IS NULL THEN x.metadata ELSE " SLUICE_SQL_MERGED_METADATA " END,"
    "         expires_at = CASE WHEN $10::boolean THEN $11::timestamptz ELSE x.expires_at END,"
    "         updated_at = now()"
    "  WHERE x.id = $1::uuid AND x.owner = $2 AND x.status = 'available'"
    "    AND ($9::jsonb IS NULL OR octet_length((" SLUICE_SQL_MERGED_METADATA ")::text) <= $12::bigint)"
    "  RETURNING x.*"
    "), e AS (" SLUICE_SQL_FILE_EVENT("file.updated") ") "
    "SELECT " SLUICE_SQL_FILE_COLUMNS "FROM f",
    12};

// $1 id, $2 owner. Moves an available file to the trash (still counted in the owner's usage).
// Returns its id, or no row when it was not available.
inline constexpr PgStatement kTrashFile{
    "sluice_trash_file",
    "WITH f AS ("
    "  UPDATE sluice.files x SET status = 'trashed', trashed_at = now(), updated_at = now()"
    "  WHERE x.id = $1::uuid AND x.owner = $2 AND x.status = 'available' RETURNING x.*"
    "), e AS (" SLUICE_SQL_FILE_EVENT("file.trashed") ") "
    "SELECT f.id::text FROM f",
    2};

// $1 owner, $2 file ids (text[] of uuids). Trashes those of the owner's files that are available;
// returns the ids that are now in the trash (those trashed before included), from one snapshot.
inline constexpr PgStatement kTrashMany{
    "sluice_trash_many",
    "WITH f AS ("
    "  UPDATE sluice.files x SET status = 'trashed', trashed_at = now(), updated_at = now()"
    "  WHERE x.owner = $1 AND x.id = ANY($2::uuid[]) AND x.status = 'available' RETURNING x.*"
    "), e AS (" SLUICE_SQL_FILE_EVENT("file.trashed") ") "
    "SELECT id::text FROM sluice.files WHERE owner = $1 AND id = ANY($2::uuid[]) AND status IN ('available', 'trashed')",
    2};

// $1 id, $2 owner, $3 the name to restore it under. Trashed -> available; no row when the file is
// not in the trash. A name a live file took meanwhile fails on files_live_name_idx.
inline constexpr PgStatement kRestoreFile{
    "sluice_restore_file",
    "WITH f AS ("
    "  UPDATE sluice.files x SET status = 'available', trashed_at = NULL, name = $3, updated_at = now()"
    "  WHERE x.id = $1::uuid AND x.owner = $2 AND x.status = 'trashed' RETURNING x.*"
    "), e AS (" SLUICE_SQL_FILE_EVENT("file.restored") ") "
    "SELECT " SLUICE_SQL_FILE_COLUMNS "FROM f",
    3};

// $1 owner, $2 path, $3 name, $4 the id that is to take the name. Purges the live file of the
// owner that holds (path, name), if any and if it is not $4 (onConflict=replace). Returns id,
// object_key. Run in the transaction that then gives the name away.
inline constexpr PgStatement kPurgeNameHolder{
    "sluice_purge_name_holder",
    "WITH p AS (SELECT id FROM sluice.files WHERE owner = $1 AND path = $2 AND name = $3"
    "            AND status = 'available' AND id <> $4::uuid FOR UPDATE), " SLUICE_SQL_PURGE_FROM_P("file.deleted")
    "SELECT f.id::text, f.object_key FROM f",
    4};

// $1 owner, $2 cursor: trashed_at in microseconds since the epoch (null: the first page), $3 the
// cursor's id, $4 rows. The owner's trash, newest first (files_trashed_idx); each row is a file
// (SLUICE_SQL_FILE_COLUMNS) and then its trashed_at in microseconds, for the next cursor.
inline constexpr PgStatement kListTrash{
    "sluice_list_trash",
    "SELECT " SLUICE_SQL_FILE_COLUMNS ", (extract(epoch FROM f.trashed_at) * 1000000)::bigint "
    "FROM sluice.files f WHERE f.owner = $1 AND f.status = 'trashed'"
    "  AND ($2::bigint IS NULL OR (f.trashed_at, f.id) <"
    "       (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::uuid))"
    " ORDER BY f.trashed_at DESC, f.id DESC LIMIT $4",
    4};

}  // namespace sluice::change_sql
