#include "storage/service/files/files.h"

#include "storage/service/domain_error.h"
#include "storage/service/files/file_queries.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice::service {

Task<Result<FileRecord>> find_visible_file(PgPool& pg, Principal who, std::string id) {
  std::string unknown = "no file with id '" + id + "'";
  if (!looks_like_uuid(id)) co_return domain_error(Reason::not_found, std::move(unknown));
  auto r = co_await pg.query(file_sql::kGetFile, id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, std::move(unknown));
  auto f = file_from_row(*r, 0);
  if (!f.ok()) co_return std::move(f).error();
  if (!who.may_access(f->owner)) co_return domain_error(Reason::not_found, std::move(unknown));
  co_return std::move(*f);
}

}  // namespace sluice::service
