// The SQL of sluice.files that more than one capability reads: the column list of a file (the
// order file_from_row() reads, storage/service/files/file_record.h) and the lookup of one file.
#pragma once

#include "db/pg_statement.h"
#include "storage/service/sql_time.h"

// A file row of `sluice.files f` (or a CTE named f returning f.*), in file_from_row() order.
// Every statement that returns files selects exactly this.
#define SLUICE_SQL_FILE_COLUMNS                                                                            \
  "f.id::text, f.owner, f.object_key, f.path, f.name, f.size, f.content_type, f.md5, f.sha256, f.etag, " \
  "f.status, f.visibility, f.tags, f.metadata::text, " SLUICE_SQL_ISO_TIME("f.created_at") ", "           \
  SLUICE_SQL_ISO_TIME("f.updated_at") ", f.favorite, " SLUICE_SQL_ISO_TIME("f.expires_at") ", "          \
  SLUICE_SQL_ISO_TIME("f.trashed_at") " "

namespace sluice::file_sql {

// $1 file id. The file unless deleted (trashed files included: their owner may still see them), in SLUICE_SQL_FILE_COLUMNS order.
inline constexpr PgStatement kGetFile{
    "sluice_get_file",
    "SELECT " SLUICE_SQL_FILE_COLUMNS "FROM sluice.files f WHERE f.id = $1::uuid AND f.status <> 'deleted'",
    1};

}  // namespace sluice::file_sql
