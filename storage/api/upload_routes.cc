#include "storage/api/upload_routes.h"

#include <charconv>
#include <ctime>
#include <optional>

#include "http/http_exchange.h"
#include "http/json_writer.h"
#include "storage/api/audit_trail.h"
#include "storage/api/caller_auth.h"
#include "storage/service/auth/rfc3339.h"
#include "storage/api/media_type.h"
#include "storage/api/request_body_source.h"
#include "storage/service/files/path_rules.h"
#include "storage/service/domain_error.h"
#include "storage/service/uploads/sessions/session_completion.h"
#include "storage/service/uploads/sessions/session_ending.h"
#include "storage/api/session_requests.h"
#include "storage/service/admission/part_admission.h"
#include "storage/service/uploads/sessions/session_lookup.h"
#include "storage/service/uploads/sessions/session_progress.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice {

namespace {

int64_t seconds(Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }

// A small JSON body, whole (the route's body limit bounds it).
Task<Result<std::string>> read_small_body(HttpExchange& ex) {
  std::string out;
  for (;;) {
    auto chunk = co_await ex.read_body();
    if (!chunk.ok()) co_return std::move(chunk).error();
    if (chunk->empty()) co_return out;
    out.append(chunk->data(), chunk->size());
  }
}

// The {n} of a part route within the session's layout.
Result<uint32_t> part_number(HttpExchange& ex, const SessionRecord& rec) {
  std::string_view text = ex.request().param("n");
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n < 1 || n > rec.total_parts)
    return domain_error(Reason::invalid_part_number, "part number must be within 1.." +
                                                         std::to_string(rec.total_parts) + " for this upload, got '" +
                                                         std::string(text) + "'");
  return n;
}

// The service's answer as HTTP: the one conversion each route makes.
Task<void> respond_error(HttpExchange& ex, Error e) { co_await respond_api_error(ex, api_error_from(e)); }

// --- POST /v1/uploads

Task<void> create_upload(HttpExchange& ex, ServiceContexts* all, UploadRouteOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  auto body = co_await read_small_body(ex);
  if (!body.ok()) co_return co_await respond_api_error(ex, body_api_error(body.error()));
  auto req = parse_initiate_request(*body);
  if (!req.ok()) {
    bool huge = req.error().code == Errc::limit_exceeded;  // a size beyond ByteCount::kMax
    ApiError bad(huge ? 413 : 400, huge ? "size_out_of_range" : "invalid_request", req.error().message);
    co_return co_await respond_api_error(ex, std::move(bad));
  }
  UploadTarget t;
  auto path = normalize_virtual_path(req->path);
  if (!path.ok()) co_return co_await respond_api_error(ex, ApiError(400, "invalid_path", path.error().message));
  t.path = std::move(*path);
  auto name = validate_file_name(req->name);
  if (!name.ok()) co_return co_await respond_api_error(ex, ApiError(400, "invalid_name", name.error().message));
  t.name = std::move(*name);
  if (req->content_type) {
    if (!valid_media_type(*req->content_type))
      co_return co_await respond_api_error(ex,
                                       ApiError(400, "invalid_content_type", "contentType is not a valid media type"));
    t.content_type = *req->content_type;
  }
  if (req->visibility) {
    if (*req->visibility != "private" && *req->visibility != "public")
      co_return co_await respond_api_error(ex, ApiError(400, "invalid_visibility", "visibility must be private or public"));
    t.visibility = *req->visibility;
  }
  if (req->on_conflict) {
    auto mode = service::parse_on_conflict(*req->on_conflict);
    if (!mode.ok()) co_return co_await respond_error(ex, std::move(mode).error());
    t.on_conflict = *mode;
  }
  t.size = req->size;
  auto opened = co_await admit_session(ctx, *who, t, req->part_size, opts.sessions);
  if (!opened.ok()) co_return co_await respond_error(ex, std::move(opened).error());
  const SessionRecord& rec = *opened;
  audit_note(ex, "file", rec.file_id);
  audit_note(ex, "target", rec.id);
  ++ctx.upload_stats.started;
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("uploadId").string(rec.id);
  w.key("fileId").string(rec.file_id);
  w.key("size").uint64(rec.declared_size);
  w.key("partSize").uint64(rec.part_size);
  w.key("totalParts").uint64(rec.total_parts);
  w.key("expiresAt").string(rec.expires_at);
  w.end_object();
  Response r = Response::json(201, std::move(out));
  r.header("Location", "/v1/uploads/" + rec.id);
  (void)co_await ex.respond(std::move(r));
}

// --- GET /v1/uploads/{id}

Task<void> get_upload(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  std::string id(ex.request().param("id"));
  auto rec = co_await find_session(*ctx.pg, std::move(id), *who);
  if (!rec.ok()) co_return co_await respond_error(ex, std::move(rec).error());
  auto parts = co_await session_parts(ctx, *rec);
  if (!parts.ok()) co_return co_await respond_error(ex, std::move(parts).error());
  (void)co_await ex.respond(Response::json(200, rec->to_json(*parts)));
}

// --- PUT /v1/uploads/{id}/parts/{n}

Task<void> put_part(HttpExchange& ex, ServiceContexts* all, UploadRouteOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  std::string id(ex.request().param("id"));
  auto rec = co_await find_session(*ctx.pg, std::move(id), *who);
  if (!rec.ok()) co_return co_await respond_error(ex, std::move(rec).error());
  auto number = part_number(ex, *rec);
  if (!number.ok()) co_return co_await respond_error(ex, std::move(number).error());
  uint32_t n = *number;
  if (!rec->active() || !rec->store_upload_id) co_return co_await respond_error(ex, session_not_accepting(*rec));
  Request& req = ex.request();
  uint64_t expected = rec->expected_part_size(n);
  if (req.chunked)
    co_return co_await respond_api_error(
        ex, ApiError(411, "length_required",
                     "send part " + std::to_string(n) + " with Content-Length: " + std::to_string(expected)));
  uint64_t length = req.content_length.value_or(0);
  if (length != expected)
    co_return co_await respond_api_error(
        ex, ApiError(400, "part_size_mismatch",
                     "part " + std::to_string(n) + " must be exactly " + std::to_string(expected) +
                         " bytes, got Content-Length " + std::to_string(length)));
  // A slot, and the part's lease: one PUT per part at a time, counted against the owner's limit.
  auto admitted = co_await admit_part_put(ctx, *rec, n);
  if (!admitted.ok()) co_return co_await respond_error(ex, std::move(admitted).error());
  const PartHold& hold = *admitted;
  ex.set_body_limit(expected);
  RequestBodySource body(ex);
  UploadPace pace(ctx.leases, &ctx.background, ctx.limits.pace, hold.owner(), hold.lease_ids());
  body.pace(&pace);
  PutOptions po;
  po.content_type = rec->content_type;
  auto part =
      co_await ctx.store->upload_part(rec->object_key, *rec->store_upload_id, static_cast<int>(n), expected, body, po);
  if (!part.ok()) {
    if (body.client_error()) co_return co_await respond_api_error(ex, body_api_error(*body.client_error()));
    Error e = std::move(part).error();
    if (e.code == Errc::not_found) e = domain_error(Reason::upload_aborted, "this upload no longer exists");
    co_return co_await respond_error(ex, std::move(e));
  }
  ctx.upload_stats.bytes += part->size;
  std::string etag = normalize_etag(part->etag);
  Status recorded = co_await record_part(*ctx.pg, rec->id, n, part->size, etag, opts.sessions.stale_upload_after);
  if (!recorded.ok()) co_return co_await respond_error(ex, std::move(recorded).error());
  co_await ctx.leases->renew(rec->owner, rec->file_id);
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("partNumber").int64(n);
  w.key("etag").string(etag);
  w.key("size").uint64(part->size);
  w.end_object();
  Response r = Response::json(200, std::move(out));
  r.header("ETag", "\"" + etag + "\"");
  (void)co_await ex.respond(std::move(r));
}

// --- POST /v1/uploads/{id}/parts/{n}/url

Task<void> presign_part(HttpExchange& ex, ServiceContexts* all, UploadRouteOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  auto body = co_await read_small_body(ex);
  if (!body.ok()) co_return co_await respond_api_error(ex, body_api_error(body.error()));
  auto asked = parse_presign_request(*body);
  if (!asked.ok()) co_return co_await respond_api_error(ex, ApiError(400, "invalid_request", asked.error().message));
  std::string id(ex.request().param("id"));
  auto rec = co_await find_session(*ctx.pg, std::move(id), *who);
  if (!rec.ok()) co_return co_await respond_error(ex, std::move(rec).error());
  auto number = part_number(ex, *rec);
  if (!number.ok()) co_return co_await respond_error(ex, std::move(number).error());
  uint32_t n = *number;
  if (!rec->active() || !rec->store_upload_id) co_return co_await respond_error(ex, session_not_accepting(*rec));
  int64_t expires = asked->value_or(opts.presign_default_expiry);
  if (expires < opts.presign_min_expiry || expires > opts.presign_max_expiry)
    co_return co_await respond_api_error(
        ex, ApiError(400, "invalid_expiry",
                     "expiresIn must be within " + std::to_string(opts.presign_min_expiry) + ".." +
                         std::to_string(opts.presign_max_expiry) + " seconds"));
  // The part's exact size is signed: the URL cannot store more (or less) than the layout says.
  std::optional<uint64_t> part_length = rec->expected_part_size(n);
  auto url = ctx.store->presign(PresignMethod::upload_part, rec->object_key, *rec->store_upload_id, static_cast<int>(n),
                                expires, static_cast<int64_t>(time(nullptr)), part_length);
  if (!url.ok()) co_return co_await respond_api_error(ex, api_error_from(url.error()));
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("url").string(url->url);
  w.key("method").string(url->method);
  w.key("expiresAt").string(format_rfc3339_seconds(url->expires_at_unix));
  w.key("headers").begin_object();
  for (const auto& [k, v] : url->headers) w.key(k).string(v);
  w.end_object();
  w.key("partNumber").int64(n);
  w.key("size").uint64(rec->expected_part_size(n));
  w.key("contentLength").uint64(rec->expected_part_size(n));  // must be sent exactly (it is signed)
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(out)));
}

// --- POST /v1/uploads/{id}/heartbeat

Task<void> heartbeat(HttpExchange& ex, ServiceContexts* all, UploadRouteOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  std::string id(ex.request().param("id"));
  auto rec = co_await find_session(*ctx.pg, std::move(id), *who);
  if (!rec.ok()) co_return co_await respond_error(ex, std::move(rec).error());
  Status beat = co_await heartbeat(ctx, std::move(*rec), opts.heartbeat_rate, opts.sessions.stale_upload_after);
  if (!beat.ok()) co_return co_await respond_error(ex, std::move(beat).error());
  Response resp;
  resp.status = 204;
  (void)co_await ex.respond(std::move(resp));
}

// --- POST /v1/uploads/{id}/complete

Task<void> complete(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  auto body = co_await read_small_body(ex);
  if (!body.ok()) co_return co_await respond_api_error(ex, body_api_error(body.error()));
  std::string id(ex.request().param("id"));
  auto rec = co_await find_session(*ctx.pg, std::move(id), *who);
  if (!rec.ok()) co_return co_await respond_error(ex, std::move(rec).error());
  std::vector<RequestedPart> parts;
  if (rec->active()) {  // a repeated complete needs no valid list to get its file back
    auto req = parse_complete_request(*body);
    if (!req.ok()) co_return co_await respond_api_error(ex, ApiError(400, "invalid_request", req.error().message));
    parts = std::move(*req);
  }
  auto done = co_await complete_session(ctx, std::move(*rec), std::move(parts));
  if (!done.ok()) co_return co_await respond_error(ex, std::move(done).error());
  const FileRecord& f = *done;
  Response r = Response::json(200, f.to_json());
  r.header("Location", "/v1/files/" + f.id);
  (void)co_await ex.respond(std::move(r));
}

// --- DELETE /v1/uploads/{id}

Task<void> abort_upload(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  std::string id(ex.request().param("id"));
  auto rec = co_await find_session(*ctx.pg, std::move(id), *who);
  if (!rec.ok()) co_return co_await respond_error(ex, std::move(rec).error());
  Response gone;
  gone.status = 204;
  if (rec->state == "aborted" || rec->state == "failed") {
    (void)co_await ex.respond(std::move(gone));
    co_return;
  }
  if (rec->state == "completed")
    co_return co_await respond_error(ex, session_not_active(rec->state, "this upload is complete; delete the file instead"));
  if (!rec->active()) co_return co_await respond_error(ex, session_not_accepting(*rec));
  auto ended = co_await end_session(*ctx.pg, *ctx.store, *rec, SessionEnd::aborted, false);
  if (!ended.ok()) co_return co_await respond_api_error(ex, api_error_from(ended.error()));
  if (!*ended)
    co_return co_await respond_api_error(ex, ApiError(409, "conflict", "the upload changed state meanwhile; GET it"));
  ++ctx.upload_stats.failed;
  co_await ctx.leases->release(rec->owner, rec->file_id);
  (void)co_await ex.respond(std::move(gone));
}

}  // namespace

UploadRouteOptions upload_route_options(const ServiceConfig& c) {
  UploadRouteOptions o;
  o.sessions.stale_upload_after = c.stale_upload_after;
  o.heartbeat_rate = c.heartbeat_rate;
  o.presign_default_expiry = seconds(c.presign_default_expiry);
  o.presign_min_expiry = seconds(c.presign_min_expiry);
  o.presign_max_expiry = seconds(c.presign_max_expiry);
  return o;
}

void add_upload_routes(Router& router, ServiceContexts* contexts, UploadRouteOptions o) {
  RouteOptions part;
  part.max_body_bytes = 5ull << 30;  // S3's largest part; each part's exact size is set per request
  router.add("POST", "/v1/uploads", [contexts, o](HttpExchange& ex) { return create_upload(ex, contexts, o); });
  router.add("GET", "/v1/uploads/{id}", [contexts](HttpExchange& ex) { return get_upload(ex, contexts); });
  router.add("DELETE", "/v1/uploads/{id}", [contexts](HttpExchange& ex) { return abort_upload(ex, contexts); });
  router.add(
      "PUT", "/v1/uploads/{id}/parts/{n}", [contexts, o](HttpExchange& ex) { return put_part(ex, contexts, o); }, part);
  router.add("POST", "/v1/uploads/{id}/parts/{n}/url",
             [contexts, o](HttpExchange& ex) { return presign_part(ex, contexts, o); });
  router.add("POST", "/v1/uploads/{id}/heartbeat",
             [contexts, o](HttpExchange& ex) { return heartbeat(ex, contexts, o); });
  router.add("POST", "/v1/uploads/{id}/complete", [contexts](HttpExchange& ex) { return complete(ex, contexts); });
}

}  // namespace sluice
