#include "storage/service/uploads/direct/direct_upload.h"

#include <openssl/rand.h>

#include <cstdio>
#include <algorithm>
#include <ctime>

#include "core/log.h"
#include "http/json_writer.h"
#include "storage/service/admission/admission_refusal.h"
#include "storage/service/domain_error.h"
#include "storage/service/files/file_purge.h"
#include "storage/service/uploads/direct/label_queries.h"
#include "storage/service/uploads/direct/upload_queries.h"

namespace sluice {

std::string new_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // The CSPRNG failing is not recoverable in a meaningful way; fall back to time-derived bytes
    // would risk collisions, so make it loud.
    log_event(LogLevel::error, "rand_bytes_failed");
    for (auto& x : b) x = static_cast<unsigned char>(std::rand());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

bool looks_like_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string object_key_for(const std::string& user, const std::string& file_id, int64_t unix_time) {
  time_t t = static_cast<time_t>(unix_time);
  tm g{};
  gmtime_r(&t, &g);
  char date[48];
  std::snprintf(date, sizeof date, "%04d/%02d/%02d", g.tm_year + 1900, g.tm_mon + 1, g.tm_mday);
  return "u/" + user + "/" + date + "/" + file_id;
}

Error reservation_refusal(const PgResult& row, const UploadTarget& t) {
  int64_t amount = *row.int64(0, 1), quota = *row.int64(0, 2), used = *row.int64(0, 3),
          reserved_total = *row.int64(0, 4), files = *row.int64(0, 5), reserved_files = *row.int64(0, 6),
          max_file = *row.int64(0, 7), max_files = *row.int64(0, 8);
  bool mime_ok = *row.boolean(0, 10);
  if (!row.is_null(0, 11)) return service::name_conflict_error(t.path, t.name, row.text(0, 11));
  std::string details;
  http::JsonWriter w(details);
  w.begin_object();
  w.key("usedBytes").int64(used).key("reservedBytes").int64(reserved_total).key("quotaBytes").int64(quota);
  w.key("fileCount").int64(files + reserved_files).key("maxFiles").int64(max_files);
  w.key("maxFileBytes").int64(max_file).key("requestedBytes").int64(amount);
  w.end_object();
  if (amount <= 0)  // kReserve refuses these; ByteCount keeps them from being asked
    return domain_error(Reason::invalid_size,
                        "a reservation of " + std::to_string(amount) + " bytes is not possible");
  if (t.size && t.size->as_int64() > max_file)
    return domain_error(Reason::file_too_large,
                        "file of " + std::to_string(t.size->value()) + " bytes exceeds your tier's limit of " +
                            std::to_string(max_file) + " bytes per file",
                        std::move(details));
  if (!mime_ok)
    return domain_error(Reason::unsupported_media_type,
                        "content type '" + t.content_type + "' is not allowed for your tier");
  if (used + reserved_total + amount > quota)
    return domain_error(Reason::quota_exceeded,
                        "storage quota exceeded: " + std::to_string(used + reserved_total) + " of " +
                            std::to_string(quota) + " bytes in use, " + std::to_string(amount) + " requested",
                        std::move(details));
  return domain_error(Reason::file_limit_exceeded, "file count limit of " + std::to_string(max_files) + " reached",
                      std::move(details));
}

// A failed put: the body's own faults (too long, malformed) keep their meaning; anything else
// is the store's, which the client could not have caused: store_failed, store_timeout or
// unavailable, never a refusal of the request.
static Error store_failure(Error e) {
  switch (e.code) {
    case Errc::invalid_argument:
    case Errc::limit_exceeded:
    case Errc::unavailable:
      return e;
    case Errc::timeout:
      return domain_error(Reason::store_timeout, "the object store did not answer in time: " + e.message);
    default:
      return domain_error(Reason::store_failed, "the object store failed: " + e.message);
  }
}

DirectUpload::DirectUpload(ServiceContext& ctx, Principal who) : ctx_(ctx), who_(std::move(who)) {}

DirectUpload::~DirectUpload() {
  if (reserved_ok_ && !committed_) abort_in_background();
}

namespace {

struct AbortWork {
  PgPool* pg;
  UserLeases* leases;
  ObjectStore* store;
  std::string user, file_id, key;
  uint64_t reserved;
  bool leased, object_written;
};

Task<void> abort_upload(AbortWork w) {
  if (w.object_written) {
    auto s = co_await w.store->remove(w.key);
    if (!s.ok()) log_event(LogLevel::warn, "upload_abort_delete_failed", {{"key", w.key}, {"error", s.error().message}});
  }
  auto f = co_await w.pg->query(upload_sql::kFail, w.file_id, static_cast<int64_t>(w.reserved));
  if (!f.ok())  // the janitor finds rows stuck in 'uploading' and repairs them
    log_event(LogLevel::warn, "upload_abort_release_failed", {{"file", w.file_id}, {"error", f.error().message}});
  if (w.leased) co_await w.leases->release(w.user, w.file_id);
}

}  // namespace

void DirectUpload::abort_in_background() {
  ++ctx_.upload_stats.failed;
  AbortWork w{ctx_.pg, ctx_.leases, ctx_.store, who_.user_id, file_id_, object_key_, reserved_, leased_,
              object_written_};
  spawn(abort_upload(std::move(w)), &ctx_.background);
}

Task<Result<Reservation>> reserve_upload(PgPool& pg, Principal who, UploadTarget t, std::string file_id,
                                         std::string object_key) {
  std::optional<int64_t> size, amount_hint;
  // An empty file reserves one byte: kReserve refuses amounts <= 0, and the commit gives the
  // reservation back whatever it was.
  if (t.size) size = t.size->as_int64();
  if (size) amount_hint = std::max<int64_t>(*size, 1);
  if (!t.size && t.size_bound) amount_hint = std::max<int64_t>(t.size_bound->as_int64(), 1);
  // replace lets the name be taken now: the commit purges whoever holds it then.
  bool name_must_be_free = t.on_conflict != service::OnConflict::replace;
  bool renaming = t.on_conflict == service::OnConflict::rename;
  std::string requested_name = t.name;
  bool name_picked = !renaming;
  int renames = 0;
  // At most: one account creation, and three free names lost to concurrent uploads.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!name_picked) {
      auto free = co_await service::first_free_name(pg, who.user_id, t.path, requested_name);
      if (!free.ok()) co_return std::move(free).error();
      t.name = std::move(*free);
      name_picked = true;
    }
    auto r = co_await pg.query(upload_sql::kReserve, who.user_id, amount_hint, file_id, object_key, t.path, t.name,
                               t.content_type, t.visibility, size, name_must_be_free);
    if (!r.ok()) co_return std::move(r).error();
    if (r->rows() == 0) {  // no account yet: create it from the caller's tier, then try again
      auto e = co_await pg.query(upload_sql::kEnsureAccount, who.user_id, who.tier);
      if (!e.ok()) co_return std::move(e).error();
      continue;
    }
    if (!*r->boolean(0, 0)) {
      Error refusal = reservation_refusal(*r, t);
      // The free name was taken between the two queries: pick again.
      if (renaming && service::is_name_conflict(refusal) && ++renames < 3) {
        name_picked = false;
        continue;
      }
      co_return refusal;
    }
    Reservation out;
    out.amount = static_cast<uint64_t>(*r->int64(0, 1));
    out.max_concurrent = static_cast<int>(*r->int64(0, 9));
    out.name = t.name;
    co_return out;
  }
  co_return Error(Errc::internal, "account could not be created");
}

Task<Status> DirectUpload::admit(UploadTarget target) {
  target_ = std::move(target);
  requested_name_ = target_.name;
  auto slot = co_await ctx_.slots->acquire();
  if (!slot.ok()) co_return no_slot_refusal(slot.error());
  slot_ = std::move(*slot);
  file_id_ = new_uuid();
  object_key_ = object_key_for(who_.user_id, file_id_, static_cast<int64_t>(time(nullptr)));
  auto reserved = co_await reserve_upload(*ctx_.pg, who_, target_, file_id_, object_key_);
  if (!reserved.ok()) co_return std::move(reserved).error();
  reserved_ = reserved->amount;
  target_.name = reserved->name;
  max_concurrent_ = reserved->max_concurrent;
  reserved_ok_ = true;
  ++ctx_.upload_stats.started;
  if (!target_.tags.empty() || target_.metadata_json != "{}") {
    auto l = co_await ctx_.pg->query(upload_sql::kSetLabels, file_id_, target_.tags, target_.metadata_json);
    if (!l.ok()) co_return std::move(l).error();
  }
  auto lease = co_await ctx_.leases->acquire(who_.user_id, file_id_, max_concurrent_);
  if (!lease.ok()) co_return lease_refusal(lease.error());
  leased_ = true;
  co_return Status();
}

Task<Result<FileRecord>> DirectUpload::stream_and_commit(ByteSource& body, ExpectedChecksums expected) {
  PutOptions opts;
  opts.content_type = target_.content_type;
  opts.want_md5 = expected.md5_hex.has_value();
  opts.want_sha256 = expected.sha256_hex.has_value();
  object_written_ = true;  // from here on an object (or part of one) may exist: delete on abort
  Result<PutResult> put(Error(Errc::internal, "unset"));
  if (target_.size) {
    put = co_await ctx_.store->put(object_key_, target_.size->value(), body, opts);
  } else {
    // The reservation is the most this upload may take (used += the real size on commit).
    put = co_await ctx_.store->put_unknown_size(object_key_, reserved_, body, opts);
  }
  if (!put.ok()) co_return store_failure(std::move(put).error());
  ctx_.upload_stats.bytes += put->size;
  if (expected.md5_hex && *expected.md5_hex != put->md5_hex)
    co_return domain_error(Reason::checksum_mismatch,
                           "Content-MD5 does not match the received bytes (got md5 " + put->md5_hex + ")");
  if (expected.sha256_hex && *expected.sha256_hex != put->sha256_hex)
    co_return domain_error(Reason::checksum_mismatch,
                           "X-Checksum-SHA256 does not match the received bytes (got " + put->sha256_hex + ")");
  std::optional<std::string> md5, sha;
  if (!put->md5_hex.empty()) md5 = put->md5_hex;
  if (!put->sha256_hex.empty()) sha = put->sha256_hex;
  int64_t size = static_cast<int64_t>(put->size);
  std::string etag = put->etag;
  // On an error the destructor aborts: object deleted, row failed, reservation and lease back.
  auto c = co_await commit_row(size, std::move(md5), std::move(sha), std::move(etag));
  if (!c.ok()) co_return std::move(c).error();
  if (c->rows() != 1)
    co_return domain_error(Reason::upload_expired, "the upload was cancelled before it could be committed");
  auto file = file_from_row(*c, 0);
  if (!file.ok()) co_return std::move(file).error();
  committed_ = true;
  ++ctx_.upload_stats.committed;
  if (leased_) co_await ctx_.leases->release(who_.user_id, file_id_);
  leased_ = false;
  slot_.release();
  co_return std::move(*file);
}

Task<Result<PgResult>> DirectUpload::commit_row(int64_t size, std::optional<std::string> md5,
                                                std::optional<std::string> sha, std::string etag) {
  if (target_.on_conflict == service::OnConflict::replace)
    co_return co_await commit_replacing(size, std::move(md5), std::move(sha), std::move(etag));
  int64_t reserved = static_cast<int64_t>(reserved_);
  std::optional<std::string> new_name;  // NULL: the row keeps the name it was admitted with
  for (int attempt = 0;; ++attempt) {
    auto c = co_await ctx_.pg->query(upload_sql::kCommit, file_id_, who_.user_id, size, md5, sha, etag, reserved,
                                     new_name);
    if (c.ok()) co_return std::move(c);
    // Admitted with the name free, then a concurrent upload committed it first.
    Error e = service::name_conflict_from(std::move(c).error());
    bool retry = target_.on_conflict == service::OnConflict::rename && service::is_name_conflict(e) && attempt < 2;
    if (!retry) {
      if (service::is_name_conflict(e)) e = service::name_conflict_error(target_.path, target_.name, "");
      co_return e;
    }
    auto free = co_await service::first_free_name(*ctx_.pg, who_.user_id, target_.path, requested_name_);
    if (!free.ok()) co_return std::move(free).error();
    target_.name = *free;
    new_name = std::move(*free);
  }
}

Task<Result<PgResult>> DirectUpload::commit_replacing(int64_t size, std::optional<std::string> md5,
                                                      std::optional<std::string> sha, std::string etag) {
  PgPool& pg = *ctx_.pg;
  int64_t reserved = static_cast<int64_t>(reserved_);
  std::optional<std::string> same_name;
  // Two statements in one transaction: the unique index is checked per row at once, so the old
  // file must stop being live before the new one becomes live; nobody ever sees both, and the
  // old one disappears only if the new one commits.
  for (int attempt = 0;; ++attempt) {
    auto tx = co_await pg.begin();
    if (!tx.ok()) co_return std::move(tx).error();
    auto purged = co_await tx->query(upload_sql::kPurgeLiveName, who_.user_id, target_.path, target_.name, file_id_);
    if (!purged.ok()) co_return std::move(purged).error();  // the transaction rolls back when dropped
    auto c = co_await tx->query(upload_sql::kCommit, file_id_, who_.user_id, size, md5, sha, etag, reserved,
                                same_name);
    if (!c.ok()) {
      Error e = service::name_conflict_from(std::move(c).error());
      (void)co_await tx->rollback();
      // A concurrent upload committed the name after this purge looked: purge that one instead.
      if (service::is_name_conflict(e) && attempt < 2) continue;
      co_return e;
    }
    if (c->rows() != 1) {  // cancelled meanwhile: the old file stays
      (void)co_await tx->rollback();
      co_return std::move(c);
    }
    Status done = co_await tx->commit();
    if (!done.ok()) co_return service::name_conflict_from(std::move(done).error());
    // Committed: the old file's quota is released; its object goes now (or by the janitor).
    std::vector<service::PurgedFile> old = service::purged_files(*purged);
    if (!old.empty()) (void)co_await service::finish_purge(pg, *ctx_.store, std::move(old));
    co_return std::move(c);
  }
}

}  // namespace sluice
