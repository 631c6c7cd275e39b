#include "storage/api/local_object_routes.h"

#include <charconv>
#include <ctime>

#include "http/http_exchange.h"
#include "storage/api/api_error.h"
#include "storage/api/caller_auth.h"
#include "storage/api/content_response.h"
#include "storage/api/request_body_source.h"
#include "storage/store/local/local_store.h"
#include "storage/service/admission/admission_refusal.h"
#include "storage/service/domain_error.h"
#include "storage/service/uploads/sessions/session_record.h"
#include "storage/service/uploads/sessions/session_lookup.h"
#include "storage/service/admission/part_admission.h"
#include "storage/service/admission/upload_pace.h"

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
Task<Result<SessionRecord>> check_part_target(PgPool& pg, std::string key, std::string upload_id, int part,
                                                uint64_t length) {
  auto rec = co_await find_session_by_store_upload(pg, std::move(upload_id));
  if (!rec.ok()) co_return std::move(rec).error();
  if (rec->object_key != key) co_return domain_error(Reason::forbidden, "the URL's key does not belong to this upload");
  if (!rec->active()) co_return session_not_active(rec->state, "this upload is " + rec->state);
  uint64_t expected = rec->expected_part_size(static_cast<uint32_t>(part));
  if (expected == 0)
    co_return domain_error(Reason::invalid_part_number, "part " + std::to_string(part) + " is outside this upload");
  if (length != expected)
    co_return domain_error(Reason::part_size_mismatch, "part " + std::to_string(part) + " must be exactly " +
                                                           std::to_string(expected) + " bytes, got " +
                                                           std::to_string(length));
  co_return std::move(*rec);
}

// A signed GET: the object as content (Range, conditional, HEAD, nosniff), answering with the
// disposition and type the URL binds. A URL that binds no disposition still never renders inline.
Task<void> serve_signed_download(HttpExchange& ex, local::LocalStore& store, std::string key,
                                 ResponseOverrides overrides) {
  auto info = co_await store.head(key);
  if (!info.ok()) co_return co_await respond_api_error(ex, api_error_from(info.error()));
  ContentTarget t;
  t.key = std::move(key);
  t.size = info->size;
  t.etag = info->etag;
  t.content_type = overrides.content_type.empty() ? info->content_type : overrides.content_type;
  t.disposition = overrides.content_disposition.empty() ? std::string("attachment") : overrides.content_disposition;
  t.cache_control = "private";
  co_await serve_content(ex, store, std::move(t));
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
  uint64_t signed_length = 0;
  bool has_length = req.query_param("length").has_value();
  if (has_length && !parse_int(req.query_param("length"), signed_length))
    co_return co_await respond_api_error(ex, denied("the URL has a malformed length"));
  if (!parse_int(req.query_param("expires"), expires))
    co_return co_await respond_api_error(ex, denied("the URL has no valid expiry"));
  if (req.query_param("part") && !parse_int(req.query_param("part"), part))
    co_return co_await respond_api_error(ex, denied("the URL has a malformed part number"));
  if (method != req.method && !(method == "GET" && req.method == "HEAD"))
    co_return co_await respond_api_error(ex, denied("the URL was signed for " + method + ", not " + req.method));
  std::optional<uint64_t> bound_length;
  if (has_length) bound_length = signed_length;
  ResponseOverrides overrides;
  overrides.content_disposition = req.query_param(local::kDispositionParam).value_or("");
  overrides.content_type = req.query_param(local::kContentTypeParam).value_or("");
  Status ok = store->url_signer().verify(method, *key, upload_id, part, expires, sig,
                                         static_cast<int64_t>(time(nullptr)), bound_length, overrides);
  if (!ok.ok()) co_return co_await respond_api_error(ex, denied(ok.error().message));

  if (method == "GET") co_return co_await serve_signed_download(ex, *store, std::move(*key), std::move(overrides));
  if (req.chunked)
    co_return co_await respond_api_error(ex, ApiError(411, "length_required", "send the body with Content-Length"));
  uint64_t length = req.content_length.value_or(0);
  // An upload URL binds its size (as S3 signs content-length): exactly that many bytes.
  if (!upload_id.empty() && !has_length)
    co_return co_await respond_api_error(ex, denied("a part URL must carry its signed length"));
  if (has_length && length != signed_length)
    co_return co_await respond_api_error(
        ex, ApiError(403, "content_length_mismatch",
                     "the URL was signed for exactly " + std::to_string(signed_length) + " bytes, got Content-Length " +
                         std::to_string(length)));
  // A part: one PUT of it at a time, counted against its owner's concurrent uploads, paced.
  std::optional<PartHold> part_hold;
  std::optional<SlotPool::Slot> slot;
  if (!upload_id.empty()) {
    auto rec = co_await check_part_target(*ctx.pg, *key, upload_id, part, length);
    if (!rec.ok()) co_return co_await respond_api_error(ex, api_error_from(rec.error()));
    auto admitted = co_await admit_part_put(ctx, std::move(rec).value(), static_cast<uint32_t>(part));
    if (!admitted.ok()) co_return co_await respond_api_error(ex, api_error_from(admitted.error()));
    part_hold.emplace(std::move(admitted).value());
  } else {
    auto s = co_await ctx.slots->acquire();
    if (!s.ok()) co_return co_await respond_api_error(ex, api_error_from(no_slot_refusal(s.error())));
    slot.emplace(std::move(*s));
  }
  ex.set_body_limit(length);
  RequestBodySource body(ex);
  std::optional<UploadPace> pace;
  if (part_hold) {
    pace.emplace(ctx.leases, &ctx.background, ctx.limits.pace, part_hold->owner(), part_hold->lease_ids());
    body.pace(&*pace);
  }
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
    // A body the client did not deliver is its fault, whatever the store made of it.
    ApiError e = body.client_error() ? body_api_error(*body.client_error()) : api_error_from(failed);
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
