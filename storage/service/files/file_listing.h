// Listing a caller's live files: one folder or its subtree, filters, an order and a keyset
// cursor (GET /v1/files). The SQL is put together at run time from the fixed fragments of
// listing_queries.h, with every value a $n parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_params.h"
#include "db/pg_pool.h"
#include "storage/service/auth/principal.h"
#include "storage/service/files/file_record.h"
#include "storage/service/files/listing_cursor.h"

namespace sluice::service {

inline constexpr int kDefaultListLimit = 100;
inline constexpr int kMaxListLimit = 1000;
inline constexpr size_t kMaxListTags = 64;

struct FileFilter {
  std::optional<std::string> path;  // one folder (normalised); nullopt: every folder
  bool recursive = false;           // with path: the folder and everything below it
  std::optional<std::string> name_contains;  // q: case-insensitive, taken literally
  std::optional<std::string> content_type;   // "image/png", or "image/*" for the whole type
  std::vector<std::string> tags;              // all of them
  std::optional<bool> favorite;
  std::optional<std::string> visibility;  // private | public
  std::optional<int64_t> min_size, max_size;              // inclusive
  std::optional<int64_t> created_after_ms, created_before_ms;  // inclusive, ms since the epoch
};

struct FileListing {
  FileFilter filter;
  FileSort sort;
  int limit = kDefaultListLimit;
  std::optional<std::string> cursor;  // as the client sent it
};

struct FilePage {
  std::vector<FileRecord> items;
  std::optional<std::string> next_cursor;
};

// The statement that answers `l` for `owner` (one row more than the limit, to tell whether a
// next page exists), checked: Reason::invalid_request / invalid_cursor for bad input. Exposed so
// the benchmark can EXPLAIN exactly what the service runs.
struct ListingSql {
  std::string sql;
  PgParams params;
};
Result<ListingSql> listing_sql(const std::string& owner, const FileListing& l);

// One page of the caller's live files.
Task<Result<FilePage>> list_files(PgPool& pg, Principal who, FileListing l);

}  // namespace sluice::service
