// Changing a file's metadata (PATCH /v1/files/{id}): rename, move, visibility, tags, favorite,
// metadata merge, expiry; one statement that also writes 'file.updated'. HTTP-free.
#pragma once

#include <cstddef>
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

// The most bytes a file's metadata may take as JSON text, after a merge as on upload.
inline constexpr size_t kMaxMetadataBytes = 16 * 1024;

// What a patch changes; an absent member leaves that property as it is. Values are already
// validated (normalized path, valid name, visibility private|public, bounded tags).
struct FilePatch {
  std::optional<std::string> name;
  std::optional<std::string> path;
  std::optional<std::string> visibility;
  std::optional<std::vector<std::string>> tags;
  std::optional<bool> favorite;
  std::optional<std::string> metadata_patch;  // a JSON object; null members remove keys
  bool set_expires_at = false;
  std::optional<std::string> expires_at;  // RFC 3339; nullopt with set_expires_at clears it

  bool moves() const { return name.has_value() || path.has_value(); }
};

// Applies `patch` to file `id` if `who` may change it (others' files are not_found). A trashed
// file is Reason::conflict. A new (path, name) that a live file holds: Reason::name_conflict,
// or with `on_conflict` the first free numbered name (rename) or that file purged in the same
// transaction (replace). Metadata growing past kMaxMetadataBytes: invalid_request.
Task<Result<FileRecord>> patch_file(PgPool& pg, ObjectStore& store, Principal who, std::string id, FilePatch patch,
                                    OnConflict on_conflict);

}  // namespace sluice::service
