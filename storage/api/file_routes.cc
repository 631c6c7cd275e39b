#include "storage/api/file_routes.h"

#include <ctime>
#include <optional>

#include "http/http_exchange.h"
#include "storage/api/caller_auth.h"
#include "storage/api/form_upload.h"
#include "storage/api/media_type.h"
#include "storage/api/range_header.h"
#include "storage/api/request_body_source.h"
#include "storage/service/files/path_rules.h"
#include "storage/service/files/files.h"
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

// Looks up a file the caller may see; answers 404 itself otherwise.
Task<std::optional<FileRecord>> visible_file(HttpExchange& ex, ServiceContext& ctx, const Principal& who) {
  std::string id(ex.request().param("id"));
  auto f = co_await service::find_visible_file(*ctx.pg, who, std::move(id));
  if (!f.ok()) {
    co_await respond_api_error(ex, api_error_from(f.error()));
    co_return std::nullopt;
  }
  co_return std::move(*f);
}

Task<void> get_file(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto f = co_await visible_file(ex, ctx, *who);
  if (!f) co_return;
  (void)co_await ex.respond(Response::json(200, f->to_json()));
}

std::string content_disposition(const std::string& name) {
  std::string ascii, encoded;
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    ascii += (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') ? '_' : static_cast<char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

Task<void> get_content(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_read);
  if (!who) co_return;
  auto f = co_await visible_file(ex, ctx, *who);
  if (!f) co_return;
  if (f->status != "available")
    co_return co_await respond_api_error(ex, ApiError(409, "not_available", "file is " + f->status + ", not available"));
  ParsedRange range = parse_range_header(ex.request().header("range"), f->size);
  if (range.kind == RangeKind::unsatisfiable) {
    ApiError e(416, "range_not_satisfiable", "requested range is outside the file's " + std::to_string(f->size) + " bytes");
    e.with_header("Content-Range", "bytes */" + std::to_string(f->size));
    co_return co_await respond_api_error(ex, std::move(e));
  }
  if (ex.request().method == "HEAD") {
    // Everything HEAD answers is in the row: the object's bytes are not touched.
    bool partial = range.kind == RangeKind::partial;
    uint64_t first = partial ? range.range.first : 0;
    uint64_t length = partial ? range.range.last.value_or(f->size - 1) - first + 1 : f->size;
    auto h = content_headers(f->content_type, f->etag.value_or(""), content_disposition(f->name), partial, first, length,
                             f->size);
    std::optional<uint64_t> declared = length;
    auto began = co_await ex.begin(partial ? 206 : 200, std::move(h), declared);
    if (began.ok()) (void)co_await ex.end();
    co_return;
  }
  ExchangeSink sink(ex, range.kind == RangeKind::partial, content_disposition(f->name));
  std::optional<ByteRange> r;
  if (range.kind == RangeKind::partial) {
    r = range.range;
    sink.set_range_first(range.range.first);
  }
  auto got = co_await ctx.store->get(f->object_key, r, sink);
  if (!got.ok()) {
    if (!sink.started()) co_return co_await respond_api_error(ex, api_error_from(got.error()));
    ex.close_after();  // the head is out: the only honest signal left is cutting the response short
    co_return;
  }
  if (sink.started()) (void)co_await ex.end();
}

}  // namespace

void add_file_routes(Router& router, ServiceContexts* contexts) {
  RouteOptions upload;
  upload.max_body_bytes = UINT64_MAX;  // the quota reservation sets each upload's limit
  router.add("PUT", "/v1/files/content", [contexts](HttpExchange& ex) { return put_content(ex, contexts); }, upload);
  add_form_upload_route(router, contexts);
  router.add("GET", "/v1/files/{id}", [contexts](HttpExchange& ex) { return get_file(ex, contexts); });
  router.add("GET", "/v1/files/{id}/content", [contexts](HttpExchange& ex) { return get_content(ex, contexts); });
}

}  // namespace sluice
