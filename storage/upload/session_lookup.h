// find_session: the upload session a caller may touch, by its id. Another user's session is
// not_found, exactly like a missing one (its existence is not the caller's to learn).
#pragma once

#include <string>

#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/auth/principal.h"
#include "storage/upload/multipart_record.h"

namespace sluice {

Task<Result<MultipartRecord>> find_session(PgPool& pg, std::string id, Principal who);

}  // namespace sluice
