// find_session: the upload session a caller may touch, by its id. Another user's session is
// not_found, exactly like a missing one (its existence is not the caller's to learn).
#pragma once

#include <string>

#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/auth/principal.h"
#include "storage/service/uploads/sessions/session_record.h"

namespace sluice {

Task<Result<SessionRecord>> find_session(PgPool& pg, std::string id, Principal who);

// The session whose store upload is `store_upload_id` (a locally signed part URL names it);
// not_found when there is none.
Task<Result<SessionRecord>> find_session_by_store_upload(PgPool& pg, std::string store_upload_id);

}  // namespace sluice
