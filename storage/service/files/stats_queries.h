// The SQL of file statistics (GET /v1/stats, GET /v1/admin/stats): live files by category and by
// top-level folder, and completed uploads per day. The category of a content type is defined
// here and nowhere else.
#pragma once

#include "db/pg_statement.h"

// The category of content type `ct` (a column): image, video, audio, document, archive or other.
// Parameters (";charset=...") and case do not matter.
#define SLUICE_SQL_FILE_CATEGORY(ct)                                                                             \
  "(CASE WHEN " ct " ~* '^image/' THEN 'image' WHEN " ct " ~* '^video/' THEN 'video' WHEN " ct                  \
  " ~* '^audio/' THEN 'audio' WHEN " ct " ~* '^text/' OR lower(split_part(" ct ", ';', 1)) IN ("                \
  "'application/pdf', 'application/msword', 'application/rtf', 'application/vnd.ms-excel', "                   \
  "'application/vnd.ms-powerpoint', 'application/epub+zip', 'application/json', 'application/xml') OR " ct      \
  " ~* '^application/vnd\\.(openxmlformats-officedocument|oasis\\.opendocument)\\.' THEN 'document' "         \
  "WHEN lower(split_part(" ct ", ';', 1)) IN ('application/zip', 'application/x-zip-compressed', "              \
  "'application/gzip', 'application/x-gzip', 'application/x-tar', 'application/x-7z-compressed', "             \
  "'application/x-rar-compressed', 'application/vnd.rar', 'application/x-bzip2', 'application/x-xz', "         \
  "'application/zstd') THEN 'archive' ELSE 'other' END)"

// The top-level folder of path `p`: '/' for files in the root, else '/first-segment'.
#define SLUICE_SQL_TOP_FOLDER(p) "(CASE WHEN " p " = '/' THEN '/' ELSE '/' || split_part(" p ", '/', 2) END)"

// Rows (kind, key, count, bytes): kind 't' the total (key ''), 'c' per category, 'f' per top-level
// folder. One pass over the files in question, first grouped by (content type, path), so the
// category and folder expressions run once per group rather than once per file (half the time
// on 1,000,000 files), then grouped three ways.
#define SLUICE_SQL_FILE_STATS(where)                                                                        \
  "SELECT CASE WHEN GROUPING(x.c) = 0 THEN 'c' WHEN GROUPING(x.t) = 0 THEN 'f' ELSE 't' END, "             \
  "coalesce(x.c, x.t, ''), coalesce(sum(x.n), 0)::bigint, coalesce(sum(x.b), 0)::bigint FROM ("            \
  "SELECT " SLUICE_SQL_FILE_CATEGORY("g.content_type") " AS c, " SLUICE_SQL_TOP_FOLDER("g.path") " AS t, " \
  "g.n, g.b FROM (SELECT f.content_type, f.path, count(*) AS n, sum(f.size) AS b FROM sluice.files f "     \
  "WHERE f.status = 'available'" where " GROUP BY f.content_type, f.path) g) x "                           \
  "GROUP BY GROUPING SETS ((), (x.c), (x.t)) ORDER BY 1, 2"

namespace sluice::stats_sql {

// $1 owner.
inline constexpr PgStatement kUserStats{"sluice_user_file_stats", SLUICE_SQL_FILE_STATS(" AND f.owner = $1"), 1};
// Everyone's files.
inline constexpr PgStatement kAllStats{"sluice_all_file_stats", SLUICE_SQL_FILE_STATS(""), 0};

// Completed uploads (files that became available, whatever became of them since, until their
// row is dropped by a purge) per UTC day over the last 30 days, oldest first, days without
// uploads included: (day 'YYYY-MM-DD', count, bytes).
inline constexpr PgStatement kUploadsPerDay{
    "sluice_uploads_per_day",
    "WITH u AS ("
    "  SELECT (f.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n, sum(f.size) AS b"
    "  FROM sluice.files f"
    "  WHERE f.created_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '29 days') AT TIME ZONE 'UTC'"
    "    AND f.status IN ('available', 'trashed', 'deleted')"
    "  GROUP BY 1) "
    "SELECT to_char(d, 'YYYY-MM-DD'), coalesce(u.n, 0), coalesce(u.b, 0)::bigint "
    "FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '29 days',"
    "                     date_trunc('day', now() AT TIME ZONE 'UTC'), interval '1 day') d "
    "LEFT JOIN u ON u.day = d::date ORDER BY d",
    0};

}  // namespace sluice::stats_sql
