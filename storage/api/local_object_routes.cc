#include "storage/api/local_object_routes.h"

#include <charconv>
#include <ctime>

#include "http/http_exchange.h"
#include "storage/api/api_error.h"
#include "storage/api/caller_auth.h"
#include "storage/api/request_body_source.h"
#include "storage/local/local_store.h"
#include "storage/upload/multipart_queries.h"
#include "storage/upload/multipart_record.h"

namespace sluice {

namespace {

// The object key from the request path: every segment below the route, percent-decoded.
std::optional<std::string> key_of(std::string_view path) {
  constexpr std::string_view prefix = local::kLocalObjectsRoute;
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  std::string key;
  while (true) {
    size_t slash = path.find('/');
    auto seg = percent_decode(path.substr(0, slash), false);
    if (!seg || seg->empty()) return std::nullopt;
    key += *seg;
    if (slash == std::string_view::npos) return key;
    key.push_back('/');
    path.remove_prefix(slash + 1);
  }
}

template <class T>
bool parse_int(const std::optional<std::string>& s, T& out) {
  if (!s) return false;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
  return ec == std::errc() && p == s->data() + s->size();
}

ApiError denied(std::string msg) { return ApiError(403, "forbidden", std::move(msg)); }

// A part PUT is only taken for an active session's store upload, at exactly its layout's size.
Task<std::optional<ApiError>> check_part_target(PgPool& pg, std::string key, std::string upload_id, int part,
                                                uint64_t length) {
  auto r = co_await pg.query(multipart_sql::kGetSessionByStoreUpload, upload_id);
  if (!r.ok()) co_return api_error_from(r.error());
  if (r->rows() == 0) co_return ApiError(404, "not_found", "no such upload");
  auto rec = session_from_row(*r, 0);
  if (!rec.ok()) co_return api_error_from(rec.error());
  if (rec->object_key != key) co_return denied("the URL's key does not belong to this upload");
  if (!rec->active()) co_return ApiError(409, "upload_" + rec->state, "this upload is " + rec->state);
  uint64_t expected = rec->expected_part_size(static_cast<uint32_t>(part));
  if (expected == 0)
    co_return ApiError(400, "invalid_part_number", "part " + std::to_string(part) + " is outside this upload");
  if (length != expected)
    co_return ApiError(400, "part_size_mismatch",
                       "part " + std::to_string(part) + " must be exactly " + std::to_string(expected) +
                           " bytes, got " + std::to_string(length));
  co_return std::nullopt;
}

Task<void> serve_local_object(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = *(*all)[ex.reactor().core()];
  auto* store = dynamic_cast<local::LocalStore*>(ctx.store);
  Request& req = ex.request();
  auto key = key_of(req.path());
  if (!store || !key) co_return co_await respond_api_error(ex, ApiError(404, "not_found", "no such object"));
  std::string method = req.query_param("method").value_or("");
  std::string upload_id = req.query_param("upload_id").value_or("");
  std::string sig = req.query_param("sig").value_or("");
  int64_t expires = 0;
  int part = 0;
  if (!parse_int(req.query_param("expires"), expires))
    co_return co_await respond_api_error(ex, denied("the URL has no valid expiry"));
  if (req.query_param("part") && !parse_int(req.query_param("part"), part))
    co_return co_await respond_api_error(ex, denied("the URL has a malformed part number"));
  if (method != req.method && !(method == "GET" && req.method == "HEAD"))
    co_return co_await respond_api_error(ex, denied("the URL was signed for " + method + ", not " + req.method));
  Status ok =
      store->url_signer().verify(method, *key, upload_id, part, expires, sig, static_cast<int64_t>(time(nullptr)));
  if (!ok.ok()) co_return co_await respond_api_error(ex, denied(ok.error().message));

  if (method == "GET") {
    ExchangeSink sink(ex, false, "");
    auto got = co_await store->get(*key, std::nullopt, sink);
    if (!got.ok()) {
      if (!sink.started()) co_return co_await respond_api_error(ex, api_error_from(got.error()));
      ex.close_after();
      co_return;
    }
    if (sink.started()) (void)co_await ex.end();
    co_return;
  }
  if (req.chunked)
    co_return co_await respond_api_error(ex, ApiError(411, "length_required", "send the body with Content-Length"));
  uint64_t length = req.content_length.value_or(0);
  if (!upload_id.empty()) {
    if (auto refused = co_await check_part_target(*ctx.pg, *key, upload_id, part, length))
      co_return co_await respond_api_error(ex, std::move(*refused));
  }
  auto slot = co_await ctx.slots->acquire();
  if (!slot.ok()) {
    ApiError busy(503, "server_busy", slot.error().message);
    busy.with_header("Retry-After", "1");
    co_return co_await respond_api_error(ex, std::move(busy));
  }
  ex.set_body_limit(length);
  RequestBodySource body(ex);
  std::string etag;
  Error failed;
  bool ok_put = false;
  if (upload_id.empty()) {
    PutOptions po;
    po.content_type = std::string(req.header("content-type"));
    if (po.content_type.empty()) po.content_type = "application/octet-stream";
    auto put = co_await store->put(*key, length, body, po);
    if (put.ok())
      etag = put->etag, ok_put = true;
    else
      failed = std::move(put).error();
  } else {
    PutOptions po;
    auto put = co_await store->upload_part(*key, upload_id, part, length, body, po);
    if (put.ok())
      etag = put->etag, ok_put = true;
    else
      failed = std::move(put).error();
  }
  if (!ok_put) {
    ApiError e = api_error_from(failed);
    if (body.client_error()) {
      int status = status_for_body_error(*body.client_error());
      e = status == 0 ? ApiError(400, "client_disconnected", body.client_error()->message)
                      : ApiError(status, std::string(default_error_code(status)), body.client_error()->message);
    }
    co_return co_await respond_api_error(ex, std::move(e));
  }
  Response r;
  r.status = 200;
  r.header("ETag", "\"" + etag + "\"");
  (void)co_await ex.respond(std::move(r));
}

}  // namespace

void add_local_object_routes(Router& router, ServiceContexts* contexts) {
  RouteOptions big;
  big.max_body_bytes = 5ull << 30;  // a part or object; each request's exact size is enforced
  std::string pattern(local::kLocalObjectsRoute);
  pattern.pop_back();
  for (int depth = 1; depth <= kMaxLocalKeySegments; ++depth) {
    pattern += "/{s" + std::to_string(depth) + "}";
    router.add("GET", pattern, [contexts](HttpExchange& ex) { return serve_local_object(ex, contexts); });
    router.add(
        "PUT", pattern, [contexts](HttpExchange& ex) { return serve_local_object(ex, contexts); }, big);
  }
}

}  // namespace sluice
