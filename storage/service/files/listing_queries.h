// The fixed SQL fragments a file listing is built from (file_listing.cc joins them; every value
// is a $n parameter, the numbers filled in as the statement grows). The database runs with
// --locale=C, so text comparisons (name order, path ranges) are bytewise and btree indexes on
// (owner, path ...) serve path prefixes as ranges.
#pragma once

#include "storage/service/files/file_queries.h"

namespace sluice::listing_sql {

// $1 owner. Live files only.
inline constexpr const char* kSelect =
    "SELECT " SLUICE_SQL_FILE_COLUMNS ", ";  // + the sort key's cursor value, then kFrom
inline constexpr const char* kFrom = " FROM sluice.files f WHERE f.owner = $1 AND f.status = 'available'";

// One folder. {} is a parameter number.
inline constexpr const char* kInFolder = " AND f.path = ${}";
// A folder and its subtree: the range [p, p || '0') is the btree index condition ('0' follows '/'
// in byte order); the NOT drops siblings such as '/a b' or '/a.x', which sort between p and
// p || '/'. Written so because the planner estimates both ranges from the histogram (a function
// such as starts_with() gets a fixed guess of 0.5%, and a wrong small estimate made it pick
// parallel plans), and a top-level "path = p OR path >= p || '/'" becomes two bitmap scans that
// lose the index order. Parameters: p, p || '0', p, p || '/'.
inline constexpr const char* kInSubtree =
    " AND f.path >= ${} AND f.path < ${} AND NOT (f.path > ${} AND f.path < ${})";
// q: the escaped pattern '%text%' (ILIKE's escape character is the default backslash); the
// trigram index files_live_name_trgm_idx serves it.
inline constexpr const char* kNameContains = " AND f.name ILIKE ${}";
inline constexpr const char* kContentTypeIs = " AND f.content_type = ${}";
// 'image/%' for image/* (the type part is checked to hold no LIKE wildcards).
inline constexpr const char* kContentTypeLike = " AND f.content_type LIKE ${}";
inline constexpr const char* kHasTags = " AND f.tags @> ${}::text[]";
inline constexpr const char* kFavorite = " AND f.favorite = ${}::boolean";
inline constexpr const char* kVisibility = " AND f.visibility = ${}";
inline constexpr const char* kMinSize = " AND f.size >= ${}::bigint";
inline constexpr const char* kMaxSize = " AND f.size <= ${}::bigint";
// Milliseconds since the epoch; createdBefore includes its whole millisecond (the API shows
// times to the millisecond, so a file's own createdAt must match it).
inline constexpr const char* kCreatedFrom =
    " AND f.created_at >= 'epoch'::timestamptz + ${}::bigint * interval '1 millisecond'";
inline constexpr const char* kCreatedUntil =
    " AND f.created_at < 'epoch'::timestamptz + (${}::bigint + 1) * interval '1 millisecond'";

// Per sort key: the ordered column, its value as the cursor holds it, and the cursor value cast
// back. Times travel as microseconds (exact; extract() is numeric since PostgreSQL 14).
// `in_folder` is the order used when listing one folder. For name and createdAt a folder index
// gives that order. For size and updatedAt none does, and the planner could pick the owner-wide
// index on that key, filtering by folder until the page fills; on a misestimated folder that read
// a tenth of a 1,000,000-file account (0.7-1 s, bench/file_listing.sh). "+ 0" keeps those indexes
// out, so a folder's rows come from a folder index and are sorted (top-N) instead.
struct SortColumn {
  const char* column;
  const char* in_folder;
  const char* cursor_value;
  const char* from_cursor;  // {} is the parameter number
};
inline constexpr SortColumn kCreatedAt{"f.created_at", "f.created_at",
                                       "(extract(epoch FROM f.created_at) * 1000000)::bigint::text",
                                       "'epoch'::timestamptz + ${}::bigint * interval '1 microsecond'"};
inline constexpr SortColumn kUpdatedAt{"f.updated_at", "(f.updated_at + interval '0 seconds')",
                                       "(extract(epoch FROM f.updated_at) * 1000000)::bigint::text",
                                       "'epoch'::timestamptz + ${}::bigint * interval '1 microsecond'"};
inline constexpr SortColumn kName{"f.name", "f.name", "f.name", "${}::text"};
inline constexpr SortColumn kSize{"f.size", "(f.size + 0)", "f.size::text", "${}::bigint"};

}  // namespace sluice::listing_sql
