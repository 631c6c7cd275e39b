// The SQL of folder listings: folders are not rows, they are the paths of live files, so a
// folder's sub-folders and their sizes are an aggregate over its subtree.
#pragma once

#include "db/pg_statement.h"

namespace sluice::folder_sql {

// $1 owner, $2 the folder with a trailing '/' ('/' for the root), $3 the end of its subtree's
// path range ($2 with the last '/' replaced by '0': '0' follows '/' in byte order, the database
// runs with --locale=C), $4 the last sub-folder of the previous page ('' for the first), $5
// rows to return. Each immediate sub-folder (its full path) with the count and bytes of its
// whole subtree, in byte order. Files directly in the folder are no sub-folder.
inline constexpr PgStatement kSubfolders{
    "sluice_list_subfolders",
    "SELECT s.sub, count(*), coalesce(sum(s.size), 0)::bigint FROM ("
    "  SELECT $2::text || split_part(substr(f.path, length($2::text) + 1), '/', 1) AS sub, f.size"
    "  FROM sluice.files f"
    "  WHERE f.owner = $1 AND f.status = 'available' AND f.path >= $2::text AND f.path < $3::text"
    "    AND f.path <> '/') s "
    "WHERE s.sub > $4::text GROUP BY s.sub ORDER BY s.sub LIMIT $5::int",
    5};

}  // namespace sluice::folder_sql
