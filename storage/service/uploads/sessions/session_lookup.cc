#include "storage/service/uploads/sessions/session_lookup.h"

#include "storage/service/domain_error.h"
#include "storage/service/uploads/sessions/session_queries.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice {

Task<Result<SessionRecord>> find_session(PgPool& pg, std::string id, Principal who) {
  Error not_found = domain_error(Reason::not_found, "no upload with id '" + id + "'");
  if (!looks_like_uuid(id)) co_return not_found;
  auto r = co_await pg.query(session_sql::kGetSession, id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return not_found;
  auto rec = session_from_row(*r, 0);
  if (!rec.ok()) co_return std::move(rec).error();
  if (!who.may_access(rec->owner)) co_return not_found;
  co_return std::move(*rec);
}

Task<Result<SessionRecord>> find_session_by_store_upload(PgPool& pg, std::string store_upload_id) {
  auto r = co_await pg.query(session_sql::kGetSessionByStoreUpload, store_upload_id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, "no such upload");
  co_return session_from_row(*r, 0);
}

}  // namespace sluice
