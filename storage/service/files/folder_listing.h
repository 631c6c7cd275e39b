// Sub-folders of a folder (GET /v1/folders): derived from live files' paths, each with the file
// count and bytes of its subtree, keyset-paged by path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/auth/principal.h"

namespace sluice::service {

struct FolderSummary {
  std::string path;  // "/a/b"
  std::string name;  // "b"
  int64_t file_count = 0;
  int64_t bytes = 0;
};

struct FolderPage {
  std::vector<FolderSummary> items;
  std::optional<std::string> next_cursor;
};

// The immediate sub-folders of `path` (any form normalize_virtual_path accepts) that hold a live
// file of the caller somewhere below. Reason::invalid_request / invalid_cursor for bad input.
Task<Result<FolderPage>> list_folders(PgPool& pg, Principal who, std::string path, int limit,
                                      std::optional<std::string> cursor);

}  // namespace sluice::service
