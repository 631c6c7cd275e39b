#include "storage/service/uploads/sessions/session_progress.h"

#include <algorithm>

#include "storage/service/domain_error.h"
#include "storage/service/uploads/sessions/session_queries.h"

namespace sluice {

namespace {
int64_t millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }
}  // namespace

Error session_not_accepting(const SessionRecord& rec) {
  if (rec.state == "completing")
    return domain_error(Reason::complete_in_progress, "this upload is being completed", {}, 1);
  return session_not_active(rec.state, "this upload is " + rec.state + "; it accepts no more parts");
}

Task<Result<std::vector<PartInfo>>> session_parts(ServiceContext& ctx, SessionRecord rec) {
  std::vector<PartInfo> parts;
  bool listed = false;
  if ((rec.active() || rec.state == "completing") && rec.store_upload_id) {
    auto stored = co_await ctx.store->list_parts(rec.object_key, *rec.store_upload_id);
    if (stored.ok()) {
      parts = std::move(*stored);
      listed = true;
    }
  }
  if (!listed) {
    auto r = co_await ctx.pg->query(session_sql::kListRecordedParts, rec.id);
    if (!r.ok()) co_return std::move(r).error();
    for (int i = 0; i < r->rows(); ++i)
      parts.push_back(PartInfo{*r->int32(i, 0), static_cast<uint64_t>(*r->int64(i, 1)), std::string(r->text(i, 2))});
  }
  for (PartInfo& p : parts) p.etag = normalize_etag(p.etag);
  std::sort(parts.begin(), parts.end(), [](const PartInfo& a, const PartInfo& b) { return a.number < b.number; });
  co_return parts;
}

Task<Status> record_part(PgPool& pg, std::string session_id, uint32_t n, uint64_t size, std::string etag,
                         Duration stale_after) {
  auto recorded = co_await pg.query(session_sql::kRecordPart, session_id, static_cast<int64_t>(n),
                                    static_cast<int64_t>(size), etag, millis(stale_after));
  if (!recorded.ok()) co_return std::move(recorded).error();
  if (recorded->rows() != 1)
    co_return domain_error(Reason::upload_aborted, "the upload ended while the part arrived");
  co_return Status();
}

Task<Status> heartbeat(ServiceContext& ctx, SessionRecord rec, uint64_t per_minute, Duration stale_after) {
  auto r = co_await ctx.pg->query(session_sql::kHeartbeat, rec.id, rec.owner, static_cast<int64_t>(per_minute),
                                  millis(stale_after));
  if (!r.ok()) co_return std::move(r).error();
  int64_t count = *r->int64(0, 0);
  bool refreshed = *r->boolean(0, 1);
  if (count > static_cast<int64_t>(per_minute)) {
    int64_t retry = std::max<int64_t>(1, *r->int64(0, 2));
    co_return domain_error(Reason::rate_limited,
                           "more than " + std::to_string(per_minute) + " heartbeats per minute on your uploads", {},
                           static_cast<int>(retry));
  }
  if (!refreshed) {
    if (rec.active()) rec.state = "ended";  // it ended between the read and the update
    co_return session_not_accepting(rec);
  }
  co_await ctx.leases->renew(rec.owner, rec.file_id);
  co_return Status();
}

}  // namespace sluice
