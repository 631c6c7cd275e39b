// Opening a client-driven multipart session (POST /v1/uploads): the same admission as a
// streaming upload (quota + file-count reservation and file row via upload_sql::kReserve, MIME
// and size limits of the tier, the per-user lease), a part layout within S3's rules, the
// session row and the store's multipart upload. Any failure gives back what was taken.
#pragma once

#include <cstdint>
#include <optional>

#include "core/task.h"
#include "storage/service/auth/principal.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/sessions/session_record.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice {

struct SessionSettings {
  Duration stale_upload_after = std::chrono::minutes(15);  // no heartbeat for this long: cleaned
  uint64_t default_part_size = 8 * 1024 * 1024;
};

struct PartLayout {
  uint64_t part_size = 0;
  uint32_t total_parts = 0;
};

// The layout for `size` bytes: the client's part size when valid, else Sluice's choice (equal
// parts but the last, >= 5 MiB, <= 10,000 parts). Errc::invalid_argument says why not.
Result<PartLayout> plan_session_parts(uint64_t size, std::optional<uint64_t> client_part_size,
                                      uint64_t default_part_size);

// `target.size` must be set (>= 1). On success the session is active, holds the reservation and
// the lease (released when it completes or ends), and has its store upload. Refusals: the
// layout's (invalid_size, invalid_part_size, size_beyond_store, part_layout_beyond_store), the
// reservation's (reservation_refusal), the lease's (lease_refusal), or a dependency's error.
Task<Result<SessionRecord>> admit_session(ServiceContext& ctx, Principal who, UploadTarget target,
                                              std::optional<uint64_t> client_part_size, SessionSettings settings);
// The same with a layout chosen by the caller (tus: an empty file, or a length not known yet,
// when target.size is nullopt and the tier's largest file is reserved).
Task<Result<SessionRecord>> admit_session(ServiceContext& ctx, Principal who, UploadTarget target, PartLayout layout,
                                          SessionSettings settings);


}  // namespace sluice
