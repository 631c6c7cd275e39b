// Ending a multipart session without a file (DELETE, a refused complete, the janitor): the row
// becomes 'aborted' or 'failed', its file 'failed', the reservation is given back, and the
// store's upload is aborted (with a tus upload's tail segments). The per-user lease is the caller's to release (routes hold it
// through UserLeases, the janitor through Redis).
#pragma once

#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/store/object_store.h"
#include "storage/service/uploads/sessions/session_record.h"

namespace sluice {

enum class SessionEnd { aborted, failed };

// True when this call ended the session; false when it was no longer active (or, unless
// `from_completing`, was being completed). The row changes first, so a store abort that fails
// leaves an upload that nothing wants, which the janitor's store sweep removes.
Task<Result<bool>> end_session(PgPool& pg, ObjectStore& store, SessionRecord rec, SessionEnd how,
                                         bool from_completing);

// Aborts the store's upload; one that no longer exists counts as aborted.
Task<Status> abort_store_upload(ObjectStore& store, std::string key, std::string upload_id);

}  // namespace sluice
