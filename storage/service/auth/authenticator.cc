#include "storage/service/auth/authenticator.h"

#include <strings.h>

#include "storage/service/auth/api_key.h"

namespace sluice {

Task<Result<Principal>> Authenticator::authenticate(std::string_view h, int64_t now_unix) {
  if (h.empty()) co_return Error(Errc::unauthenticated, "missing Authorization header (expected: Bearer <token>)");
  if (h.size() < 7 || strncasecmp(h.data(), "bearer ", 7) != 0)
    co_return Error(Errc::unauthenticated, "unsupported authorization scheme (expected: Bearer <token>)");
  std::string_view token = h.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.starts_with("sk_")) {
    if (!api_keys_) co_return Error(Errc::unauthenticated, "API keys are not enabled on this server");
    auto parsed = auth::parse_api_key(token);
    if (!parsed.ok()) co_return std::move(parsed).error();
    co_return co_await api_keys_->lookup(parsed->prefix, parsed->secret, now_unix);
  }
  auto claims = jwt_.verify(token, now_unix);
  if (!claims.ok()) co_return std::move(claims).error();
  Principal p;
  p.user_id = std::move(claims->sub);
  p.role = claims->role;
  p.tier = std::move(claims->tier);
  co_return p;
}

}  // namespace sluice
