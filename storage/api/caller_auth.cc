#include "storage/api/caller_auth.h"

#include <ctime>

namespace sluice {

Task<void> respond_api_error(HttpExchange& ex, ApiError e) { (void)co_await ex.respond(e.to_response()); }

Task<std::optional<Principal>> authenticate_caller(HttpExchange& ex, ServiceContext& ctx) {
  if (!ctx.auth) {  // the service runs without a database: nothing but /health is served
    co_await respond_api_error(ex, ApiError(404, "not_found", "this server has no API configured"));
    co_return std::nullopt;
  }
  auto who = co_await ctx.auth->authenticate(ex.request(), static_cast<int64_t>(time(nullptr)));
  if (who.ok()) co_return std::move(*who);
  if (who.error().code == Errc::unavailable) {
    co_await respond_api_error(ex, api_error_from(who.error()));
    co_return std::nullopt;
  }
  ApiError e(401, "unauthenticated", who.error().message);
  e.with_header("WWW-Authenticate", "Bearer realm=\"sluice\", error=\"invalid_token\"");
  co_await respond_api_error(ex, std::move(e));
  co_return std::nullopt;
}

Task<std::optional<Principal>> authenticate_admin(HttpExchange& ex, ServiceContext& ctx) {
  auto who = co_await authenticate_caller(ex, ctx);
  if (!who) co_return std::nullopt;
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
