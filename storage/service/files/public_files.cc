#include "storage/service/files/public_files.h"

#include "storage/service/domain_error.h"
#include "storage/service/files/public_file_queries.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice::service {

Task<Result<FileRecord>> find_public_file(PgPool& pg, std::string id) {
  if (!looks_like_uuid(id)) co_return domain_error(Reason::not_found, "no such public file");
  auto r = co_await pg.query(public_file_sql::kGetPublicFile, id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, "no such public file");
  co_return file_from_row(*r, 0);
}

}  // namespace sluice::service
