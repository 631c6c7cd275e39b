#include "storage/api/tus_routes.h"

#include <charconv>

#include "http/http_exchange.h"
#include "storage/api/audit_trail.h"
#include "storage/api/caller_auth.h"
#include "storage/api/media_type.h"
#include "storage/api/request_body_source.h"
#include "storage/service/accounts/accounts.h"
#include "storage/service/admission/part_admission.h"
#include "storage/service/domain_error.h"
#include "storage/service/files/path_rules.h"
#include "storage/service/uploads/tus/tus_metadata.h"
#include "storage/service/uploads/tus/tus_patch.h"
#include "storage/service/uploads/tus/tus_upload.h"

namespace sluice {

namespace {

constexpr std::string_view kTusVersion = "1.0.0";
constexpr std::string_view kExtensions =
    "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration";
constexpr std::string_view kOffsetStream = "application/offset+octet-stream";
constexpr uint32_t kPatchLock = 0;  // the part lease that admits one PATCH per upload at a time

Task<void> refuse(HttpExchange& ex, int status, std::string code, std::string message) {
  co_await respond_api_error(ex, ApiError(status, std::move(code), std::move(message)));
}

Task<void> respond_error(HttpExchange& ex, Error e) {
  ApiError a = api_error_from(e);
  // tus clients retry 409 and 423; another PATCH running is "locked" in tus terms.
  if (a.code == "part_in_progress")
    a = ApiError(423, "upload_locked", "another PATCH of this upload is running; retry when it ends");
  if (a.code == "checksum_mismatch") a.status = 460;
  if (a.code == "upload_aborted" || a.code == "upload_failed" || a.code == "upload_ended")
    a = ApiError(410, "upload_gone", "this upload was terminated or expired");
  co_await respond_api_error(ex, std::move(a));
}

// Tus-Resumable must name the version this server speaks (412 otherwise, nothing processed).
bool version_ok(HttpExchange& ex) {
  ex.add_response_header("Tus-Resumable", std::string(kTusVersion));
  return ex.request().header("tus-resumable") == kTusVersion;
}

Task<void> refuse_version(HttpExchange& ex) {
  ex.add_response_header("Tus-Version", std::string(kTusVersion));
  co_await refuse(ex, 412, "tus_version_unsupported",
                  "Tus-Resumable must be " + std::string(kTusVersion) + ", got '" +
                      std::string(ex.request().header("tus-resumable")) + "'");
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

bool is_offset_stream(std::string_view ct) {
  return ct.substr(0, kOffsetStream.size()) == kOffsetStream &&
         (ct.size() == kOffsetStream.size() || ct[kOffsetStream.size()] == ';');
}

void upload_headers(Response& r, const TusUpload& up, uint64_t offset) {
  r.header("Upload-Offset", std::to_string(offset));
  if (up.length_known)
    r.header("Upload-Length", std::to_string(up.session.declared_size));
  else
    r.header("Upload-Defer-Length", "1");
  if (!up.expires.empty() && up.session.active()) r.header("Upload-Expires", up.expires);
}

// --- OPTIONS /v1/tus, /v1/tus/{id}

Task<void> options(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  Response r;
  r.status = 204;
  r.header("Tus-Resumable", std::string(kTusVersion));
  r.header("Tus-Version", std::string(kTusVersion));
  r.header("Tus-Extension", std::string(kExtensions));
  r.header("Tus-Checksum-Algorithm", std::string(kTusChecksumAlgorithms));
  if (ex.request().has_header("authorization")) {  // the caller's tier sets the largest upload
    auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
    if (!who) co_return;
    auto quota = co_await service::account_quota(*ctx.pg, ctx.leases, who->user_id, who->tier);
    if (quota.ok()) r.header("Tus-Max-Size", std::to_string(quota->max_file_bytes));
  }
  (void)co_await ex.respond(std::move(r));
}

// The PATCH body of a request (PATCH, or POST with creation-with-upload) into `up`; answers.
Task<void> patch_into(HttpExchange& ex, ServiceContext& ctx, TusUpload up, Principal who, int ok_status,
                      TusRouteOptions opts) {
  Request& req = ex.request();
  if (req.chunked)
    co_return co_await refuse(ex, 411, "length_required", "send each PATCH with Content-Length");
  uint64_t length = req.content_length.value_or(0);
  if (up.offset + length > up.limit())
    co_return co_await refuse(ex, 413, "upload_length_exceeded",
                              "this PATCH would take the upload to " + std::to_string(up.offset + length) +
                                  " bytes, beyond its " + std::to_string(up.limit()));
  std::optional<TusChecksum> checksum;
  if (std::string_view h = req.header("upload-checksum"); !h.empty()) {
    auto c = parse_upload_checksum(h);
    if (!c.ok()) co_return co_await refuse(ex, 400, "invalid_checksum", c.error().message);
    checksum = std::move(*c);
  }
  auto hold = co_await admit_part_put(ctx, up.session, kPatchLock);
  if (!hold.ok()) co_return co_await respond_error(ex, std::move(hold).error());
  // Under the lock: the offset as it is now (another PATCH may have moved it since the read).
  std::string id = up.session.id;
  auto fresh = co_await find_tus_upload(*ctx.pg, id, who);
  if (!fresh.ok()) co_return co_await respond_error(ex, std::move(fresh).error());
  if (fresh->offset != up.offset)
    co_return co_await refuse(ex, 409, "offset_mismatch",
                              "the upload is at offset " + std::to_string(fresh->offset) + "; HEAD it and resume");
  if (!fresh->session.active()) co_return co_await respond_error(ex, session_not_active(fresh->session.state, "this upload is " + fresh->session.state));
  ex.set_body_limit(length);
  RequestBodySource body(ex);
  UploadPace pace(ctx.leases, &ctx.background, ctx.limits.pace, hold->owner(), hold->lease_ids());
  body.pace(&pace);
  TusUpload current = std::move(*fresh);
  auto written = co_await write_tus_chunk(ctx, current, body, length, std::move(checksum),
                                          opts.sessions.stale_upload_after);
  if (!written.ok()) co_return co_await respond_error(ex, std::move(written).error());
  if (written->body_error) {
    if (body.client_error()) co_return co_await respond_api_error(ex, body_api_error(*body.client_error()));
    co_return co_await respond_error(ex, std::move(*written->body_error));
  }
  Response r;
  r.status = ok_status;
  if (ok_status == 201) r.header("Location", "/v1/tus/" + current.session.id);
  current.expires = written->expires;
  upload_headers(r, current, written->offset);
  if (written->file) r.header("Sluice-File-Id", written->file->id);
  if (written->file) audit_note(ex, "file", written->file->id);
  (void)co_await ex.respond(std::move(r));
}

// --- POST /v1/tus (creation, creation-with-upload, creation-defer-length)

Task<void> create(HttpExchange& ex, ServiceContexts* all, TusRouteOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  if (!version_ok(ex)) co_return co_await refuse_version(ex);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  Request& req = ex.request();
  if (req.has_header("upload-concat"))
    co_return co_await refuse(ex, 400, "concatenation_unsupported",
                              "the concatenation extension (Upload-Concat, parallelUploads) is not offered; "
                              "upload with one connection");
  UploadTarget t;
  std::string_view length_text = req.header("upload-length");
  std::string_view defer = req.header("upload-defer-length");
  if (!defer.empty() && defer != "1")
    co_return co_await refuse(ex, 400, "invalid_defer_length", "Upload-Defer-Length must be 1");
  if (length_text.empty() == defer.empty())
    co_return co_await refuse(ex, 400, "invalid_upload_length",
                              "send exactly one of Upload-Length and Upload-Defer-Length: 1");
  if (!length_text.empty()) {
    auto n = parse_u64(length_text);
    if (!n) co_return co_await refuse(ex, 400, "invalid_upload_length", "Upload-Length must be a byte count");
    auto size = ByteCount::from_client(*n, "Upload-Length");
    if (!size.ok()) co_return co_await refuse(ex, 413, "size_out_of_range", size.error().message);
    t.size = *size;
  }
  std::string metadata(req.header("upload-metadata"));
  auto meta = parse_upload_metadata(metadata);
  if (!meta.ok()) co_return co_await refuse(ex, 400, "invalid_metadata", meta.error().message);
  auto field = [&](const char* k) -> std::optional<std::string> {
    auto it = meta->find(k);
    return it == meta->end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto path = normalize_virtual_path(field("path").value_or("/"));
  if (!path.ok()) co_return co_await refuse(ex, 400, "invalid_path", path.error().message);
  t.path = std::move(*path);
  std::string fallback_name = "upload-" + new_uuid().substr(0, 8);
  auto name = validate_file_name(field("filename").value_or(fallback_name));
  if (!name.ok()) co_return co_await refuse(ex, 400, "invalid_name", name.error().message);
  t.name = std::move(*name);
  if (auto type = field("filetype"); type && !type->empty()) {
    if (!valid_media_type(*type))
      co_return co_await refuse(ex, 400, "invalid_content_type", "filetype is not a valid media type");
    t.content_type = *type;
  }
  if (auto mode_text = field("onConflict")) {
    auto mode = service::parse_on_conflict(*mode_text);
    if (!mode.ok()) co_return co_await respond_error(ex, std::move(mode).error());
    t.on_conflict = *mode;
  }
  bool with_body = req.has_body();
  if (with_body && !is_offset_stream(req.header("content-type")))
    co_return co_await refuse(ex, 415, "unsupported_media_type",
                              "a creation-with-upload body must be " + std::string(kOffsetStream));
  TusRouteOptions o = opts;
  auto created = co_await create_tus_upload(ctx, *who, t, metadata, o.sessions);
  if (!created.ok()) co_return co_await respond_error(ex, std::move(created).error());
  ++ctx.upload_stats.started;
  TusUpload up = std::move(*created);
  if (with_body) co_return co_await patch_into(ex, ctx, std::move(up), *who, 201, opts);
  Response r;
  r.status = 201;
  r.header("Location", "/v1/tus/" + up.session.id);
  if (up.length_known && up.session.declared_size == 0) {  // nothing to send: a file at once
    auto file = co_await finish_tus_upload(ctx, up);
    if (!file.ok()) co_return co_await respond_error(ex, std::move(file).error());
    r.header("Sluice-File-Id", file->id);
  }
  upload_headers(r, up, 0);
  (void)co_await ex.respond(std::move(r));
}

// --- HEAD /v1/tus/{id}

Task<void> head(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  if (!version_ok(ex)) co_return co_await refuse_version(ex);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  std::string id(ex.request().param("id"));
  auto up = co_await find_tus_upload(*ctx.pg, id, *who);
  if (!up.ok()) co_return co_await respond_error(ex, std::move(up).error());
  const std::string& state = up->session.state;
  if (state == "aborted" || state == "failed")
    co_return co_await refuse(ex, 410, "upload_gone", "this upload was terminated or expired");
  Response r;
  r.status = 200;
  r.header("Cache-Control", "no-store");
  upload_headers(r, *up, up->offset);
  if (!up->metadata.empty()) r.header("Upload-Metadata", up->metadata);
  if (state == "completed") r.header("Sluice-File-Id", up->session.file_id);
  (void)co_await ex.respond(std::move(r));
}

// --- PATCH /v1/tus/{id}

Task<void> patch(HttpExchange& ex, ServiceContexts* all, TusRouteOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  if (!version_ok(ex)) co_return co_await refuse_version(ex);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  Request& req = ex.request();
  if (!is_offset_stream(req.header("content-type")))
    co_return co_await refuse(ex, 415, "unsupported_media_type", "a PATCH body must be " + std::string(kOffsetStream));
  auto offset = parse_u64(req.header("upload-offset"));
  if (!offset) co_return co_await refuse(ex, 400, "invalid_upload_offset", "Upload-Offset must be a byte count");
  std::string id(req.param("id"));
  auto found = co_await find_tus_upload(*ctx.pg, id, *who);
  if (!found.ok()) co_return co_await respond_error(ex, std::move(found).error());
  TusUpload up = std::move(*found);
  if (up.session.state == "completed") {  // a repeated last PATCH: the file it made
    if (*offset != up.offset || req.has_body())
      co_return co_await refuse(ex, 409, "offset_mismatch", "this upload is complete at offset " + std::to_string(up.offset));
    Response r;
    r.status = 204;
    upload_headers(r, up, up.offset);
    r.header("Sluice-File-Id", up.session.file_id);
    co_return (void)co_await ex.respond(std::move(r));
  }
  if (!up.session.active()) co_return co_await respond_error(ex, session_not_active(up.session.state, "this upload is " + up.session.state));
  if (*offset != up.offset)
    co_return co_await refuse(ex, 409, "offset_mismatch",
                              "Upload-Offset is " + std::to_string(*offset) + " but the upload is at " +
                                  std::to_string(up.offset) + "; HEAD it and resume");
  if (std::string_view l = req.header("upload-length"); !l.empty()) {
    auto n = parse_u64(l);
    if (!n) co_return co_await refuse(ex, 400, "invalid_upload_length", "Upload-Length must be a byte count");
    if (up.length_known) {
      if (*n != up.session.declared_size)
        co_return co_await refuse(ex, 400, "upload_length_fixed", "this upload's length is already " +
                                                                      std::to_string(up.session.declared_size));
    } else {
      Status declared = co_await declare_tus_length(*ctx.pg, up, *n);
      if (!declared.ok()) co_return co_await respond_error(ex, std::move(declared).error());
    }
  }
  co_await patch_into(ex, ctx, std::move(up), *who, 204, opts);
}

// --- DELETE /v1/tus/{id} (termination)

Task<void> terminate(HttpExchange& ex, ServiceContexts* all) {
  ServiceContext& ctx = core_context(ex, all);
  if (!version_ok(ex)) co_return co_await refuse_version(ex);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  std::string id(ex.request().param("id"));
  auto up = co_await find_tus_upload(*ctx.pg, id, *who);
  if (!up.ok()) co_return co_await respond_error(ex, std::move(up).error());
  const std::string& state = up->session.state;
  if (state == "aborted" || state == "failed")
    co_return co_await refuse(ex, 410, "upload_gone", "this upload was already terminated or expired");
  if (state == "completed")
    co_return co_await refuse(ex, 403, "upload_completed", "this upload is a file now; delete the file instead");
  Status done = co_await terminate_tus_upload(ctx, std::move(*up));
  if (!done.ok()) co_return co_await respond_error(ex, std::move(done).error());
  Response r;
  r.status = 204;
  (void)co_await ex.respond(std::move(r));
}

// POST /v1/tus/{id} with X-HTTP-Method-Override (clients behind proxies that block methods).
Task<void> overridden(HttpExchange& ex, ServiceContexts* all, TusRouteOptions opts) {
  std::string_view method = ex.request().header("x-http-method-override");
  if (method == "PATCH") co_return co_await patch(ex, all, opts);
  if (method == "DELETE") co_return co_await terminate(ex, all);
  if (method == "HEAD") co_return co_await head(ex, all);
  co_await refuse(ex, 405, "method_not_allowed",
                  "POST on an upload needs X-HTTP-Method-Override: PATCH, DELETE or HEAD");
}

}  // namespace

TusRouteOptions tus_route_options(const ServiceConfig& c) {
  TusRouteOptions o;
  o.sessions.stale_upload_after = c.tus_expiry;
  return o;
}

void add_tus_routes(Router& router, ServiceContexts* contexts, TusRouteOptions o) {
  RouteOptions body;
  body.max_body_bytes = 5ull << 40;  // S3's largest object; each PATCH's limit is set once admitted
  router.add("OPTIONS", "/v1/tus", [contexts](HttpExchange& ex) { return options(ex, contexts); });
  router.add("OPTIONS", "/v1/tus/{id}", [contexts](HttpExchange& ex) { return options(ex, contexts); });
  router.add("POST", "/v1/tus", [contexts, o](HttpExchange& ex) { return create(ex, contexts, o); }, body);
  router.add("HEAD", "/v1/tus/{id}", [contexts](HttpExchange& ex) { return head(ex, contexts); });
  router.add("PATCH", "/v1/tus/{id}", [contexts, o](HttpExchange& ex) { return patch(ex, contexts, o); }, body);
  router.add("DELETE", "/v1/tus/{id}", [contexts](HttpExchange& ex) { return terminate(ex, contexts); });
  router.add("POST", "/v1/tus/{id}", [contexts, o](HttpExchange& ex) { return overridden(ex, contexts, o); }, body);
}

}  // namespace sluice
