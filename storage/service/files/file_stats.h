// Statistics of live files: count and bytes in total, by category (stats_queries.h defines the
// categories) and by top-level folder; for admins, everyone's plus uploads per day.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"

namespace sluice::service {

// Every category, in the order the API shows them (each present, zero when empty).
inline constexpr std::array<std::string_view, 6> kFileCategories{"image", "video", "audio",
                                                                  "document", "archive", "other"};

struct CountBytes {
  std::string key;  // category, top-level folder ("/" for the root's own files) or day
  int64_t count = 0;
  int64_t bytes = 0;
};

struct FileStats {
  CountBytes total;
  std::vector<CountBytes> by_category;  // kFileCategories order
  std::vector<CountBytes> by_folder;    // by path, bytewise
  std::vector<CountBytes> uploads_per_day;  // admin only: the last 30 UTC days, oldest first
};

// The live files of `owner`.
Task<Result<FileStats>> user_file_stats(PgPool& pg, std::string owner);
// Everyone's live files, plus uploads per day.
Task<Result<FileStats>> all_file_stats(PgPool& pg);

}  // namespace sluice::service
