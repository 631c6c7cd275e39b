#include "storage/service/uploads/sessions/session_ending.h"

#include "core/log.h"
#include "storage/service/uploads/sessions/session_queries.h"

namespace sluice {

Task<Status> abort_store_upload(ObjectStore& store, std::string key, std::string upload_id) {
  Status s = co_await store.abort_multipart(key, upload_id);
  if (!s.ok() && s.error().code == Errc::not_found) co_return Status();
  co_return s;
}

Task<Result<bool>> end_session(PgPool& pg, ObjectStore& store, SessionRecord rec, SessionEnd how,
                                         bool from_completing) {
  std::string state = how == SessionEnd::aborted ? "aborted" : "failed";
  auto r = co_await pg.query(session_sql::kEndSession, rec.id, state, from_completing);
  if (!r.ok()) co_return std::move(r).error();
  bool ended = r->rows() == 1 && *r->int64(0, 0) == 1;
  if (ended && rec.store_upload_id) {
    Status s = co_await abort_store_upload(store, rec.object_key, *rec.store_upload_id);
    if (!s.ok())
      log_event(LogLevel::warn, "multipart_store_abort_failed",
                {{"upload", rec.id}, {"key", rec.object_key}, {"error", s.error().message}});
  }
  if (ended) {
    // A tus upload keeps the bytes past its last full part as "<key>.tus/<start>" objects.
    auto tails = co_await store.list(rec.object_key + ".tus/");
    if (tails.ok())
      for (const std::string& k : *tails) (void)co_await store.remove(k);
  }
  co_return ended;
}

}  // namespace sluice
