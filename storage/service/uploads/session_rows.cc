#include "storage/service/uploads/session_rows.h"

#include <algorithm>

#include "storage/service/domain_error.h"
#include "storage/upload/multipart_queries.h"
#include "storage/upload/upload_session.h"

namespace sluice::service {

namespace {

int64_t millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

}  // namespace

Task<Result<MultipartRecord>> find_visible_session(PgPool& pg, Principal who, std::string id) {
  std::string unknown = "no upload with id '" + id + "'";
  if (!looks_like_uuid(id)) co_return domain_error(Reason::not_found, std::move(unknown));
  auto r = co_await pg.query(multipart_sql::kGetSession, id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, std::move(unknown));
  auto rec = session_from_row(*r, 0);
  if (!rec.ok()) co_return std::move(rec).error();
  if (!who.may_access(rec->owner)) co_return domain_error(Reason::not_found, std::move(unknown));
  co_return std::move(*rec);
}

Task<Result<MultipartRecord>> find_session_by_store_upload(PgPool& pg, std::string store_upload_id) {
  auto r = co_await pg.query(multipart_sql::kGetSessionByStoreUpload, store_upload_id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, "no such upload");
  co_return session_from_row(*r, 0);
}

Task<Result<std::vector<PartInfo>>> recorded_parts(PgPool& pg, std::string id) {
  auto r = co_await pg.query(multipart_sql::kListRecordedParts, id);
  if (!r.ok()) co_return std::move(r).error();
  std::vector<PartInfo> parts;
  for (int i = 0; i < r->rows(); ++i)
    parts.push_back(PartInfo{*r->int32(i, 0), static_cast<uint64_t>(*r->int64(i, 1)), std::string(r->text(i, 2))});
  co_return parts;
}

Task<Result<bool>> record_part(PgPool& pg, std::string id, uint32_t number, uint64_t size, std::string etag,
                               Duration stale_after) {
  auto r = co_await pg.query(multipart_sql::kRecordPart, id, static_cast<int64_t>(number), static_cast<int64_t>(size),
                             etag, millis(stale_after));
  if (!r.ok()) co_return std::move(r).error();
  co_return r->rows() == 1;
}

Task<Result<HeartbeatOutcome>> heartbeat(PgPool& pg, MultipartRecord session, int64_t per_minute,
                                         Duration stale_after) {
  // One round trip: the owner's per-minute window is counted and, within the limit, the session
  // refreshed (the statement refreshes nothing over the limit).
  auto r = co_await pg.query(multipart_sql::kHeartbeat, session.id, session.owner, per_minute, millis(stale_after));
  if (!r.ok()) co_return std::move(r).error();
  HeartbeatOutcome out;
  out.rate_limited = *r->int64(0, 0) > per_minute;
  if (out.rate_limited) out.retry_after_s = std::max<int64_t>(1, *r->int64(0, 2));
  out.refreshed = *r->boolean(0, 1);
  co_return out;
}

}  // namespace sluice::service
