#include "storage/service/uploads/sessions/session_completion.h"

#include <algorithm>
#include <map>

#include "core/log.h"
#include "storage/service/files/file_queries.h"
#include "storage/service/files/file_purge.h"
#include "storage/service/files/name_conflict.h"
#include "storage/service/domain_error.h"
#include "storage/service/uploads/sessions/session_ending.h"
#include "storage/service/uploads/sessions/session_queries.h"

namespace sluice {

namespace {

std::string list_numbers(const std::vector<uint32_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < 20; ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  if (v.size() > 20) out += ", ... (" + std::to_string(v.size()) + " in all)";
  return out;
}

PartCheck refuse(Reason why, std::string message) {
  PartCheck c;
  c.refusal = domain_error(why, std::move(message));
  return c;
}

}  // namespace

PartCheck check_parts(const SessionRecord& rec, std::vector<RequestedPart> requested, std::vector<PartInfo> stored) {
  // Bytes beyond the declared size first: whatever the client lists, they were never reserved.
  uint64_t stored_total = 0;
  for (const PartInfo& p : stored) {
    stored_total += p.size;
    uint64_t expected = rec.expected_part_size(static_cast<uint32_t>(p.number));
    if (expected == 0 || p.size > expected) {
      PartCheck c =
          refuse(Reason::declared_size_exceeded, "part " + std::to_string(p.number) + " holds " + std::to_string(p.size) +
                                               " bytes, more than the " + std::to_string(expected) +
                                               " bytes this upload declared for it; the upload was aborted");
      c.abort = true;
      return c;
    }
  }
  if (stored_total > rec.declared_size) {  // unreachable with the per-part check; kept as the rule itself
    PartCheck c = refuse(Reason::declared_size_exceeded, "the parts hold " + std::to_string(stored_total) +
                                                       " bytes, more than the declared " +
                                                       std::to_string(rec.declared_size) + "; the upload was aborted");
    c.abort = true;
    return c;
  }
  if (requested.empty()) return refuse(Reason::invalid_request, "complete needs the list of parts: {\"parts\": [...]}");
  std::sort(requested.begin(), requested.end(),
            [](const RequestedPart& a, const RequestedPart& b) { return a.number < b.number; });
  for (size_t i = 0; i < requested.size(); ++i) {
    int n = requested[i].number;
    if (n < 1 || static_cast<uint32_t>(n) > rec.total_parts)
      return refuse(Reason::invalid_part_number,
                    "part number " + std::to_string(n) + " is outside 1.." + std::to_string(rec.total_parts));
    if (i > 0 && requested[i - 1].number == n)
      return refuse(Reason::invalid_request, "part " + std::to_string(n) + " is listed twice");
  }
  std::map<int, const PartInfo*> by_number;
  for (const PartInfo& p : stored) by_number[p.number] = &p;
  std::vector<uint32_t> unlisted, missing;
  size_t r = 0;
  for (uint32_t n = 1; n <= rec.total_parts; ++n) {
    bool listed = r < requested.size() && requested[r].number == static_cast<int>(n);
    if (listed) ++r;
    if (!by_number.count(static_cast<int>(n)))
      missing.push_back(n);
    else if (!listed)
      unlisted.push_back(n);
  }
  if (!missing.empty())
    return refuse(Reason::missing_part, "part(s) " + list_numbers(missing) + " of " + std::to_string(rec.total_parts) +
                                      " have not been uploaded");
  if (!unlisted.empty())
    return refuse(Reason::missing_part, "complete must list every part 1.." + std::to_string(rec.total_parts) +
                                      "; not listed: " + list_numbers(unlisted));
  PartCheck ok;
  for (const RequestedPart& want : requested) {
    const PartInfo& have = *by_number[want.number];
    if (normalize_etag(want.etag) != normalize_etag(have.etag))
      return refuse(Reason::etag_mismatch, "part " + std::to_string(want.number) + " has etag " + normalize_etag(have.etag) +
                                         ", not the " + normalize_etag(want.etag) + " listed");
    uint64_t expected = rec.expected_part_size(static_cast<uint32_t>(want.number));
    if (have.size != expected)
      return refuse(Reason::part_size_mismatch, "part " + std::to_string(want.number) + " has " + std::to_string(have.size) +
                                              " bytes; this upload's layout needs " + std::to_string(expected));
    ok.parts.push_back(PartInfo{have.number, have.size, normalize_etag(have.etag)});
  }
  return ok;
}

Task<Result<FileRecord>> completed_file(PgPool& pg, std::string file_id) {
  auto r = co_await pg.query(file_sql::kGetFile, file_id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, "the file of this upload no longer exists");
  co_return file_from_row(*r, 0);
}

namespace {

// Why a complete cannot start, for a session that is not 'active' (re-read after a lost claim).
Task<Result<FileRecord>> answer_for_state(PgPool& pg, std::string id) {
  auto r = co_await pg.query(session_sql::kGetSession, id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, "no upload with id '" + id + "'");
  auto rec = session_from_row(*r, 0);
  if (!rec.ok()) co_return std::move(rec).error();
  if (rec->state == "completed") co_return co_await completed_file(pg, rec->file_id);
  if (rec->state == "completing")
    co_return domain_error(Reason::complete_in_progress, "this upload is being completed; retry shortly", {}, 1);
  co_return session_not_active(rec->state, "this upload was " + rec->state + " and cannot be completed");
}

Task<void> give_back(PgPool& pg, std::string id) {
  auto r = co_await pg.query(session_sql::kReleaseCompletion, id);
  if (!r.ok())  // stays 'completing'; the janitor resolves it
    log_event(LogLevel::warn, "multipart_release_completion_failed", {{"upload", id}, {"error", r.error().message}});
}

Task<void> record_parts(PgPool& pg, std::string id, std::vector<PartInfo> parts) {
  std::vector<std::string> numbers, sizes, etags;
  for (const PartInfo& p : parts) {
    numbers.push_back(std::to_string(p.number));
    sizes.push_back(std::to_string(p.size));
    etags.push_back(p.etag);
  }
  auto r = co_await pg.query(session_sql::kRecordParts, id, numbers, sizes, etags);
  if (!r.ok())
    log_event(LogLevel::warn, "multipart_record_parts_failed", {{"upload", id}, {"error", r.error().message}});
}

}  // namespace

Task<Result<FileRecord>> complete_session(ServiceContext& ctx, SessionRecord rec,
                                                    std::vector<RequestedPart> requested) {
  PgPool& pg = *ctx.pg;
  if (rec.state != "active") co_return co_await answer_for_state(pg, rec.id);
  auto claim = co_await pg.query(session_sql::kClaimCompletion, rec.id);
  if (!claim.ok()) co_return std::move(claim).error();
  if (claim->rows() != 1) co_return co_await answer_for_state(pg, rec.id);

  std::string etag;
  Result<std::vector<PartInfo>> stored = Error(Errc::not_found, "the session has no store upload");
  if (rec.store_upload_id) stored = co_await ctx.store->list_parts(rec.object_key, *rec.store_upload_id);
  if (!stored.ok()) {
    // The store's upload is gone. If an earlier complete joined it and then lost its commit,
    // the object is there with the declared size: finish that commit.
    Result<ObjectInfo> head = stored.error();
    if (stored.error().code == Errc::not_found) head = co_await ctx.store->head(rec.object_key);
    if (head.ok() && head->size == rec.declared_size) {
      etag = head->etag;
    } else if (stored.error().code == Errc::not_found) {
      (void)co_await end_session(pg, *ctx.store, rec, SessionEnd::failed, true);
      co_await ctx.leases->release(rec.owner, rec.file_id);
      co_return domain_error(Reason::upload_lost, "the store no longer has this upload's parts; start again");
    } else {
      co_await give_back(pg, rec.id);
      co_return stored.error();
    }
  } else {
    PartCheck check = check_parts(rec, std::move(requested), std::move(*stored));
    if (check.refusal) {
      if (check.abort) {
        (void)co_await end_session(pg, *ctx.store, rec, SessionEnd::aborted, true);
        co_await ctx.leases->release(rec.owner, rec.file_id);
      } else {
        co_await give_back(pg, rec.id);
      }
      co_return std::move(*check.refusal);
    }
    co_await record_parts(pg, rec.id, check.parts);
    auto joined = co_await ctx.store->complete_multipart(rec.object_key, *rec.store_upload_id, check.parts);
    if (!joined.ok()) {
      co_await give_back(pg, rec.id);
      if (joined.error().code == Errc::invalid_argument)
        co_return domain_error(Reason::invalid_part, joined.error().message);
      co_return std::move(joined).error();
    }
    etag = *joined;
  }

  auto c = co_await commit_session_file(pg, *ctx.store, rec, etag);
  if (!c.ok()) {
    Error e = service::name_conflict_from(std::move(c).error());
    if (!service::is_name_conflict(e)) co_return e;  // stays 'completing': the janitor commits it
    // A live file took the name after this upload was opened (and its name checked): the upload
    // fails, its reservation and lease go back and the joined object is removed.
    (void)co_await end_session(pg, *ctx.store, rec, SessionEnd::failed, true);
    auto removed = co_await ctx.store->remove(rec.object_key);
    if (!removed.ok())  // no row points at it; the store sweep does not see joined objects: log it
      log_event(LogLevel::warn, "multipart_conflict_remove_failed",
                {{"key", rec.object_key}, {"error", removed.error().message}});
    co_await ctx.leases->release(rec.owner, rec.file_id);
    co_return e;
  }
  if (c->rows() != 1) co_return co_await answer_for_state(pg, rec.id);
  auto file = file_from_row(*c, 0);
  if (!file.ok()) co_return std::move(file).error();
  ++ctx.upload_stats.committed;
  ctx.upload_stats.bytes += rec.declared_size;
  co_await ctx.leases->release(rec.owner, rec.file_id);
  co_return std::move(*file);
}

namespace {

// onConflict=replace: two statements in one transaction, because the unique index is checked
// per row at once: the old file stops being live before the new one becomes live.
Task<Result<PgResult>> commit_replacing(PgPool& pg, ObjectStore& store, const SessionRecord& rec, std::string etag) {
  std::optional<std::string> same_name;
  for (int attempt = 0;; ++attempt) {
    auto tx = co_await pg.begin();
    if (!tx.ok()) co_return std::move(tx).error();
    auto purged = co_await tx->query(session_sql::kPurgeSessionName, rec.id);
    if (!purged.ok()) co_return std::move(purged).error();  // rolled back when dropped
    auto c = co_await tx->query(session_sql::kCommitSession, rec.id, etag, same_name);
    if (!c.ok()) {
      Error e = service::name_conflict_from(std::move(c).error());
      (void)co_await tx->rollback();
      if (service::is_name_conflict(e) && attempt < 2) continue;  // taken again meanwhile: purge that one
      co_return e;
    }
    if (c->rows() != 1) {  // not 'completing' any more: the old file stays
      (void)co_await tx->rollback();
      co_return std::move(c);
    }
    Status done = co_await tx->commit();
    if (!done.ok()) co_return service::name_conflict_from(std::move(done).error());
    std::vector<service::PurgedFile> old = service::purged_files(*purged);
    if (!old.empty()) (void)co_await service::finish_purge(pg, store, std::move(old));
    co_return std::move(c);
  }
}

}  // namespace

Task<Result<PgResult>> commit_session_file(PgPool& pg, ObjectStore& store, SessionRecord rec, std::string etag) {
  if (rec.on_conflict == "replace") co_return co_await commit_replacing(pg, store, rec, std::move(etag));
  std::optional<std::string> new_name;  // NULL: the name the session was opened with
  for (int attempt = 0;; ++attempt) {
    auto c = co_await pg.query(session_sql::kCommitSession, rec.id, etag, new_name);
    if (c.ok()) co_return std::move(c);
    Error e = service::name_conflict_from(std::move(c).error());
    if (!service::is_name_conflict(e)) co_return e;
    if (rec.on_conflict != "rename" || attempt >= 2)
      co_return service::name_conflict_error(rec.path, new_name.value_or(rec.name), "");
    auto free = co_await service::first_free_name(pg, rec.owner, rec.path, rec.name);
    if (!free.ok()) co_return std::move(free).error();
    new_name = std::move(*free);
  }
}

}  // namespace sluice
