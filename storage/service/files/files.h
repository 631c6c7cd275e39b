// Files: reading the files a caller may see. HTTP-free: Result errors (domain reasons or the
// database's).
#pragma once

#include <string>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/auth/principal.h"
#include "storage/service/files/file_record.h"

namespace sluice::service {

// File `id` unless deleted, if `who` may access it. Reason::not_found otherwise: others' files
// do not exist, as far as the caller knows.
Task<Result<FileRecord>> find_visible_file(PgPool& pg, Principal who, std::string id);

}  // namespace sluice::service
