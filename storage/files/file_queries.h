// SQL for reading files.
#pragma once

#include "db/pg_statement.h"

namespace sluice::file_sql {

// $1 file id. The file unless deleted, in kFileColumns order.
inline constexpr PgStatement kGetFile{
    "sluice_get_file",
    "SELECT id::text, owner, object_key, path, name, size, content_type, md5, sha256, etag, status, visibility, "
    "tags, metadata::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
    "FROM sluice.files WHERE id = $1::uuid AND status <> 'deleted'",
    1};

}  // namespace sluice::file_sql
