#include "storage/service/files/trash.h"

#include <cctype>
#include <charconv>
#include <unordered_set>

#include "storage/service/auth/base64url.h"
#include "storage/service/domain_error.h"
#include "storage/service/files/change_queries.h"
#include "storage/service/files/file_purge.h"
#include "storage/service/files/files.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice::service {

namespace {

Error not_found(const std::string& id) { return domain_error(Reason::not_found, "no file with id '" + id + "'"); }

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A trash cursor: base64url("<trashed_at in microseconds>:<id>") of the last row of a page.
std::string encode_cursor(int64_t micros, const std::string& id) {
  return auth::base64url_encode(std::to_string(micros) + ":" + id);
}

struct TrashCursor {
  int64_t micros = 0;
  std::string id;
};

std::optional<TrashCursor> decode_cursor(std::string_view text) {
  auto raw = auth::base64url_decode(text);
  if (!raw) return std::nullopt;
  size_t colon = raw->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  TrashCursor c;
  const char* end = raw->data() + colon;
  auto [at, ec] = std::from_chars(raw->data(), end, c.micros);
  if (ec != std::errc() || at != end) return std::nullopt;
  c.id = raw->substr(colon + 1);
  if (!looks_like_uuid(c.id)) return std::nullopt;
  return c;
}

}  // namespace

Task<Status> delete_file(PgPool& pg, ObjectStore& store, Principal who, std::string id, bool permanent) {
  auto f = co_await find_visible_file(pg, who, id);
  if (!f.ok()) co_return std::move(f).error();
  if (f->status != "available" && f->status != "trashed") co_return not_found(id);
  if (permanent) {
    std::vector<std::string> ids;
    ids.push_back(f->id);
    auto purged = co_await purge_now(pg, store, purge_sql::kPurgeOwned, f->owner, ids);
    if (!purged.ok()) co_return std::move(purged).error();
    if (purged->empty()) co_return not_found(id);  // purged by someone else meanwhile
    co_return Status();
  }
  if (f->status == "trashed") co_return Status();  // already there: the request's end state holds
  auto r = co_await pg.query(change_sql::kTrashFile, f->id, f->owner);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 1) co_return Status();
  // It changed meanwhile: trashed by another request is success, anything else is gone.
  auto now = co_await find_visible_file(pg, who, id);
  if (now.ok() && now->status == "trashed") co_return Status();
  co_return not_found(id);
}

Task<Result<FileRecord>> restore_file(PgPool& pg, ObjectStore& store, Principal who, std::string id,
                                      OnConflict on_conflict) {
  auto f = co_await find_visible_file(pg, who, id);
  if (!f.ok()) co_return std::move(f).error();
  if (f->status != "trashed")
    co_return domain_error(Reason::conflict, "file '" + id + "' is " + f->status + ", not in the trash");
  std::string name = f->name;
  Result<PgResult> r = Error(Errc::internal, "not run");
  std::vector<PurgedFile> replaced;
  if (on_conflict == OnConflict::replace) {
    auto tx = co_await pg.begin();
    if (!tx.ok()) co_return std::move(tx).error();
    auto purged = co_await tx->query(change_sql::kPurgeNameHolder, f->owner, f->path, name, f->id);
    if (!purged.ok()) co_return std::move(purged).error();
    replaced = purged_files(*purged);
    r = co_await tx->query(change_sql::kRestoreFile, f->id, f->owner, name);
    if (r.ok() && r->rows() == 1) {
      Status committed = co_await tx->commit();
      if (!committed.ok()) co_return name_conflict_from(committed.error());
    } else {
      replaced.clear();
      (void)co_await tx->rollback();
    }
  } else {
    if (on_conflict == OnConflict::rename) {
      auto free = co_await first_free_name(pg, f->owner, f->path, name);
      if (!free.ok()) co_return std::move(free).error();
      name = *free;
    }
    r = co_await pg.query(change_sql::kRestoreFile, f->id, f->owner, name);
  }
  if (!r.ok()) co_return name_conflict_from(std::move(r).error());
  if (r->rows() == 0) co_return domain_error(Reason::conflict, "file '" + id + "' left the trash meanwhile");
  auto restored = file_from_row(*r, 0);
  if (!restored.ok()) co_return std::move(restored).error();
  if (!replaced.empty()) co_await finish_purge(pg, store, std::move(replaced));
  co_return std::move(*restored);
}

Task<Result<TrashPage>> list_trash(PgPool& pg, Principal who, std::optional<std::string> cursor, int limit) {
  std::optional<int64_t> after_micros;
  std::optional<std::string> after_id;
  if (cursor) {
    auto c = decode_cursor(*cursor);
    if (!c) co_return domain_error(Reason::invalid_request, "cursor is not one this listing returned");
    after_micros = c->micros;
    after_id = c->id;
  }
  int64_t rows = static_cast<int64_t>(limit) + 1;  // one more tells whether a next page exists
  auto r = co_await pg.query(change_sql::kListTrash, who.user_id, after_micros, after_id, rows);
  if (!r.ok()) co_return std::move(r).error();
  TrashPage page;
  int shown = std::min(r->rows(), limit);
  for (int i = 0; i < shown; ++i) {
    auto f = file_from_row(*r, i);
    if (!f.ok()) co_return std::move(f).error();
    page.items.push_back(std::move(*f));
  }
  if (r->rows() > limit && shown > 0) {
    auto micros = r->int64(shown - 1, 19);
    if (!micros.ok()) co_return std::move(micros).error();
    page.next_cursor = encode_cursor(*micros, page.items.back().id);
  }
  co_return page;
}

Task<Result<uint64_t>> empty_trash(PgPool& pg, ObjectStore& store, Principal who) {
  uint64_t purged = 0;
  int64_t batch = kEmptyTrashBatch;
  for (;;) {
    auto round = co_await purge_now(pg, store, purge_sql::kEmptyTrash, who.user_id, batch);
    if (!round.ok()) co_return std::move(round).error();
    purged += round->size();
    if (static_cast<int64_t>(round->size()) < batch) break;
  }
  co_return purged;
}

std::string_view bulk_outcome_name(BulkOutcome o) {
  switch (o) {
    case BulkOutcome::trashed: return "trashed";
    case BulkOutcome::deleted: return "deleted";
    case BulkOutcome::not_found: return "not_found";
    case BulkOutcome::invalid_id: return "invalid_id";
  }
  return "not_found";
}

Task<Result<std::vector<BulkOutcome>>> delete_files(PgPool& pg, ObjectStore& store, Principal who,
                                                    std::vector<std::string> ids, bool permanent) {
  if (ids.size() > kMaxBulkDeleteIds)
    co_return domain_error(Reason::invalid_request, "at most " + std::to_string(kMaxBulkDeleteIds) + " ids per request");
  std::vector<std::string> valid;
  for (auto& id : ids) {
    id = lowercase(std::move(id));
    if (looks_like_uuid(id)) valid.push_back(id);
  }
  std::unordered_set<std::string> done;
  if (!valid.empty()) {
    if (permanent) {
      auto purged = co_await purge_now(pg, store, purge_sql::kPurgeOwned, who.user_id, valid);
      if (!purged.ok()) co_return std::move(purged).error();
      for (auto& f : *purged) done.insert(f.id);
    } else {
      auto r = co_await pg.query(change_sql::kTrashMany, who.user_id, valid);
      if (!r.ok()) co_return std::move(r).error();
      for (int i = 0; i < r->rows(); ++i) done.emplace(r->text(i, 0));
    }
  }
  std::vector<BulkOutcome> out;
  out.reserve(ids.size());
  BulkOutcome hit = permanent ? BulkOutcome::deleted : BulkOutcome::trashed;
  for (const auto& id : ids) {
    if (!looks_like_uuid(id))
      out.push_back(BulkOutcome::invalid_id);
    else
      out.push_back(done.contains(id) ? hit : BulkOutcome::not_found);
  }
  co_return out;
}

}  // namespace sluice::service
