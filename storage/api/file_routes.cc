#include "storage/api/file_routes.h"

#include <ctime>

#include "http/http_exchange.h"
#include "storage/api/audit_trail.h"
#include "storage/api/caller_auth.h"
#include "storage/api/form_upload.h"
#include "storage/api/media_type.h"
#include "storage/api/request_body_source.h"
#include "storage/service/files/path_rules.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice {

namespace {

Task<void> put_content(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  Request& req = ex.request();
  UploadTarget t;
  auto path = normalize_virtual_path(req.query_param("path").value_or("/"));
  if (!path.ok()) co_return co_await respond_api_error(ex, ApiError(400, "invalid_path", path.error().message));
  t.path = std::move(*path);
  auto name = validate_file_name(req.query_param("name").value_or(""));
  if (!name.ok()) co_return co_await respond_api_error(ex, ApiError(400, "invalid_name", name.error().message));
  t.name = std::move(*name);
  auto on_conflict = service::parse_on_conflict(req.query_param("onConflict").value_or(""));
  if (!on_conflict.ok()) co_return co_await respond_api_error(ex, api_error_from(on_conflict.error()));
  t.on_conflict = *on_conflict;
  std::string_view ct = req.header("content-type");
  if (!ct.empty()) {
    if (!valid_media_type(ct))
      co_return co_await respond_api_error(ex, ApiError(400, "invalid_content_type", "Content-Type is not a valid media type"));
    t.content_type = std::string(ct);
  }
  std::string_view vis = req.header("x-visibility");
  if (!vis.empty()) {
    if (vis != "private" && vis != "public")
      co_return co_await respond_api_error(ex, ApiError(400, "invalid_visibility", "X-Visibility must be private or public"));
    t.visibility = std::string(vis);
  }
  // A chunked body's length is known only at its end: the tier's max file size is reserved,
  // and the commit settles to what arrived.
  if (!req.chunked) {
    auto size = ByteCount::from_client(req.content_length.value_or(0), "Content-Length");
    if (!size.ok()) co_return co_await respond_api_error(ex, ApiError(413, "size_out_of_range", size.error().message));
    t.size = *size;
  }
  auto sums = parse_checksum_headers(req.header("content-md5"), req.header("x-checksum-sha256"));
  if (!sums.ok()) co_return co_await respond_api_error(ex, ApiError(400, "invalid_checksum", sums.error().message));

  DirectUpload upload(ctx, *who);
  Status admitted = co_await upload.admit(t);
  if (!admitted.ok()) co_return co_await respond_api_error(ex, api_error_from(admitted.error()));
  audit_note(ex, "file", upload.file_id());
  ex.set_body_limit(t.size ? t.size->value() : upload.reserved_bytes());
  RequestBodySource body(ex);
  std::vector<std::string> lease_ids;  // (no braced list of strings in a coroutine: GCC 12)
  lease_ids.push_back(upload.file_id());
  UploadPace pace(ctx.leases, &ctx.background, ctx.limits.pace, who->user_id, std::move(lease_ids));
  body.pace(&pace);
  auto file = co_await upload.stream_and_commit(body, *sums);
  if (!file.ok()) {
    // A body the client did not deliver is its fault, whatever the store made of it.
    ApiError e = body.client_error() ? body_api_error(*body.client_error()) : api_error_from(file.error());
    co_return co_await respond_api_error(ex, std::move(e));
  }
  Response r = Response::json(201, file->to_json());
  r.header("Location", "/v1/files/" + file->id);
  (void)co_await ex.respond(std::move(r));
}

}  // namespace

void add_file_routes(Router& router, ServiceContexts* contexts) {
  RouteOptions upload;
  upload.max_body_bytes = UINT64_MAX;  // the quota reservation sets each upload's limit
  router.add("PUT", "/v1/files/content", [contexts](HttpExchange& ex) { return put_content(ex, contexts); }, upload);
  add_form_upload_route(router, contexts);
}

}  // namespace sluice
