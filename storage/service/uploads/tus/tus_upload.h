// TusUpload: a tus 1.0 upload (issue 17). Underneath it is an ordinary multipart session (its
// reservation, per-user lease, name check, parts and commit are the session code's); tus adds
// the offset the client resumes from, the deferred length, the metadata and the tail segments.
// The part size is fixed at creation and parts are cut by their position in the whole file, so
// every part but the last has the same size whatever the PATCH sizes were.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/task.h"
#include "storage/service/auth/principal.h"
#include "storage/service/files/file_record.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/direct/direct_upload.h"
#include "storage/service/uploads/sessions/session_admission.h"
#include "storage/service/uploads/sessions/session_record.h"

namespace sluice {

inline constexpr uint64_t kTusMaxParts = 10000;  // S3's limit; a deferred upload's placeholder layout

struct TusUpload {
  SessionRecord session;
  uint64_t offset = 0;
  bool length_known = true;
  std::string metadata;                // Upload-Metadata as accepted at creation
  std::vector<uint64_t> segments;      // tail segment starts, ascending (each ends at the next)
  std::string expires;                 // Upload-Expires (HTTP date)

  std::optional<uint64_t> length() const {
    return length_known ? std::optional<uint64_t>(session.declared_size) : std::nullopt;
  }
  // The most bytes the upload may reach: its length, or while deferred what was reserved (and
  // what S3's 10,000 parts of the fixed part size hold).
  uint64_t limit() const {
    return length_known ? session.declared_size : std::min(session.reserved_bytes, session.part_size * kTusMaxParts);
  }
  // "<object key>.tus/<start>": the store object of the tail segment starting at `start`.
  std::string segment_key(uint64_t start) const;
};

// Opens the session (target.size nullopt: deferred length; the tier's largest file is reserved
// until the length is known) and the tus row. Refusals are admit_session's.
Task<Result<TusUpload>> create_tus_upload(ServiceContext& ctx, Principal who, UploadTarget target,
                                          std::string metadata, SessionSettings settings);

// The caller's tus upload; not_found for another's, a missing one or a session that is not tus.
Task<Result<TusUpload>> find_tus_upload(PgPool& pg, std::string id, Principal who);

// Sets a deferred length (once): invalid_size when below the offset, file_too_large above the
// reservation or the store's part count, conflict when it was known meanwhile.
Task<Status> declare_tus_length(PgPool& pg, TusUpload& up, uint64_t length);

// Commits an upload whose offset reached its length: the parts are joined and the file
// committed exactly as a multipart complete does (onConflict, outbox event, lease released).
Task<Result<FileRecord>> finish_tus_upload(ServiceContext& ctx, TusUpload up);

// Termination: the session ends (aborted), the reservation, lease and tail segments go.
Task<Status> terminate_tus_upload(ServiceContext& ctx, TusUpload up);

// Removes `keys` from the store; failures are logged (the session's end sweeps the prefix).
Task<void> remove_segments(ObjectStore& store, std::vector<std::string> keys);

}  // namespace sluice
