// What a running upload session records as it moves: the parts it holds (the store's view while
// it is open, since parts sent with presigned URLs never pass through Sluice; the recorded view
// afterwards), each part PUT through Sluice, and heartbeats (rate-limited per account). Each
// call also pushes the session's expiry forward.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/task.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/sessions/session_record.h"

namespace sluice {

// Why `rec` (read as not active, or found ended meanwhile) takes no part or heartbeat: a
// complete running is complete_in_progress (retry shortly); any other state is final.
Error session_not_accepting(const SessionRecord& rec);

// The session's parts, by number, etags normalized.
Task<Result<std::vector<PartInfo>>> session_parts(ServiceContext& ctx, SessionRecord rec);

// Records part `n` (`size` bytes, `etag`) of an active session; upload_aborted when the session
// ended while the part arrived.
Task<Status> record_part(PgPool& pg, std::string session_id, uint32_t n, uint64_t size, std::string etag,
                         Duration stale_after);

// A heartbeat: rate_limited (with the seconds until the window ends) past `per_minute` on the
// owner's account; session_not_accepting when it is no longer active. Renews the lease.
Task<Status> heartbeat(ServiceContext& ctx, SessionRecord rec, uint64_t per_minute, Duration stale_after);

}  // namespace sluice
