// The trash and deleting files: DELETE /v1/files/{id} (to the trash, or purged), restore, the
// trash listing, emptying it, and bulk delete. A trashed file still counts in its owner's usage;
// a purge releases it at once and removes the object right after (file_purge.h). HTTP-free.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/auth/principal.h"
#include "storage/service/files/file_record.h"
#include "storage/service/files/name_conflict.h"
#include "storage/store/object_store.h"

namespace sluice::service {

// How many files one statement of DELETE /v1/trash purges.
inline constexpr int kEmptyTrashBatch = 200;
// The most ids one bulk delete takes.
inline constexpr size_t kMaxBulkDeleteIds = 1000;

// Moves file `id` to the trash (an already trashed file stays there: success), or with
// `permanent` purges it. not_found when absent, not `who`'s, or in no state to delete.
Task<Status> delete_file(PgPool& pg, ObjectStore& store, Principal who, std::string id, bool permanent);

// Takes trashed file `id` out of the trash under its name; if a live file took that name
// meanwhile, Reason::name_conflict unless `on_conflict` renames or replaces. conflict when the
// file is not in the trash.
Task<Result<FileRecord>> restore_file(PgPool& pg, ObjectStore& store, Principal who, std::string id,
                                      OnConflict on_conflict);

struct TrashPage {
  std::vector<FileRecord> items;
  std::optional<std::string> next_cursor;  // opaque; nullopt after the last page
};

// The caller's trashed files, newest first; `cursor` is a page's next_cursor (invalid_request
// when it is not one), `limit` 1..1000.
Task<Result<TrashPage>> list_trash(PgPool& pg, Principal who, std::optional<std::string> cursor, int limit);

// Purges every trashed file of the caller, kEmptyTrashBatch per statement. Returns how many.
Task<Result<uint64_t>> empty_trash(PgPool& pg, ObjectStore& store, Principal who);

enum class BulkOutcome { trashed, deleted, not_found, invalid_id };
std::string_view bulk_outcome_name(BulkOutcome o);

// Trashes (or purges) each of the caller's files in `ids`, one statement for all; others' and
// absent ids are not_found, malformed ones invalid_id. Outcomes in the order of `ids`.
Task<Result<std::vector<BulkOutcome>>> delete_files(PgPool& pg, ObjectStore& store, Principal who,
                                                    std::vector<std::string> ids, bool permanent);

}  // namespace sluice::service
