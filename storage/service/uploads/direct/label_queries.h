// The SQL that sets a file's labels (tags, metadata) while it is still uploading, so they are
// in place when the commit makes the file available.
#pragma once

#include "db/pg_statement.h"

namespace sluice::upload_sql {

// $1 file id, $2 tags (text[]), $3 metadata (a JSON object). No row once the file left 'uploading'.
inline constexpr PgStatement kSetLabels{
    "sluice_set_file_labels",
    "UPDATE sluice.files SET tags = $2::text[], metadata = $3::jsonb, updated_at = now() "
    "WHERE id = $1::uuid AND status = 'uploading' RETURNING id",
    3};

}  // namespace sluice::upload_sql
