#include "storage/service/uploads/tus/tus_upload.h"

#include <charconv>

#include "core/log.h"
#include "storage/service/domain_error.h"
#include "storage/service/uploads/sessions/session_completion.h"
#include "storage/service/uploads/sessions/session_ending.h"
#include "storage/service/uploads/sessions/session_lookup.h"
#include "storage/service/uploads/sessions/session_queries.h"
#include "storage/service/uploads/tus/tus_queries.h"

namespace sluice {

namespace {

std::vector<uint64_t> parse_segments(std::string_view text) {
  std::vector<uint64_t> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view one = text.substr(0, comma);
    uint64_t v = 0;
    std::from_chars(one.data(), one.data() + one.size(), v);
    out.push_back(v);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

Task<Status> load_tus_columns(PgPool& pg, TusUpload& up) {
  auto r = co_await pg.query(tus_sql::kGet, up.session.id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() != 1) co_return domain_error(Reason::not_found, "no tus upload with id '" + up.session.id + "'");
  up.offset = static_cast<uint64_t>(*r->int64(0, 0));
  up.length_known = *r->boolean(0, 1);
  up.metadata = std::string(r->text(0, 2));
  up.segments = parse_segments(r->text(0, 3));
  up.expires = std::string(r->text(0, 4));
  co_return Status();
}

}  // namespace

std::string TusUpload::segment_key(uint64_t start) const {
  return session.object_key + ".tus/" + std::to_string(start);
}

Task<Result<TusUpload>> create_tus_upload(ServiceContext& ctx, Principal who, UploadTarget target,
                                          std::string metadata, SessionSettings settings) {
  PartLayout layout;
  if (!target.size) {
    layout = PartLayout{settings.default_part_size, static_cast<uint32_t>(kTusMaxParts)};
  } else if (target.size->value() == 0) {
    layout = PartLayout{settings.default_part_size, 1};  // committed at once, without parts
  } else {
    auto planned = plan_session_parts(target.size->value(), std::nullopt, settings.default_part_size);
    if (!planned.ok())
      co_return domain_error(planned.error().code == Errc::limit_exceeded ? Reason::size_beyond_store
                                                                             : Reason::invalid_size,
                             planned.error().message);
    layout = *planned;
  }
  auto opened = co_await admit_session(ctx, who, target, layout, settings);
  if (!opened.ok()) co_return std::move(opened).error();
  TusUpload up;
  up.session = std::move(*opened);
  up.length_known = target.size.has_value();
  up.metadata = std::move(metadata);
  auto row = co_await ctx.pg->query(tus_sql::kCreate, up.session.id, up.length_known, up.metadata);
  if (!row.ok()) {
    (void)co_await end_session(*ctx.pg, *ctx.store, up.session, SessionEnd::failed, false);
    co_await ctx.leases->release(up.session.owner, up.session.file_id);
    co_return std::move(row).error();
  }
  Status loaded = co_await load_tus_columns(*ctx.pg, up);
  if (!loaded.ok()) co_return std::move(loaded).error();
  co_return up;
}

Task<Result<TusUpload>> find_tus_upload(PgPool& pg, std::string id, Principal who) {
  if (!looks_like_uuid(id)) co_return domain_error(Reason::not_found, "no tus upload with id '" + id + "'");
  auto rec = co_await find_session(pg, id, who);
  if (!rec.ok()) co_return std::move(rec).error();
  TusUpload up;
  up.session = std::move(*rec);
  Status loaded = co_await load_tus_columns(pg, up);
  if (!loaded.ok()) co_return std::move(loaded).error();
  co_return up;
}

Task<Status> declare_tus_length(PgPool& pg, TusUpload& up, uint64_t length) {
  if (length < up.offset)
    co_return domain_error(Reason::invalid_size, "Upload-Length " + std::to_string(length) +
                                                     " is below the bytes already received (" +
                                                     std::to_string(up.offset) + ")");
  uint64_t parts = length == 0 ? 1 : (length + up.session.part_size - 1) / up.session.part_size;
  if (length > up.session.reserved_bytes || parts > kTusMaxParts)
    co_return domain_error(Reason::file_too_large, "Upload-Length " + std::to_string(length) +
                                                       " is more than this upload may hold (" +
                                                       std::to_string(std::min<uint64_t>(
                                                           up.session.reserved_bytes, up.session.part_size * kTusMaxParts)) +
                                                       " bytes)");
  uint64_t reservation = std::max<uint64_t>(length, 1);  // an empty file reserves one byte
  auto r = co_await pg.query(tus_sql::kDeclareLength, up.session.id, static_cast<int64_t>(length),
                             static_cast<int64_t>(parts), static_cast<int64_t>(reservation));
  if (!r.ok()) co_return std::move(r).error();
  if (*r->int64(0, 0) != 1)
    co_return domain_error(Reason::conflict, "this upload's length is already known or it is no longer active");
  up.length_known = true;
  up.session.declared_size = length;
  up.session.total_parts = static_cast<uint32_t>(parts);
  up.session.reserved_bytes = reservation;
  co_return Status();
}

namespace {

// An empty upload has no part to join: an empty object is written and the session committed.
Task<Result<FileRecord>> finish_empty(ServiceContext& ctx, TusUpload up) {
  PgPool& pg = *ctx.pg;
  const SessionRecord& rec = up.session;
  auto claim = co_await pg.query(session_sql::kClaimCompletion, rec.id);
  if (!claim.ok()) co_return std::move(claim).error();
  if (claim->rows() != 1) {
    if (rec.state == "completed") co_return co_await completed_file(pg, rec.file_id);
    co_return session_not_active(rec.state, "this upload is " + rec.state);
  }
  struct Empty final : ByteSource {
    Task<Result<std::span<const char>>> next() override { co_return std::span<const char>(); }
  } empty;
  PutOptions po;
  po.content_type = rec.content_type;
  auto put = co_await ctx.store->put(rec.object_key, 0, empty, po);
  if (!put.ok()) {
    (void)co_await pg.query(session_sql::kReleaseCompletion, rec.id);
    co_return std::move(put).error();
  }
  if (rec.store_upload_id) (void)co_await abort_store_upload(*ctx.store, rec.object_key, *rec.store_upload_id);
  auto c = co_await commit_session_file(pg, *ctx.store, rec, put->etag);
  if (!c.ok() || c->rows() != 1) {
    Error e = c.ok() ? domain_error(Reason::upload_ended, "this upload ended before its commit") : std::move(c).error();
    (void)co_await end_session(pg, *ctx.store, rec, SessionEnd::failed, true);
    (void)co_await ctx.store->remove(rec.object_key);
    co_await ctx.leases->release(rec.owner, rec.file_id);
    co_return e;
  }
  auto file = file_from_row(*c, 0);
  if (!file.ok()) co_return std::move(file).error();
  ++ctx.upload_stats.committed;
  co_await ctx.leases->release(rec.owner, rec.file_id);
  co_return std::move(*file);
}

}  // namespace

Task<Result<FileRecord>> finish_tus_upload(ServiceContext& ctx, TusUpload up) {
  if (up.session.declared_size == 0) co_return co_await finish_empty(ctx, std::move(up));
  auto r = co_await ctx.pg->query(session_sql::kListRecordedParts, up.session.id);
  if (!r.ok()) co_return std::move(r).error();
  std::vector<RequestedPart> parts;
  for (int i = 0; i < r->rows(); ++i) parts.push_back(RequestedPart{*r->int32(i, 0), std::string(r->text(i, 2))});
  co_return co_await complete_session(ctx, std::move(up.session), std::move(parts));
}

Task<void> remove_segments(ObjectStore& store, std::vector<std::string> keys) {
  for (const std::string& k : keys) {
    Status s = co_await store.remove(k);
    if (!s.ok()) log_event(LogLevel::warn, "tus_segment_remove_failed", {{"key", k}, {"error", s.error().message}});
  }
}

Task<Status> terminate_tus_upload(ServiceContext& ctx, TusUpload up) {
  auto ended = co_await end_session(*ctx.pg, *ctx.store, up.session, SessionEnd::aborted, false);
  if (!ended.ok()) co_return std::move(ended).error();
  if (!*ended)
    co_return session_not_active(up.session.state == "active" ? "ended" : up.session.state,
                                 "this upload is no longer active");
  ++ctx.upload_stats.failed;
  co_await ctx.leases->release(up.session.owner, up.session.file_id);
  co_return Status();
}

}  // namespace sluice
