#include "storage/api/public_share_routes.h"

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "http/json_writer.h"
#include "storage/api/audit_trail.h"
#include "storage/api/caller_auth.h"
#include "storage/api/rate_limit_gate.h"
#include "storage/api/content_response.h"
#include "storage/api/json_body.h"
#include "storage/api/thumbnail_routes.h"
#include "storage/service/files/content_disposition.h"
#include "storage/service/shares/share_password.h"
#include "storage/service/shares/share_token.h"

namespace sluice {

namespace {

constexpr const char* kCacheControl = "private, no-store";

int64_t now_unix() { return static_cast<int64_t>(time(nullptr)); }

void capability_headers(Response& r) {
  r.header("Cache-Control", kCacheControl);
  r.header("Referrer-Policy", "no-referrer");
}

// The share of the route's {token}, or nullopt after answering 404 (one body for every cause)
// or 410 (download limit used up).
Task<std::optional<service::OpenShare>> open(HttpExchange& ex, ServiceContext& ctx) {
  std::string token(ex.request().param("token"));
  auto s = co_await service::open_share(*ctx.pg, std::move(token));
  if (!s.ok()) {
    ApiError e = api_error_from(s.error());
    e.with_header("Cache-Control", kCacheControl);
    co_await respond_api_error(ex, std::move(e));
    co_return std::nullopt;
  }
  // The audit row names the share and the file, never the token (a bearer secret).
  audit_note(ex, "target", s->id);
  audit_note(ex, "file", s->file.id);
  audit_note(ex, "owner", s->file.owner);
  co_return std::move(*s);
}

// Whether the request carries a valid access token for `s` (not needed without a password).
bool unlocked(const Request& req, const service::OpenShare& s, const ShareRouteOptions& opts) {
  if (!s.password_hash) return true;
  std::string presented(req.header("x-share-access"));
  if (presented.empty()) presented = req.query_param("access").value_or("");
  if (presented.empty()) return false;
  auto grant = service::verify_share_access(opts.access_key, presented, now_unix());
  return grant && grant->share_id == s.id && grant->password_version == s.password_version;
}

// The file as the link shows it: never the owner, path, object key, tags or metadata.
std::string public_share_json(const service::OpenShare& s) {
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("name").string(s.file.name);
  w.key("size").uint64(s.file.size);
  w.key("contentType").string(s.file.content_type);
  w.key("expiresAt");
  if (s.expires_at) w.string(*s.expires_at);
  else w.null();
  w.key("downloadsLeft");
  if (auto left = s.downloads_left()) w.int64(*left);
  else w.null();
  w.key("allowDownload").boolean(s.allow_download);
  w.key("passwordRequired").boolean(s.password_hash.has_value());
  w.end_object();
  return out;
}

std::string locked_json(const service::OpenShare& s) {
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("passwordRequired").boolean(true);
  w.key("expiresAt");
  if (s.expires_at) w.string(*s.expires_at);
  else w.null();
  w.end_object();
  return out;
}

Task<void> get_share(HttpExchange& ex, ServiceContexts* all, const ShareRouteOptions* opts) {
  ServiceContext& ctx = core_context(ex, all);
  if (!co_await limit_public(ex, ctx)) co_return;  // per client address
  auto s = co_await open(ex, ctx);
  if (!s) co_return;
  if (s->touch_due) co_await service::touch_share(*ctx.pg, s->id);
  Response r = Response::json(200, unlocked(ex.request(), *s, *opts) ? public_share_json(*s) : locked_json(*s));
  capability_headers(r);
  (void)co_await ex.respond(std::move(r));
}

Task<void> get_content(HttpExchange& ex, ServiceContexts* all, const ShareRouteOptions* opts) {
  ServiceContext& ctx = core_context(ex, all);
  if (!co_await limit_public(ex, ctx)) co_return;  // per client address
  auto s = co_await open(ex, ctx);
  if (!s) co_return;
  if (!unlocked(ex.request(), *s, *opts)) {
    ApiError e(401, "password_required", "this share needs a password: POST it to the unlock route");
    e.with_header("Cache-Control", kCacheControl);
    co_return co_await respond_api_error(ex, std::move(e));
  }
  if (!s->allow_download) {
    ApiError e(403, "download_not_allowed", "this share shows the file's details only");
    e.with_header("Cache-Control", kCacheControl);
    co_return co_await respond_api_error(ex, std::move(e));
  }
  Disposition asked = Disposition::inline_view;
  if (auto text = ex.request().query_param("disposition"); text && *text == "attachment")
    asked = Disposition::attachment;
  ContentTarget t;
  t.key = s->file.object_key;
  t.size = s->file.size;
  t.etag = s->file.etag.value_or("");
  t.content_type = s->file.content_type;
  t.disposition = content_disposition(effective_disposition(s->file.content_type, asked), s->file.name);
  t.cache_control = kCacheControl;
  if (serves_from_first_byte(ex.request(), t)) {
    // Counted (and limited) before a byte goes out: of racing last downloads one gets here.
    auto counted = co_await service::count_share_download(*ctx.pg, s->id);
    if (!counted.ok()) {
      ApiError e = api_error_from(counted.error());
      e.with_header("Cache-Control", kCacheControl);
      co_return co_await respond_api_error(ex, std::move(e));
    }
  } else if (s->touch_due) {
    co_await service::touch_share(*ctx.pg, s->id);
  }
  co_await serve_content(ex, *ctx.store, std::move(t));
}

// The preview of the shared file: allowed even when the share allows metadata only (a
// thumbnail is what a share page shows), never before a password share is unlocked.
Task<void> get_thumbnail(HttpExchange& ex, ServiceContexts* all, const ShareRouteOptions* opts) {
  ServiceContext& ctx = core_context(ex, all);
  if (!co_await limit_public(ex, ctx)) co_return;  // per client address
  auto s = co_await open(ex, ctx);
  if (!s) co_return;
  if (!unlocked(ex.request(), *s, *opts)) {
    ApiError e(401, "password_required", "this share needs a password: POST it to the unlock route");
    e.with_header("Cache-Control", kCacheControl);
    co_return co_await respond_api_error(ex, std::move(e));
  }
  co_await serve_thumbnail(ex, ctx, s->file.id, opts->thumbnail_sizes, kCacheControl);
}

Task<void> unlock(HttpExchange& ex, ServiceContexts* all, const ShareRouteOptions* opts) {
  ServiceContext& ctx = core_context(ex, all);
  if (!co_await limit_public(ex, ctx)) co_return;  // per client address
  auto body = co_await read_json_body(ex);
  if (auto* e = std::get_if<ApiError>(&body)) co_return co_await respond_api_error(ex, std::move(*e));
  std::string password;
  {
    simdjson::dom::parser parser;
    auto parsed = parse_json_object(parser, std::get<std::string>(body));
    if (auto* e = std::get_if<ApiError>(&parsed)) co_return co_await respond_api_error(ex, std::move(*e));
    std::string_view pw;
    if (std::get<simdjson::dom::object>(parsed)["password"].get_string().get(pw) != simdjson::SUCCESS || pw.empty() ||
        pw.size() > service::kMaxSharePasswordBytes) {
      ApiError e(400, "invalid_password", "password must be a string of 1 to 1024 bytes");
      co_return co_await respond_api_error(ex, std::move(e));
    }
    password = std::string(pw);
  }
  auto s = co_await open(ex, ctx);
  if (!s) co_return;
  if (s->password_hash) {
    std::vector<std::string> subjects;
    subjects.push_back("t:" + service::share_token_hash(ex.request().param("token")));
    subjects.push_back("a:" + ex.client_address());
    auto limited = co_await service::count_unlock_attempt(*ctx.pg, subjects);
    if (!limited.ok()) co_return co_await respond_api_error(ex, api_error_from(limited.error()));
    if (*limited > 0) {
      ApiError e(401, "wrong_password", "too many wrong passwords; try again later");
      e.with_header("Retry-After", std::to_string(*limited));
      e.with_header("Cache-Control", kCacheControl);
      co_return co_await respond_api_error(ex, std::move(e));
    }
    auto check = [encoded = *s->password_hash, pw = std::move(password)] {
      return service::share_password_matches(encoded, pw);
    };
    auto matched = co_await opts->hashing->run(ex.reactor(), std::move(check));
    if (!matched) {
      co_await service::forgive_unlock_attempt(*ctx.pg, subjects);  // not checked: not held against them
      ApiError busy(503, "server_busy", "too many password checks right now; try again");
      busy.with_header("Retry-After", "1");
      co_return co_await respond_api_error(ex, std::move(busy));
    }
    if (!*matched) {
      ApiError e(401, "wrong_password", "the password does not match");
      e.with_header("Cache-Control", kCacheControl);
      co_return co_await respond_api_error(ex, std::move(e));
    }
    co_await service::forgive_unlock_attempt(*ctx.pg, subjects);
  }
  service::ShareAccess grant;
  grant.share_id = s->id;
  grant.password_version = s->password_version;
  grant.expires_unix = now_unix() + std::chrono::duration_cast<std::chrono::seconds>(opts->access_ttl).count();
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("accessToken").string(service::sign_share_access(opts->access_key, grant));
  time_t exp = static_cast<time_t>(grant.expires_unix);
  std::tm tm{};
  gmtime_r(&exp, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  w.key("expiresAt").string(when);
  w.end_object();
  Response r = Response::json(200, std::move(out));
  capability_headers(r);
  (void)co_await ex.respond(std::move(r));
}

}  // namespace

void add_public_share_routes(Router& router, ServiceContexts* contexts, const ShareRouteOptions* options) {
  RouteOptions small;
  small.max_body_bytes = kMaxJsonBodyBytes;
  router.add("GET", "/public/v1/shares/{token}",
             [contexts, options](HttpExchange& ex) { return get_share(ex, contexts, options); });
  router.add("GET", "/public/v1/shares/{token}/content",
             [contexts, options](HttpExchange& ex) { return get_content(ex, contexts, options); });
  router.add("GET", "/public/v1/shares/{token}/thumbnail",
             [contexts, options](HttpExchange& ex) { return get_thumbnail(ex, contexts, options); });
  router.add(
      "POST", "/public/v1/shares/{token}/unlock",
      [contexts, options](HttpExchange& ex) { return unlock(ex, contexts, options); }, small);
}

}  // namespace sluice
