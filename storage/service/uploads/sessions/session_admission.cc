#include "storage/service/uploads/sessions/session_admission.h"

#include <ctime>

#include "core/log.h"
#include "storage/store/s3/part_plan.h"
#include "storage/service/admission/admission_refusal.h"
#include "storage/service/domain_error.h"
#include "storage/service/files/name_conflict.h"
#include "storage/service/uploads/sessions/session_ending.h"
#include "storage/service/uploads/sessions/session_queries.h"
#include "storage/service/uploads/direct/upload_queries.h"

namespace sluice {

namespace {

int64_t millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

}  // namespace

Result<PartLayout> plan_session_parts(uint64_t size, std::optional<uint64_t> client_part_size,
                                      uint64_t default_part_size) {
  if (size == 0)
    return Error(Errc::invalid_argument,
                 "a multipart upload needs at least 1 byte; send empty files with "
                 "PUT /v1/files/content");
  PartLayout out;
  if (client_part_size) {
    if (Status s = s3::validate_client_part_size(size, *client_part_size); !s.ok()) return std::move(s).error();
    out.part_size = *client_part_size;
    out.total_parts = static_cast<uint32_t>((size + out.part_size - 1) / out.part_size);
  } else {
    s3::PartPlanOptions o;
    o.part_size = default_part_size;
    o.multipart_threshold = 0;  // always parts: the client sends them
    auto plan = s3::plan_parts(size, o);
    if (!plan.ok()) return std::move(plan).error();
    out.part_size = plan->part_size;
    out.total_parts = plan->part_count;
  }
  if (out.total_parts == 1) out.part_size = size;  // one part: it is the whole object
  return out;
}

Task<Result<SessionRecord>> admit_session(ServiceContext& ctx, Principal who, UploadTarget target,
                                              std::optional<uint64_t> client_part_size, SessionSettings settings) {
  auto layout = plan_session_parts(target.size.value_or(ByteCount::trusted(0)).value(), client_part_size, settings.default_part_size);
  if (!layout.ok()) {
    bool beyond = layout.error().code == Errc::limit_exceeded;  // over the store's largest object
    Reason why = client_part_size ? (beyond ? Reason::part_layout_beyond_store : Reason::invalid_part_size)
                                  : (beyond ? Reason::size_beyond_store : Reason::invalid_size);
    co_return domain_error(why, layout.error().message);
  }
  co_return co_await admit_session(ctx, std::move(who), std::move(target), *layout, std::move(settings));
}

Task<Result<SessionRecord>> admit_session(ServiceContext& ctx, Principal who, UploadTarget target, PartLayout layout,
                                          SessionSettings settings) {
  SessionRecord rec;
  rec.id = new_uuid();
  rec.file_id = new_uuid();
  rec.owner = who.user_id;
  rec.object_key = object_key_for(who.user_id, rec.file_id, static_cast<int64_t>(time(nullptr)));
  rec.part_size = layout.part_size;
  rec.declared_size = target.size ? target.size->value() : 0;
  rec.total_parts = layout.total_parts;
  rec.content_type = target.content_type;
  rec.state = "active";
  rec.file_status = "uploading";

  auto reserved = co_await reserve_upload(*ctx.pg, who, target, rec.file_id, rec.object_key);
  if (!reserved.ok()) co_return std::move(reserved).error();
  Reservation res = *reserved;
  rec.reserved_bytes = res.amount;

  std::string on_conflict_text(service::on_conflict_name(target.on_conflict));
  auto row = co_await ctx.pg->query(session_sql::kCreateSession, rec.id, rec.file_id, rec.owner,
                                    static_cast<int64_t>(rec.part_size), static_cast<int64_t>(rec.declared_size),
                                    static_cast<int64_t>(rec.total_parts), static_cast<int64_t>(rec.reserved_bytes),
                                    millis(settings.stale_upload_after), on_conflict_text);
  if (!row.ok() || row->rows() != 1) {
    Error e = row.ok() ? Error(Errc::internal, "session row was not created") : std::move(row).error();
    auto undo = co_await ctx.pg->query(upload_sql::kFail, rec.file_id, static_cast<int64_t>(rec.reserved_bytes));
    if (!undo.ok())  // the janitor fails rows left 'uploading' without a session
      log_event(LogLevel::warn, "multipart_admit_undo_failed",
                {{"file", rec.file_id}, {"error", undo.error().message}});
    co_return e;
  }
  rec.expires_at = std::string(row->text(0, 0));

  auto lease = co_await ctx.leases->acquire(who.user_id, rec.file_id, res.max_concurrent);
  if (!lease.ok()) {
    (void)co_await end_session(*ctx.pg, *ctx.store, rec, SessionEnd::failed, false);
    co_return lease_refusal(lease.error());
  }

  auto store_id = co_await ctx.store->create_multipart(rec.object_key, rec.content_type);
  Status recorded;
  if (store_id.ok()) {
    rec.store_upload_id = *store_id;
    auto set = co_await ctx.pg->query(session_sql::kSetStoreUpload, rec.id, *store_id);
    if (!set.ok())
      recorded = std::move(set).error();
    else if (set->affected_rows() != 1)
      recorded = Error(Errc::conflict, "the session ended while it was opened");
  }
  if (!store_id.ok() || !recorded.ok()) {
    Error e = store_id.ok() ? recorded.error() : store_id.error();
    (void)co_await end_session(*ctx.pg, *ctx.store, rec, SessionEnd::failed, false);
    co_await ctx.leases->release(who.user_id, rec.file_id);
    co_return e;
  }
  co_return rec;
}

}  // namespace sluice
