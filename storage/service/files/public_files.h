// Public files: files whose owner made them `public`, readable by anyone. HTTP-free.
#pragma once

#include <string>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/files/file_record.h"

namespace sluice::service {

// File `id` when it is public and available. Reason::not_found with one fixed message for every
// other case (private, trashed, uploading, absent, malformed id), so nothing tells them apart.
Task<Result<FileRecord>> find_public_file(PgPool& pg, std::string id);

}  // namespace sluice::service
