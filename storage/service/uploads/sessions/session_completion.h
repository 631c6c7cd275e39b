// Completing a multipart session (POST /v1/uploads/{id}/complete): the client's part list is
// checked against what the store actually holds (ListParts: numbers, sizes, etags, and the total
// against the declared size), then the store joins the parts and the file is committed exactly
// like a streaming upload. Repeating a complete returns the same file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/task.h"
#include "storage/service/files/file_record.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/sessions/session_record.h"

namespace sluice {

struct RequestedPart {
  int number = 0;
  std::string etag;
};

struct PartCheck {
  std::optional<Error> refusal;     // nullopt: `parts` may be completed
  bool abort = false;               // the store holds more bytes than were declared: end it
  std::vector<PartInfo> parts;      // the store's parts 1..total_parts, in order
};

// Pure: compares the client's list and the store's parts with the session's layout.
PartCheck check_parts(const SessionRecord& rec, std::vector<RequestedPart> requested, std::vector<PartInfo> stored);

// Runs the whole complete for a session the caller may touch. On success the lease is released.
// Refusals: check_parts' reasons, invalid_part (the store refused the list), upload_lost,
// complete_in_progress, the session's state (session_not_active), or a dependency's error.
Task<Result<FileRecord>> complete_session(ServiceContext& ctx, SessionRecord rec,
                                                    std::vector<RequestedPart> requested);

// Commits a claimed ('completing') session's file with the joined object's `etag`, as its
// onConflict says when a live file has the name: fail (name_conflict), rename (the next free
// name, a few attempts), replace (that file is purged in the same transaction and its object
// removed after). No row: the session was not 'completing'. Used by the complete and the janitor.
Task<Result<PgResult>> commit_session_file(PgPool& pg, ObjectStore& store, SessionRecord rec, std::string etag);

// The file of a completed session (for a repeated complete).
Task<Result<FileRecord>> completed_file(PgPool& pg, std::string file_id);

}  // namespace sluice
