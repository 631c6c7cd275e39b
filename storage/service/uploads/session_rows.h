// Upload sessions (sluice.uploads, sluice.upload_parts): finding a session, its recorded parts,
// recording a part that passed through Sluice, and a heartbeat. HTTP-free: plain values, Result
// errors (domain reasons or the database's). The statements are multipart_sql's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/auth/principal.h"
#include "storage/store/object_store.h"
#include "storage/upload/multipart_record.h"

namespace sluice::service {

// Session `id` if `who` may access it; Reason::not_found otherwise (others' sessions are absent).
Task<Result<MultipartRecord>> find_visible_session(PgPool& pg, Principal who, std::string id);

// The session whose store upload is `store_upload_id` (a locally signed part URL names it);
// Reason::not_found when there is none.
Task<Result<MultipartRecord>> find_session_by_store_upload(PgPool& pg, std::string store_upload_id);

// The parts recorded for session `id` (those that passed through Sluice), in part order.
Task<Result<std::vector<PartInfo>>> recorded_parts(PgPool& pg, std::string id);

// Records part `number` of session `id` as stored (it counts as a heartbeat: the session stays
// alive for `stale_after`). False when the session is no longer active.
Task<Result<bool>> record_part(PgPool& pg, std::string id, uint32_t number, uint64_t size, std::string etag,
                               Duration stale_after);

struct HeartbeatOutcome {
  bool rate_limited = false;  // over `per_minute` heartbeats this minute on the owner's uploads
  int64_t retry_after_s = 0;  // when rate limited: seconds until the window ends (>= 1)
  bool refreshed = false;     // the session was active and now lives for another stale_after
};

// A heartbeat on `session` (counted against its owner's `per_minute` heartbeats).
Task<Result<HeartbeatOutcome>> heartbeat(PgPool& pg, MultipartRecord session, int64_t per_minute,
                                         Duration stale_after);

}  // namespace sluice::service
