#include "storage/api/file_read_routes.h"

#include <optional>

#include "http/http_exchange.h"
#include "storage/api/caller_auth.h"
#include "storage/api/range_header.h"
#include "storage/api/request_body_source.h"
#include "storage/service/files/files.h"

namespace sluice {

namespace {

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

void add_file_read_routes(Router& router, ServiceContexts* contexts) {
  router.add("GET", "/v1/files/{id}", [contexts](HttpExchange& ex) { return get_file(ex, contexts); });
  router.add("GET", "/v1/files/{id}/content", [contexts](HttpExchange& ex) { return get_content(ex, contexts); });
}

}  // namespace sluice
