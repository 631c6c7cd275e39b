#include "storage/service/files/file_changes.h"

#include "storage/service/domain_error.h"
#include "storage/service/files/change_queries.h"
#include "storage/service/files/file_purge.h"
#include "storage/service/files/files.h"

namespace sluice::service {

namespace {

// Runs the patch statement on `tx` (or the pool, when no transaction is needed).
template <class Runner>
Task<Result<PgResult>> run_patch(Runner& run, const std::string& id, const std::string& owner, const FilePatch& p) {
  bool set_tags = p.tags.has_value();
  std::vector<std::string> tags = p.tags.value_or(std::vector<std::string>());
  int64_t max_metadata = static_cast<int64_t>(kMaxMetadataBytes);
  auto r = co_await run.query(change_sql::kPatchFile, id, owner, p.name, p.path, p.visibility, set_tags, tags,
                              p.favorite, p.metadata_patch, p.set_expires_at, p.expires_at, max_metadata);
  co_return r;
}

// Why a patch that changed no row changed none: the file left (or never was the caller's), it is
// not available, or the merged metadata would be too large.
Task<Error> why_unchanged(PgPool& pg, Principal who, std::string id, bool patched_metadata) {
  auto f = co_await find_visible_file(pg, std::move(who), id);
  if (!f.ok()) co_return std::move(f).error();
  if (f->status != "available")
    co_return domain_error(Reason::conflict, "file '" + id + "' is " + f->status + "; restore it before changing it");
  if (patched_metadata)
    co_return domain_error(Reason::invalid_request,
                           "metadata would exceed " + std::to_string(kMaxMetadataBytes) + " bytes after the merge");
  co_return domain_error(Reason::conflict, "file '" + id + "' changed meanwhile; retry");
}

}  // namespace

Task<Result<FileRecord>> patch_file(PgPool& pg, ObjectStore& store, Principal who, std::string id, FilePatch patch,
                                    OnConflict on_conflict) {
  auto current = co_await find_visible_file(pg, who, id);
  if (!current.ok()) co_return std::move(current).error();
  if (current->status != "available")
    co_return domain_error(Reason::conflict, "file '" + id + "' is " + current->status + "; restore it before changing it");
  std::string owner = current->owner;
  std::string path = patch.path.value_or(current->path);
  std::string name = patch.name.value_or(current->name);
  bool renames = patch.moves() && (path != current->path || name != current->name);
  if (!renames) {
    patch.name.reset();
    patch.path.reset();
  }

  Result<PgResult> r = Error(Errc::internal, "not run");
  std::vector<PurgedFile> replaced;
  if (renames && on_conflict == OnConflict::rename) {
    auto free = co_await first_free_name(pg, owner, path, name);
    if (!free.ok()) co_return std::move(free).error();
    patch.name = *free;
    r = co_await run_patch(pg, id, owner, patch);
  } else if (renames && on_conflict == OnConflict::replace) {
    // The holder of the name is purged and the name taken in one transaction: no moment where
    // neither or both files have it.
    auto tx = co_await pg.begin();
    if (!tx.ok()) co_return std::move(tx).error();
    auto purged = co_await tx->query(change_sql::kPurgeNameHolder, owner, path, name, id);
    if (!purged.ok()) co_return std::move(purged).error();
    replaced = purged_files(*purged);
    r = co_await run_patch(*tx, id, owner, patch);
    if (r.ok() && r->rows() == 1) {
      Status committed = co_await tx->commit();
      if (!committed.ok()) co_return name_conflict_from(committed.error());
    } else {
      replaced.clear();
      (void)co_await tx->rollback();
    }
  } else {
    r = co_await run_patch(pg, id, owner, patch);
  }
  if (!r.ok()) co_return name_conflict_from(std::move(r).error());
  if (r->rows() == 0) {
    bool patched_metadata = patch.metadata_patch.has_value();
    Error why = co_await why_unchanged(pg, who, id, patched_metadata);
    co_return why;
  }
  auto f = file_from_row(*r, 0);
  if (!f.ok()) co_return std::move(f).error();
  if (!replaced.empty()) co_await finish_purge(pg, store, std::move(replaced));
  co_return std::move(*f);
}

}  // namespace sluice::service
