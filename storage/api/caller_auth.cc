#include "storage/api/caller_auth.h"

#include <ctime>

#include "core/log.h"
#include "http/json_writer.h"
#include "storage/api/audit_trail.h"
#include "storage/api/rate_limit_gate.h"

namespace sluice {

Task<void> respond_api_error(HttpExchange& ex, ApiError e) {
  if (!e.log_detail.empty())
    log_event(LogLevel::warn, "api_error_detail",
              {{"request_id", ex.request().request_id}, {"status", e.status}, {"code", e.code}, {"detail", e.log_detail}});
  (void)co_await ex.respond(e.to_response());
}

ApiError insufficient_scope(const Principal& who, ApiScope need) {
  std::string name(scope_name(need));
  std::string details;
  http::JsonWriter w(details);
  w.begin_object();
  w.key("requiredScope").string(name);
  w.key("grantedScopes").begin_array();
  for (const auto& s : scope_names(who.scopes)) w.string(s);
  w.end_array();
  w.end_object();
  ApiError e(403, "insufficient_scope", "this API key lacks the scope " + name);
  e.with_details(std::move(details));
  e.with_header("WWW-Authenticate", "Bearer realm=\"sluice\", error=\"insufficient_scope\", scope=\"" + name + "\"");
  return e;
}

namespace {

// The caller whatever the scope, or nullopt after answering.
Task<std::optional<Principal>> authenticate_any(HttpExchange& ex, ServiceContext& ctx) {
  if (!ctx.auth) {  // the service runs without a database: nothing but /health is served
    co_await respond_api_error(ex, ApiError(404, "not_found", "this server has no API configured"));
    co_return std::nullopt;
  }
  auto who = co_await ctx.auth->authenticate(ex.request().header("authorization"), static_cast<int64_t>(time(nullptr)));
  if (who.ok()) {
    audit_note(ex, "user", who->user_id);  // the audit row's actor (audit_trail.h)
    if (who->via_api_key) audit_note(ex, "key", who->api_key_id);
    co_return std::move(*who);
  }
  // Only a credential known to be bad is a 401: a dependency that cannot say is an outage.
  if (who.error().code != Errc::unauthenticated) {
    ApiError e = api_error_from(who.error());
    if (e.status < 500) e = ApiError(503, "unavailable", "credentials cannot be checked right now; retry later");
    bool has_retry = false;
    for (const auto& [k, v] : e.headers) has_retry = has_retry || k == "Retry-After";
    if (!has_retry) e.with_header("Retry-After", "1");
    co_await respond_api_error(ex, std::move(e));
    co_return std::nullopt;
  }
  // Failed attempts count against the client address: guessing keys costs like any request.
  if (!co_await limit_failed_auth(ex, ctx)) co_return std::nullopt;
  ApiError e(401, "unauthenticated", who.error().message);
  e.with_header("WWW-Authenticate", "Bearer realm=\"sluice\", error=\"invalid_token\"");
  co_await respond_api_error(ex, std::move(e));
  co_return std::nullopt;
}

}  // namespace

Task<std::optional<Principal>> authenticate_caller(HttpExchange& ex, ServiceContext& ctx, ApiScope need) {
  auto who = co_await authenticate_any(ex, ctx);
  if (!who) co_return std::nullopt;
  if (!co_await limit_caller(ex, ctx, *who)) co_return std::nullopt;
  if (!who->has(need)) {
    co_await respond_api_error(ex, insufficient_scope(*who, need));
    co_return std::nullopt;
  }
  co_return who;
}

Task<std::optional<Principal>> authenticate_admin(HttpExchange& ex, ServiceContext& ctx) {
  auto who = co_await authenticate_any(ex, ctx);
  if (!who) co_return std::nullopt;
  if (!co_await limit_caller(ex, ctx, *who)) co_return std::nullopt;
  if (!who->is_admin()) {
    co_await respond_api_error(ex, ApiError(403, "forbidden", "this endpoint needs the admin or root role"));
    co_return std::nullopt;
  }
  co_return who;
}

bool valid_user_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '@' || c == ':' || c == '-'))
      return false;
  return true;
}

}  // namespace sluice
