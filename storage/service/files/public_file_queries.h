// The SQL of public files: a file anyone may read, without authentication.
#pragma once

#include "db/pg_statement.h"
#include "storage/service/files/file_queries.h"

namespace sluice::public_file_sql {

// $1 file id. The file only when it is public and available (private, trashed, uploading and
// deleted files are not there), in SLUICE_SQL_FILE_COLUMNS order.
inline constexpr PgStatement kGetPublicFile{
    "sluice_get_public_file",
    "SELECT " SLUICE_SQL_FILE_COLUMNS
    "FROM sluice.files f WHERE f.id = $1::uuid AND f.visibility = 'public' AND f.status = 'available'",
    1};

}  // namespace sluice::public_file_sql
